/**
 * LUO004: a struct its version's container does not reach, so no guard string guards it and no change to it
 * would ever demand a bump. The model reports it as the schema issue 'unguarded-struct'.
 */
import { reportOf, type Finding, type Rule } from '../finding.ts';

export const structUnguarded: Rule = {
  id: 'LUO004',
  name: 'struct-unguarded',
  severity: 'error',
  description: 'A struct is reached from nothing the container holds, so no guard string guards it.',
  check(context) {
    return context.schemaIssues
      .filter((issue) => issue.code === 'unguarded-struct')
      .map(
        (issue): Finding =>
          reportOf(structUnguarded, {
            version: issue.path[1],
            subject: issue.path.slice(2).join(' > '),
            message: `${issue.path.join(' > ')}: ${issue.message}`,
            ...context.where(issue.at),
            fix: 'point at the struct from the container or from a struct that is reached (with pa() or by nesting it), give the version a guard string of its own, or remove it from the version\'s types',
          }),
      );
  },
};
