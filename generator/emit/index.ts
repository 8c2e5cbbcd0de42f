/** Every emitter `luo-abi generate` runs. Each owns its own part of out/. */
import { emitCHeaders } from './c/index.ts';
import { emitDocs } from './docs/index.ts';
import type { Emitter } from './files.ts';
import { emitTsCodecs } from './ts/index.ts';

export const emitters: readonly Emitter[] = [emitCHeaders, emitTsCodecs, emitDocs];
