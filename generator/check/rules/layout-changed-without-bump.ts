/**
 * LUO001: a layout changed while every compatible string that guards it kept its value, so the next
 * kernel would accept state it misreads.
 */
import type { VersionModel } from '../../model/index.ts';
import { diffGuardLayouts, type LayoutChange } from '../diff.ts';
import type { CheckContext } from '../context.ts';
import { bumpFix, compatibleText, type Finding, type Rule } from '../finding.ts';

export const layoutChangedWithoutBump: Rule = {
  id: 'LUO001',
  name: 'layout-changed-without-bump',
  severity: 'error',
  description: 'A layout under a compatible string differs from the layout recorded for that string.',
  check(context) {
    const findings: Finding[] = [];
    context.versions.forEach(({ model, canonical }, index) => {
      const previous = context.previous(index);
      for (const guard of canonical.guards) {
        const before = previous.get(guard.macro);
        if (!before || before.key !== guard.key) continue;
        for (const change of diffGuardLayouts(before.layout, guard.layout)) {
          if (!change.breaking) continue;
          findings.push(layoutChangedFinding(context, model, change, guard.macro, guard.value, guard.outer.map((o) => o.macro)));
        }
      }
    });
    return findings;
  },
};

export function layoutChangedFinding(
  context: CheckContext,
  version: VersionModel,
  change: LayoutChange,
  macro: string,
  value: string,
  outer: readonly string[],
): Finding {
  return {
    rule: layoutChangedWithoutBump.id,
    name: layoutChangedWithoutBump.name,
    severity: layoutChangedWithoutBump.severity,
    version: version.name,
    compatible: compatibleText(macro, value),
    subject: change.subject,
    ...(change.old !== undefined ? { old: change.old } : {}),
    ...(change.new !== undefined ? { new: change.new } : {}),
    message: `${change.summary} ${version.name} still says ${compatibleText(macro, value)}, which ${context.baselineName} records with the old layout.`,
    ...context.locate(version, change.target),
    fix: bumpFix(macro, value, outer),
  };
}
