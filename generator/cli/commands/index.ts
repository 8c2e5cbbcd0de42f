/**
 * Every subcommand, in the order `luo-abi --help` lists them. Each is loaded when it runs: a command
 * pulls in what it needs (the checker, the image code, git), and `luo-abi generate` should not wait
 * for the others'.
 */
import type { Command } from '../command.ts';

export interface CommandEntry {
  readonly name: string;
  load(): Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'generate', load: async () => (await import('./generate.ts')).generateCommand },
  { name: 'check', load: async () => (await import('./check.ts')).checkCommand },
  { name: 'lock', load: async () => (await import('./lock.ts')).lockCommand },
  { name: 'preflight', load: async () => (await import('./preflight.ts')).preflightCommand },
  { name: 'decode', load: async () => (await import('./decode.ts')).decodeCommand },
  { name: 'encode', load: async () => (await import('./encode.ts')).encodeCommand },
];
