#!/usr/bin/env node
// The luo-abi command. The sources are TypeScript, run through tsx's loader, so this works from any
// folder, in a checkout (npx luo-abi) and after npm install.
// The process that started this one, read before anything is loaded (see below).
const parent = process.ppid;

// Under npx, npm starts this through `sh -c`, and a signal npm passes on (SIGTERM, SIGINT) ends that
// shell, not this process, which would run on to the end. So once the process that started us is
// gone, we end as it did. A worker thread watches, so that a long synchronous step cannot hold the
// check back. Under npm the parent is never init (1): a parent of 1 is one that was already gone when
// this process started. (Only under npm: a user's `nohup luo-abi ... &` must outlive its shell.)
if (process.env.npm_command === 'exec') {
  const { Worker } = await import('node:worker_threads');
  const watch = `
    const { workerData } = require('node:worker_threads');
    const gone = () => process.ppid !== workerData || workerData === 1;
    setInterval(() => { if (gone()) process.kill(process.pid, 'SIGTERM'); }, 100);
  `;
  new Worker(watch, { eval: true, workerData: parent }).unref();
}

const { register } = await import('tsx/esm/api');
register();
const { main } = await import('../generator/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
