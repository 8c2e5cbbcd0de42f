/** Handover images: physical memory, the walker (decode) and the builder (encode). */
export { ImageError, Place, Site } from './errors.ts';
export { PhysicalMemory, loadMemory, type MemoryRegion, type MemorySlice } from './memory.ts';
export { decodeEntry, decodeImage, walkImage, type DecodeOptions } from './decode.ts';
export type { ImageVisitor, StateReached, WalkNote, WalkSummary } from './walk.ts';
export { encodeImage, type EncodeOptions, type EncodedImage } from './encode.ts';
export { pickVersion } from './select.ts';
export { DEFAULT_PAGE_SIZE } from './layout.ts';
export { codecsFor, type CodecTable, type StructCodec, type CodecOptions } from './codecs.ts';
export type * from './state.ts';
export { stateFromJson, stateToJson } from './json.ts';
export { formatTree } from './view.ts';
