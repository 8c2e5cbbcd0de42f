/**
 * For the check tests: a copy of the project's schema and lock file in a scratch directory, and a
 * next version, luo-v5, written out in full (a copy of luo-v4) that each test edits as text, the way a
 * kernel developer would edit the schema.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, sep } from 'node:path';
import { ROOT, scratchDir } from './support/tools.ts';

const SCHEMA = join(ROOT, 'schema');
const LANG = 'lang.ts';

export interface SchemaCopy {
  readonly dir: string;
  readonly schemaPath: string;
  readonly lockPath: string;
}

/** Each TypeScript file of the project's schema (its path under schema/), and the schema files it imports. */
const SCHEMA_IMPORTS: ReadonlyMap<string, readonly string[]> = new Map(
  readdirSync(SCHEMA, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.split(sep).join('/'))
    .map((file) => [file, [...readFileSync(join(SCHEMA, file), 'utf8').matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)'/g)].map((m) => posix.join(posix.dirname(file), m[1]!))]),
);

/** How a file of a copy that is still the project's starts: it re-exports the project's file. */
const STUB = '// The project\'s file, re-exported: this copy has not edited it.\n';

function stub(file: string): string {
  const original = join(SCHEMA, file);
  const hasDefault = /^export default /m.test(readFileSync(original, 'utf8'));
  return `${STUB}export * from ${JSON.stringify(original)};\n${hasDefault ? `export { default } from ${JSON.stringify(original)};\n` : ''}`;
}

/**
 * A copy of the project's schema whose files re-export the project's own (as a user's schema imports
 * luo-abi's lang.ts) until a test edits one: then that file, and every file that imports it, directly
 * or not, becomes a copy of the project's text, so that they see the edit. Every file a test does not
 * edit is the project's module, already loaded, where vitest transformed and ran each copied file again.
 */
export function copySchema(prefix: string): SchemaCopy {
  const dir = scratchDir(prefix);
  for (const file of SCHEMA_IMPORTS.keys()) {
    mkdirSync(dirname(join(dir, 'schema', file)), { recursive: true });
    writeFileSync(join(dir, 'schema', file), stub(file));
  }
  const lockPath = join(dir, 'abi.lock.json');
  copyFileSync(join(SCHEMA, 'abi.lock.json'), lockPath);
  return { dir, schemaPath: join(dir, 'schema/index.ts'), lockPath };
}

/** Makes a file of the copy its own (the project's text), and every file that imports it. */
function ownFile(copy: SchemaCopy, file: string): void {
  const path = join(copy.dir, 'schema', file);
  if (file === LANG || !readFileSync(path, 'utf8').startsWith(STUB)) return;
  writeFileSync(path, readFileSync(join(SCHEMA, file)));
  for (const [importer, imports] of SCHEMA_IMPORTS) if (imports.includes(file)) ownFile(copy, importer);
}

/** The text of a file of the copy, made its own first. */
export function readSchemaFile(copy: SchemaCopy, file: string): string {
  if (SCHEMA_IMPORTS.has(file)) ownFile(copy, file);
  return readFileSync(join(copy.dir, 'schema', file), 'utf8');
}

/** Writes a file of the copy, a new one or one of the project's; the files that import it become the copy's own. */
export function writeSchemaFile(copy: SchemaCopy, file: string, text: string): void {
  if (SCHEMA_IMPORTS.has(file)) ownFile(copy, file);
  writeFileSync(join(copy.dir, 'schema', file), text);
}

/** Replaces `from` (which must occur exactly once) in a file of the copy. */
export function edit(copy: SchemaCopy, file: string, from: string, to: string): void {
  const text = readSchemaFile(copy, file);
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`${file}: expected exactly one "${from}"`);
  writeSchemaFile(copy, file, text.slice(0, at) + to + text.slice(at + from.length));
}

/**
 * Adds luo-next (NEXT_VERSION, in schema/luo/next.ts) to the copy, right after luo-v4, the FDT form
 * it grows from: the raw forms after it are another container, so luo-v4 is what it is compared with.
 */
export function addNextVersion(copy: SchemaCopy, source: string = NEXT_VERSION): void {
  writeSchemaFile(copy, 'luo/next.ts', source);
  edit(copy, 'luo/index.ts', "import { luoV1, luoV1SessionV1, luoV1SessionV2, luoV2, luoV3, luoV4 } from './versions.ts';", "import { luoV1, luoV1SessionV1, luoV1SessionV2, luoV2, luoV3, luoV4 } from './versions.ts';\nimport { luoNext } from './next.ts';");
  edit(copy, 'luo/index.ts', 'luoV3, luoV4, luoV5, luoV5Composed],', 'luoV3, luoV4, luoNext, luoV5, luoV5Composed],');
}

/** Replaces `from` (exactly once) in a source text. */
export function replaceOnce(source: string, from: string, to: string): string {
  const at = source.indexOf(from);
  if (at < 0 || source.indexOf(from, at + 1) >= 0) throw new Error(`expected exactly one "${from}"`);
  return source.slice(0, at) + to + source.slice(at + from.length);
}

/**
 * The structs every written-out LUO version below has alike (luo_session_ser, the FLB header and entry),
 * as source text; luo_session_ser holds the `file_set` each version defines before it.
 */
export const SESSION_AND_FLB = `const session = struct('luo_session_ser', {
  packed: true,
  summary: 'Serialised state of one session.',
  fields: {
    name: field(chars(LIVEUPDATE_SESSION_NAME_LENGTH), 'Name of the session.'),
    file_set_ser: field(file_set, 'The files of the session.'),
  },
});

const flb_header = struct('luo_flb_header_ser', {
  packed: true,
  summary: 'Header of the FLB block.',
  fields: {
    pgcnt: field(u64, 'Size of the whole block in pages.'),
    count: field(u64, 'Number of entries that follow.'),
  },
});

const flb = struct('luo_flb_ser', {
  packed: true,
  summary: 'Serialised state of one FLB.',
  fields: {
    name: field(chars(LIVEUPDATE_FLB_COMPAT_LENGTH), 'Compatible string of the FLB.'),
    data: field(u64, 'Opaque handle of the FLB.'),
    count: field(u64, 'Number of files that depended on it.'),
  },
});

`;

/**
 * luo-v4 written out in full under the name luo-next, still with the string "luo-v4". It imports more
 * than it uses so that the tests' edits (s64, u32, u64Property, new constants) need no import edits.
 */
export const NEXT_VERSION = `
import { chars, fdtContainer, field, node, pa, pages, pagesIn, pointerProperty, s64, selectedBy, struct, toChain, toHeaderArray, toStruct, u32, u64, u64Property, version, defineNumber, defineString } from '../lang.ts';
import {
  LIVEUPDATE_FLB_COMPAT_LENGTH,
  LIVEUPDATE_HNDL_COMPAT_LENGTH,
  LIVEUPDATE_SESSION_NAME_LENGTH,
  LUO_FDT_ABI_HEADER,
  LUO_FDT_KHO_ENTRY_NAME,
  LUO_FDT_SIZE,
  LIVEUPDATE_TEST_FLB_COMPATIBLE,
  fdtCompatible,
} from './constants.ts';

const COMPATIBLE = 'luo-v4';
const ABI_HEADER = LUO_FDT_ABI_HEADER;
const KHO_ENTRY_NAME = LUO_FDT_KHO_ENTRY_NAME;
const EXTRA_CONSTANTS = [];

const block_header = struct('luo_block_header_ser', {
  packed: true,
  summary: 'Header of one block in a chain of blocks.',
  fields: {
    next: field(u64, 'Physical address of the next block, or 0.'),
    count: field(u64, 'Number of entries in this block.'),
  },
});

const file = struct('luo_file_ser', {
  packed: true,
  summary: 'Serialised state of one preserved file.',
  fields: {
    compatible: field(chars(LIVEUPDATE_HNDL_COMPAT_LENGTH), 'Compatible string of the file handler.'),
    data: field(pa(selectedBy('compatible')), 'Opaque value of the file handler.'),
    token: field(u64, 'Token userspace gave the file.'),
  },
});

const file_set = struct('luo_file_set_ser', {
  packed: true,
  summary: 'Serialised state of the files of one session.',
  fields: {
    files: field(pa(toChain({ header: block_header, next: 'next', count: 'count', entry: file, block: pages(2), total: 'count' })), 'First block of files.'),
    count: field(u64, 'Total number of files in the set.'),
  },
});

${SESSION_AND_FLB}const root = struct('luo_ser', {
  packed: true,
  summary: 'The root of the LUO state handed to the next kernel.',
  fields: {
    liveupdate_num: field(u64, 'Number of live updates so far.'),
    sessions_pa: field(pa(toChain({ header: block_header, next: 'next', count: 'count', entry: session, block: pages(2) })), 'First block of sessions.'),
    flbs_pa: field(pa(toHeaderArray({ header: flb_header, count: 'count', entry: flb, block: pagesIn(flb_header, 'pgcnt') })), 'The FLB block.'),
  },
});

export const luoNext = version({
  name: 'luo-next',
  origin: 'The next version, for the check tests.',
  doc: { title: 'Live Update Orchestrator ABI', paragraphs: ['The next version of the LUO ABI.'] },
  constants: [LUO_FDT_SIZE, KHO_ENTRY_NAME, fdtCompatible(COMPATIBLE), ABI_HEADER, LIVEUPDATE_SESSION_NAME_LENGTH, LIVEUPDATE_HNDL_COMPAT_LENGTH, LIVEUPDATE_FLB_COMPAT_LENGTH, LIVEUPDATE_TEST_FLB_COMPATIBLE, ...EXTRA_CONSTANTS],
  types: [root, block_header, file, file_set, session, flb_header, flb],
  container: fdtContainer({
    khoEntry: KHO_ENTRY_NAME,
    maxSize: LUO_FDT_SIZE,
    root: node({
      compatible: fdtCompatible(COMPATIBLE),
      doc: 'The LUO root node.',
      properties: [pointerProperty(ABI_HEADER, pa(toStruct(root), { nullable: false }), 'Physical address of struct luo_ser.')],
      children: [],
    }),
  }),
});
`;
