/** Files and addresses as the decode and encode commands take them: `-` is stdin or stdout. */
import { readFileSync, writeFileSync } from 'node:fs';

/** A physical address: decimal or 0x hexadecimal; undefined when the text is neither. */
export function parseAddress(text: string): bigint | undefined {
  if (!/^(\d+|0[xX][0-9a-fA-F]+)$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < 1n << 64n ? value : undefined;
}

export function readInput(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path === '-' ? 0 : path));
}

export function writeOutput(path: string, bytes: Uint8Array | string): void {
  if (path === '-') process.stdout.write(bytes);
  else writeFileSync(path, bytes);
}
