/** The generated LUO codecs (out/ts) as the walker's registry. */
import { versions } from '../../out/ts/index.ts';
import type { CodecRegistry, CodecTable } from './codecs.ts';

export const luoCodecs: CodecRegistry = Object.fromEntries(
  Object.entries(versions).map(([name, module]) => [name, module.codecs as unknown as CodecTable]),
);
