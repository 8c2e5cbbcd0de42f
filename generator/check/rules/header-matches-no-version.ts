/**
 * LUO008: a header whose guard strings match no version of the schema. Its layout was compared with
 * the nearest version, but a pass would mean nothing: describe the version in the schema.
 */
import { reportOf, type Finding, type Rule } from '../finding.ts';

export const headerMatchesNoVersion: Rule = {
  id: 'LUO008',
  name: 'header-matches-no-version',
  severity: 'error',
  description: 'A header (or a revision of it) has guard strings that no version of the schema has.',
  check(context) {
    return (context.unmatched ?? []).map(
      (u): Finding =>
        reportOf(headerMatchesNoVersion, {
          version: u.name,
          subject: u.name,
          message:
            `${u.name} says ${u.says}, which no version of the schema says. ` +
            (u.nearest ? `The nearest is ${u.nearest}; it differs in: ${u.differences.length > 0 ? u.differences.join('; ') : 'its guard strings only'}.` : 'No version shares any of its guard strings.'),
          ...(u.file ? { file: u.file } : {}),
          ...(u.line ? { line: u.line } : {}),
          fix: 'describe this form of the header as a version in the luo-abi schema (then `luo-abi lock`), or correct the header to a version the schema knows',
        }),
    );
  },
};
