/**
 * What luo-abi does when a run cannot succeed, in process: every error a message with its exit code
 * (2 for the command line or an input, 70 and one line for a bug), never a stack unless --debug is
 * given, and with --format json a JSON error object on stdout.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { checkCommand } from '../generator/cli/commands/check.ts';
import { cli, scratch } from './support/cli.ts';
import { OUT, ROOT } from './support/tools.ts';

const { dir, remove } = scratch('cli-errors');
afterAll(remove);
const at = (name: string) => join(dir, name);
const write = (name: string, text: string) => (writeFileSync(at(name), text), at(name));

describe('an internal error', () => {
  it('exits 70 with one line that asks for a report, the stack only under --debug', async () => {
    const bug = () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'fields')"));
    vi.spyOn(checkCommand, 'run').mockImplementation(bug);
    const plain = await cli('check');
    expect(plain).toMatchObject({
      status: 70,
      stdout: '',
      stderr:
        "luo-abi check: internal error (TypeError: Cannot read properties of undefined (reading 'fields')); this is a bug in luo-abi: please report it with the command and what `--debug` prints\n",
    });
    for (const args of [['--debug', 'check'], ['check', '--debug']]) {
      const debug = await cli(...args);
      expect(debug.status).toBe(70);
      expect(debug.stderr).toMatch(/^luo-abi check: internal error \(TypeError: .*\); this is a bug in luo-abi: please report it with the command and this output\nTypeError: Cannot read properties of undefined \(reading 'fields'\)\n {4}at /);
    }
    const json = await cli('check', '--format', 'json');
    expect(JSON.parse(json.stdout)).toEqual({
      format: 1,
      ok: false,
      error: { kind: 'internal', exitCode: 70, message: expect.stringMatching(/^internal error \(TypeError: /) },
    });
    vi.restoreAllMocks();
  });
});

describe('a schema module that cannot be loaded is an input error (exit 2) naming the file and line', () => {
  const cases: [string, () => string, RegExp][] = [
    ['a syntax error', () => write('syntax.ts', 'export default {\n  versions: [\n'), /^the schema .*syntax\.ts cannot be loaded: syntax error at .*syntax\.ts:\d+:\d+: (Unexpected end of file|Expected `]` but found `EOF`)$/],
    ['a module that throws', () => write('throws.ts', "const x = 1;\nthrow new Error('the schema is broken');\nexport default x;\n"), /^the schema .*throws\.ts cannot be loaded: Error at .*throws\.ts:2: the schema is broken$/],
    ['a directory', () => (mkdirSync(at('schema-dir'), { recursive: true }), at('schema-dir')), /^the schema .*schema-dir is a directory; give the module file$/],
    ['a file that is missing', () => at('missing.ts'), /^the schema .*missing\.ts does not exist$/],
    ['a module with no AbiSchema', () => write('empty.ts', 'export const x = 1;\n'), /^the schema .*empty\.ts must export a family \(family\(\{...\}\)\) or a header \(header\(\{...\}\)\) as its default export or as "schema"$/],
  ];
  it.each(cases)('%s', async (_what, make, message) => {
    const schema = make();
    for (const args of [['check', '--schema', schema], ['lock', '--schema', schema, '--lock', at('never.lock.json')]]) {
      const result = await cli(...args);
      expect(result.status).toBe(2);
      const [first, ...rest] = result.stderr.trimEnd().split('\n');
      expect(first!.replace(`luo-abi ${args[0]}: `, '')).toMatch(message);
      expect(rest).toEqual([]);
    }
  });
});

describe('the lock file', () => {
  const lock = () => JSON.parse(readFileSync(join(ROOT, 'schema/abi.lock.json'), 'utf8')) as { format: number; compatibles: Record<string, unknown>[] };

  it.each([
    ['not JSON', () => '{ "format": 1,', /is not valid JSON/],
    ['another format', () => JSON.stringify({ ...lock(), format: 1 }), /is a lock file of format 1; this luo-abi reads format 2: move it away and run `luo-abi lock`, which records every version of the schema in format 2$/],
    [
      'a layout with a size that is not a number, and an entry without versions',
      () => {
        const broken = lock();
        ((broken.compatibles[2]!['layout'] as { structs: { size: unknown }[] }).structs[0]!).size = 'big';
        delete broken.compatibles[1]!['versions'];
        return JSON.stringify(broken);
      },
      /is not a valid luo-abi lock file \(fix it, or restore it from version control\):\n {2}compatibles\[1\]\.versions: Invalid input: expected array, received undefined\n {2}compatibles\[2\]\.layout\.structs\[0\]\.size: Invalid input: expected number, received string$/,
    ],
    ['an array', () => '[]', /:\n {2}\(the whole file\): Invalid input: expected object, received array$/],
  ])('%s is an input error (exit 2) that says what and where', async (_what, text, message) => {
    const path = write('bad.lock.json', text());
    const result = await cli('check', '--lock', path);
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd()).toMatch(message);
    expect(result.stderr).not.toMatch(/\n {4}at /);
  });

  it('with --format json, a failed run prints a JSON error object on stdout', async () => {
    const result = await cli('check', '--format', 'json', '--lock', at('no.lock.json'));
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      format: 1,
      ok: false,
      error: { kind: 'input', exitCode: 2, message: expect.stringMatching(/^no lock file at .*no\.lock\.json; run `luo-abi lock` to create it$/) },
    });
    const usage = await cli('check', '--format=json', '--frob');
    expect(usage.status).toBe(2);
    expect(JSON.parse(usage.stdout).error).toEqual({ kind: 'usage', exitCode: 2, message: expect.stringMatching(/^Unknown option '--frob'/) });
  });
});

describe('the command line', () => {
  it.each([
    [['check', '--against', ''], '--against needs a value, not an empty string'],
    [['check', '--format', 'json', '--format', 'text'], '--format is given twice; give it once'],
    [['generate', '--out', 'a', '--out', 'b'], '--out is given twice; give it once'],
    [['lock', '--lock', ''], '--lock needs a value, not an empty string'],
  ])('%j is a usage error', async (args, message) => {
    const result = await cli(...args);
    expect(result).toMatchObject({ status: 2, stderr: `luo-abi ${args[0]}: ${message}\nRun \`luo-abi ${args[0]} --help\` for usage.\n` });
  });

  it('a revision git does not know is an input error that names it and says why', async () => {
    const result = await cli('check', '--against', 'no-such-branch-x9');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^luo-abi check: --against no-such-branch-x9: no such revision in the repository at .* \(git: Needed a single revision\); give a branch, tag or commit\n$/);
  });

  it('--against on a header outside any repository says so', async () => {
    const outside = join(tmpdir(), `luo-abi-outside-${process.pid}`);
    mkdirSync(outside, { recursive: true });
    try {
      cpSync(join(OUT, 'luo/luo-v4/luo.h'), join(outside, 'luo.h'));
      const result = await cli('check', '--header', join(outside, 'luo.h'), '--against', 'HEAD');
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^luo-abi check: .*luo\.h is not in a git repository, which --against needs: not a git repository/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('check --header on a header gcc rejects', () => {
  it("puts gcc's file:line diagnostic first, and its command line only under --debug", async () => {
    const header = readFileSync(join(OUT, 'luo/luo-v4/luo.h'), 'utf8').replace('\tu64 liveupdate_num;', '\tu65 liveupdate_num;');
    const path = write('luo.h', header);
    const line = header.split('\n').findIndex((l) => l.includes('u65 liveupdate_num')) + 1;
    expect(line).toBeGreaterThan(0);
    const result = await cli('check', '--header', path);
    expect(result.status).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`luo-abi check: ${relative(process.cwd(), path)} does not compile as the kernel would see it:`);
    expect(lines[1]).toBe(`  ${relative(process.cwd(), path)}:${line}: unknown type name 'u65'`);
    expect(lines.at(-1)).toMatch(/^To do: fix the lines named\./);
    expect(result.stderr).not.toMatch(/gcc -/);
    const debug = await cli('--debug', 'check', '--header', path);
    expect(debug.stderr).toMatch(/\ncommand line: gcc -g -c .* -x c - /);
  });
});
