/**
 * A large image through the real command, each step in a process of its own whose V8 heap is capped:
 * the state JSON written here -> encode (the JSON read as a stream) -> decode (written as the walk
 * goes) -> the same text, byte for byte -> encode again, from stdin -> the same image, byte for byte.
 *
 * The caps are the test; each is one the code before streaming ran out of (measured at this size).
 * decode's does not depend on the size: 32 MiB, in which 1M sessions decode too (measured, not run
 * here: that takes 10-14 s on this shared 2-core machine). encode keeps the state it reads, so its cap
 * grows with the sessions: 16 MiB and 420 bytes a session, where 100k sessions were measured to need
 * 48 MiB in all (a cap at the edge fails now and then, as GC timing varies). It never holds the text
 * (200 bytes a session) nor a parsed copy of it, which would need 20 MiB more at this size. The second encode, from stdin, is for
 * the bytes, not the bound: it gets room, so that it does not spend its time collecting.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLargeState } from './support/large-state.ts';
import { scratch } from './support/cli.ts';
import { BIN, runWithFiles } from './support/tools.ts';

const SESSIONS = 100_000;
const DECODE_HEAP_MB = 32;
const ENCODE_HEAP_MB = 16 + Math.ceil((SESSIONS * 420) / 2 ** 20);

const { dir, remove } = scratch('image-stream');
afterAll(remove);
const at = (name: string) => join(dir, name);

/** luo-abi in a process of its own with a capped heap; stdin and stdout to files when given. */
function luoAbi(heapMb: number, args: string[], io: { stdin?: string; stdout?: string } = {}) {
  const result = runWithFiles(process.execPath, [`--max-old-space-size=${heapMb}`, BIN, ...args], io);
  return { status: result.status, signal: result.signal, stderr: result.stderr.slice(-2000) };
}

describe(`${SESSIONS} sessions, decoded and encoded as streams`, () => {
  it('round-trip byte for byte, decode in a fixed heap and encode in one that grows with the state, not the text', () => {
    writeLargeState(at('state.json'), SESSIONS);
    const image = ['--mem-base', '0x100000000', '--packed'];
    const encoded = luoAbi(ENCODE_HEAP_MB, ['encode', at('state.json'), '--fdt-out', at('a.dtb'), '--mem-out', at('a.mem'), ...image]);
    expect(encoded).toMatchObject({ status: 0, stderr: '' });

    const decoded = luoAbi(DECODE_HEAP_MB, ['decode', '--fdt', at('a.dtb'), '--mem', at('a.mem'), '--mem-base', '0x100000000'], { stdout: at('decoded.json') });
    expect(decoded).toMatchObject({ status: 0, stderr: '' });
    expect(readFileSync(at('decoded.json')).equals(readFileSync(at('state.json')))).toBe(true);

    const again = luoAbi(4 * ENCODE_HEAP_MB, ['encode', '-', '--fdt-out', at('b.dtb'), '--mem-out', at('b.mem'), ...image], { stdin: at('decoded.json') });
    expect(again).toMatchObject({ status: 0, stderr: '' });
    expect(readFileSync(at('b.mem')).equals(readFileSync(at('a.mem')))).toBe(true);
    expect(readFileSync(at('b.dtb')).equals(readFileSync(at('a.dtb')))).toBe(true);
    // Packed, a session is 80 bytes and a file 40 with its 16-byte block header: the image is the size the layout says.
    expect(readFileSync(at('a.mem')).length).toBeGreaterThan(SESSIONS * 80 + (SESSIONS / 4) * 56);
  }, 120_000);
});
