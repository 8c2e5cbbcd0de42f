/**
 * LUO006: the schema uses a guard string the lock file does not record yet, or has a version guarded
 * by feature bits the lock file does not record, so the layout it was released with is not protected
 * against later edits.
 */
import { maskText } from '../../model/index.ts';
import { compatibleText, type Finding, type Rule, reportOf } from '../finding.ts';

export const compatibleNotLocked: Rule = {
  id: 'LUO006',
  name: 'compatible-not-locked',
  severity: 'error',
  description: 'A guard string the schema uses is missing from the lock file.',
  check(context) {
    if (!context.requireLocked) return [];
    const locked = new Set(context.baseline.compatibles.map((e) => e.key));
    const findings: Finding[] = [];
    const reported = new Set<string>();
    for (const { model, canonical } of context.versions) {
      for (const guard of canonical.guards) {
        if (locked.has(guard.key) || reported.has(guard.key)) continue;
        reported.add(guard.key);
        findings.push(reportOf(compatibleNotLocked, {
          version: model.name,
          compatible: compatibleText(guard.macro, guard.value),
          subject: guard.key,
          new: `"${guard.value}"`,
          message: `${model.name} uses ${compatibleText(guard.macro, guard.value)}, which ${context.baselineName} does not record.`,
          ...context.where(model.at), // the version, where its strings are chosen
          fix: `run \`luo-abi lock\` and commit ${context.baselineName}`,
        }));
      }
    }
    const lockedFeatures = context.baseline.features ?? [];
    for (const features of context.features) {
      if (lockedFeatures.some((e) => e.header === features.header && e.version === features.version)) continue;
      const model = context.versions.find((v) => v.model.header === features.header && v.model.name === features.version)?.model;
      findings.push(reportOf(compatibleNotLocked, {
        version: features.version,
        compatible: `${features.subsystem} features`,
        subject: `${features.header}@${features.version}`,
        new: `requires ${maskText(features.required, features.bits)}`,
        message: `${features.version} is guarded by feature bits (${features.subsystem}), and ${context.baselineName} does not record its bits and layouts.`,
        ...context.where(features.at ?? model?.at),
        fix: `run \`luo-abi lock\` and commit ${context.baselineName}`,
      }));
    }
    return findings;
  },
};
