/**
 * LUO001: a layout changed while every guard string that covers it kept its value, so the next
 * kernel would accept state it misreads.
 */
import type { VersionModel } from '../../model/index.ts';
import { diffGuardLayouts, type LayoutChange } from '../../model/diff.ts';
import type { CanonicalGuard } from '../../model/canonical.ts';
import type { CheckContext, GuardState } from '../context.ts';
import { bumpFix, compatibleText, type Finding, type Rule, reportOf } from '../finding.ts';

export const layoutChangedWithoutBump: Rule = {
  id: 'LUO001',
  name: 'layout-changed-without-bump',
  severity: 'error',
  description: 'A layout under a guard string differs from the layout recorded for that string.',
  check(context) {
    const findings: Finding[] = [];
    for (const { version, guard, before, previous } of context.guardsAgainst('previous')) {
      if (!before || before.key !== guard.key) continue;
      const changes = [...diffGuardLayouts(before.layout, guard.layout), ...removedSubnodes(guard, previous, version.canonical.guards)];
      const seen = new Set<string>();
      for (const change of changes) {
        if (!change.breaking || seen.has(change.subject + change.summary)) continue;
        seen.add(change.subject + change.summary);
        findings.push(layoutChangedFinding(context, version.model, change, guard, before));
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
  const present = new Set(now.map((g) => g.role));
  const path = guard.layout.node?.path ?? guard.role;
  return [...previous.values()]
    .filter((g) => g.outer.at(-1)?.role === guard.role && !present.has(g.role) && g.layout.node)
    .map((g) => ({
      kind: 'node' as const,
      subject: `node ${g.layout.node!.path}`,
      old: `${g.layout.node!.path} (compatible ${g.macro} "${g.value}")`,
      summary: `Node ${path} no longer has the subnode "${g.layout.node!.path.split('/').at(-1)}".`,
      breaking: true,
      target: { node: path },
    }));
}

export function layoutChangedFinding(context: CheckContext, version: VersionModel, change: LayoutChange, guard: CanonicalGuard, before: GuardState): Finding {
  const renamed = before.macro !== guard.macro ? ` The macro was renamed from ${before.macro} to ${guard.macro}; a new name with the old value is no bump.` : '';
  return reportOf(layoutChangedWithoutBump, {
    version: version.name,
    compatible: compatibleText(guard.macro, guard.value),
    subject: change.subject,
    ...(change.old !== undefined ? { old: change.old } : {}),
    ...(change.new !== undefined ? { new: change.new } : {}),
    message: `${change.summary} ${version.name} still says ${compatibleText(guard.macro, guard.value)}, which ${context.baselineName} records with the old layout.${renamed}`,
    ...context.locate(version, change.target),
    fix: bumpFix(guard.macro, guard.value, context.unusedValue(guard.role, guard.value), guard.outer.map((o) => o.macro), context.afterBump),
  });
}
