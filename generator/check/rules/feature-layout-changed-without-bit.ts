/**
 * LUO010: a struct that feature bits guard changed layout, but the new payload requires no bit an
 * earlier kernel lacks, so that kernel would accept the payload and read it with the old layout.
 * The change needs a new bit the older kernel does not support and the new payload requires (or,
 * where a string also guards the struct, a new value of that string).
 */
import { diffStructLists, type LayoutChange } from '../../model/diff.ts';
import { maskText, type VersionModel } from '../../model/index.ts';
import { featureSteps, freeBit, stringBumpedFor, type FeatureSide } from '../features.ts';
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
      // The version before this one; its own released form is compared first, as an edit in place.
      const predecessor = step.earlier.find((e) => !e.own);
      const reported = new Set<string>();
      for (const older of step.earlier) {
        const changes = unsafeChanges(older, step.side, model);
        // What the predecessor already changed unsafely against the same older version is its finding, not this one's.
        const inherited = older === predecessor || !predecessor ? new Set<string>() : new Set(unsafeChanges(older, predecessor, undefined).map((c) => c.subject));
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
              `${change.summary} ${model.name} requires ${maskText(features.required, features.bits)}, all of which ${older.name} supports ` +
              `(${maskText(older.features.supported, older.features.bits)}), so ${older.name}'s kernel would accept the payload and read it with the old layout.`,
            ...context.locate(model, change.target),
            ...(older.own ? { inPlace: true } : {}),
            fix:
              `add a feature bit ${older.name} does not support (bit ${bit} is free) for the change, make ${struct ? `struct ${struct}` : 'the changed struct'} depend on it, ` +
              `and put it in ${features.macros.required} as well as ${features.macros.supported} and ${features.macros.active}`,
          }));
        }
      }
    }
    return findings;
  },
};

/**
 * The breaking changes from `older` to `newer` that nothing answers for: the newer payload requires no
 * bit the older kernel lacks, and no string guarding the struct changed value (where the newer state
 * is a schema version, `model`, whose strings can be asked).
 */
function unsafeChanges(older: FeatureSide, newer: FeatureSide, model: VersionModel | undefined): LayoutChange[] {
  // A bit the new payload requires that the older kernel does not support makes it refuse the payload.
  if ((newer.features.required & ~older.features.supported) !== 0n) return [];
  return diffStructLists(older.layouts, newer.layouts).filter((c) => c.breaking && !(model && stringBumpedFor(c.target.struct ?? '', older, model)));
}
