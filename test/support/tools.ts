/**
 * What the tests share: where things are, a scratch directory, and running a real tool. A missing
 * tool is a failure, never a skip: `scripts/setup-interop.sh` (run by `npm test`) installs them.
 */
import { spawnSync, type SpawnSyncOptions, type SpawnSyncReturns } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const OUT = join(ROOT, 'out');
export const BIN = join(ROOT, 'bin/luo-abi.mjs');
/** The project's TypeScript compiler, run with node. */
export const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
export const KERNEL_SCRIPTS = join(ROOT, '.cache/kernel-scripts');
/** Kept after the run so a person can look (screenshots, built programs). */
export const TEST_OUTPUT = join(ROOT, 'test-output');

/** The scratch directories this test file made: test/support/scratch-cleanup.ts removes them when the file is done. */
export const scratchDirs: string[] = [];

export function scratchDir(prefix: string): string {
  mkdirSync(join(ROOT, '.cache/tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.cache/tmp', `${prefix}-`));
  scratchDirs.push(dir);
  return dir;
}

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a program; throws with its output if it cannot be started at all. */
export function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): RunResult {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw new Error(`${command} could not run (${result.error.message}); run scripts/setup-interop.sh`);
  return { status: result.status ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Run and require exit 0, showing the output on failure. */
export function runOk(command: string, args: readonly string[], options: SpawnSyncOptions = {}): RunResult {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** The luo-abi command itself, as a user runs it. */
export function luoAbi(args: readonly string[], options: SpawnSyncOptions = {}): RunResult {
  return run(process.execPath, [BIN, ...args], options);
}

/** The error of class `type` that `action` throws; anything else it throws is thrown on, and throwing nothing fails. */
export function thrown<E extends Error>(type: abstract new (...args: never[]) => E, action: () => unknown): E {
  try {
    action();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
}

/**
 * A program with its stdin read from a file and its stdout written to one, for outputs too large to
 * hold (either left out: no input, output dropped); stderr is returned as text.
 */
export function runWithFiles(command: string, args: readonly string[], io: { readonly stdin?: string; readonly stdout?: string } = {}): SpawnSyncReturns<string> {
  const stdin = io.stdin ? openSync(io.stdin, 'r') : 'ignore';
  const stdout = io.stdout ? openSync(io.stdout, 'w') : 'ignore';
  try {
    return spawnSync(command, args, { stdio: [stdin, stdout, 'pipe'], encoding: 'utf8' });
  } finally {
    if (typeof stdin === 'number') closeSync(stdin);
    if (typeof stdout === 'number') closeSync(stdout);
  }
}
