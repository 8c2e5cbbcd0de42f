/**
 * The serialised structs of LUO. Where a struct's layout never changed it is defined once; where
 * only what a pointer points at changed (luo_file_set_ser.files in luo-v4), a small factory takes the
 * pointer target, so each version states exactly what its pointers mean.
 */
import {
  chars,
  field,
  pa,
  pages,
  pagesIn,
  selectedBy,
  struct,
  toArray,
  toChain,
  toHeaderArray,
  u64,
  type Aggregate,
  type PointerTarget,
} from '../lang.ts';
import { kho_block_header_ser } from '../block/index.ts';
import {
  LIVEUPDATE_FLB_COMPAT_LENGTH,
  LIVEUPDATE_HNDL_COMPAT_LENGTH,
  LIVEUPDATE_SESSION_NAME_LENGTH,
} from './constants.ts';

/** Pages of the one block holding the session header and every session (luo-v1, luo-v2). */
export const SESSION_ARRAY_PAGES = 16;
/** Pages of the flat array of a session's files (up to luo-v3). */
export const FILE_ARRAY_PAGES = 2;
/** Pages of each block of a luo_block_header_ser chain (luo-v3 and luo-v4: LUO_BLOCK_PGCNT). */
export const LUO_BLOCK_PAGES = 2;
/** Pages of each block of a kho_block_header_ser chain (luo-v5 on: KHO_BLOCK_SIZE, one page). */
const KHO_BLOCK_PAGES = 1;

export const luo_file_ser = struct('luo_file_ser', {
  packed: true,
  summary: 'Serialised state of one preserved file.',
  description: [
    'One entry per file a session preserved. The file handler named by @compatible retrieves the file in the next kernel from @data.',
  ],
  fields: {
    compatible: field(chars(LIVEUPDATE_HNDL_COMPAT_LENGTH), 'Compatible string of the file handler that preserved the file.'),
    data: field(pa(selectedBy('compatible')), 'Opaque value the file handler saved to find its state again; for the handlers the schema knows, the physical address of their state.'),
    token: field(u64, 'Token userspace gave the file when it preserved it.'),
  },
});

/** What `luo_file_set_ser.files` points at: one flat array (up to luo-v3). */
export const filesAsArray = toArray({ entry: luo_file_ser, count: 'count', block: pages(FILE_ARRAY_PAGES) });

export function fileSetSer(files: PointerTarget, filesDoc: string): Aggregate {
  return struct('luo_file_set_ser', {
    packed: true,
    summary: 'Serialised state of the files of one session.',
    description: ['Embedded in struct luo_session_ser; @count is 0 and @files is 0 when the session has no files.'],
    fields: {
      files: field(pa(files), filesDoc),
      count: field(u64, 'Total number of files in the set.'),
    },
  });
}

export const luo_session_header_ser = struct('luo_session_header_ser', {
  packed: true,
  summary: 'Header of the session block.',
  description: [
    'Directly followed in the same block by @count entries of struct luo_session_ser. The block is allocated as a whole number of pages.',
  ],
  fields: {
    count: field(u64, 'Number of struct luo_session_ser entries that follow.'),
  },
});

export const luo_block_header_ser = struct('luo_block_header_ser', {
  packed: true,
  summary: 'Header of one block in a chain of blocks.',
  description: [
    'Directly followed in the same block by @count entries. Blocks are linked through @next; the entries of one block never cross into another.',
  ],
  fields: {
    next: field(u64, 'Physical address of the next block of the chain, or 0 for the last block.'),
    count: field(u64, 'Number of entries in this block.'),
  },
});

/** The earliest session entry: a name only (luo-session-v1). */
export const luo_session_ser_name_only = struct('luo_session_ser', {
  packed: true,
  summary: 'Serialised state of one session.',
  description: ['Identifies a session preserved across the live update by its name.'],
  fields: {
    name: field(chars(LIVEUPDATE_SESSION_NAME_LENGTH), 'Name of the session, NUL-terminated.'),
  },
});

export function sessionSer(fileSet: Aggregate): Aggregate {
  return struct('luo_session_ser', {
    packed: true,
    summary: 'Serialised state of one session.',
    description: ['Identifies a session preserved across the live update and the files it holds.'],
    fields: {
      name: field(chars(LIVEUPDATE_SESSION_NAME_LENGTH), 'Name of the session, NUL-terminated.'),
      file_set_ser: field(fileSet, 'The files preserved in this session.'),
    },
  });
}

export const luo_flb_header_ser = struct('luo_flb_header_ser', {
  packed: true,
  summary: 'Header of the FLB block.',
  description: [
    'Directly followed in the same block by @count entries of struct luo_flb_ser. An FLB (File-Lifecycle-Bound object) is a global object whose life is tied to the preserved files that use it.',
  ],
  fields: {
    pgcnt: field(u64, 'Size of the whole block in pages, this header included.'),
    count: field(u64, 'Number of struct luo_flb_ser entries that follow.'),
  },
});

export const luo_flb_ser = struct('luo_flb_ser', {
  packed: true,
  summary: 'Serialised state of one FLB.',
  description: ['The FLB named by @name retrieves its state in the next kernel from @data.'],
  fields: {
    name: field(chars(LIVEUPDATE_FLB_COMPAT_LENGTH), 'Compatible string of the FLB.'),
    data: field(u64, 'Opaque handle returned by the FLB when it was preserved.'),
    count: field(u64, 'Number of preserved files that depended on the FLB.'),
  },
});

export const flbBlock = toHeaderArray({
  header: luo_flb_header_ser,
  count: 'count',
  entry: luo_flb_ser,
  block: pagesIn(luo_flb_header_ser, 'pgcnt'),
});

export function sessionBlock(session: Aggregate) {
  return toHeaderArray({
    header: luo_session_header_ser,
    count: 'count',
    entry: session,
    block: pages(SESSION_ARRAY_PAGES),
  });
}

export function sessionChain(session: Aggregate) {
  return toChain({
    header: luo_block_header_ser,
    next: 'next',
    count: 'count',
    entry: session,
    block: pages(LUO_BLOCK_PAGES),
  });
}

export function luoSer(sessions: PointerTarget, sessionsDoc: string): Aggregate {
  return struct('luo_ser', {
    packed: true,
    summary: 'The root of the LUO state handed to the next kernel.',
    description: [
      'The FDT property LUO_FDT_ABI_HEADER holds the physical address of this struct. It holds the live update counter and the physical addresses of the session and FLB state.',
    ],
    fields: {
      liveupdate_num: field(u64, 'Number of live updates performed so far, this one included.'),
      sessions_pa: field(pa(sessions), sessionsDoc),
      flbs_pa: field(pa(flbBlock), 'Physical address of struct luo_flb_header_ser, or 0 if there are no FLBs.'),
    },
  });
}

/** luo-v1 to luo-v3: the files of a session are one flat array. */
export const luo_file_set_ser_array = fileSetSer(
  filesAsArray,
  'Physical address of an array of @count struct luo_file_ser, or 0 if the set is empty.',
);
export const luo_session_ser = sessionSer(luo_file_set_ser_array);

/** luo-v4: the files of a session are a chain of blocks; @count stays the total. */
export const filesAsChain = toChain({
  header: luo_block_header_ser,
  next: 'next',
  count: 'count',
  entry: luo_file_ser,
  block: pages(LUO_BLOCK_PAGES),
  total: 'count',
});
export const luo_file_set_ser_chain = fileSetSer(
  filesAsChain,
  'Physical address of the first struct luo_block_header_ser of a chain of blocks of struct luo_file_ser, or 0 if the set is empty.',
);
export const luo_session_ser_v4 = sessionSer(luo_file_set_ser_chain);

/**
 * The sessions of the forms kept in a raw KHO entry (luo-v5 on, and the feature forms): the sessions,
 * and each session's files (`fileEntry`), in chains of kho_block_header_ser blocks. What they share
 * of luo_ser is the `sessions_pa` field, returned with the structs it leads to.
 */
export function khoBlockSessions(fileEntry: Aggregate) {
  const fileSet = fileSetSer(
    toChain({ header: kho_block_header_ser, next: 'next', count: 'count', entry: fileEntry, block: pages(KHO_BLOCK_PAGES), total: 'count' }),
    'Physical address of the first struct kho_block_header_ser of a chain of blocks of struct luo_file_ser, or 0 if the set is empty.',
  );
  const session = sessionSer(fileSet);
  const sessionsPa = field(
    pa(toChain({ header: kho_block_header_ser, next: 'next', count: 'count', entry: session, block: pages(KHO_BLOCK_PAGES) })),
    'Physical address of the first struct kho_block_header_ser of the chain of session blocks, or 0 if there are no sessions.',
  );
  return { fileSet, session, sessionsPa };
}
