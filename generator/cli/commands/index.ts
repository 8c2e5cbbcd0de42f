/** Every subcommand, in the order `luo-abi --help` lists them. */
import type { Command } from '../command.ts';
import { generateCommand } from './generate.ts';

export const commands: readonly Command[] = [generateCommand];
