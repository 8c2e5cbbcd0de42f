/**
 * LUO010: a struct that feature bits guard changed layout, but the new payload requires no bit an
 * earlier kernel lacks, so that kernel would accept the payload and read it with the old layout.
 * The change needs a new bit the older kernel does not support and the new payload requires (or,
 * where a string also guards the struct, a new value of that string).
 */
import { diffStructLists, type LayoutChange } from '../../model/diff.ts';
import { maskText } from '../../model/index.ts';
import { coveredLayouts, featureSteps, freeBit, stringBumpedFor, type FeatureStep } from '../features.ts';
import { type Finding, type Rule, reportOf } from '../finding.ts';

export const featureLayoutChangedWithoutBit: Rule = {
  id: 'LUO010',
  name: 'feature-layout-changed-without-bit',
  severity: 'error',
  description: 'A feature-guarded layout changed while the payload requires no bit an earlier kernel lacks.',
  check(context) {
    const findings: Finding[] = [];
    for (const step of featureSteps(context)) {
      const { features, model } = step;
      const predecessor = step.earlier[0];
      const reported = new Set<string>();
      for (const older of step.earlier) {
        const changes = unsafeChanges(older, { features, model });
        // What the predecessor already changed unsafely against the same older version is its finding, not this one's.
        const inherited = older === predecessor || !predecessor ? new Set<string>() : new Set(unsafeChanges(older, predecessor).map((c) => c.subject));
        for (const change of changes) {
          const struct = change.target.struct ?? '';
          if (reported.has(change.subject) || inherited.has(change.subject)) continue;
          reported.add(change.subject);
          const bit = freeBit(step);
          findings.push(reportOf(featureLayoutChangedWithoutBit, {
            version: model.name,
            compatible: `${features.subsystem} features (requires ${maskText(features.required, features.bits)})`,
            subject: change.subject,
            ...(change.old !== undefined ? { old: change.old } : {}),
            ...(change.new !== undefined ? { new: change.new } : {}),
            message:
              `${change.summary} ${model.name} requires ${maskText(features.required, features.bits)}, all of which ${older.model.name} supports ` +
              `(${maskText(older.features.supported, older.features.bits)}), so ${older.model.name}'s kernel would accept the payload and read it with the old layout.`,
            ...context.locate(model, change.target),
            fix:
              `add a feature bit ${older.model.name} does not support (bit ${bit} is free) for the change, make ${struct ? `struct ${struct}` : 'the changed struct'} depend on it, ` +
              `and put it in ${features.macros.required} as well as ${features.macros.supported} and ${features.macros.active}`,
          }));
        }
      }
    }
    return findings;
  },
};

type Side = FeatureStep['earlier'][number];

/**
 * The breaking changes from `older` to `newer` that nothing answers for: the newer payload requires no
 * bit the older kernel lacks, and no string guarding the struct changed value.
 */
function unsafeChanges(older: Side, newer: Side): LayoutChange[] {
  // A bit the new payload requires that the older kernel does not support makes it refuse the payload.
  if ((newer.features.required & ~older.features.supported) !== 0n) return [];
  return diffStructLists(coveredLayouts(older.features, older.model), coveredLayouts(newer.features, newer.model)).filter(
    (c) => c.breaking && !stringBumpedFor(c.target.struct ?? '', older.model, newer.model),
  );
}
