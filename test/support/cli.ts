/**
 * luo-abi run in this process, as a user would run it (main() with the command line), with what it
 * writes on stdout and stderr caught: starting node, tsx and the emitters again for every case
 * would cost seconds each and test nothing more.
 */
import { rmSync } from 'node:fs';
import { vi } from 'vitest';
import { main } from '../../generator/cli/main.ts';
import { standardOutput } from '../../generator/image/io.ts';
import { scratchDir } from './tools.ts';

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout as bytes (an FDT or memory image written to "-"). */
  readonly bytes: Buffer;
}

export async function cli(...args: string[]): Promise<CliResult> {
  const out: Buffer[] = [];
  let stderr = '';
  const keep = (chunk: string | Uint8Array) => void out.push(Buffer.from(chunk));
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (keep(chunk), true));
  const streamed = vi.spyOn(standardOutput, 'write').mockImplementation(keep);
  const errors = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const status = await main(args);
    const bytes = Buffer.concat(out);
    return { status, stdout: bytes.toString('utf8'), stderr, bytes };
  } finally {
    stdout.mockRestore();
    streamed.mockRestore();
    errors.mockRestore();
  }
}

/** A scratch directory that is removed when the tests of the file are done (register with afterAll). */
export function scratch(prefix: string): { dir: string; remove: () => void } {
  const dir = scratchDir(prefix);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
