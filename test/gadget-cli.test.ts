/**
 * A family that is not LUO (test/fixtures/gadget-schema.ts: two headers, a raw struct under a KHO
 * entry, bit-fields, an anonymous union, a bitmap, a composed string) through every command with
 * --schema, in process: generate, lock, check (and a change without a bump), encode, decode.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, scratch } from './support/cli.ts';
import { ROOT } from './support/tools.ts';

const { dir, remove } = scratch('gadget-cli');
afterAll(remove);
const at = (name: string) => join(dir, name);

/** A copy of the schema, so that a test can edit it: schema/lang.ts beside it, as the fixture imports it. */
function schemaCopy(name: string, edit?: [string, string]): string {
  const root = at(name);
  cpSync(join(ROOT, 'schema'), join(root, 'schema'), { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/gadget-schema.ts'), join(root, 'test/fixtures/gadget-schema.ts'));
  const path = join(root, 'test/fixtures/gadget-schema.ts');
  if (edit) {
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(edit[0]);
    writeFileSync(path, text.replace(edit[0], edit[1]));
  }
  return path;
}

describe('a family of our own through every command (--schema)', () => {
  const schema = schemaCopy('gadget');
  const lock = at('gadget.lock.json');

  it('generate writes its headers where a kernel tree has them, and one per version', async () => {
    const result = await cli('generate', '--schema', schema, '--out', at('out'));
    expect(result).toMatchObject({ status: 0, stderr: '' });
    for (const path of ['include/linux/gadget/gadget.h', 'include/linux/gadget/gadget_base.h', 'gadget/gadget-v1/gadget.h', 'ts/gadget/gadget-v1.js', 'ts/gadget/gadget-v1.d.ts', 'docs/gadget.md']) {
      expect(existsSync(join(at('out'), path)), path).toBe(true);
    }
    expect(readFileSync(join(at('out'), 'include/linux/gadget/gadget.h'), 'utf8')).toContain('#include <linux/gadget/gadget_base.h>\n');
  });

  it('lock records its strings; check passes against that lock and fails on a change without a bump', async () => {
    expect((await cli('lock', '--schema', schema, '--lock', lock)).status).toBe(0);
    const keys = (JSON.parse(readFileSync(lock, 'utf8')) as { compatibles: { key: string }[] }).compatibles.map((e) => e.key);
    expect(keys).toEqual(expect.arrayContaining([expect.stringMatching(/^gadget_base@/), expect.stringMatching(/^gadget@/)]));
    expect((await cli('check', '--schema', schema, '--lock', lock)).status).toBe(0);

    // A bit-field one bit wider, the string left as it was.
    const changed = schemaCopy('gadget-changed', ["pfn: field(bits(u64, 52), 'Page frame number.'),", "pfn: field(bits(u64, 53), 'Page frame number.'),"]);
    const result = await cli('check', '--schema', changed, '--lock', lock);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/error LUO001 layout-changed-without-bump: struct gadget_item\.pfn/);
  });

  it('encode lays out the raw entry from an example state, and decode --at reads it back', async () => {
    const example = await cli('encode', '--example', 'gadget-v1', '--schema', schema);
    expect(example.status).toBe(0);
    writeFileSync(at('state.json'), example.stdout);
    const encoded = await cli('encode', at('state.json'), '--schema', schema, '--mem-out', at('gadget.mem'), '--mem-base', '0x100000');
    expect(encoded.stderr).toBe('');
    const entry = /^gadget-v1: raw KHO entry at (0x[0-9a-f]+), memory \d+ bytes at 0x100000\n$/.exec(encoded.stdout);
    expect(entry, encoded.stdout).not.toBeNull();
    const decoded = await cli('decode', '--at', entry![1]!, '--mem', at('gadget.mem'), '--mem-base', '0x100000', '--schema', schema);
    expect(decoded.stderr).toBe('');
    const state = JSON.parse(decoded.stdout) as { version: string; entry: Record<string, unknown> };
    expect(state).toMatchObject(JSON.parse(example.stdout) as object);
    // The bit-fields and the anonymous union's member are the value's own members.
    const item = (state.entry['items'] as Record<string, unknown>[])[0]!;
    expect(Object.keys(item)).toEqual(expect.arrayContaining(['pfn', 'flags', 'small', 'rest']));
  });
});
