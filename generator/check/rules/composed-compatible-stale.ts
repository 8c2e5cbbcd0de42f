/**
 * LUO009: a guard string composed of other headers' strings (KHO_SUB_COMPAT) does not carry their
 * current values, or carries them out of order. A change to a shared struct bumps its header's
 * string; every string composed of it must change with it, or the next kernel reads the new shared
 * layout under the old string.
 */
import { compatibleText, type Finding, type Rule, reportOf } from '../finding.ts';

export const SUB_SEPARATOR = ';';

export const composedCompatibleStale: Rule = {
  id: 'LUO009',
  name: 'composed-compatible-stale',
  severity: 'error',
  description: 'A composed guard string lacks the current value of a string it is composed of, or lists them out of order.',
  check(context) {
    const findings: Finding[] = [];
    for (const { model, canonical } of context.versions) {
      for (const guard of canonical.guards) {
        if (guard.components.length === 0) continue;
        const [, ...parts] = guard.value.split(SUB_SEPARATOR);
        const missing = guard.components.filter((c) => !parts.includes(c.value));
        const sorted = parts.every((p, i) => i === 0 || parts[i - 1]! < p);
        if (missing.length === 0 && sorted) continue;
        const expected = [guard.value.split(SUB_SEPARATOR)[0], ...[...new Set(guard.components.map((c) => c.value))].sort()].join(SUB_SEPARATOR);
        findings.push(reportOf(composedCompatibleStale, {
          version: model.name,
          compatible: compatibleText(guard.macro, guard.value),
          subject: guard.macro,
          old: `"${guard.value}"`,
          new: `"${expected}"`,
          message:
            missing.length > 0
              ? `${model.name}'s ${guard.macro} is "${guard.value}", which lacks ${missing.map((c) => `${c.macro} "${c.value}"`).join(' and ')}; the structs those strings guard changed under a string that does not say so.`
              : `${model.name}'s ${guard.macro} is "${guard.value}": the composed parts must follow the base in strict alphabetical order, each once.`,
          ...context.where(model.at),
          fix: `write ${guard.macro} with KHO_SUB_COMPAT() of each component macro, in alphabetical order of their values, so that it reads "${expected}"`,
        }));
      }
    }
    return findings;
  },
};
