/**
 * luo-abi as a library (the package's main export): a schema built into its model, and handover
 * images read and written through that model. The CLI is one user of these; a program that reads
 * dumps (a crash tool, a test rig) is another.
 */
export { khoFamily } from '../schema/index.ts';
export { allVersions, buildModel, DEFAULT_PAGE_SHIFT, SchemaError, type BuildOptions, type HeaderModel, type Model, type VersionModel } from './model/index.ts';
export * from './image/index.ts';
