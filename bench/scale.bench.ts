/**
 * The real command at scale: for each size, a luo-v4 state of that many sessions (one in four holding
 * a file) -> `encode` (the JSON read as a stream) -> `decode` (printed as the walk goes) -> the same
 * text, byte for byte -> `encode` of that text -> the same image, byte for byte. Each step runs in a
 * process of its own under /usr/bin/time, which gives its wall time and its peak resident memory:
 * the numbers that say whether memory is bounded by the image rather than by the text.
 *
 * Sizes: `SCALE_SESSIONS=100000,1000000,10000000 npx tsx bench/run.ts scale` (default 100k and 1M;
 * 10M writes a 2 GB state and takes some minutes).
 */
import { closeSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeLargeState } from '../test/support/large-state.ts';
import { BIN, runWithFiles, scratchDir } from '../test/support/tools.ts';

const BASE = '0x100000000';

interface Step {
  readonly seconds: number;
  readonly peakMb: number;
}

/** luo-abi under /usr/bin/time; stdin and stdout to files when given. Fails loudly on any error. */
function timed(args: readonly string[], io: { stdin?: string; stdout?: string } = {}): Step {
  // -f: elapsed seconds and peak RSS in KiB, on the last line of stderr.
  const result = runWithFiles('/usr/bin/time', ['-f', 'luo-abi-time %e %M', process.execPath, BIN, ...args], io);
  const last = /luo-abi-time (\S+) (\d+)\s*$/.exec(result.stderr);
  if (result.status !== 0 || !last) throw new Error(`luo-abi ${args.join(' ')} failed (status ${result.status}):\n${result.stderr.slice(-2000)}`);
  return { seconds: Number(last[1]), peakMb: Number(last[2]) / 1024 };
}

function sameBytes(a: string, b: string): boolean {
  // Compared in 64 MiB pieces: the files of the largest sizes are larger than a Buffer may be.
  const size = statSync(a).size;
  if (size !== statSync(b).size) return false;
  const piece = 64 << 20;
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  try {
    const ba = Buffer.alloc(piece);
    const bb = Buffer.alloc(piece);
    for (let at = 0; at < size; at += piece) {
      const n = Math.min(piece, size - at);
      readFileRange(fa, ba, n, at);
      readFileRange(fb, bb, n, at);
      if (!ba.subarray(0, n).equals(bb.subarray(0, n))) return false;
    }
    return true;
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

function readFileRange(fd: number, into: Buffer, length: number, position: number): void {
  let done = 0;
  while (done < length) done += readSync(fd, into, done, length - done, position + done);
}

export default async function scale(): Promise<void> {
  const sizes = (process.env.SCALE_SESSIONS ?? '100000,1000000').split(',').map(Number);
  console.log('| sessions | state JSON | image | encode s | encode peak MB | decode s | decode peak MB | re-encode from decode s | µs/session (decode) |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const sessions of sizes) {
    const dir = scratchDir(`scale-${sessions}`);
    const at = (name: string) => join(dir, name);
    try {
      writeLargeState(at('state.json'), sessions);
      const image = ['--mem-base', BASE, '--packed'];
      const encode = timed(['encode', at('state.json'), '--fdt-out', at('a.dtb'), '--mem-out', at('a.mem'), ...image]);
      const decode = timed(['decode', '--fdt', at('a.dtb'), '--mem', at('a.mem'), '--mem-base', BASE], { stdout: at('decoded.json') });
      if (!sameBytes(at('decoded.json'), at('state.json'))) throw new Error(`${sessions} sessions: decode did not print the state encoded`);
      const again = timed(['encode', '-', '--fdt-out', at('b.dtb'), '--mem-out', at('b.mem'), ...image], { stdin: at('decoded.json') });
      if (!sameBytes(at('b.mem'), at('a.mem')) || !readFileSync(at('b.dtb')).equals(readFileSync(at('a.dtb')))) {
        throw new Error(`${sessions} sessions: encoding what decode printed gave other bytes`);
      }
      const mb = (path: string) => `${(statSync(path).size / 2 ** 20).toFixed(0)} MB`;
      console.log(
        `| ${sessions.toLocaleString('en')} | ${mb(at('state.json'))} | ${mb(at('a.mem'))} | ${encode.seconds.toFixed(1)} | ${encode.peakMb.toFixed(0)} | ${decode.seconds.toFixed(1)} | ${decode.peakMb.toFixed(0)} | ${again.seconds.toFixed(1)} | ${((decode.seconds * 1e6) / sessions).toFixed(1)} |`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
