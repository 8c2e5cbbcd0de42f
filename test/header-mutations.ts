/**
 * Mutations of the kernel fixture trees, as a kernel developer would make them, and what
 * `luo-abi check --header` must say about each: against the schema, and against the commit before the
 * edit (`--against HEAD`). test/kernel-mutations.test.ts runs every case of HEADER_MUTATIONS;
 * test/header-mutations-pending.ts lists, in the same shape, the cases the rules cannot catch yet.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../generator/check/finding.ts';
import { fixtureText, HEADER, KEXEC_HANDOVER_HEADER, MEMBLOCK_HEADER, MEMFD_HEADER, UAPI, type FixtureHeader, type FixtureVersion, type KernelRepository } from './kernel-fixtures.ts';
import { cli } from './support/cli.ts';

export type Mode = 'schema' | 'against HEAD';

export interface HeaderMutation {
  readonly name: string;
  /** The header checked, luo.h unless said; its fixture versions make the tree's history. */
  readonly header?: FixtureHeader;
  /** The fixture version the tree is at (its tag) before the edit. */
  readonly version: FixtureVersion;
  /** Text replacements (`from` occurs exactly once), by file of the tree. */
  readonly edits?: readonly { readonly path: string; readonly from: string; readonly to: string }[];
  /** Whole files written over the tree's, by path: another fixture's text. */
  readonly files?: Readonly<Record<string, { readonly fixture: string }>>;
  /** The comparisons to run; both unless said. */
  readonly modes?: readonly Mode[];
  readonly expect:
    | { readonly exit: 0 }
    | {
        readonly exit: 1;
        /** The rule that must report it, e.g. LUO001; a rule not written yet is named by what it is. */
        readonly rule: string;
        /** The subject of one of its findings. */
        readonly subject?: string;
        /** The compatible string that finding names. */
        readonly compatible?: string;
        /** What that finding's message must say. */
        readonly message?: RegExp;
      };
}

const FILE_SER_TOKEN = '\tu64 data;\n\tu64 token;\n} __packed;';
const edit = (from: string, to: string, path: string = HEADER) => ({ path, from, to });
/** luo_file_ser grows a field. */
export const FIELD_ADDED = edit(FILE_SER_TOKEN, '\tu64 data;\n\tu64 token;\n\tu64 flags;\n} __packed;');
/** luo-v4's root string bumped to luo-v5. */
export const ROOT_BUMPED = edit('#define LUO_FDT_COMPATIBLE\t"luo-v4"', '#define LUO_FDT_COMPATIBLE\t"luo-v5"');
const ROOT_V4 = 'LUO_FDT_COMPATIBLE "luo-v4"';
/** The header as findings name it: relative to where the tests run. */
export const HEADER_SHOWN = '(the header)';
const BLOCK = 'include/linux/kho/abi/block.h';
/** block.h's header grows a field. */
const BLOCK_FIELD_ADDED = edit('\tu64 next;\n\tu64 count;\n} __packed;', '\tu64 next;\n\tu64 count;\n\tu64 flags;\n} __packed;', BLOCK);
/** block.h's string bumped. */
const BLOCK_BUMPED = edit('#define KHO_BLOCK_COMPATIBLE "block-v1"', '#define KHO_BLOCK_COMPATIBLE "block-v2"', BLOCK);
const layoutChanged = (subject: string, compatible = ROOT_V4) => ({ exit: 1, rule: 'LUO001', subject, compatible }) as const;
const FOLIO_BITS = '\tu64 pfn:52;\n\tu64 flags:12;';
/** memfd_luo_folio_ser's pfn two bits narrower, its flags two wider: the same 8 bytes. */
const FOLIO_PFN_NARROWED = edit(FOLIO_BITS, '\tu64 pfn:50;\n\tu64 flags:14;', MEMFD_HEADER);
const MEMFD_BUMPED = edit('#define MEMFD_LUO_FH_COMPATIBLE\t"memfd-v2"', '#define MEMFD_LUO_FH_COMPATIBLE\t"memfd-v3"', MEMFD_HEADER);
const MEMFD_V2 = 'MEMFD_LUO_FH_COMPATIBLE "memfd-v2"';
const REGION_BUMPED = edit('#define RESERVE_MEM_KHO_NODE_COMPATIBLE "reserve-mem-v1"', '#define RESERVE_MEM_KHO_NODE_COMPATIBLE "reserve-mem-v2"', MEMBLOCK_HEADER);

export const HEADER_MUTATIONS: readonly HeaderMutation[] = [
  {
    name: 'a field added',
    version: 'luo-v4',
    edits: [FIELD_ADDED],
    expect: layoutChanged('struct luo_file_ser > flags'),
  },
  {
    name: 'a field removed',
    version: 'luo-v4',
    edits: [edit(FILE_SER_TOKEN, '\tu64 data;\n} __packed;')],
    expect: layoutChanged('struct luo_file_ser > token'),
  },
  {
    name: 'two fields swapped',
    version: 'luo-v4',
    edits: [edit(FILE_SER_TOKEN, '\tu64 token;\n\tu64 data;\n} __packed;')],
    expect: layoutChanged('struct luo_file_ser > data'),
  },
  {
    name: 'a field retyped to a narrower type',
    version: 'luo-v4',
    edits: [edit('struct luo_block_header_ser {\n\tu64 next;\n\tu64 count;', 'struct luo_block_header_ser {\n\tu64 next;\n\tu32 count;')],
    expect: layoutChanged('struct luo_block_header_ser > count'),
  },
  {
    name: 'a field retyped to a signed type of the same size',
    version: 'luo-v4',
    edits: [edit('struct luo_ser {\n\tu64 liveupdate_num;', 'struct luo_ser {\n\ts64 liveupdate_num;')],
    expect: layoutChanged('struct luo_ser > liveupdate_num'),
  },
  {
    name: 'the macro that sizes an array changed',
    version: 'luo-v4',
    edits: [edit('#define LIVEUPDATE_HNDL_COMPAT_LENGTH\t48', '#define LIVEUPDATE_HNDL_COMPAT_LENGTH\t64')],
    expect: layoutChanged('struct luo_file_ser > compatible'),
  },
  {
    name: "LIVEUPDATE_SESSION_NAME_LENGTH changed in the tree's uapi header",
    version: 'luo-v4',
    edits: [edit('#define LIVEUPDATE_SESSION_NAME_LENGTH 64', '#define LIVEUPDATE_SESSION_NAME_LENGTH 32', UAPI)],
    expect: layoutChanged('struct luo_session_ser > name'),
  },
  {
    name: '__packed removed',
    version: 'luo-v4',
    edits: [edit(FILE_SER_TOKEN, '\tu64 data;\n\tu64 token;\n};')],
    expect: layoutChanged('struct luo_file_ser'),
  },
  {
    name: 'an FDT property name changed',
    version: 'luo-v4',
    edits: [edit('#define LUO_FDT_ABI_HEADER\t"luo-abi-header"', '#define LUO_FDT_ABI_HEADER\t"luo-abi-root"')],
    expect: layoutChanged('node / > luo-abi-root'),
  },
  {
    name: 'a comment edited',
    version: 'luo-v4',
    edits: [edit(' * struct luo_flb_ser - One File-Lifecycle-Bound object.', ' * struct luo_flb_ser - A preserved File-Lifecycle-Bound object.')],
    expect: { exit: 0 },
  },
  {
    name: 'a field added with the root string bumped',
    version: 'luo-v4',
    edits: [FIELD_ADDED, ROOT_BUMPED],
    modes: ['against HEAD'],
    expect: { exit: 0 },
  },
  {
    name: 'a field added with the root string bumped, against the schema: a version it lacks',
    version: 'luo-v4',
    edits: [FIELD_ADDED, ROOT_BUMPED],
    modes: ['schema'],
    expect: { exit: 1, rule: 'LUO008', subject: HEADER_SHOWN },
  },
  {
    name: 'the luo-v5 header over luo-v4: no FDT, the root string renamed to LUO_ABI_COMPATIBLE with a new value',
    version: 'luo-v4',
    files: { [HEADER]: { fixture: 'luo-v5' } },
    modes: ['against HEAD'],
    expect: { exit: 0 },
  },
  {
    name: 'the guard macro renamed with its value kept, and a field added',
    version: 'luo-v4',
    edits: [edit('#define LUO_FDT_COMPATIBLE\t"luo-v4"', '#define LUO_ROOT_COMPATIBLE\t"luo-v4"'), FIELD_ADDED],
    expect: { exit: 1, rule: 'LUO001', subject: 'struct luo_file_ser > flags', compatible: 'LUO_ROOT_COMPATIBLE "luo-v4"', message: /renamed from LUO_FDT_COMPATIBLE to LUO_ROOT_COMPATIBLE/ },
  },
  {
    name: 'a luo-v6 header (luo-v5 bumped, a field added), against the schema: a version it lacks',
    version: 'luo-v5',
    edits: [edit('#define LUO_ABI_COMPATIBLE\t"luo-v5"', '#define LUO_ABI_COMPATIBLE\t"luo-v6"'), FIELD_ADDED],
    modes: ['schema'],
    expect: { exit: 1, rule: 'LUO008', subject: HEADER_SHOWN, message: /nearest is luo-v5; it differs in: .*luo_file_ser has a new field flags/ },
  },
  // The composed form: block.h's own string guards the block header luo.h uses.
  {
    name: 'luo-v5+block-v1: the block header changed in block.h without a bump of its string',
    version: 'luo-v5+block-v1',
    edits: [BLOCK_FIELD_ADDED],
    expect: layoutChanged('struct kho_block_header_ser > flags', 'KHO_BLOCK_COMPATIBLE "block-v1"'),
  },
  {
    name: 'luo-v5+block-v1: ... with block.h\'s string bumped, the composed LUO string follows it',
    version: 'luo-v5+block-v1',
    edits: [BLOCK_FIELD_ADDED, BLOCK_BUMPED],
    modes: ['against HEAD'],
    expect: { exit: 0 },
  },
  {
    name: 'luo-v5+block-v1: block.h bumped, but luo.h spells the old composed string out',
    version: 'luo-v5+block-v1',
    edits: [
      BLOCK_FIELD_ADDED,
      BLOCK_BUMPED,
      edit('#define LUO_ABI_COMPATIBLE\t\\\n\tLUO_ABI_COMPAT_BASE \\\n\tKHO_SUB_COMPAT(KHO_BLOCK_COMPATIBLE)', '#define LUO_ABI_COMPATIBLE\t"luo-v5;block-v1"'),
    ],
    modes: ['against HEAD'],
    expect: { exit: 1, rule: 'LUO009', subject: 'LUO_ABI_COMPATIBLE' },
  },
  // luo-v1: each node's string guards its own structs and properties.
  {
    name: 'luo-v1: a field added to a struct the session string guards',
    version: 'luo-v1',
    edits: [FIELD_ADDED],
    expect: layoutChanged('struct luo_file_ser > flags', 'LUO_FDT_SESSION_COMPATIBLE "luo-session-v2"'),
  },
  {
    name: 'luo-v1: ... covered by bumping the session string',
    version: 'luo-v1',
    edits: [
      FIELD_ADDED,
      edit('#define LUO_FDT_SESSION_COMPATIBLE\t"luo-session-v2"', '#define LUO_FDT_SESSION_COMPATIBLE\t"luo-session-v3"'),
    ],
    modes: ['against HEAD'],
    expect: { exit: 0 },
  },
  {
    name: 'luo-v1: ... not covered by bumping the FLB string',
    version: 'luo-v1',
    edits: [
      FIELD_ADDED,
      edit('#define LUO_FDT_FLB_COMPATIBLE\t"luo-flb-v1"', '#define LUO_FDT_FLB_COMPATIBLE\t"luo-flb-v2"'),
    ],
    modes: ['against HEAD'],
    expect: layoutChanged('struct luo_file_ser > flags', 'LUO_FDT_SESSION_COMPATIBLE "luo-session-v2"'),
  },
  {
    name: 'luo-v1: the FLB property name changed',
    version: 'luo-v1',
    edits: [edit('#define LUO_FDT_FLB_HEADER\t"luo-flb-header"', '#define LUO_FDT_FLB_HEADER\t"luo-flb-head"')],
    expect: layoutChanged('node /luo-flb > luo-flb-head', 'LUO_FDT_FLB_COMPATIBLE "luo-flb-v1"'),
  },
  {
    name: 'luo-v1: the macro that sizes the FLB name changed',
    version: 'luo-v1',
    edits: [edit('#define LIVEUPDATE_FLB_COMPAT_LENGTH\t48', '#define LIVEUPDATE_FLB_COMPAT_LENGTH\t56')],
    expect: layoutChanged('struct luo_flb_ser > name', 'LUO_FDT_FLB_COMPATIBLE "luo-flb-v1"'),
  },
  {
    name: "luo-v1-session-v1: LIVEUPDATE_SESSION_NAME_LENGTH changed in the tree's uapi header",
    version: 'luo-v1-session-v1',
    edits: [edit('#define LIVEUPDATE_SESSION_NAME_LENGTH 64', '#define LIVEUPDATE_SESSION_NAME_LENGTH (48 + 16 + 8)', UAPI)],
    expect: layoutChanged('struct luo_session_ser > name', 'LUO_FDT_SESSION_COMPATIBLE "luo-session-v1"'),
  },
  // memfd.h: the handler string guards the state luo_file_ser.data leads to, and what it embeds.
  // memfd-v2 acknowledges the LUO001 of its own release (the seals' new layout), and only that one.
  {
    name: 'memfd-v2: memfd_luo_folio_ser.pfn narrowed and flags widened, within the same 8 bytes',
    header: 'memfd',
    version: 'memfd-v2',
    edits: [FOLIO_PFN_NARROWED],
    expect: { ...layoutChanged('struct memfd_luo_folio_ser > pfn', MEMFD_V2), message: /changed type from u64:52 to u64:50/ },
  },
  {
    name: 'memfd-v2: memfd_luo_folio_ser.index narrowed to a u32',
    header: 'memfd',
    version: 'memfd-v2',
    edits: [edit('\tu64 flags:12;\n\tu64 index;', '\tu64 flags:12;\n\tu32 index;', MEMFD_HEADER)],
    expect: layoutChanged('struct memfd_luo_folio_ser > index', MEMFD_V2),
  },
  {
    name: 'memfd-v2: the folio bit-fields changed with MEMFD_LUO_FH_COMPATIBLE bumped, against the schema: a version it lacks',
    header: 'memfd',
    version: 'memfd-v2',
    edits: [FOLIO_PFN_NARROWED, MEMFD_BUMPED],
    modes: ['schema'],
    expect: { exit: 1, rule: 'LUO008', subject: HEADER_SHOWN, message: /says MEMFD_LUO_FH_COMPATIBLE "memfd-v3", which no version of the schema says\. The nearest is memfd-v2/ },
  },
  {
    name: 'memfd-v2: the folio bit-fields changed with MEMFD_LUO_FH_COMPATIBLE bumped, against HEAD',
    header: 'memfd',
    version: 'memfd-v2',
    edits: [FOLIO_PFN_NARROWED, MEMFD_BUMPED],
    modes: ['against HEAD'],
    expect: { exit: 0 },
  },
  {
    name: 'memfd-v1: struct kho_vmalloc, which memfd_luo_ser embeds, grew in kexec_handover.h: the handler string must change too',
    header: 'memfd',
    version: 'memfd-v1',
    edits: [edit('\tunsigned short order;\n};', '\tunsigned short order;\n\tu64 extra;\n};', KEXEC_HANDOVER_HEADER)],
    expect: layoutChanged('struct kho_vmalloc > extra', 'MEMFD_LUO_FH_COMPATIBLE "memfd-v1"'),
  },
  // memblock.h: strings only; the kernel writes the property names as literals.
  {
    name: 'memblock-v1: the region string bumped with nothing changed, against HEAD: a warning only',
    header: 'memblock',
    version: 'memblock-v1',
    edits: [REGION_BUMPED],
    modes: ['against HEAD'],
    expect: { exit: 0 },
  },
  {
    name: 'memblock-v1: the region string bumped, against the schema: a version it lacks',
    header: 'memblock',
    version: 'memblock-v1',
    edits: [REGION_BUMPED],
    modes: ['schema'],
    expect: { exit: 1, rule: 'LUO008', subject: HEADER_SHOWN, message: /RESERVE_MEM_KHO_NODE_COMPATIBLE "reserve-mem-v2", which no version of the schema says/ },
  },
];

export interface MutationOutcome {
  readonly status: number;
  /** The --format json report, when check ran to the end (exit 0 or 1). */
  readonly report?: { readonly findings: readonly Finding[]; readonly baseline: string; readonly notes?: readonly string[] };
  readonly stderr: string;
}

/** Checks out the case's version in `repo`, makes its edits, runs check --header in `mode`, and puts the tree back. */
export async function runMutation(repo: KernelRepository, mutation: HeaderMutation, mode: Mode): Promise<MutationOutcome> {
  repo.git('checkout', '-q', mutation.version);
  try {
    for (const e of mutation.edits ?? []) repo.edit(e.path, e.from, e.to);
    for (const [path, { fixture }] of Object.entries(mutation.files ?? {})) writeFileSync(join(repo.root, path), fixtureText(fixture, path));
    const result = await cli('check', '--header', repo.header, '--format', 'json', ...(mode === 'against HEAD' ? ['--against', 'HEAD'] : []));
    return { status: result.status, stderr: result.stderr, ...(result.status <= 1 ? { report: JSON.parse(result.stdout) } : {}) };
  } finally {
    repo.reset();
  }
}
