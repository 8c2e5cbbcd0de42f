/**
 * LUO002: a version uses a compatible string that was released for another layout, so the next kernel
 * cannot tell the two apart.
 */
import { diffGuardLayouts } from '../../model/diff.ts';
import { compatibleText, type Finding, type Rule, reportOf } from '../finding.ts';

export const compatibleReused: Rule = {
  id: 'LUO002',
  name: 'compatible-reused',
  severity: 'error',
  description: 'A guard string is used for a layout other than the one it was released with.',
  check(context) {
    const findings: Finding[] = [];
    for (const { version: { model }, index, guard, before } of context.guardsAgainst('previous')) {
      // Keeping the previous string is layout-changed-without-bump's case.
      if (before?.key === guard.key) continue;
      const known = context.known(guard.key, index);
      if (!known) continue;
      const changes = diffGuardLayouts(known.layout, guard.layout).filter((c) => c.breaking);
      const first = changes[0];
      if (!first) continue;
      findings.push(reportOf(compatibleReused, {
        version: model.name,
        compatible: compatibleText(guard.macro, guard.value),
        subject: first.subject,
        ...(first.old !== undefined ? { old: first.old } : {}),
        ...(first.new !== undefined ? { new: first.new } : {}),
        message:
          `${model.name} uses ${compatibleText(guard.macro, guard.value)}, which ${known.locked ? context.baselineName : 'the schema'} ` +
          `gives ${known.versions.join(', ')} with another layout (${changes.length} difference${changes.length === 1 ? '' : 's'}; first: ${first.summary})`,
        ...context.locate(model, first.target),
        fix: `give ${model.name} a value never released: set ${guard.macro} to "${context.unusedValue(guard.role, guard.value)}", then run \`luo-abi lock\``,
      }));
    }
    return findings;
  },
};
