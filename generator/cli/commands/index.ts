/** Every subcommand, in the order `luo-abi --help` lists them. */
import type { Command } from '../command.ts';
import { checkCommand } from './check.ts';
import { decodeCommand } from './decode.ts';
import { encodeCommand } from './encode.ts';
import { generateCommand } from './generate.ts';
import { lockCommand } from './lock.ts';
import { preflightCommand } from './preflight.ts';

export const commands: readonly Command[] = [generateCommand, checkCommand, lockCommand, preflightCommand, decodeCommand, encodeCommand];
