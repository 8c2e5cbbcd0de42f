export * from './model.ts';
export { buildModel, DEFAULT_TARGET } from './build.ts';
export { SchemaError, formatIssue, type SchemaIssue, type SchemaIssueCode } from './errors.ts';
