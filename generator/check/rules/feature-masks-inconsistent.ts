/**
 * LUO013: a version's own masks contradict each other: its payload requires or uses a feature its
 * kernel does not support (it could not read its own payload back), or it requires a feature the
 * payload does not use (older kernels are refused for nothing).
 */
import { maskText, type FeatureVersionModel } from '../../model/index.ts';
import { featureSteps } from '../features.ts';
import { type Finding, type Rule, reportOf } from '../finding.ts';

export const featureMasksInconsistent: Rule = {
  id: 'LUO013',
  name: 'feature-masks-inconsistent',
  severity: 'error',
  description: 'A payload requires or uses a feature its own kernel does not support.',
  check(context) {
    const findings: Finding[] = [];
    for (const { features, model } of featureSteps(context)) {
      const problems: { subject: string; extra: bigint; message: string; fix: string; severity?: 'warning' }[] = [
        {
          subject: features.macros.required,
          extra: features.required & ~features.supported,
          message: `requires of the next kernel a feature it does not support itself`,
          fix: `add the bits to ${features.macros.supported}, or drop them from ${features.macros.required}`,
        },
        {
          subject: features.macros.active,
          extra: features.active & ~features.supported,
          message: `uses in its payload a feature it does not support itself`,
          fix: `add the bits to ${features.macros.supported}, or drop them from ${features.macros.active}`,
        },
        {
          subject: features.macros.required,
          extra: features.required & ~features.active,
          message: `requires a feature its payload does not use, which refuses older kernels for nothing`,
          fix: `set the bits active in ${features.macros.active} too, or drop them from ${features.macros.required}`,
          severity: 'warning',
        },
      ];
      for (const p of problems) {
        if (p.extra === 0n) continue;
        findings.push({
          ...reportOf(featureMasksInconsistent, {
            version: model.name,
            compatible: `${features.subsystem} features`,
            subject: p.subject,
            new: maskText(p.extra, features.bits),
            message: `${model.name} ${p.message}: ${maskText(p.extra, features.bits)} (${masksText(features)}).`,
            ...context.where(features.at ?? model.at),
            fix: p.fix,
          }),
          ...(p.severity ? { severity: p.severity } : {}),
        });
      }
    }
    return findings;
  },
};

function masksText(f: FeatureVersionModel): string {
  return `supports ${maskText(f.supported, f.bits)}; requires ${maskText(f.required, f.bits)}; active ${maskText(f.active, f.bits)}`;
}
