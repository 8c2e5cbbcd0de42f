/**
 * Reading luo.h the way the kernel compiles it, in kernel-style trees (test/fixtures/kernel/, our own
 * text in the manner of the upstream headers): every version's fixture compiles and has the schema's
 * layout, macros included, however they are written (multi-line, function-like, CONFIG-guarded);
 * every step of the tree's history passes `check --header`, against the schema and against the
 * commit before; the prelude's macros have the kernel's values for each page size; and every message
 * names the file and line it is about, and what to do.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cVisible, headerCanonical } from '../generator/check/header/c-view.ts';
import { canonicalVersion } from '../generator/model/canonical.ts';
import { diffCanonicalVersions } from '../generator/model/diff.ts';
import { HeaderError } from '../generator/check/header/diagnostics.ts';
import { readHeader, readHeaderAtRevision, type HeaderLayout } from '../generator/check/header/extract.ts';
import { loadModel } from '../generator/core/schema.ts';
import { findHeader, findVersion, type Model } from '../generator/model/index.ts';
import {
  FIXTURES,
  fixtureText,
  fixtureTree,
  HEADER,
  KEXEC_HANDOVER_HEADER,
  kernelRepository,
  MEMBLOCK_HEADER,
  MEMBLOCK_VERSIONS,
  MEMFD_HEADER,
  MEMFD_VERSIONS,
  SCHEMA_VERSIONS,
  UAPI,
  type KernelRepository,
} from './kernel-fixtures.ts';
import { ROOT, scratchDir, thrown } from './support/tools.ts';
import { cli } from './support/cli.ts';

/** 1-based number of the first line of `text` that matches. */
function lineOf(text: string, pattern: RegExp): number {
  const index = text.split('\n').findIndex((line) => pattern.test(line));
  if (index < 0) throw new Error(`no line matches ${pattern}`);
  return index + 1;
}

const shown = (path: string) => relative(process.cwd(), path);
/** block.h as the tree holds it at a version: the version's own copy, else the common one. */
const blockTextAt = (version: string) => {
  const own = join(FIXTURES, version, 'include/linux/kho/abi/block.h');
  return readFileSync(existsSync(own) ? own : join(FIXTURES, 'common', 'include/linux/kho/abi/block.h'), 'utf8');
};

let model: Model;
let repo: KernelRepository;
const layouts = new Map<string, HeaderLayout>();
beforeAll(async () => {
  model = await loadModel();
  repo = kernelRepository('kernel-header');
  // Each version once, from its commit: the revision path reads the whole tree as it was then.
  for (const version of SCHEMA_VERSIONS) layouts.set(version, readHeaderAtRevision(repo.header, version));
});

describe('every fixture version compiles with the schema layout', () => {
  for (const version of SCHEMA_VERSIONS) {
    it(`${version}: structs (sizeof, offsetof, alignment), guard strings and property names are the schema's`, () => {
      const schema = findVersion(findHeader(model, 'luo'), version);
      const layout = layouts.get(version)!;
      const differences = diffCanonicalVersions(cVisible(canonicalVersion(schema)), cVisible(headerCanonical(schema, layout)));
      // The luo-v5 fixture is the applied form whose file handler address is a plain u64 `data`; the
      // schema's luo-v5 (linux-mm fb2257f) calls the same 8 bytes `serialized_data`.
      const expected = version === 'luo-v5' ? ['renamed struct luo_file_ser > data'] : [];
      expect(differences.map((c) => `${c.kind} ${c.subject}`)).toEqual(expected);
      // Every own macro of the schema version is defined by the header with the same text.
      for (const c of schema.constants.filter((c) => !c.include && !c.config)) {
        expect(layout.definitions.get(c.name)?.text.replace(/\s+/g, ' '), `${version} ${c.name}`).toBe(c.c);
      }
    });
  }

  it('the facts hold in the compiled headers: luo_session_ser is 64 bytes, then 80; luo_ser 24; all packed', () => {
    const size = (version: string, name: string) => layouts.get(version)!.structs.find((s) => s.name === name)?.size;
    expect(size('luo-v1-session-v1', 'luo_session_ser')).toBe(64);
    expect(SCHEMA_VERSIONS.slice(1).map((v) => size(v, 'luo_session_ser'))).toEqual([80, 80, 80, 80, 80, 80, 80]);
    expect(['luo-v2', 'luo-v3', 'luo-v4', 'luo-v5', 'luo-v5+block-v1'].map((v) => size(v, 'luo_ser'))).toEqual([24, 24, 24, 32, 40]);
    expect(new Set([...layouts.values()].flatMap((l) => l.structs.map((s) => s.align)))).toEqual(new Set([1]));
  });

  it("keeps the uapi ioctl struct out of the layout, and reads block.h's struct, which a guard of luo.h covers", () => {
    const v4 = layouts.get('luo-v4')!;
    expect(v4.definitions.get('LIVEUPDATE_IOCTL_OPEN_SESSION')).toBeDefined();
    expect(v4.structs.map((s) => s.name)).not.toContain('liveupdate_session_args');
    // luo-v5 includes <linux/kho/abi/block.h> and uses ALIGN() from the prelude to size an array.
    const tree = scratchDir('kernel-v5');
    cpSync(join(FIXTURES, 'common'), tree, { recursive: true });
    cpSync(join(FIXTURES, 'luo-v5'), tree, { recursive: true });
    const v5 = readHeader(join(tree, HEADER));
    expect(v5.structs.find((s) => s.name === 'kho_block_header_ser')).toMatchObject({ size: 16, file: expect.stringMatching(/block\.h$/) });
    expect(v5.structs.find((s) => s.name === 'luo_ser')).toMatchObject({ size: 32, fields: [{ name: 'compatible', offset: 0, size: 8 }, {}, {}, { name: 'flbs_pa', offset: 24 }] });
  });

  it('resolves includes from the tree first: <asm/ioctl.h> falls back to asm-generic as kbuild does', () => {
    const v4 = layouts.get('luo-v4')!;
    const line = lineOf(fixtureText('common', UAPI), /^#define LIVEUPDATE_SESSION_NAME_LENGTH/);
    expect(v4.definitions.get('LIVEUPDATE_SESSION_NAME_LENGTH')).toMatchObject({ text: '64', origin: 'tree', where: `${shown(repo.uapi)}:${line} at luo-v4` });
    expect(v4.definitions.get('_IO')).toMatchObject({ params: ['type', 'nr'], origin: 'tree', where: expect.stringMatching(/include\/uapi\/asm-generic\/ioctl\.h:\d+ at luo-v4$/) });
    expect(v4.definitions.get('__packed')).toMatchObject({ origin: 'prelude', where: expect.stringMatching(/^luo-abi's prelude <luo-abi\/compiler\.h>:\d+$/) });
  });

  it('reads multi-line and function-like macros at the lines that define them', () => {
    for (const version of SCHEMA_VERSIONS) {
      const text = fixtureText(version);
      const layout = layouts.get(version)!;
      for (const m of [...layout.macros.values(), ...layout.functionMacros.values()]) {
        expect(m.line, `${version} ${m.name}`).toBe(lineOf(text, new RegExp(`^#define ${m.name}\\b`)));
      }
      for (const s of layout.structs) {
        // block.h's block header is read from the sibling header that declares it.
        const declaring = s.file?.includes('block.h') ? blockTextAt(version) : text;
        expect(s.line, `${version} ${s.name}`).toBe(lineOf(declaring, new RegExp(`^struct ${s.name} \\{`)));
      }
    }
    const v4 = layouts.get('luo-v4')!;
    expect(v4.macros.get('LUO_FDT_SIZE')?.text).toBe('PAGE_SIZE');
    expect(v4.functionMacros.get('LUO_BLOCK_CAPACITY')).toMatchObject({
      params: ['pages', 'type'],
      text: '(((pages) * PAGE_SIZE - sizeof(struct luo_block_header_ser)) / sizeof(type))',
    });
    // CONFIG_LIVEUPDATE_TEST is not set without a .config: the CONFIG block is skipped, as in the kernel.
    expect(v4.functionMacros.has('LIVEUPDATE_TEST_FLB_COMPATIBLE')).toBe(false);
  });

  it('with CONFIG_LIVEUPDATE_TEST set, reads the function-like LIVEUPDATE_TEST_FLB_COMPATIBLE(i), nothing else changed', () => {
    const configured = readHeaderAtRevision(repo.header, 'luo-v4', { config: ['CONFIG_LIVEUPDATE_TEST'] });
    expect(configured.functionMacros.get('LIVEUPDATE_TEST_FLB_COMPATIBLE')).toEqual({
      name: 'LIVEUPDATE_TEST_FLB_COMPATIBLE',
      params: ['i'],
      text: '"liveupdate-test-flb-v" #i',
      line: lineOf(fixtureText('luo-v4'), /^#define LIVEUPDATE_TEST_FLB_COMPATIBLE/),
    });
    expect(configured.macros).toEqual(layouts.get('luo-v4')!.macros);
    expect(configured.structs.map(({ name, size }) => ({ name, size }))).toEqual(layouts.get('luo-v4')!.structs.map(({ name, size }) => ({ name, size })));
  });
});

interface StepReport {
  readonly version: string;
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly report: { errors: number; findings: { rule: string; severity: string; subject: string; compatible: string; file: string; line: number }[] };
}

/**
 * Each version of a tree's history checked out in turn: check --header against the schema must say
 * it is that version, with no drift; returns check --header --against HEAD~1 of every later step.
 */
async function historySteps(history: KernelRepository, versions: readonly string[]): Promise<StepReport[]> {
  const steps: StepReport[] = [];
  for (const [i, version] of versions.entries()) {
    history.git('checkout', '-q', version);
    const againstSchema = await cli('check', '--header', history.header);
    expect(againstSchema.status, againstSchema.stderr).toBe(0);
    expect(againstSchema.stdout.endsWith(`luo-abi check: no ABI drift against schema version ${version}\n`), againstSchema.stdout).toBe(true);
    if (i === 0) continue;
    const againstParent = await cli('check', '--header', history.header, '--against', 'HEAD~1', '--format', 'json');
    steps.push({ version, status: againstParent.status, stdout: againstParent.stdout, stderr: againstParent.stderr, report: JSON.parse(againstParent.stdout) });
  }
  return steps;
}

describe('the history of a kernel tree, one commit per version', () => {
  it('every step passes check --header against the schema and against HEAD~1', async () => {
    const history = kernelRepository('kernel-history');
    const warnings: string[] = [];
    const rootMacro = (version: string) => (version.startsWith('luo-v5') ? 'LUO_ABI_COMPATIBLE' : 'LUO_FDT_COMPATIBLE');
    for (const { version, status, stderr, report } of await historySteps(history, SCHEMA_VERSIONS)) {
      expect(status, stderr).toBe(0);
      expect(report.errors, version).toBe(0);
      for (const f of report.findings) {
        warnings.push(`${version} ${f.rule}`);
        expect(f).toMatchObject({ file: shown(history.header), line: lineOf(fixtureText(version), new RegExp(`^#define ${rootMacro(version)}`)) });
      }
    }
    // luo-v3 -> luo-v4 changed only what an address points at: the header sees no change, and the
    // schema knows the bump was for the pointer, so there is nothing to warn of.
    expect(warnings).toEqual([]);
    expect(history.git('status', '--porcelain').stdout).toBe('');
  });
});

describe('memfd.h and memblock.h: every fixture version is read as its schema version', () => {
  const cases = [
    ...MEMFD_VERSIONS.map((version) => ({ header: 'memfd', version, path: MEMFD_HEADER })),
    ...MEMBLOCK_VERSIONS.map((version) => ({ header: 'memblock', version, path: MEMBLOCK_HEADER })),
  ];
  for (const c of cases) {
    it(`${c.version}: structs, guard strings and macros are the schema's, and check --header says so`, async () => {
      const tree = fixtureTree(`kernel-${c.header}`, c.version);
      const schema = findVersion(findHeader(model, c.header), c.version);
      const layout = readHeader(join(tree, c.path));
      expect(diffCanonicalVersions(cVisible(canonicalVersion(schema)), cVisible(headerCanonical(schema, layout)))).toEqual([]);
      for (const k of schema.constants.filter((k) => !k.include && !k.config)) {
        expect(layout.definitions.get(k.name)?.text.replace(/\s+/g, ' '), `${c.version} ${k.name}`).toBe(k.c);
      }
      const result = await cli('check', '--header', join(tree, c.path));
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.endsWith(`luo-abi check: no ABI drift against schema version ${c.version}\n`), result.stdout).toBe(true);
    });
  }

  it('the facts hold in the compiled headers: memfd_luo_ser 40, 48, 48 bytes; the folio 16; kho_vmalloc from kexec_handover.h', () => {
    const layouts = MEMFD_VERSIONS.map((version) => readHeader(join(fixtureTree('kernel-memfd-facts', version), MEMFD_HEADER)));
    const size = (i: number, name: string) => layouts[i]!.structs.find((s) => s.name === name)?.size;
    expect(layouts.map((_, i) => size(i, 'memfd_luo_ser'))).toEqual([40, 48, 48]);
    expect(layouts.map((_, i) => size(i, 'memfd_luo_folio_ser'))).toEqual([16, 16, 16]);
    for (const layout of layouts) {
      expect(layout.structs.find((s) => s.name === 'kho_vmalloc')).toMatchObject({ size: 16, align: 8, file: expect.stringMatching(/kexec_handover\.h$/) });
      expect(layout.structs.find((s) => s.name === 'memfd_luo_ser')!.fields.at(-1)).toMatchObject({ name: 'folios', offset: layout === layouts[0] ? 24 : 32, size: 16 });
    }
  });

  it('memfd-v2 and its first revision share "memfd-v2": each is read as itself, by its layout', async () => {
    for (const version of ['memfd-v2+seals-bitfield', 'memfd-v2']) {
      const result = await cli('check', '--header', join(fixtureTree('kernel-memfd-same', version), MEMFD_HEADER));
      expect(result.stdout).toMatch(new RegExp(`no ABI drift against schema version ${version.replace('+', '\\+')}\n$`));
      expect(result.stdout).not.toContain('acknowledged');
    }
  });

  it('notes the seals memfd-v2 takes from <uapi/linux/fcntl.h>, which the header does not include; luo.h is not told of them', async () => {
    const memfd = await cli('check', '--header', join(fixtureTree('kernel-memfd-notes', 'memfd-v2'), MEMFD_HEADER));
    expect(memfd.stdout).toContain('note: F_SEAL_SEAL: not defined by <uapi/linux/fcntl.h> in the tree of the header\n');
    expect(memfd.stdout).toContain('note: F_SEAL_EXEC: not defined by <uapi/linux/fcntl.h> in the tree of the header\n');
    const luo = await cli('check', '--header', join(fixtureTree('kernel-luo-notes', 'luo-v4'), HEADER));
    expect(luo.stdout).not.toContain('F_SEAL');
  });

  it('the kexec_handover.h memfd.h includes is kho-v1, then kho-v2; kho-v2 is told from kho-v2+blob-size, which kept its string, by its layout', async () => {
    for (const [memfd, kho] of [['memfd-v1', 'kho-v1'], ['memfd-v2', 'kho-v2']] as const) {
      const result = await cli('check', '--header', join(fixtureTree('kernel-kho', memfd), KEXEC_HANDOVER_HEADER));
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe(`luo-abi check: no ABI drift against schema version ${kho}\n`);
    }
  });

  it('memblock.h declares no struct: read without pahole; the region properties keep the names the kernel writes as literals', () => {
    const layout = readHeader(join(fixtureTree('kernel-memblock', 'memblock-v1'), MEMBLOCK_HEADER));
    expect(layout.structs).toEqual([]);
    expect([...layout.macros.keys()]).toEqual(['MEMBLOCK_KHO_FDT', 'MEMBLOCK_KHO_NODE_COMPATIBLE', 'RESERVE_MEM_KHO_NODE_COMPATIBLE']);
    const region = headerCanonical(findVersion(findHeader(model, 'memblock'), 'memblock-v1'), layout).guards.find((g) => g.value === 'reserve-mem-v1');
    expect(region?.layout.node?.properties).toEqual([
      { name: 'start', kind: 'u64' },
      { name: 'size', kind: 'u64' },
    ]);
  });
});

describe('the history of a memfd.h tree, one commit per version', () => {
  it('every step passes check --header against the schema; against HEAD~1 the seals\' second layout under the same string is LUO001', async () => {
    const history = kernelRepository('kernel-memfd-history', MEMFD_VERSIONS, MEMFD_HEADER);
    const steps: string[] = [];
    for (const { version, stdout, report } of await historySteps(history, MEMFD_VERSIONS)) {
      steps.push(...report.findings.map((f) => `${version} ${f.severity} ${f.rule} ${f.compatible} ${f.subject}`));
      for (const f of report.findings) expect(f.line, f.subject).toBeGreaterThan(0);
      // A bit-field read from C has no byte place of its own: its type says the change, no offset -1.
      expect(stdout).not.toMatch(/offset -1|-1 bytes/);
    }
    // memfd-v1 -> memfd-v2 bumped the string (and kexec_handover.h went to kho-v2, bumped too); the
    // applied memfd-v2 kept the first revision's string for another layout: what kernel CI must flag.
    expect(steps).toEqual([
      'memfd-v2 error LUO001 MEMFD_LUO_FH_COMPATIBLE "memfd-v2" struct memfd_luo_ser > __reserved',
      'memfd-v2 error LUO001 MEMFD_LUO_FH_COMPATIBLE "memfd-v2" struct memfd_luo_ser > seals',
      'memfd-v2 error LUO001 MEMFD_LUO_FH_COMPATIBLE "memfd-v2" struct memfd_luo_ser > flags',
    ]);
  });
});

describe('the prelude', () => {
  const PROBE = `#ifndef PRELUDE_PROBE_H
#define PRELUDE_PROBE_H
#include <asm/page.h>
#include <linux/align.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/types.h>

struct prelude_probe {
	char pages[PAGE_SIZE >> 10];
	char aligned[ALIGN(13, 8)];
	char aligned_down[ALIGN_DOWN(13, 8)];
	char bit[BIT(4)];
	char bit_ull[BIT_ULL(3)];
	char genmask[GENMASK(5, 2)];
	char log[ilog2(4096)];
	char rounded[DIV_ROUND_UP(10, 4)];
	char up[round_up(10, 8)];
	DECLARE_BITMAP(map, 65);
	phys_addr_t pa;
	u8 tail __aligned(4);
} __packed;

/* False on purpose: the prelude's static_assert must not stop the compilation. */
static_assert(sizeof(struct prelude_probe) == 1);

#endif
`;

  function probeTree(): string {
    const tree = scratchDir('prelude');
    mkdirSync(join(tree, 'include/linux'), { recursive: true });
    writeFileSync(join(tree, 'include/linux/prelude_probe.h'), PROBE);
    return join(tree, 'include/linux/prelude_probe.h');
  }

  it('gives the kernel values of its macros, PAGE_SIZE by --page-shift, and __packed/__aligned as attributes', () => {
    const header = probeTree();
    for (const [pageShift, pages] of [[12, 4], [14, 16], [16, 64]] as const) {
      const probe = readHeader(header, { pageShift }).structs.find((s) => s.name === 'prelude_probe')!;
      const sizes = Object.fromEntries(probe.fields.map((f) => [f.name, f.size]));
      expect(sizes).toEqual({ pages, aligned: 16, aligned_down: 8, bit: 16, bit_ull: 8, genmask: 60, log: 12, rounded: 3, up: 16, map: 16, pa: 8, tail: 1 });
      // __packed makes the struct 1-aligned but leaves the member's own __aligned(4): tail is padded to 4.
      expect(probe.fields.at(-1)!.offset % 4).toBe(0);
      expect(probe.align).toBe(4);
    }
  });

  it('--page-shift must be a page size a kernel can have; --arch must be one the tree has', async () => {
    const bad = await cli('check', '--header', repo.header, '--page-shift', '13');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--page-shift must be one of 12, 14, 16');
    const arch = await cli('check', '--header', repo.header, '--arch', 'arm65');
    expect(arch.status).toBe(2);
    expect(arch.stderr).toBe(`luo-abi check: --arch arm65: the kernel tree at ${shown(repo.root)} has no arch/arm65; its architectures: none\n`);
  });
});

describe('every message names the file and line, and what to do', () => {
  /** check --header in process on the tree at luo-v4 with one edit; the tree is put back after. */
  async function checkEdited(path: string, from: string, to: string, ...more: string[]) {
    repo.git('checkout', '-q', 'luo-v4');
    repo.edit(path, from, to);
    try {
      return await cli('check', '--header', repo.header, ...more);
    } finally {
      repo.reset();
    }
  }
  const noCommandLine = (text: string) => expect(text).not.toMatch(/gcc |-nostdinc|-isystem|-fdiagnostics/);

  it('an include the tree lacks: the include, the file and line that asked for it, where it looked, what to do', async () => {
    const result = await checkEdited(HEADER, '#include <linux/align.h>\n', '#include <linux/align.h>\n#include <linux/kho/abi/memfd.h>\n');
    expect(result.status).toBe(2);
    const line = lineOf(fixtureText('luo-v4'), /^#include <linux\/align\.h>/) + 1;
    expect(result.stderr).toBe(
      `luo-abi check: ${shown(repo.header)} does not compile as the kernel would see it:\n` +
        `  ${shown(repo.header)}:${line}: #include <linux/kho/abi/memfd.h> not found; looked in luo-abi's prelude and in the kernel tree at ${shown(repo.root)}: include/, include/uapi/.\n` +
        '    To do: add the header to the tree or correct the #include; if the kernel generates it only in a configured build, the prelude must stand in for it (report it to luo-abi).\n',
    );
  });

  it('an include missing deeper down names the file that asked and the chain of includes to it', async () => {
    const result = await checkEdited(UAPI, '#include <linux/types.h>\n', '#include <linux/types.h>\n#include "liveupdate_abi.h"\n');
    expect(result.status).toBe(2);
    const uapiLine = lineOf(fixtureText('common', UAPI), /^#include <linux\/types\.h>/) + 1;
    const luoLine = lineOf(fixtureText('luo-v4'), /^#include <uapi\/linux\/liveupdate\.h>/);
    expect(result.stderr).toContain(`  ${shown(repo.uapi)}:${uapiLine}: #include "liveupdate_abi.h" not found (included from ${shown(repo.header)}:${luoLine});`);
    noCommandLine(result.stderr);
  });

  it('an architecture header: says to choose the architecture with --arch', async () => {
    const result = await checkEdited(HEADER, '#include <linux/align.h>\n', '#include <linux/align.h>\n#include <asm/setup.h>\n');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${shown(repo.header)}:\\d+: #include <asm/setup\\.h> not found; .*asm-generic\\.\\n    To do: an architecture header: give the architecture that has it with --arch \\(now x86\\)`));
  });

  it('a header in no kernel tree: says to check it where it lives in one', () => {
    const lonely = join(scratchDir('lonely'), 'luo.h');
    writeFileSync(lonely, '#include <linux/types.h>\n#include <linux/ioctl.h>\nstruct lonely { u64 a; } __packed;\n');
    const error = thrown(HeaderError, () => readHeader(lonely));
    expect(error.message).toContain(`${shown(lonely)}:2: #include <linux/ioctl.h> not found; looked in luo-abi's prelude only: the header sits in no kernel tree`);
    expect(error.message).toContain('To do: check the header where it lives in a kernel tree');
  });

  it('C the compiler rejects: each error at its file and line, without a gcc command line', async () => {
    const result = await checkEdited(HEADER, '\tu64 data;\n\tu64 token;\n} __packed;', '\tu64 data;\n\tfoo_t token;\n} __packed;');
    expect(result.status).toBe(2);
    const line = lineOf(fixtureText('luo-v4'), /^\tu64 token;/);
    expect(result.stderr).toContain(`  ${shown(repo.header)}:${line}: unknown type name 'foo_t'\n`);
    expect(result.stderr).toContain("To do: fix the lines named. A name the kernel defines in a header this one does not include must be included; luo-abi's prelude stands in only for <linux/types.h>,");
    noCommandLine(result.stderr);
  });

  it('at a revision: the file and line at that revision', async () => {
    const broken = kernelRepository('kernel-broken', ['luo-v4']);
    broken.edit(HEADER, '\tu64 data;\n\tu64 token;\n} __packed;', '\tu64 data;\n\tfoo_t token;\n} __packed;');
    broken.git('commit', '-qam', 'broken');
    writeFileSync(broken.header, fixtureText('luo-v4'));
    const result = await cli('check', '--header', broken.header, '--against', 'HEAD');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`  ${shown(broken.header)}:${lineOf(fixtureText('luo-v4'), /^\tu64 token;/)} at HEAD: unknown type name 'foo_t'\n`);
  });

  it('a header the revision lacks: names the header and the revision', async () => {
    const young = kernelRepository('kernel-young', ['luo-v4']);
    const path = join(young.root, 'include/linux/kho/abi/young.h');
    writeFileSync(path, fixtureText('luo-v4'));
    const result = await cli('check', '--header', path, '--against', 'HEAD');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`luo-abi check: ${shown(path)} does not exist at revision HEAD; give a revision that has it (--against)\n`);
  });

  it('notes say where each value the schema takes from another header came from: file and line', async () => {
    repo.git('checkout', '-q', 'luo-v4');
    const result = await cli('check', '--header', repo.header, '--against', 'luo-v3');
    expect(result.status).toBe(0);
    const line = lineOf(fixtureText('common', UAPI), /^#define LIVEUPDATE_SESSION_NAME_LENGTH/);
    expect(result.stdout).toContain(`note: LIVEUPDATE_SESSION_NAME_LENGTH: 64 in ${shown(repo.uapi)}:${line} at luo-v3\nnote: LIVEUPDATE_SESSION_NAME_LENGTH: 64 in ${shown(repo.uapi)}:${line}\n`);
  });

  it('findings of each rule name the file and the line: LUO001 the struct or field, LUO003 and LUO005 the #define', async () => {
    const text = fixtureText('luo-v4');
    const root = lineOf(text, /^#define LUO_FDT_COMPATIBLE/);
    const downgraded = await checkEdited(HEADER, '#define LUO_FDT_COMPATIBLE\t"luo-v4"', '#define LUO_FDT_COMPATIBLE\t"luo-v2"', '--against', 'HEAD', '--format', 'json');
    expect(JSON.parse(downgraded.stdout).findings).toEqual([expect.objectContaining({ rule: 'LUO003', file: shown(repo.header), line: root })]);
    const added = await checkEdited(HEADER, '\tu64 data;\n\tu64 token;\n} __packed;', '\tu64 data;\n\tu64 token;\n\tu64 flags;\n} __packed;', '--format', 'json');
    const fileSer = lineOf(text, /^struct luo_file_ser \{/);
    expect(JSON.parse(added.stdout).findings.map((f: { rule: string; subject: string; line: number }) => `${f.rule} ${f.subject}:${f.line}`)).toEqual([
      `LUO001 struct luo_file_ser:${fileSer}`,
      `LUO001 struct luo_file_ser > flags:${fileSer + 4}`,
    ]);
  });
});

describe('a real kernel tree (Debian linux-source-6.1 with our luo.h and uapi header added)', () => {
  const tree = join(ROOT, '.cache/linux-6.1-headers');

  beforeAll(() => {
    // Extracted by scripts/setup-interop.sh, which npm test runs first.
    if (!existsSync(join(tree, '.extracted'))) throw new Error(`${tree} is missing: run scripts/setup-interop.sh (npm test runs it first)`);
    mkdirSync(join(tree, 'include/linux/kho/abi'), { recursive: true });
    writeFileSync(join(tree, HEADER), fixtureText('luo-v4'));
    writeFileSync(join(tree, UAPI), fixtureText('common', UAPI));
  });

  for (const [arch, pageShift] of [['x86', '12'], ['arm64', '16']] as const) {
    it(`passes check --header on ${arch}, the kernel's own <linux/ioctl.h> reached through its asm-generic fallback`, async () => {
      const result = await cli('check', '--header', join(tree, HEADER), '--arch', arch, '--page-shift', pageShift);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/no ABI drift against schema version luo-v4\n$/);
      const layout = readHeader(join(tree, HEADER), { arch });
      expect(layout.definitions.get('_IOC')?.where).toMatch(/linux-6\.1-headers\/include\/uapi\/asm-generic\/ioctl\.h:\d+$/);
    });
  }
});
