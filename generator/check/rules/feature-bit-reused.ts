/**
 * LUO012: a bit number names another feature than it did in an earlier version of the lineage (or a
 * feature moved to another bit). Kernels tell features apart by number only: an older kernel that
 * supports the bit would take the new feature for the old one.
 */
import { featureSteps, freeBit } from '../features.ts';
import { type Finding, type Rule, reportOf } from '../finding.ts';

export const featureBitReused: Rule = {
  id: 'LUO012',
  name: 'feature-bit-reused',
  severity: 'error',
  description: 'A feature bit number means another feature than it did in an earlier version.',
  check(context) {
    const findings: Finding[] = [];
    for (const step of featureSteps(context)) {
      const { features, model, earlier } = step;
      const reported = new Set<string>();
      for (const bit of features.bits) {
        for (const older of earlier) {
          const sameNumber = older.features.bits.find((b) => b.bit === bit.bit);
          const sameName = older.features.bits.find((b) => b.name === bit.name);
          const clash = sameNumber && sameNumber.name !== bit.name ? { old: `bit ${bit.bit} is ${sameNumber.name}`, what: `bit ${bit.bit} was ${sameNumber.name}` } : sameName && sameName.bit !== bit.bit ? { old: `${bit.name} is bit ${sameName.bit}`, what: `${bit.name} was bit ${sameName.bit}` } : undefined;
          if (!clash || reported.has(bit.name)) continue;
          reported.add(bit.name);
          findings.push(reportOf(featureBitReused, {
            version: model.name,
            compatible: `${features.subsystem} features`,
            subject: bit.name,
            old: clash.old,
            new: `${bit.name} is bit ${bit.bit}`,
            message: `In ${model.name} ${bit.name} is bit ${bit.bit}, but in ${older.name} ${clash.what}: a kernel of ${older.name} would take one feature for the other.`,
            ...context.where(features.at ?? model.at),
            ...(older.own ? { inPlace: true } : {}),
            fix: `give a new feature a bit no version of ${features.subsystem} has used (bit ${freeBit(step)} is free), and keep every released bit's number and meaning`,
          }));
        }
      }
    }
    return findings;
  },
};
