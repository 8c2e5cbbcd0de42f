/**
 * include/linux/kho/abi/memblock.h: the reserve_mem regions memblock hands over, so that the next
 * kernel finds each one at the same physical address. A KHO sub-tree holding an FDT: one node per
 * region, named by the region's name on the command line (docs/upstream-notes.md §5).
 *
 * The header names only the strings; mm/memblock.c writes the properties "start" and "size" by
 * literal name, each 8 bytes in the CPU byte order (fdt_property of a phys_addr_t).
 */
import { anyName, defineString, fdtContainer, header, node, u64Property, version } from '../lang.ts';

export const MEMBLOCK_KHO_FDT = defineString('MEMBLOCK_KHO_FDT', 'memblock', { doc: 'Name of the KHO sub-tree that carries the memblock FDT.' });
export const MEMBLOCK_KHO_NODE_COMPATIBLE = defineString('MEMBLOCK_KHO_NODE_COMPATIBLE', 'memblock-v1', { doc: 'Compatible string of the memblock FDT root node.' });
export const RESERVE_MEM_KHO_NODE_COMPATIBLE = defineString('RESERVE_MEM_KHO_NODE_COMPATIBLE', 'reserve-mem-v1', { doc: 'Compatible string of each reserve_mem region node.' });

export const memblockV1 = version({
  name: 'memblock-v1',
  origin: 'Mainline (c17ee63): reserve_mem regions, one FDT node each.',
  doc: {
    title: 'memblock reserve_mem handover ABI',
    paragraphs: [
      'Memblock hands the regions reserved with the reserve_mem= command line option over to the next kernel, which takes each one back at the same physical address instead of reserving it afresh. They travel in a Flattened Device Tree under the KHO sub-tree MEMBLOCK_KHO_FDT: one node per region, named by the name the command line gave it.',
      'start and size are each 8 bytes in the CPU byte order, written with fdt_property(), not the big-endian 32-bit cells a device tree usually holds: read as cells, a start of 0xc06b04000000 written by a little-endian kernel shows as <0x04 0x6bc00000>, not <0xc06b 0x4000000>.',
    ],
  },
  constants: [MEMBLOCK_KHO_FDT, MEMBLOCK_KHO_NODE_COMPATIBLE, RESERVE_MEM_KHO_NODE_COMPATIBLE],
  types: [],
  container: fdtContainer({
    khoEntry: MEMBLOCK_KHO_FDT,
    root: node({
      compatible: MEMBLOCK_KHO_NODE_COMPATIBLE,
      doc: 'The memblock root node.',
      properties: [],
      children: [
        node({
          name: anyName('region'),
          compatible: RESERVE_MEM_KHO_NODE_COMPATIBLE,
          doc: 'One node per reserve_mem region, named by the region\'s name on the command line.',
          properties: [
            u64Property('start', 'Physical address of the region.'),
            u64Property('size', 'Size of the region in bytes.'),
          ],
          children: [],
        }),
      ],
    }),
  }),
});

export const memblockHeader = header({
  name: 'memblock',
  path: 'include/linux/kho/abi/memblock.h',
  includeGuard: '_LINUX_KHO_ABI_MEMBLOCK_H',
  spdx: 'GPL-2.0',
  copyright: [],
  versions: [memblockV1],
  current: 'memblock-v1',
});
