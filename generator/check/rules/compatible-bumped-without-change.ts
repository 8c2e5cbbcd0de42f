/**
 * LUO005 (warning): a guard string took a new value although nothing it guards changed, not even
 * beneath it. The next kernel will refuse state it could have read.
 */
import { sameLayout, type CanonicalGuard } from '../../model/canonical.ts';
import { diffGuardLayouts } from '../../model/diff.ts';
import { CheckContext, type GuardState } from '../context.ts';
import { compatibleText, type Finding, type Rule, reportOf } from '../finding.ts';

/** Whether anything the guard covers, or any guard beneath it, differs from before. */
function subtreeChanged(role: string, before: ReadonlyMap<string, GuardState>, now: readonly CanonicalGuard[]): boolean {
  const roles = new Set([role, ...CheckContext.beneath(now, role).map((g) => g.role), ...CheckContext.beneath(before.values(), role).map((g) => g.role)]);
  return [...roles].some((r) => {
    const a = before.get(r)?.layout;
    const b = now.find((g) => g.role === r)?.layout;
    return !a || !b || diffGuardLayouts(a, b).length > 0;
  });
}

export const compatibleBumpedWithoutChange: Rule = {
  id: 'LUO005',
  name: 'compatible-bumped-without-change',
  severity: 'warning',
  description: 'A guard string has a new value but nothing it guards changed.',
  check(context) {
    const findings: Finding[] = [];
    // A guard is reported once per version, whichever earlier state shows it first.
    const reported = new Set<string>();
    for (const { version: { model, canonical }, guard, before, previous } of context.guardsAgainst('earlier')) {
      const key = `${model.name}\0${guard.role}`;
      if (!before || before.value === guard.value || reported.has(key)) continue;
      if (context.isDowngrade(guard.role, before.value, guard.value)) continue;
      if (subtreeChanged(guard.role, previous, canonical.guards)) continue;
      // A composed string changes with the strings it is made of: their layouts changed elsewhere.
      if (!sameLayout(before.components, guard.components)) continue;
      // A header cannot show what an address points at; the schema may know that it changed.
      if (context.invisibleChange(guard, before)) continue;
      reported.add(key);
      findings.push(reportOf(compatibleBumpedWithoutChange, {
        version: model.name,
        compatible: compatibleText(guard.macro, guard.value),
        subject: guard.macro,
        old: `"${before.value}"`,
        new: `"${guard.value}"`,
        message: `${model.name} bumps ${guard.macro} from "${before.value}" to "${guard.value}" but nothing it guards changed: no layout, and no pointer target the schema describes.`,
        ...context.where(model.at), // the version, where its strings are chosen
        fix: `if what an address points at or what a field means changed, describe that in the schema (a pointer's target, a new version); otherwise keep ${guard.macro} at "${before.value}"`,
      }));
    }
    return findings;
  },
};
