/**
 * LUO001: a layout changed while every compatible string that guards it kept its value, so the next
 * kernel would accept state it misreads.
 */
import type { VersionModel } from '../../model/index.ts';
import { diffGuardLayouts, type LayoutChange } from '../diff.ts';
import type { CanonicalGuard } from '../canonical.ts';
import type { CheckContext, GuardState } from '../context.ts';
import { bumpFix, compatibleText, type Finding, type Rule, reportOf } from '../finding.ts';

export const layoutChangedWithoutBump: Rule = {
  id: 'LUO001',
  name: 'layout-changed-without-bump',
  severity: 'error',
  description: 'A layout under a compatible string differs from the layout recorded for that string.',
  check(context) {
    const findings: Finding[] = [];
    for (const { version, guard, before, previous } of context.guardsAgainst('previous')) {
      if (!before || before.key !== guard.key) continue;
      const changes = [...diffGuardLayouts(before.layout, guard.layout), ...removedSubnodes(guard, previous, version.canonical.guards)];
      const seen = new Set<string>();
      for (const change of changes) {
        if (!change.breaking || seen.has(change.subject + change.summary)) continue;
        seen.add(change.subject + change.summary);
        findings.push(layoutChangedFinding(context, version.model, change, guard.macro, guard.value, guard.outer.map((o) => o.macro)));
      }
    }
    return findings;
  },
};

/**
 * Subnodes the previous state had directly beneath this guard's node that are gone now (removed or
 * renamed): the older kernel would look for them under an unchanged string and not find them.
 */
function removedSubnodes(guard: CanonicalGuard, previous: ReadonlyMap<string, GuardState>, now: readonly CanonicalGuard[]): LayoutChange[] {
  const present = new Set(now.map((g) => g.layout.node.path));
  return [...previous.values()]
    .filter((g) => g.outer.at(-1)?.macro === guard.macro && !present.has(g.layout.node.path))
    .map((g) => ({
      kind: 'node' as const,
      subject: `node ${g.layout.node.path}`,
      old: `${g.layout.node.path} (compatible ${g.macro} "${g.value}")`,
      summary: `Node ${guard.layout.node.path} no longer has the subnode "${g.layout.node.path.split('/').at(-1)}".`,
      breaking: true,
      target: { node: guard.layout.node.path },
    }));
}

export function layoutChangedFinding(
  context: CheckContext,
  version: VersionModel,
  change: LayoutChange,
  macro: string,
  value: string,
  outer: readonly string[],
): Finding {
  return reportOf(layoutChangedWithoutBump, {
    version: version.name,
    compatible: compatibleText(macro, value),
    subject: change.subject,
    ...(change.old !== undefined ? { old: change.old } : {}),
    ...(change.new !== undefined ? { new: change.new } : {}),
    message: `${change.summary} ${version.name} still says ${compatibleText(macro, value)}, which ${context.baselineName} records with the old layout.`,
    ...context.locate(version, change.target),
    fix: bumpFix(macro, value, outer),
  });
}
