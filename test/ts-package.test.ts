/**
 * out/ts as a user gets it: packed with npm, installed from the tarball into a project of its own
 * (offline: the package depends on nothing), a consumer type-checked by tsc under NodeNext defaults
 * (the package's .d.ts checked too, no skipLibCheck) and run by node, which resolves the package's
 * subpaths through its exports map. The bytes are written here by hand from the ABI facts
 * (/work/shared/kho-abi-facts.md: struct luo_ser of luo-v5 is char[8] then three u64, 32 bytes; of
 * luo-v5+block-v1, char[16] then the same, 40 bytes).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tidy } from '../generator/emit/ts/package.ts';
import { consumerProject } from './support/consumer.ts';
import { OUT, run, runOk, scratchDir, TSC, type RunResult } from './support/tools.ts';

const PACKAGE = '@luo-abi/kho-codecs';

const CONSUMER = `
import { decodeLuoSer, encodeLuoSer, viewLuoSessionSer, constants, LUO_SER_SIZE, LUO_SESSION_SER_SIZE, type LuoSer } from '${PACKAGE}/luo/luo-v5';
import { CodecError, CURRENT_VERSIONS, versions, type VersionName } from '${PACKAGE}';

// struct luo_ser at offset 4 of a buffer, little-endian, as the kernel writes it.
const bytes = new Uint8Array(4 + 32);
bytes.set(new TextEncoder().encode('luo-v5'), 4);
const data = new DataView(bytes.buffer);
data.setBigUint64(4 + 8, 7n, true);
data.setBigUint64(4 + 16, 0x1000n, true);
data.setBigUint64(4 + 24, 0x2000n, true);

const value: LuoSer = decodeLuoSer(bytes, 4);
const again = new Uint8Array(4 + LUO_SER_SIZE);
encodeLuoSer(value, again, 4);

// The declarations are real types, not any: a number where C has a u64 is refused.
// @ts-expect-error liveupdate_num is a bigint
const wrong: LuoSer = { ...value, liveupdate_num: 7 };

const session = new Uint8Array(LUO_SESSION_SER_SIZE);
session.set(new TextEncoder().encode('s0'));
new DataView(session.buffer).setBigUint64(64 + 8, 3n, true);
const view = viewLuoSessionSer(session);

let refused = '';
try {
  decodeLuoSer(bytes, 8);
} catch (error) {
  if (error instanceof CodecError) refused = error.path + ': ' + error.message;
}
const name: VersionName = 'luo-v5';
// Nothing is widened: the current version's module is known by its literal name, and so is its size.
const currentSize: 40 = versions[CURRENT_VERSIONS.luo].LUO_SER_SIZE;
console.log(JSON.stringify({
  value: { ...value, liveupdate_num: String(value.liveupdate_num), sessions_pa: String(value.sessions_pa), flbs_pa: String(value.flbs_pa) },
  roundTrip: again.every((byte, i) => byte === bytes[i]),
  wrongIsNumber: typeof wrong.liveupdate_num,
  sessionCount: String(view.file_set_ser.count),
  sessionName: view.name,
  refused,
  compatible: constants.LUO_ABI_COMPATIBLE,
  currentLuo: CURRENT_VERSIONS.luo,
  sameModule: versions[name].LUO_SER_SIZE === LUO_SER_SIZE,
  currentSize,
}));
`;

/** What the consumer prints: the values of the bytes above, and the package's own constants. */
const EXPECTED = {
  value: { compatible: 'luo-v5', liveupdate_num: '7', sessions_pa: '4096', flbs_pa: '8192' },
  roundTrip: true,
  wrongIsNumber: 'number',
  sessionCount: '3',
  sessionName: 's0',
  refused: 'luo_ser: luo_ser: needs 32 bytes at offset 8, but the buffer holds 36',
  compatible: 'luo-v5',
  currentLuo: 'luo-v5+block-v1',
  sameModule: true,
  // luo-v5+block-v1: compatible[16] ("luo-v5;block-v1" and its NUL, aligned to 8) and three u64.
  currentSize: 40,
};

describe(`out/ts as the npm package ${PACKAGE}`, () => {
  const dir = scratchDir('ts-package');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let project = '';
  let tarball = '';
  /** The consumer compiled to dist/ once: what tsc said is the type-check, dist/ is what node runs. */
  let compiled: RunResult;

  beforeAll(() => {
    // Offline: the package depends on nothing.
    ({ project, tarball } = consumerProject(dir, join(OUT, 'ts'), CONSUMER, { install: '--offline' }));
    compiled = run(process.execPath, [TSC, '-p', project], { cwd: project });
  }, 120_000);

  it('ships JavaScript, declarations, package.json and a README, and no TypeScript source', () => {
    const listed = runOk('tar', ['-tzf', tarball]).stdout.trim().split('\n').map((path) => path.replace(/^package\//, ''));
    expect(listed).toEqual(expect.arrayContaining(['package.json', 'README.md', 'index.js', 'index.d.ts', 'runtime.js', 'runtime.d.ts', 'luo/luo-v5.js', 'luo/luo-v5.d.ts']));
    expect(listed.filter((path) => !/\.(js|d\.ts)$/.test(path)).sort()).toEqual(['README.md', 'package.json']);
    const json = JSON.parse(readFileSync(join(project, 'node_modules', PACKAGE, 'package.json'), 'utf8')) as { type: string; exports: Record<string, unknown> };
    expect(json.type).toBe('module');
    expect(json.exports['./luo/luo-v5']).toEqual({ types: './luo/luo-v5.d.ts', default: './luo/luo-v5.js' });
  });

  it('type-checks a consumer under NodeNext with the package\'s declarations checked too', () => {
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.status).toBe(0);
    // And a mistake is one: a field the struct does not have.
    writeFileSync(join(project, 'bad.ts'), `import type { LuoSer } from '${PACKAGE}/luo/luo-v5';\nexport const bad: LuoSer['no_such_field'] = 0;\n`);
    const bad = run(process.execPath, [TSC, '--ignoreConfig', '--noEmit', '--module', 'nodenext', '--strict', '--types', '', join(project, 'bad.ts')], { cwd: project });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.ts\(2,\d+\): error TS2339: Property 'no_such_field' does not exist on type 'LuoSer'/);
  });

  it('runs under node: decodes a struct from bytes, encodes it back to the same bytes, views a nested struct', () => {
    expect(compiled.status).toBe(0);
    const ran = runOk(process.execPath, [join(project, 'dist/consumer.js')], { cwd: project });
    expect(JSON.parse(ran.stdout)).toEqual(EXPECTED);
    // Where code may not be made from strings (a content security policy), the runtime's string
    // reader made by `new Function` falls back to TextDecoder, with the same results.
    const strict = runOk(process.execPath, ['--disallow-code-generation-from-strings', join(project, 'dist/consumer.js')], { cwd: project });
    expect(JSON.parse(strict.stdout)).toEqual(EXPECTED);
    expect(run(process.execPath, ['--disallow-code-generation-from-strings', '-e', 'new Function("")']).stderr).toMatch(/EvalError: Code generation from strings disallowed/);
  });
});

describe('the layout of the compiled code', () => {
  it('indents two spaces a level, puts JSDoc stars under the first, and separates top-level blocks', () => {
    const printed = 'import { a } from "./a.js";\n/**\n* Doc.\n*/\nexport function f() {\n\tif (a) {\n\t\treturn 1;\n\t}\n\treturn 2;\n}\nexport const b = 1;\n';
    expect(tidy('x.js', printed, 'js')).toBe(
      'import { a } from "./a.js";\n\n/**\n * Doc.\n */\nexport function f() {\n  if (a) {\n    return 1;\n  }\n  return 2;\n}\n\nexport const b = 1;\n',
    );
  });

  it('puts an import of many names one name a line', () => {
    const names = Array.from({ length: 20 }, (_, i) => `name${i}`); // 150 columns on one line
    expect(tidy('x.js', `import { ${names.join(', ')} } from "./m.js";\n`, 'js')).toBe(`import {\n${names.map((n) => `  ${n},\n`).join('')}} from "./m.js";\n`);
  });

  it('refuses to re-indent a template literal over several lines, which would change its text', () => {
    expect(() => tidy('x.js', 'export function f() {\n\treturn `a\n\tb`;\n}\n', 'js')).toThrow(/x\.js would change more than whitespace/);
  });
});
