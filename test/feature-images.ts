/**
 * Kernel images for the ELF and preflight tests, made with gcc from our own C (test/c/features/kernel.c):
 * a `.liveupdate_features` section written with section attributes, one entry per subsystem, and the
 * structs in DWARF. And readelf's view of a file, to hold our reader against.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runOk } from './support/tools.ts';

export const KERNEL_C = join(ROOT, 'test/c/features/kernel.c');

export interface Subsystem {
  readonly name: string;
  readonly supp: bigint;
  readonly req: bigint;
  readonly active: bigint;
}

export interface ImageOptions {
  /** ELF32 (gcc -m32) instead of ELF64. */
  readonly m32?: boolean;
  /** A relocatable object (gcc -c) instead of a linked executable. */
  readonly object?: boolean;
  /** A field added at the end of struct luo_ser: a layout that differs. */
  readonly luoSerExtra?: string;
  /** Without -g: no DWARF. */
  readonly noDebug?: boolean;
}

/** LUO's core bits: LUO_FEATURE_NUMBER, _SESSIONS, _FLBS. */
export const CORE = 0b111n;

/** Builds a kernel image with these subsystems in `dir`; returns its path. */
export function buildImage(dir: string, name: string, subsystems: readonly Subsystem[], options: ImageOptions = {}): string {
  const list = join(dir, `${name}.features.h`);
  writeFileSync(list, subsystems.map((s) => `FEATURE("${s.name}", ${hex(s.supp)}, ${hex(s.req)}, ${hex(s.active)})\n`).join(''));
  const out = join(dir, name);
  runOk('gcc', [
    ...(options.noDebug ? [] : ['-g', '-fno-eliminate-unused-debug-types']),
    ...(options.m32 ? ['-m32'] : []),
    `-DFEATURES="${list}"`,
    ...(options.luoSerExtra ? [`-DLUO_SER_EXTRA=${options.luoSerExtra}`] : []),
    ...(options.object ? ['-c'] : ['-nostdlib', '-static', '-no-pie']),
    '-o',
    out,
    KERNEL_C,
  ]);
  return out;
}

function hex(value: bigint): string {
  return `0x${value.toString(16)}ULL`;
}

export interface ReadelfSection {
  readonly index: number;
  readonly name: string;
  readonly type: string;
  readonly addr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
}

/** `readelf -S -W`: every section header, as readelf reads it. */
export function readelfSections(file: string): ReadelfSection[] {
  const text = runOk('readelf', ['-S', '-W', file]).stdout;
  return text.split('\n').flatMap((line) => {
    const match = /^\s*\[\s*(\d+)\]\s+(.*)$/.exec(line);
    if (!match) return [];
    const index = Number(match[1]);
    const tokens = match[2]!.trim().split(/\s+/);
    const [name, type, addr, offset, size] = index === 0 ? ['', ...tokens] : tokens;
    return [{ index, name: name!, type: type!, addr: BigInt(`0x${addr}`), offset: BigInt(`0x${offset}`), size: BigInt(`0x${size}`) }];
  });
}

export interface ReadelfSegment {
  readonly type: string;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
}

/** `readelf -l -W`: every program header. */
export function readelfSegments(file: string): ReadelfSegment[] {
  const text = runOk('readelf', ['-l', '-W', file]).stdout;
  return text.split('\n').flatMap((line) => {
    const match = /^\s+([A-Z_]+|LOOS\+0x[0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s/.exec(line);
    if (!match) return [];
    const [, type, offset, vaddr, paddr, filesz, memsz] = match;
    return [{ type: type!, offset: BigInt(`0x${offset}`), vaddr: BigInt(`0x${vaddr}`), paddr: BigInt(`0x${paddr}`), filesz: BigInt(`0x${filesz}`), memsz: BigInt(`0x${memsz}`) }];
  });
}

/** `readelf -x NAME`: the section's bytes, from readelf's hex dump. */
export function readelfBytes(file: string, section: string): Uint8Array {
  const text = runOk('readelf', ['-x', section, '-W', file]).stdout;
  const bytes: number[] = [];
  for (const line of text.split('\n')) {
    // "  0x00402000 5055564c 01000000 6c756f00 00000000 PUVL....luo....." : four groups of up to 8 digits, then the text.
    const match = /^\s+0x[0-9a-f]+ (.{35})/.exec(line);
    if (!match) continue;
    for (const group of match[1]!.trim().split(/\s+/)) for (let i = 0; i < group.length; i += 2) bytes.push(parseInt(group.slice(i, i + 2), 16));
  }
  return Uint8Array.from(bytes);
}
