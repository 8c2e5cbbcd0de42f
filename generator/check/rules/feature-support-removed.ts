/**
 * LUO011: a version no longer supports a bit an earlier version of its lineage requires. A kernel of
 * that earlier version hands over payloads requiring the bit, and this one would refuse them: the
 * live update from that kernel to this one is lost.
 */
import { maskBits } from '../../model/index.ts';
import { bitName, featureSteps } from '../features.ts';
import { type Finding, type Rule, reportOf } from '../finding.ts';

export const featureSupportRemoved: Rule = {
  id: 'LUO011',
  name: 'feature-support-removed',
  severity: 'error',
  description: 'A feature bit an earlier kernel requires is no longer supported.',
  check(context) {
    const findings: Finding[] = [];
    for (const { features, model, earlier } of featureSteps(context)) {
      const reported = new Set<number>();
      for (const older of earlier) {
        for (const bit of maskBits(older.features.required & ~features.supported)) {
          if (reported.has(bit)) continue;
          reported.add(bit);
          const name = bitName(older.features, bit);
          findings.push(reportOf(featureSupportRemoved, {
            version: model.name,
            compatible: `${features.subsystem} features (supports ${features.macros.supported})`,
            subject: name,
            old: `supported by ${older.name}`,
            new: `not supported by ${model.name}`,
            message: `${model.name} does not support ${name} (bit ${bit}), which ${older.name} requires of the next kernel: a live update from ${older.name}'s kernel to ${model.name}'s would be refused.`,
            ...context.where(features.at ?? model.at),
            ...(older.own ? { inPlace: true } : {}),
            fix: `keep ${name} in ${features.macros.supported} (a kernel may stop requiring a feature, never stop reading it while an older kernel still writes it)`,
          }));
        }
      }
    }
    return findings;
  },
};
