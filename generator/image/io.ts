/**
 * Files and addresses as the decode and encode commands take them: `-` is stdin or stdout. Outputs are
 * written all or nothing: every file goes to a temporary file beside it, renamed into place only once
 * all are written, and removed on any error.
 */
import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError, OutputError, systemReason } from '../core/errors.ts';
import { hex } from './errors.ts';

/** A physical address: decimal or 0x hexadecimal; undefined when the text is neither. */
export function parseAddress(text: string): bigint | undefined {
  if (!/^(\d+|0[xX][0-9a-fA-F]+)$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < 1n << 64n ? value : undefined;
}

/** A file, or stdin for `-` (read as a stream: a pipe may be non-blocking, which readFileSync(0) cannot take). */
export async function readInput(path: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  if (path === '-') for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const bytes = path === '-' ? Buffer.concat(chunks) : readFileSync(path);
  // The Buffer's own memory, not a copy: a memory dump may be as large as the machine allows.
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * An input's bytes: held in memory (stdin, a pipe, a device), or, for a regular file, read as they
 * are needed, so that a memory dump of many gigabytes costs only what is read of it.
 */
export interface InputBytes {
  readonly length: number;
  /** The whole input, when it is held in memory. */
  readonly held: Uint8Array | undefined;
  /** `length` bytes at `offset`, which the caller has checked lie in the input. */
  read(offset: number, length: number): Uint8Array;
  /** Closes the file, if one is open; a later read opens it again. */
  close(): void;
}

/** An input as InputBytes: stdin for `-`. */
export async function openInput(path: string): Promise<InputBytes> {
  return path === '-' ? heldInput(await readInput(path)) : openInputFile(path);
}

/** Files left open by inputs nobody closed, closed when the input is collected. */
const unclosed = new FinalizationRegistry<{ fd: number | undefined }>((file) => {
  if (file.fd !== undefined) closeSync(file.fd);
});

/**
 * A file (not stdin) as InputBytes: a regular file is read when needed, through one descriptor
 * opened at the first read; anything else is read whole now.
 */
export function openInputFile(path: string): InputBytes {
  const stat = statSync(path);
  if (!stat.isFile()) return heldInput(new Uint8Array(readFileSync(path)));
  const size = stat.size;
  const file: { fd: number | undefined } = { fd: undefined };
  const input: InputBytes = {
    length: size,
    held: undefined,
    read(offset, length) {
      // Not zeroed first: every byte is read, or the read fails.
      const bytes = Buffer.allocUnsafeSlow(length);
      let done = 0;
      try {
        file.fd ??= openSync(path, 'r');
        while (done < length) {
          const n = readSync(file.fd, bytes, done, length - done, offset + done);
          if (n === 0) break;
          done += n;
        }
      } catch (error) {
        throw new InputError(`cannot read ${path}: ${systemReason(error)}`, { cause: error });
      }
      if (done < length) {
        throw new InputError(`${path}: the file ends before offset ${hex(offset + length)}, but it had ${size} bytes when luo-abi opened it: it changed while being read`);
      }
      return bytes;
    },
    close() {
      if (file.fd !== undefined) closeSync(file.fd);
      file.fd = undefined;
    },
  };
  unclosed.register(input, file);
  return input;
}

function heldInput(bytes: Uint8Array): InputBytes {
  return { length: bytes.length, held: bytes, read: (offset, length) => bytes.subarray(offset, offset + length), close: () => {} };
}

/** A file, or stdin for `-`, in chunks of at most 1 MiB, for input that need not be held whole. */
export function readChunks(path: string): AsyncIterable<Uint8Array> {
  return path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
}

/**
 * Standard output for what is written while a synchronous walk goes on. process.stdout queues what a
 * full pipe does not take, and the queue drains only once the walk returns to the event loop: a
 * state printed to a slow reader would pile up whole in memory. Here each write returns only when
 * written (a non-blocking pipe that is full is waited for), so what is held is one chunk. A reader
 * that has gone (EPIPE: `decode | head`) ends the output quietly. Tests replace `write`.
 */
export const standardOutput = {
  closed: false,
  write(chunk: string | Uint8Array): void {
    if (this.closed) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let at = 0; at < bytes.length; ) {
      try {
        at += writeSync(1, bytes, at, bytes.length - at);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') {
          this.closed = true;
          return;
        }
        if (code !== 'EAGAIN') throw error;
        Atomics.wait(PAUSE, 0, 0, 1);
      }
    }
  },
};

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** Text written in pieces, passed on to `out` in chunks of about 64 KiB: a million small writes cost more than the text. */
export class ChunkedText {
  private pending: string[] = [];
  private length = 0;

  constructor(
    private readonly out: (chunk: string) => void,
    private readonly size = 1 << 16,
  ) {}

  readonly write = (text: string): void => {
    this.pending.push(text);
    this.length += text.length;
    if (this.length >= this.size) this.flush();
  };

  flush(): void {
    if (this.length === 0) return;
    this.out(this.pending.join(''));
    this.pending = [];
    this.length = 0;
  }
}

export interface Output {
  /** Where: a path, or `-` for stdout. */
  readonly path: string;
  /** What it is, for messages: `--fdt-out`. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * Writes every output or none. Regular files go through a temporary file beside them, renamed when
 * all are written; a device or pipe (`/dev/null`, a FIFO) cannot be replaced, so it is written in
 * place, after the temporary files and before the renames; stdout last but one. Any failure removes
 * the temporary files and is an OutputError naming the output.
 */
export function writeOutputs(outputs: readonly Output[]): void {
  for (const output of outputs) checkWritable(output);
  const temporaries: { output: Output; temporary: string }[] = [];
  try {
    for (const output of outputs) {
      if (output.path === '-' || isSpecial(output.path)) continue;
      const temporary = `${resolve(output.path)}.tmp-${process.pid}`;
      temporaries.push({ output, temporary });
      attempt(output, () => writeAll(temporary, output.bytes, 'wx'));
    }
    for (const output of outputs) if (output.path !== '-' && isSpecial(output.path)) attempt(output, () => writeAll(output.path, output.bytes, 'w'));
    for (const output of outputs) if (output.path === '-') standardOutput.write(output.bytes);
    for (const { output, temporary } of temporaries) attempt(output, () => renameSync(temporary, output.path));
  } finally {
    for (const { temporary } of temporaries) rmSync(temporary, { force: true });
  }
}

/** The whole of `bytes`, in writes of at most 1 GiB (one write of 2 GiB or more is refused by Node). */
function writeAll(path: string, bytes: Uint8Array, flag: string): void {
  const fd = openSync(path, flag);
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, Math.min(bytes.length - at, 1 << 30));
  } finally {
    closeSync(fd);
  }
}

/** Refuses, before anything is written, an output that is a directory or lies in a missing directory. */
function checkWritable(output: Output): void {
  if (output.path === '-') return;
  const path = resolve(output.path);
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new OutputError(`${output.name} ${output.path} is a directory; give a file name`);
  }
  const parent = dirname(path);
  if (!existsSync(parent)) throw new OutputError(`${output.name} ${output.path}: the directory ${dirname(output.path)} does not exist`);
  if (!statSync(parent).isDirectory()) throw new OutputError(`${output.name} ${output.path}: ${dirname(output.path)} is not a directory`);
}

/** An existing file that is not a regular file: a device, a FIFO, a socket. */
function isSpecial(path: string): boolean {
  return existsSync(path) && !statSync(path).isFile();
}

function attempt(output: Output, action: () => void): void {
  try {
    action();
  } catch (error) {
    throw new OutputError(`cannot write ${output.name} ${output.path}: ${systemReason(error)}; nothing was written`, { cause: error });
  }
}
