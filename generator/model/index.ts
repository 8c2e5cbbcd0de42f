export * from './model.ts';
export { buildModel, pageTarget, sizeText, DEFAULT_PAGE_SHIFT, type BuildOptions } from './build.ts';
export { SchemaError, formatIssue, type SchemaIssue, type SchemaIssueCode } from './errors.ts';
export * from './repr.ts';
export { featureVersions, maskBits, maskText, type FeatureBitModel, type FeatureDependencyModel, type FeatureVersionModel } from './features.ts';
