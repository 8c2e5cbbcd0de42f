/**
 * `luo-abi check --header` on the headers luo-abi generates (out/luo/<version>/luo.h): each reads back
 * as its own version, a comment change passes. Then such a header at two revisions of a git tree. The
 * mutations a kernel developer makes are in kernel-mutations.test.ts, on hand-written trees.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHeader } from '../generator/check/header/check-header.ts';
import type { Finding } from '../generator/check/finding.ts';
import { buildModel, findHeader, usedVersion } from '../generator/model/index.ts';
import family from '../schema/index.ts';
import { cli } from './support/cli.ts';
import { OUT, runOk, scratchDir } from './support/tools.ts';

const header = (version: string) => readFileSync(join(OUT, 'luo', version, 'luo.h'), 'utf8');

function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one "${from}"`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** The header with `#define MACRO "value"` given another value (the line the kernel developer edits). */
function setString(text: string, macro: string, value: string): string {
  const line = new RegExp(`^#define ${macro}(\\s+)"[^"]*"$`, 'm');
  if (!line.test(text)) throw new Error(`no #define ${macro} "..."`);
  return text.replace(line, `#define ${macro}$1"${value}"`);
}

function writeHeader(prefix: string, text: string): string {
  const path = join(scratchDir(prefix), 'luo.h');
  writeFileSync(path, text);
  return path;
}

const FILE_SER = 'struct luo_file_ser {\n\tchar compatible[LIVEUPDATE_HNDL_COMPAT_LENGTH];\n\tu64 data;\n\tu64 token;\n}';
const errors = (findings: readonly Finding[]) => findings.filter((f) => f.severity === 'error');

/** A field added to luo_file_ser, as a kernel developer would write it. */
const ADD_FIELD: [string, string] = [FILE_SER, FILE_SER.replace('\tu64 token;\n', '\tu64 token;\n\tu64 extra;\n')];
const mutate = (text: string, edits: [string, string][]) => edits.reduce((t, [a, b]) => replaceOnce(t, a, b), text);

describe('check --header against the schema', () => {
  it('reads every generated header of every version as that version, in a kernel tree with the current others (and the versions it uses)', async () => {
    const model = buildModel(family);
    const tree = scratchDir('generated-tree');
    cpSync(join(OUT, 'include'), join(tree, 'include'), { recursive: true });
    /** The headers the last version put in place of the current ones: put back before the next. */
    let replaced: string[] = [];
    for (const header of model.headers) {
      for (const version of header.versions) {
        for (const path of replaced) cpSync(join(OUT, path), join(tree, path));
        // A version may need another header's older form (memfd-features, luo.h's feature form).
        for (const used of version.uses) {
          const usedPath = findHeader(model, used.header).path;
          cpSync(join(OUT, used.header, used.version, basename(usedPath)), join(tree, usedPath));
        }
        const path = join(tree, header.path);
        cpSync(join(OUT, header.name, version.name, basename(header.path)), path);
        replaced = [...version.uses.map((used) => findHeader(model, used.header).path), header.path];
        const report = await checkHeader({ headerPath: path });
        expect(report.findings, version.name).toEqual([]);
        expect(report.baseline, version.name).toBe(`schema version ${version.name}`);
        // Only what the version, or a header it includes, takes from elsewhere is noted (luo.h's session
        // name length, memfd.h's seals; memfd-features includes luo.h).
        const taken = [version, ...version.uses.map((u) => usedVersion(model, u))].flatMap((v) => v.constants.filter((c) => c.include).map((c) => c.name));
        for (const note of report.notes ?? []) expect(taken, `${version.name}: ${note}`).toContain(note.slice(0, note.indexOf(':')));
      }
    }
  });

  it('passes a change to comments only', async () => {
    const text = replaceOnce(header('luo-v4'), ' * struct luo_flb_ser - Serialised state of one FLB.', ' * struct luo_flb_ser - One File-Lifecycle-Bound object.');
    expect((await checkHeader({ headerPath: writeHeader('header-docs', text) })).findings).toEqual([]);
  });

  it('cannot see luo-v3 -> luo-v4 in the header alone: the luo-v4 header under "luo-v3" reads as luo-v3', async () => {
    const path = writeHeader('header-blind', setString(header('luo-v4'), 'LUO_FDT_COMPATIBLE', 'luo-v3'));
    const report = await checkHeader({ headerPath: path });
    expect(report.baseline).toBe('schema version luo-v3');
    expect(report.findings).toEqual([]);
  });

  it('exits 1 from the command line, with GitHub annotations on the header lines', async () => {
    const path = writeHeader('header-cli', mutate(header('luo-v4'), [ADD_FIELD]));
    const result = await cli('check', '--header', path, '--format', 'github');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^::error file=[^,]*header-cli-[^,]*\/luo\.h,line=\d+,title=LUO001 layout-changed-without-bump::struct luo_file_ser went from 64 to 72 bytes\./);
  });
});

describe('check --header --against GIT_REF: a kernel tree at two revisions', () => {
  function kernelTree(first: string, uapi?: string) {
    const tree = scratchDir('header-tree');
    const path = join(tree, 'include/linux/kho/abi/luo.h');
    const uapiPath = join(tree, 'include/uapi/linux/liveupdate.h');
    mkdirSync(join(tree, 'include/linux/kho/abi'), { recursive: true });
    const git = (...args: string[]) => runOk('git', ['-c', 'user.name=luo-abi test', '-c', 'user.email=test@luo-abi.invalid', ...args], { cwd: tree });
    git('init', '-q');
    writeFileSync(path, first);
    if (uapi !== undefined) {
      mkdirSync(dirname(uapiPath), { recursive: true });
      writeFileSync(uapiPath, uapi);
    }
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    return { path, uapiPath, git };
  }

  /** The kernel's <uapi/linux/liveupdate.h> as far as luo.h cares: the session name length. */
  const uapiHeader = (length: string) =>
    `/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */\n#ifndef _UAPI_LIVEUPDATE_H\n#define _UAPI_LIVEUPDATE_H\n#include <linux/types.h>\n#define LIVEUPDATE_SESSION_NAME_LENGTH ${length} /* bytes, with the NUL */\n#endif\n`;

  it('takes LIVEUPDATE_SESSION_NAME_LENGTH from the tree\'s own uapi header, at each revision', async () => {
    const { path, uapiPath, git } = kernelTree(header('luo-v4'), uapiHeader('64'));
    const same = await checkHeader({ headerPath: path });
    expect(same.findings).toEqual([]);
    expect(same.notes).toEqual([expect.stringMatching(/^LIVEUPDATE_SESSION_NAME_LENGTH: 64 in .*include\/uapi\/linux\/liveupdate\.h:5$/)]);
    // The uapi header changes the length; luo.h is untouched, and no string is bumped.
    writeFileSync(uapiPath, uapiHeader('(32)'));
    const againstSchema = await checkHeader({ headerPath: path });
    expect(errors(againstSchema.findings).map((f) => `${f.rule} ${f.subject}`)).toContain('LUO001 struct luo_session_ser > name');
    const againstHead = await checkHeader({ headerPath: path, against: 'HEAD' });
    expect(errors(againstHead.findings).map((f) => `${f.rule} ${f.subject} ${f.old} -> ${f.new}`)).toContain(
      'LUO001 struct luo_session_ser > name char[64] -> char[32]',
    );
    expect(againstHead.notes).toEqual([
      expect.stringMatching(/^LIVEUPDATE_SESSION_NAME_LENGTH: 64 in .*liveupdate\.h:5 at HEAD$/),
      expect.stringMatching(/^LIVEUPDATE_SESSION_NAME_LENGTH: \(32\) in .*liveupdate\.h:5$/),
    ]);
    // With the root string bumped, the change is covered.
    writeFileSync(path, setString(header('luo-v4'), 'LUO_FDT_COMPATIBLE', 'luo-v6'));
    expect(errors((await checkHeader({ headerPath: path, against: 'HEAD' })).findings)).toEqual([]);
    expect(git('status', '--porcelain').stdout).toBe(' M include/linux/kho/abi/luo.h\n M include/uapi/linux/liveupdate.h\n');
  });

  it('without the uapi header in the tree, uses the schema\'s value and says so', async () => {
    const { path } = kernelTree(header('luo-v4'));
    const report = await checkHeader({ headerPath: path });
    expect(report.notes).toEqual(["LIVEUPDATE_SESSION_NAME_LENGTH: the schema's value (no <uapi/linux/liveupdate.h> in the tree of the header)"]);
  });

  it('luo-v3 -> luo-v4 changes no struct, but the schema knows what the bump is for: no finding', async () => {
    const { path, git } = kernelTree(header('luo-v3'));
    writeFileSync(path, header('luo-v4'));
    const report = await checkHeader({ headerPath: path, against: 'HEAD' });
    expect(report.findings).toEqual([]);
    expect(git('status', '--porcelain').stdout).toBe(' M include/linux/kho/abi/luo.h\n');
  });

  it('a field added without a bump fails; with the bump it passes', async () => {
    const { path, git } = kernelTree(header('luo-v3'));
    writeFileSync(path, mutate(header('luo-v3'), [ADD_FIELD]));
    const failed = await checkHeader({ headerPath: path, against: 'HEAD' });
    expect(failed.findings.map((f) => `${f.rule} ${f.subject}`)).toEqual(['LUO001 struct luo_file_ser', 'LUO001 struct luo_file_ser > extra']);
    // luo-v4 and luo-v5 are taken: the schema released both.
    expect(failed.findings[0]!.fix).toMatch(/^bump LUO_FDT_COMPATIBLE from "luo-v3" to "luo-v6"/);
    git('commit', '-qam', 'second');
    writeFileSync(path, setString(readFileSync(path, 'utf8'), 'LUO_FDT_COMPATIBLE', 'luo-v6'));
    expect(errors((await checkHeader({ headerPath: path, against: 'HEAD~1' })).findings)).toEqual([]);
  });

  it('going back to an older string is compatible-downgraded', async () => {
    const { path } = kernelTree(header('luo-v4'));
    writeFileSync(path, setString(header('luo-v4'), 'LUO_FDT_COMPATIBLE', 'luo-v2'));
    const { findings } = await checkHeader({ headerPath: path, against: 'HEAD' });
    expect(findings.map((f) => `${f.rule} ${f.subject} ${f.old} -> ${f.new}`)).toEqual(['LUO003 LUO_FDT_COMPATIBLE "luo-v4" -> "luo-v2"']);
  });
});
