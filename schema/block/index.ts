/**
 * include/linux/kho/abi/block.h: the header of one block in a chain of page-sized blocks, which
 * several KHO clients use for arrays of any length. It first had no string of its own (the strings of
 * the headers that use it had to change with it); the composed-string RFC gave it KHO_BLOCK_COMPATIBLE.
 */
import { defineExpr, defineString, field, header, struct, u64, version } from '../lang.ts';

export const KHO_BLOCK_SIZE = defineExpr('KHO_BLOCK_SIZE', 'PAGE_SIZE', {
  doc: 'Size of one block. A page: KHO hands state over only between kernels of the same page size.',
});

export const KHO_BLOCK_COMPATIBLE = defineString('KHO_BLOCK_COMPATIBLE', 'block-v1', {
  doc: 'Compatible string of the block layout, composed into the strings of the headers that use it.',
});

export const kho_block_header_ser = struct('kho_block_header_ser', {
  packed: true,
  summary: 'Header of one block in a chain of blocks.',
  description: [
    'Starts a block of KHO_BLOCK_SIZE bytes and is directly followed in it by @count entries. Blocks are linked through @next; the entries of one block never cross into another.',
  ],
  fields: {
    next: field(u64, 'Physical address of the next block of the chain, or 0 for the last block.'),
    count: field(u64, 'Number of entries in this block.'),
  },
});

const DOC_TITLE = 'KHO serialization blocks';
const INTRO =
  'A chain of blocks holds an array of any length: each block starts with struct kho_block_header_ser, is followed by its entries, and names the next block by its physical address.';

export const blockV0 = version({
  name: 'block-v0',
  origin: 'Patch "kho: add support for linked-block serialization" (applied 0349ff2). No string of its own: named v0 here.',
  doc: { title: DOC_TITLE, paragraphs: [INTRO, 'This form has no compatible string: every header that uses the block header must change its own string when the block header changes.'] },
  constants: [KHO_BLOCK_SIZE],
  types: [kho_block_header_ser],
});

export const blockV1 = version({
  name: 'block-v1',
  origin: 'The RFC "kho: granular compatibility and header decoupling" (linux-mm 8c8e793): block.h gets its own string.',
  doc: { title: DOC_TITLE, paragraphs: [INTRO, 'KHO_BLOCK_COMPATIBLE guards the block header; headers that use it compose that string into their own.'] },
  constants: [KHO_BLOCK_COMPATIBLE, KHO_BLOCK_SIZE],
  types: [kho_block_header_ser],
  guard: KHO_BLOCK_COMPATIBLE,
});

export const blockHeader = header({
  name: 'block',
  path: 'include/linux/kho/abi/block.h',
  includeGuard: '_LINUX_KHO_ABI_BLOCK_H',
  spdx: 'GPL-2.0',
  copyright: ['Copyright (c) 2026, Google LLC.', 'Pasha Tatashin <pasha.tatashin@soleen.com>'],
  versions: [blockV0, blockV1],
  current: 'block-v1',
});
