/**
 * LUO005 (warning): a compatible string took a new value although nothing it guards changed, not even
 * beneath it. The next kernel will refuse state it could have read.
 */
import type { GuardLayout } from '../canonical.ts';
import { CheckContext } from '../context.ts';
import { diffGuardLayouts } from '../diff.ts';
import { compatibleText, type Finding, type Rule } from '../finding.ts';

export const compatibleBumpedWithoutChange: Rule = {
  id: 'LUO005',
  name: 'compatible-bumped-without-change',
  severity: 'warning',
  description: 'A compatible string has a new value but nothing it guards changed.',
  check(context) {
    const findings: Finding[] = [];
    context.versions.forEach(({ model, canonical }, index) => {
      const previous = context.previous(index);
      for (const guard of canonical.guards) {
        const before = previous.get(guard.macro);
        if (!before || before.value === guard.value || context.isDowngrade(guard.macro, before.value, guard.value)) continue;
        const pairs: [GuardLayout | undefined, GuardLayout | undefined][] = [[before.layout, guard.layout]];
        const macros = new Set([
          ...CheckContext.beneath(canonical.guards, guard.macro).map((g) => g.macro),
          ...CheckContext.beneath(previous.values(), guard.macro).map((g) => g.macro),
        ]);
        for (const macro of macros) {
          pairs.push([previous.get(macro)?.layout, canonical.guards.find((g) => g.macro === macro)?.layout]);
        }
        const changed = pairs.some(([a, b]) => !a || !b || diffGuardLayouts(a, b).length > 0);
        if (changed) continue;
        findings.push({
          rule: compatibleBumpedWithoutChange.id,
          name: compatibleBumpedWithoutChange.name,
          severity: compatibleBumpedWithoutChange.severity,
          version: model.name,
          compatible: compatibleText(guard.macro, guard.value),
          subject: guard.macro,
          old: `"${before.value}"`,
          new: `"${guard.value}"`,
          message: `${model.name} bumps ${guard.macro} from "${before.value}" to "${guard.value}" but no layout it guards changed.`,
          ...context.locate(model, { node: guard.layout.node.path }),
          fix: `keep ${guard.macro} at "${before.value}" unless the meaning of a field changed in a way the schema does not describe`,
        });
      }
    });
    return findings;
  },
};
