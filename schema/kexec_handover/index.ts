/**
 * include/linux/kho/abi/kexec_handover.h: the KHO core. Its root FDT names the preserved-memory map
 * and one child per client; the header also gives every client the KHOSER pointer macros and the
 * kho_vmalloc structs that hand a vmalloc area over.
 *
 * Described here: the root node's own properties, the vmalloc structs and the page list they make
 * (kho_vmalloc_area, for the headers whose state holds a vmalloc area), and (from kho-v2) the radix
 * tree of preserved memory, followed down to its leaves; kho-v1's map instead, chunks of bitmaps,
 * whose structs kernel/kexec_handover.c defines (local types: read, never emitted). Each client
 * node's address leads to the state of the client the node is named after.
 */
import {
  anyName,
  array,
  bitmap,
  defineEnum,
  defineExpr,
  defineMacro,
  defineString,
  expr,
  fdtContainer,
  field,
  header,
  khoserPtr,
  node,
  pa,
  pageList,
  physAddr,
  pages,
  pointerProperty,
  struct,
  toBitmapChunks,
  toClient,
  toRadixTree,
  toStruct,
  u64,
  u64Property,
  unsignedInt,
  unsignedShort,
  version,
  type AbiVersion,
  type Aggregate,
  type StringConstant,
} from '../lang.ts';

// ---- Strings and property names

function khoCompatible(value: string): StringConstant {
  return defineString('KHO_FDT_COMPATIBLE', value, { doc: 'Compatible string of the KHO root FDT.' });
}

export const KHO_FDT_MEMORY_MAP_PROP_NAME = defineString('KHO_FDT_MEMORY_MAP_PROP_NAME', 'preserved-memory-map', {
  doc: 'Root property: physical address of the preserved-memory map.',
});

const SUB_TREE_DOC = 'Client node property: physical address of the client state.';
const SUB_TREE_SIZE_DOC = 'Client node property: size in bytes of the client state.';
const KHO_FDT_SUB_TREE_PROP_NAME_FDT = defineString('KHO_FDT_SUB_TREE_PROP_NAME', 'fdt', { doc: 'Client node property: physical address of the client FDT.' });
const KHO_FDT_SUB_TREE_PROP_NAME = defineString('KHO_FDT_SUB_TREE_PROP_NAME', 'preserved-data', { doc: SUB_TREE_DOC });
const KHO_FDT_SUB_TREE_SIZE_PROP_NAME = defineString('KHO_FDT_SUB_TREE_SIZE_PROP_NAME', 'blob-size', { doc: SUB_TREE_SIZE_DOC });
const KHO_SUB_TREE_PROP_NAME = defineString('KHO_SUB_TREE_PROP_NAME', 'preserved-data', { doc: SUB_TREE_DOC });
const KHO_SUB_TREE_SIZE_PROP_NAME = defineString('KHO_SUB_TREE_SIZE_PROP_NAME', 'blob-size', { doc: SUB_TREE_SIZE_DOC });

// ---- KHOSER pointers: a physical address on the wire, a kernel pointer in memory

export const DECLARE_KHOSER_PTR = defineMacro('DECLARE_KHOSER_PTR', ['name', 'type'], 'union { u64 phys; type ptr; } name', {
  doc: 'Declares a member that holds a physical address in the handed-over state and a kernel pointer while a kernel uses it.',
});
export const KHOSER_STORE_PTR = defineMacro(
  'KHOSER_STORE_PTR',
  ['dest', 'val'],
  '({ typeof(val) __kho_val = (val); typecheck(typeof((dest).ptr), __kho_val); (dest).phys = virt_to_phys(__kho_val); })',
  { doc: 'Stores the physical address of a pointer of the member\'s type.' },
);
export const KHOSER_LOAD_PTR = defineMacro(
  'KHOSER_LOAD_PTR',
  ['src'],
  '({ typeof(src) __src = (src); __src.phys ? (typeof(__src.ptr))phys_to_virt(__src.phys) : NULL; })',
  { doc: 'The kernel pointer for a stored physical address, or NULL for 0.' },
);
export const KHOSER_COPY_PTR = defineMacro(
  'KHOSER_COPY_PTR',
  ['dest', 'src'],
  '({ typeof(dest) *__dst = &(dest); typeof(src) *__src = &(src); static_assert(__same_type(__dst->ptr, __src->ptr) || __same_type(__dst->ptr, void *) || __same_type(__src->ptr, void *), "KHOSER_COPY_PTR: the pointer types differ"); __dst->phys = __src->phys; })',
  { doc: 'Copies a stored physical address between members of the same pointer type (or void *).' },
);

// ---- vmalloc areas

export const kho_vmalloc_hdr = struct('kho_vmalloc_hdr', {
  summary: 'Header of one chunk of a preserved vmalloc area.',
  fields: {
    next: field(khoserPtr(toStruct(() => kho_vmalloc_chunk)), 'The next chunk of the list, or 0 for the last.'),
  },
});

export const KHO_VMALLOC_SIZE = defineExpr('KHO_VMALLOC_SIZE', expr`((PAGE_SIZE - sizeof(${kho_vmalloc_hdr})) / sizeof(u64))`, {
  doc: 'Page addresses one chunk holds: the rest of its page after the header.',
});

export const kho_vmalloc_chunk: Aggregate = struct('kho_vmalloc_chunk', {
  summary: 'One page of a preserved vmalloc area\'s page list.',
  description: ['The list of @phys ends at the first 0 or at the end of the chunk; the next chunk follows through @hdr.'],
  fields: {
    hdr: field(kho_vmalloc_hdr, 'Links the chunks of one area.'),
    phys: field(array(u64, KHO_VMALLOC_SIZE), 'Physical addresses of the area\'s page groups, in order; 0 ends the list.'),
  },
});

export const kho_vmalloc = struct('kho_vmalloc', {
  summary: 'A preserved vmalloc area.',
  description: ['Each entry of the chunk list is one group of 1 << @order pages; @total_pages counts the pages of the whole area.'],
  fields: {
    first: field(khoserPtr(toStruct(kho_vmalloc_chunk)), 'The first chunk of the page list, or 0 for an empty area.'),
    total_pages: field(unsignedInt, 'Pages in the area.'),
    flags: field(unsignedShort, 'How the area was allocated.'),
    order: field(unsignedShort, 'Order of each page group the list names.'),
  },
});

/** The page list a struct kho_vmalloc hands over: what a header whose state holds one names in its areaField. */
export const kho_vmalloc_area = pageList({
  descriptor: kho_vmalloc,
  first: 'first',
  chunk: kho_vmalloc_chunk,
  next: 'hdr.next',
  pages: 'phys',
  order: 'order',
  totalPages: 'total_pages',
});

// ---- kho-v1's preserved-memory map: chunks of bitmaps, in structs of kernel/kexec_handover.c

const kho_mem_phys_bits = struct('kho_mem_phys_bits', {
  summary: 'A page of bits, one per preserved page group.',
  description: ['Every group is of the order of the chunk whose entry names the page.'],
  fields: {
    preserve: field(bitmap(expr`PAGE_SIZE * 8`), 'Bit b: the page group b groups past the phys_start of the entry that names this page.'),
  },
});

const khoser_mem_bitmap_ptr = struct('khoser_mem_bitmap_ptr', {
  summary: 'A page of bits and where its bit 0 is.',
  fields: {
    phys_start: field(physAddr, 'Physical address of the page group of bit 0.'),
    bitmap: field(khoserPtr(toStruct(kho_mem_phys_bits)), 'The page of bits.'),
  },
});

const khoser_mem_chunk_hdr = struct('khoser_mem_chunk_hdr', {
  summary: 'Header of a chunk of the preserved-memory map.',
  fields: {
    next: field(khoserPtr(toStruct(() => khoser_mem_chunk)), 'The next chunk, or 0 for the last.'),
    order: field(unsignedInt, 'Page order of the groups every entry of the chunk marks.'),
    num_elms: field(unsignedInt, 'Entries that follow the header.'),
  },
});

const khoser_mem_chunk: Aggregate = struct('khoser_mem_chunk', {
  summary: 'One page of the preserved-memory map.',
  fields: {
    hdr: field(khoser_mem_chunk_hdr, 'Links the chunks, and says their order and entries.'),
    bitmaps: field(array(khoser_mem_bitmap_ptr, expr`(PAGE_SIZE - sizeof(${khoser_mem_chunk_hdr})) / sizeof(${khoser_mem_bitmap_ptr})`), 'The entries.'),
  },
});

/** The orders in ascending order, each from a new chunk; a page of bits per entry. */
const bitmapChunks = toBitmapChunks({
  header: khoser_mem_chunk_hdr,
  next: 'next',
  order: 'order',
  count: 'num_elms',
  entry: khoser_mem_bitmap_ptr,
  start: 'phys_start',
  bitmap: 'bitmap',
  bits: 'preserve',
  block: pages(1),
});

// ---- The radix tree of preserved memory (kho-v2 on)

function radixConsts(depthPlusOne: boolean) {
  return defineEnum(
    'kho_radix_consts',
    {
      KHO_ORDER_0_LOG2: { value: '64 - PAGE_SHIFT', doc: 'Bit of the order marker of an order-0 page, and the width of its shifted address.' },
      KHO_TABLE_SIZE_LOG2: { value: 'const_ilog2(PAGE_SIZE / sizeof(phys_addr_t))', doc: 'Entries of one node, in log2.' },
      KHO_BITMAP_SIZE_LOG2: { value: 'PAGE_SHIFT + const_ilog2(BITS_PER_BYTE)', doc: 'Bits of one leaf, in log2.' },
      KHO_TREE_MAX_DEPTH: {
        value: depthPlusOne
          ? 'DIV_ROUND_UP(KHO_ORDER_0_LOG2 - KHO_BITMAP_SIZE_LOG2 + 1, KHO_TABLE_SIZE_LOG2) + 1'
          : 'DIV_ROUND_UP(KHO_ORDER_0_LOG2 - KHO_BITMAP_SIZE_LOG2, KHO_TABLE_SIZE_LOG2) + 1',
        doc: 'Levels of the tree: the node levels and the leaf level.',
      },
    },
    { doc: 'Radix tree sizes, from the page size.' },
  );
}

function radixTypes(consts: ReturnType<typeof radixConsts>) {
  const node = struct('kho_radix_node', {
    summary: 'A node of the preserved-memory radix tree.',
    description: ['One page of physical addresses of the nodes (or, at level 1, the leaves) of the level below.'],
    fields: {
      table: field(array(u64, expr`1 << ${consts.members.KHO_TABLE_SIZE_LOG2}`), 'Physical addresses of the nodes or leaves of the next level; 0 for none.'),
    },
  });
  const leaf = struct('kho_radix_leaf', {
    summary: 'A leaf of the preserved-memory radix tree.',
    description: ['One page of bits, one per page group of the order that the key encodes.'],
    fields: {
      bitmap: field(bitmap(expr`1 << ${consts.members.KHO_BITMAP_SIZE_LOG2}`), 'One bit per preserved page group of the order the key encodes.'),
    },
  });
  const tree = toRadixTree({ node, table: 'table', leaf, bitmap: 'bitmap', depth: consts.members.KHO_TREE_MAX_DEPTH, order0: consts.members.KHO_ORDER_0_LOG2 });
  return { node, leaf, tree };
}

// ---- Versions

const DOC_TITLE = 'Kexec HandOver ABI';
const INTRO =
  'Kexec HandOver (KHO) hands preserved memory and the state of its clients from one kernel to the next through a Flattened Device Tree: its root names the map of preserved memory, and each client adds a child node that names its own state.';
const NATIVE =
  'Every property holding an address or a size is 8 bytes in the CPU byte order, written with fdt_property(), not big-endian cells.';

function khoVersion(spec: {
  name: string;
  origin: string;
  compatible: string;
  subTreeProps: readonly StringConstant[];
  radix?: 'v2' | 'v4';
  copyPtr?: boolean;
  acknowledges?: AbiVersion['acknowledges'];
}): AbiVersion {
  const compatible = khoCompatible(spec.compatible);
  const consts = spec.radix ? radixConsts(spec.radix === 'v4') : undefined;
  const radix = consts ? radixTypes(consts) : undefined;
  const memoryMap = radix
    ? pointerProperty(KHO_FDT_MEMORY_MAP_PROP_NAME, pa(radix.tree, { nullable: false }), 'Physical address of the root node of the radix tree of preserved memory.')
    : pointerProperty(KHO_FDT_MEMORY_MAP_PROP_NAME, pa(bitmapChunks), 'Physical address of the first chunk of the preserved-memory map (bitmaps per page order), or 0 for none.');
  const [stateProp, sizeProp] = spec.subTreeProps;
  const clientProperties = [
    pointerProperty(stateProp!, pa(toClient(sizeProp ? { size: sizeProp } : {}), { nullable: false }), stateProp!.doc ?? ''),
    ...(sizeProp ? [u64Property(sizeProp, sizeProp.doc ?? '')] : []),
  ];
  return version({
    name: spec.name,
    origin: spec.origin,
    doc: { title: DOC_TITLE, paragraphs: [INTRO, NATIVE] },
    constants: [
      compatible,
      KHO_FDT_MEMORY_MAP_PROP_NAME,
      ...spec.subTreeProps,
      DECLARE_KHOSER_PTR,
      KHOSER_STORE_PTR,
      KHOSER_LOAD_PTR,
      ...(spec.copyPtr ? [KHOSER_COPY_PTR] : []),
      KHO_VMALLOC_SIZE,
      ...(consts ? [consts] : []),
    ],
    types: [kho_vmalloc_hdr, kho_vmalloc_chunk, kho_vmalloc, ...(radix ? [radix.node, radix.leaf] : [])],
    ...(radix ? {} : { localTypes: [kho_mem_phys_bits, khoser_mem_bitmap_ptr, khoser_mem_chunk_hdr, khoser_mem_chunk] }),
    container: fdtContainer({
      root: node({
        compatible,
        doc: 'The KHO root node.',
        properties: [memoryMap],
        children: [
          node({
            name: anyName('client'),
            doc: 'One node per KHO client, named by the client (LUO\'s is "LUO"); it has no string of its own.',
            properties: clientProperties,
            children: [],
          }),
        ],
      }),
    }),
    guard: compatible,
    ...(spec.acknowledges ? { acknowledges: spec.acknowledges } : {}),
  });
}

export const khoV1 = khoVersion({
  name: 'kho-v1',
  origin: 'Mainline: the preserved-memory map as chunks of bitmaps, client FDTs under the "fdt" property.',
  compatible: 'kho-v1',
  subTreeProps: [KHO_FDT_SUB_TREE_PROP_NAME_FDT],
});

export const khoV2 = khoVersion({
  name: 'kho-v2',
  origin: 'Mainline: the preserved-memory map as a radix tree, client state under "preserved-data".',
  compatible: 'kho-v2',
  subTreeProps: [KHO_FDT_SUB_TREE_PROP_NAME],
  radix: 'v2',
});

export const khoV2BlobSize = khoVersion({
  name: 'kho-v2+blob-size',
  origin: 'linux-mm (222ae38): client nodes also say the size of their state, so that any blob can be handed over. The string stayed "kho-v2".',
  compatible: 'kho-v2',
  subTreeProps: [KHO_FDT_SUB_TREE_PROP_NAME, KHO_FDT_SUB_TREE_SIZE_PROP_NAME],
  radix: 'v2',
  acknowledges: [
    {
      rule: 'LUO001',
      reason:
        'upstream added blob-size to every client node and kept "kho-v2"; its reader requires the property, so a kernel of this form cannot take the state of an older kho-v2 kernel, and the string does not say so',
    },
  ],
});

export const khoV4 = khoVersion({
  name: 'kho-v4',
  origin: 'linux-mm (d3b55a6), bumped by "kho: add support for linked-block serialization": renamed client properties, and one more tree level where 16 KiB pages needed it.',
  compatible: 'kho-v4',
  subTreeProps: [KHO_SUB_TREE_PROP_NAME, KHO_SUB_TREE_SIZE_PROP_NAME],
  radix: 'v4',
  copyPtr: true,
});

export const kexecHandoverHeader = header({
  name: 'kexec_handover',
  path: 'include/linux/kho/abi/kexec_handover.h',
  includeGuard: '_LINUX_KHO_ABI_KEXEC_HANDOVER_H',
  spdx: 'GPL-2.0-only',
  copyright: ['Copyright (C) 2023 Alexander Graf <graf@amazon.com>', 'Copyright (C) 2025 Microsoft Corporation, Mike Rapoport <rppt@kernel.org>', 'Copyright (C) 2025 Google LLC, Changyuan Lyu <changyuanl@google.com>', 'Copyright (C) 2025 Google LLC, Jason Miu <jasonmiu@google.com>'],
  versions: [khoV1, khoV2, khoV2BlobSize, khoV4],
  current: 'kho-v4',
});
