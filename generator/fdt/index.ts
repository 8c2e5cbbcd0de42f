/** The flattened device tree codec: blob <-> FdtTree. */
export { FdtError } from './errors.ts';
export { readFdt, MAX_PROPERTY_NAME_BYTES } from './read.ts';
export { writeFdt, type FdtWriteOptions } from './write.ts';
export * from './tree.ts';
export { FDT_MAGIC, FDT_VERSION, FDT_LAST_COMPATIBLE_VERSION } from './format.ts';
