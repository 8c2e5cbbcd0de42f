/**
 * LUO004: a struct no FDT property reaches, so no compatible string guards it and no change to it
 * would ever demand a bump. The model reports it as the schema issue 'unguarded-struct'.
 */
import { reportOf, type Finding, type Rule } from '../finding.ts';

export const structUnguarded: Rule = {
  id: 'LUO004',
  name: 'struct-unguarded',
  severity: 'error',
  description: 'A struct is reached from no FDT property, so no compatible string guards it.',
  check(context) {
    return context.schemaIssues
      .filter((issue) => issue.code === 'unguarded-struct')
      .map(
        (issue): Finding =>
          reportOf(structUnguarded, {
            version: issue.path[0],
            subject: issue.path.slice(1).join(' > '),
            message: `${issue.path.join(' > ')}: ${issue.message}`,
            ...context.where(issue.at),
            fix: 'point at the struct from an FDT property or from a struct that is reached (with pa() or by nesting it), or remove it from the version\'s types',
          }),
      );
  },
};
