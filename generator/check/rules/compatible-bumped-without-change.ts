/**
 * LUO005 (warning): a compatible string took a new value although nothing it guards changed, not even
 * beneath it. The next kernel will refuse state it could have read.
 */
import type { CanonicalGuard } from '../canonical.ts';
import { CheckContext, type GuardState } from '../context.ts';
import { diffGuardLayouts } from '../diff.ts';
import { compatibleText, type Finding, type Rule, reportOf } from '../finding.ts';

/** Whether anything the macro guards, or any string beneath it guards, differs from before. */
function subtreeChanged(macro: string, before: ReadonlyMap<string, GuardState>, now: readonly CanonicalGuard[]): boolean {
  const macros = new Set([
    macro,
    ...CheckContext.beneath(now, macro).map((g) => g.macro),
    ...CheckContext.beneath(before.values(), macro).map((g) => g.macro),
  ]);
  return [...macros].some((m) => {
    const a = before.get(m)?.layout;
    const b = now.find((g) => g.macro === m)?.layout;
    return !a || !b || diffGuardLayouts(a, b).length > 0;
  });
}

export const compatibleBumpedWithoutChange: Rule = {
  id: 'LUO005',
  name: 'compatible-bumped-without-change',
  severity: 'warning',
  description: 'A compatible string has a new value but nothing it guards changed.',
  check(context) {
    const findings: Finding[] = [];
    // A macro is reported once per version, whichever earlier state shows it first.
    const reported = new Set<string>();
    for (const { version: { model, canonical }, guard, before, previous } of context.guardsAgainst('earlier')) {
      const key = `${model.name}\0${guard.macro}`;
      if (!before || before.value === guard.value || reported.has(key)) continue;
      if (context.isDowngrade(guard.macro, before.value, guard.value)) continue;
      if (subtreeChanged(guard.macro, previous, canonical.guards)) continue;
      reported.add(key);
      findings.push(reportOf(compatibleBumpedWithoutChange, {
        version: model.name,
        compatible: compatibleText(guard.macro, guard.value),
        subject: guard.macro,
        old: `"${before.value}"`,
        new: `"${guard.value}"`,
        message: `${model.name} bumps ${guard.macro} from "${before.value}" to "${guard.value}" but no layout it guards changed.`,
        ...context.where(model.at), // the version, where its strings are chosen
        fix: `keep ${guard.macro} at "${before.value}" unless the meaning of a field changed in a way the schema does not describe`,
      }));
    }
    return findings;
  },
};
