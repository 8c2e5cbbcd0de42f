/**
 * LUO003: a version sets a compatible string back to a value released before the one it replaces.
 * Kernels that know the newer value would take the state for the older ABI.
 */
import type { Finding, Rule } from '../finding.ts';
import { compatibleText, reportOf } from '../finding.ts';

export const compatibleDowngraded: Rule = {
  id: 'LUO003',
  name: 'compatible-downgraded',
  severity: 'error',
  description: 'A guard string goes back to a value released before the one it replaces.',
  check(context) {
    const findings: Finding[] = [];
    for (const { version: { model }, guard, before } of context.guardsAgainst('previous')) {
      if (!before || !context.isDowngrade(guard.role, before.value, guard.value)) continue;
      findings.push(reportOf(compatibleDowngraded, {
        version: model.name,
        compatible: compatibleText(guard.macro, guard.value),
        subject: guard.macro,
        old: `"${before.value}"`,
        new: `"${guard.value}"`,
        message: `${model.name} sets ${guard.macro} back from "${before.value}" to "${guard.value}", a value released before it.`,
        ...context.where(model.at), // the version, where its strings are chosen
        fix: `compatible strings only move forward: set ${guard.macro} to "${context.unusedValue(guard.role, before.value)}" (or back to "${before.value}" if nothing changed), then run \`luo-abi lock\``,
      }));
    }
    return findings;
  },
};
