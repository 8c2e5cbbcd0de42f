/**
 * luo-abi as a user installs it: `npm pack` of this project (its prepack step compiles the library
 * to dist/), the tarball installed into a project of its own (its dependencies from npm's cache,
 * which the install of this project filled, or the registry for what the cache lacks), and a consumer type-checked by tsc under NodeNext and run by node.
 * The consumer reads a handover image with the package's walker: the bytes are written here by hand
 * from the ABI facts (struct luo_ser of luo-v5+block-v1: char[16] "luo-v5;block-v1", then the u64s
 * liveupdate_num, sessions_pa and flbs_pa; 40 bytes; a null address is no block). The command runs
 * from the same install: its bin, and `npx luo-abi generate`, which a signal to npx ends.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerProject } from './support/consumer.ts';
import { ROOT, run, runOk, scratchDir, TSC } from './support/tools.ts';

const CONSUMER = `
import { allVersions, buildModel, decodeImage, encodeImage, ImageError, khoFamily, PhysicalMemory, stateToJson, walkImage, type VersionModel } from 'luo-abi';

const versions: readonly VersionModel[] = allVersions(buildModel(khoFamily));

// LUO's raw KHO entry at physical address 0x1000, little-endian, as the kernel writes it.
const bytes = new Uint8Array(40);
bytes.set(new TextEncoder().encode('luo-v5;block-v1'));
new DataView(bytes.buffer).setBigUint64(16, 7n, true);
const memory = new PhysicalMemory([{ base: 0x1000n, bytes }]);

const decoded = decodeImage(versions, { entryAt: 0x1000n }, memory);
const visited: string[] = [];
walkImage(versions, { entryAt: 0x1000n }, memory, { struct: (name) => visited.push(name) });
// A visitor that keeps no view: its fields read while it has it.
const numbers: unknown[] = [];
walkImage(versions, { entryAt: 0x1000n }, memory, { transientViews: true, struct: (_name, view) => numbers.push(String(view['liveupdate_num'])) });

const version = versions.find((v) => v.name === decoded.state.version)!;
const encoded = encodeImage(version, decoded.state, { base: 0x1000n, family: versions });

let refused = '';
try {
  decodeImage(versions, { entryAt: 0x1000n }, new PhysicalMemory([{ base: 0x1000n, bytes: bytes.subarray(0, 30) }]));
} catch (error) {
  if (error instanceof ImageError) refused = error.message;
}
// @ts-expect-error the source is an FDT's bytes or an entry's address, not a string
if (Math.random() < 0) decodeImage(versions, 'luo.dtb', memory);

console.log(JSON.stringify({
  state: JSON.parse(stateToJson(decoded.state)),
  visited,
  numbers,
  entryPa: String(encoded.entryPa),
  sameBytes: bytes.every((byte, i) => byte === encoded.memory[i]),
  refused,
}));
`;

/** What the consumer prints: the values written into the bytes above. */
const EXPECTED = {
  state: { version: 'luo-v5+block-v1', entry: { compatible: 'luo-v5;block-v1', liveupdate_num: '7', sessions_pa: null, flbs_pa: null } },
  visited: ['luo_ser'],
  numbers: ['7'],
  entryPa: '4096',
  sameBytes: true,
  refused: expect.stringMatching(/40 bytes at 0x1000 run past the end of the region 0x1000\.\.0x101e/),
};

describe('luo-abi as an npm package: the library (model and image walker) and the command', () => {
  const dir = scratchDir('library-package');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let project = '';

  beforeAll(() => {
    // As a user installs it: dependencies from npm's cache or the registry, their install scripts run too.
    ({ project } = consumerProject(dir, ROOT, CONSUMER, { install: '--prefer-offline', types: { names: ['node'], roots: [join(ROOT, 'node_modules/@types')] } }));
  }, 120_000);

  it('type-checks a consumer under NodeNext against the package\'s declarations, and runs it: decodes and walks an image, encodes its state back to the same bytes, refuses a cut one', () => {
    const compiled = run(process.execPath, [TSC, '-p', project], { cwd: project });
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);
    const ran = runOk(process.execPath, [join(project, 'dist/consumer.js')], { cwd: project });
    expect(JSON.parse(ran.stdout)).toEqual(EXPECTED);
  });

  it('ships the command too: the installed bin decodes the same image', () => {
    writeFileSync(join(dir, 'entry.bin'), Buffer.concat([Buffer.from('luo-v5;block-v1\0'), Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(16)]));
    const ran = runOk(join(project, 'node_modules/.bin/luo-abi'), ['decode', '--at', '0x1000', '--mem', join(dir, 'entry.bin'), '--mem-base', '0x1000'], { cwd: project });
    expect(JSON.parse(ran.stdout)).toEqual(EXPECTED.state);
  });

  it('generates through npx luo-abi what out/ holds, and a signal to npx ends it', async () => {
    const npx = spawnSync('npx', ['--no-install', 'luo-abi', 'generate', '--out', 'gen'], { cwd: project, encoding: 'utf8' });
    expect(npx.stderr).toBe('');
    expect(npx.status).toBe(0);
    expect(readFileSync(join(project, 'gen/include/linux/kho/abi/luo.h'), 'utf8')).toBe(readFileSync(join(ROOT, 'out/include/linux/kho/abi/luo.h'), 'utf8'));

    // npm passes SIGTERM to the shell it runs luo-abi through; luo-abi must not run on to the end.
    const running = spawn('npx', ['--no-install', 'luo-abi', 'generate', '--out', 'killed'], { cwd: project, stdio: 'ignore' });
    const luoAbiProcess = () => spawnSync('pgrep', ['-f', `node_modules/.bin/luo-abi generate --out killed`], { encoding: 'utf8' }).stdout.trim();
    const until = async (done: () => boolean) => {
      for (const start = Date.now(); !done() && Date.now() - start < 30_000; ) await new Promise((r) => setTimeout(r, 50));
    };
    await until(() => luoAbiProcess() !== '');
    expect(luoAbiProcess()).not.toBe('');
    running.kill('SIGTERM');
    await until(() => luoAbiProcess() === '');
    expect(luoAbiProcess()).toBe('');
    expect(existsSync(join(project, 'killed'))).toBe(false);
  }, 120_000);
});
