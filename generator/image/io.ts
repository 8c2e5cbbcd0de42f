/** Files and addresses as the decode and encode commands take them: `-` is stdin or stdout. */
import { readFileSync, writeFileSync } from 'node:fs';

/** A physical address: decimal or 0x hexadecimal; undefined when the text is neither. */
export function parseAddress(text: string): bigint | undefined {
  if (!/^(\d+|0[xX][0-9a-fA-F]+)$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < 1n << 64n ? value : undefined;
}

/** A file, or stdin for `-` (read as a stream: a pipe may be non-blocking, which readFileSync(0) cannot take). */
export async function readInput(path: string): Promise<Uint8Array> {
  if (path !== '-') return new Uint8Array(readFileSync(path));
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

export function writeOutput(path: string, bytes: Uint8Array | string): void {
  if (path === '-') process.stdout.write(bytes);
  else writeFileSync(path, bytes);
}
