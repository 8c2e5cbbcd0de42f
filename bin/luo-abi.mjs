#!/usr/bin/env node
// The luo-abi command. The sources are TypeScript, run through tsx's loader, so this works from any
// folder, in a checkout (npx luo-abi) and after npm install.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../generator/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
