#!/usr/bin/env node
// The luo-abi command. The sources are TypeScript, run through tsx's loader, so this works from any
// folder, in a checkout (npx luo-abi) and after npm install.
import { register } from 'tsx/esm/api';

// Under npx, npm starts this through `sh -c`, and a signal npm passes on (SIGTERM, SIGINT) ends that
// shell, not this process, which would run on to the end. So here, once the process that started
// us is gone, we end as it did. (Only under npm: a user's `nohup luo-abi ... &` must outlive its shell.)
if (process.env.npm_command === 'exec') {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
  }, 100).unref();
}

register();
const { main } = await import('../generator/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
