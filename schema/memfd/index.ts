/**
 * include/linux/kho/abi/memfd.h: the state of a memfd preserved through LUO. The file's entry in its
 * session names the memfd handler by MEMFD_LUO_FH_COMPATIBLE and holds the physical address of struct
 * memfd_luo_ser; the folios are listed in an array handed over as a vmalloc area (struct kho_vmalloc of
 * kexec_handover.h).
 *
 * Versions (docs/upstream-notes.md §4 and the section on memfd.h at its end):
 * - memfd-v1: mainline 32cb272 (later ac2d810 includes the kho/abi header instead of
 *   <linux/kexec_handover.h>, same bytes).
 * - memfd-v2+seals-bitfield: "[PATCH 2/2] mm: memfd_luo: preserve file seals" (mail
 *   20260123095854.535058-3), in mm-based trees (sjp38/linux ec4967c, samikhawaja/linux 8f2c787): an
 *   8-bit seals bit-field in a u64.
 * - memfd-v2: mainline 8a552d6 (the patch's v2, 20260216185946.1215770-3): u32 seals and u32 flags,
 *   the same string. linux-mm 873e8b5 has the same bytes and also includes vmalloc.h.
 *
 * Not described: the RFC forms under include/linux/liveupdate/abi/memfd.h (an FDT per file, or a
 * packed u64 folio descriptor with the PFN above 12 flag bits), both "memfd-v1"; the composed
 * "memfd-v2;vmalloc-v1" (needs vmalloc.h in the family).
 *
 * memfd-features: the feature-negotiated form (docs/upstream-notes.md §4, idx:62298950193, its commit
 * not shown): no compatible string; the handler is found by its name "memfd" (luo-features-named's
 * luo_file_ser.name) and struct memfd_luo_ser opens with LUO's struct luo_feature_hdr.
 */
import { kho_vmalloc_area, khoV1, khoV2 } from '../kexec_handover/index.ts';
import {
  areaField,
  bits,
  defineExpr,
  defineFeatureBit,
  dependsOn,
  features,
  defineNumber,
  defineString,
  expr,
  field,
  header,
  reachedFrom,
  struct,
  toStruct,
  u32,
  u64,
  version,
  type AbiVersion,
  type Aggregate,
  type FieldDef,
} from '../lang.ts';
import { luo_feature_hdr, luo_file_ser_named, luoFeatureHeader, luoFeaturesNamed } from '../luo/features.ts';
import { luo_file_ser } from '../luo/structs.ts';

// ---- Constants

export const MEMFD_LUO_FH_COMPATIBLE = defineString('MEMFD_LUO_FH_COMPATIBLE', 'memfd-v1', {
  doc: 'Compatible string of the memfd file handler, which the file\'s entry in its LUO session names.',
});
const MEMFD_LUO_FH_COMPATIBLE_V2 = defineString('MEMFD_LUO_FH_COMPATIBLE', 'memfd-v2', { doc: MEMFD_LUO_FH_COMPATIBLE.doc! });

export const MEMFD_LUO_FOLIO_DIRTY = defineExpr('MEMFD_LUO_FOLIO_DIRTY', 'BIT(0)', {
  doc: 'Folio flag: the folio holds data written to the file (a folio only allocated, by fallocate() say, has not).',
});
export const MEMFD_LUO_FOLIO_UPTODATE = defineExpr('MEMFD_LUO_FOLIO_UPTODATE', 'BIT(1)', {
  doc: 'Folio flag: the folio\'s contents are valid (it has been zeroed or written); without it the next kernel zeroes the folio before use.',
});

/** The seals of the uAPI (include/uapi/linux/fcntl.h), which memfd-v2 hands over as they are. */
const FCNTL = '<uapi/linux/fcntl.h>';
const F_SEAL_SEAL = defineNumber('F_SEAL_SEAL', 0x0001, { include: FCNTL, doc: 'No further seal may be added.' });
const F_SEAL_SHRINK = defineNumber('F_SEAL_SHRINK', 0x0002, { include: FCNTL, doc: 'The file may not shrink.' });
const F_SEAL_GROW = defineNumber('F_SEAL_GROW', 0x0004, { include: FCNTL, doc: 'The file may not grow.' });
const F_SEAL_WRITE = defineNumber('F_SEAL_WRITE', 0x0008, { include: FCNTL, doc: 'The file may not be written.' });
const F_SEAL_FUTURE_WRITE = defineNumber('F_SEAL_FUTURE_WRITE', 0x0010, { include: FCNTL, doc: 'No new writable mapping or write.' });
const F_SEAL_EXEC = defineNumber('F_SEAL_EXEC', 0x0020, { include: FCNTL, doc: 'The file\'s exec bits may not change.' });

export const MEMFD_LUO_ALL_SEALS = defineExpr(
  'MEMFD_LUO_ALL_SEALS',
  expr`(${F_SEAL_SEAL} | ${F_SEAL_SHRINK} | ${F_SEAL_GROW} | ${F_SEAL_WRITE} | ${F_SEAL_FUTURE_WRITE} | ${F_SEAL_EXEC})`,
  { doc: 'The seals this version hands over. A memfd with any other seal is refused; a new seal needs a new version, for its meaning is new.' },
);

// ---- Structs

export const memfd_luo_folio_ser = struct('memfd_luo_folio_ser', {
  packed: true,
  summary: 'One folio of a preserved memfd.',
  description: [
    '@pfn and @flags share the first 8 bytes as bit-fields, placed as the compiler places them: with gcc on a little-endian machine @pfn is bits 0-51 and @flags bits 52-63.',
  ],
  fields: {
    pfn: field(bits(u64, 52), 'Page frame number of the folio; 0 for an entry that holds no folio.'),
    flags: field(bits(u64, 12), 'MEMFD_LUO_FOLIO_DIRTY and MEMFD_LUO_FOLIO_UPTODATE.'),
    index: field(u64, 'Offset of the folio in the file, in pages.'),
  },
});

const pos = field(u64, 'The file position.');
const size = field(u64, 'The file size in bytes.');
const nrFolios = field(u64, 'Number of entries in the folio array; 0 for an empty file.');
const folios = areaField(
  kho_vmalloc_area,
  { entry: memfd_luo_folio_ser, count: 'nr_folios' },
  'The preserved vmalloc area holding the array of @nr_folios struct memfd_luo_folio_ser; all zero when the file is empty.',
);

function memfdLuoSer(middle: { readonly [name: string]: FieldDef }): Aggregate {
  return struct('memfd_luo_ser', {
    packed: true,
    summary: 'The state of one preserved memfd.',
    description: ['The address in the file\'s entry in its LUO session leads here; the memory is a preserved allocation of its own.'],
    fields: { pos, size, ...middle, nr_folios: nrFolios, folios },
  });
}

const memfd_luo_ser_v1 = memfdLuoSer({});

const memfd_luo_ser_seals_bitfield = memfdLuoSer({
  seals: field(bits(u64, 8), 'The seals of the file, as the uAPI numbers them.'),
  __reserved: field(bits(u64, 56), 'Reserved, 0.'),
});

const memfd_luo_ser_v2 = memfdLuoSer({
  seals: field(u32, 'The seals of the file, as the uAPI numbers them; only those of MEMFD_LUO_ALL_SEALS.'),
  flags: field(u32, 'Flags of the file; none is defined yet, so 0.'),
});

// ---- Versions

const DOC_TITLE = 'memfd preservation ABI';
const INTRO =
  'A memfd preserved across a live update reaches the next kernel through the Live Update Orchestrator (LUO): the file\'s entry in its session names the memfd handler by its compatible string, and the address beside it leads to struct memfd_luo_ser.';
const FOLIOS =
  'The file\'s folios are listed in an array of struct memfd_luo_folio_ser that lives in a preserved vmalloc area, handed over by the struct kho_vmalloc of kexec_handover.h embedded in struct memfd_luo_ser. The next kernel restores each listed folio at its index in the file.';

function memfdVersion(spec: {
  name: string;
  origin: string;
  compatible: typeof MEMFD_LUO_FH_COMPATIBLE;
  uses: readonly AbiVersion[];
  memfdSer: Aggregate;
  seals?: string;
  allSeals?: boolean;
  acknowledges?: AbiVersion['acknowledges'];
}): AbiVersion {
  return version({
    name: spec.name,
    origin: spec.origin,
    doc: { title: DOC_TITLE, paragraphs: [INTRO, FOLIOS, ...(spec.seals ? [spec.seals] : [])] },
    uses: spec.uses,
    constants: [
      MEMFD_LUO_FOLIO_DIRTY,
      MEMFD_LUO_FOLIO_UPTODATE,
      ...(spec.allSeals ? [F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE, F_SEAL_EXEC, MEMFD_LUO_ALL_SEALS] : []),
      spec.compatible,
    ],
    types: [memfd_luo_folio_ser, spec.memfdSer],
    container: reachedFrom({ from: luo_file_ser, field: 'data', selector: 'compatible', compatible: spec.compatible, target: toStruct(spec.memfdSer) }),
    guard: spec.compatible,
    ...(spec.acknowledges ? { acknowledges: spec.acknowledges } : {}),
  });
}

export const memfdV1 = memfdVersion({
  name: 'memfd-v1',
  origin: 'Mainline (32cb272): position, size and folios.',
  compatible: MEMFD_LUO_FH_COMPATIBLE,
  uses: [khoV1],
  memfdSer: memfd_luo_ser_v1,
});

export const memfdV2SealsBitfield = memfdVersion({
  name: 'memfd-v2+seals-bitfield',
  origin: 'The first revision of "mm: memfd_luo: preserve file seals" (mail 20260123095854.535058-3, in mm-based trees such as sjp38/linux ec4967c): the seals as an 8-bit bit-field of a u64.',
  compatible: MEMFD_LUO_FH_COMPATIBLE_V2,
  uses: [khoV2],
  memfdSer: memfd_luo_ser_seals_bitfield,
  seals: 'The seals of the file travel with it, and the next kernel puts them back on the new memfd.',
});

export const memfdV2 = memfdVersion({
  name: 'memfd-v2',
  origin: 'Mainline (8a552d6), the second revision of "mm: memfd_luo: preserve file seals": the seals as a u32, and a u32 of flags.',
  compatible: MEMFD_LUO_FH_COMPATIBLE_V2,
  uses: [khoV2],
  memfdSer: memfd_luo_ser_v2,
  seals: 'The seals of the file travel with it, and the next kernel puts them back on the new memfd; a seal outside MEMFD_LUO_ALL_SEALS makes the file one this version cannot hand over.',
  allSeals: true,
  acknowledges: [
    {
      rule: 'LUO001',
      reason:
        'the second revision of the seals patch replaced the 8-bit seals bit-field and its 56 reserved bits with a u32 of seals and a u32 of flags, and kept "memfd-v2"; on a little-endian machine the seals keep their byte and both write 0 around it, but the string does not say which layout a kernel wrote',
    },
  ],
});

// ---- The feature-negotiated form

const MEMFD_LUO_FH_NAME = defineString('MEMFD_LUO_FH_NAME', 'memfd', { doc: 'Name of the memfd file handler, which the file\'s entry in its LUO session holds.' });
const MEMFD_LUO_FEATURE_SEALS = defineFeatureBit('MEMFD_LUO_FEATURE_SEALS', 0, { doc: 'The payload carries the seals of the file.' });
const MEMFD_LUO_FEATURE_FOLIOS = defineFeatureBit('MEMFD_LUO_FEATURE_FOLIOS', 1, { doc: 'The payload carries the folios of the file.' });
const MEMFD_BITS = [MEMFD_LUO_FEATURE_SEALS, MEMFD_LUO_FEATURE_FOLIOS];
const memfdMask = (name: string, doc: string) => defineExpr(name, expr`(${MEMFD_LUO_FEATURE_SEALS} | ${MEMFD_LUO_FEATURE_FOLIOS})`, { doc });
const MEMFD_LUO_FEATURES_SUPP = memfdMask('MEMFD_LUO_FEATURES_SUPP', 'Features of the memfd handler this kernel supports.');
const MEMFD_LUO_FEATURES_REQ = memfdMask('MEMFD_LUO_FEATURES_REQ', 'Features of the memfd handler a kernel must support to read this kernel\'s payload.');
const MEMFD_LUO_FEATURES_ACTIVE = memfdMask('MEMFD_LUO_FEATURES_ACTIVE', 'Features of the memfd handler this kernel\'s payload uses.');
const MEMFD_LUO_BASE_SEALS = defineExpr(
  'MEMFD_LUO_BASE_SEALS',
  expr`(${F_SEAL_SEAL} | ${F_SEAL_SHRINK} | ${F_SEAL_GROW} | ${F_SEAL_WRITE} | ${F_SEAL_FUTURE_WRITE} | ${F_SEAL_EXEC})`,
  { doc: 'The seals MEMFD_LUO_FEATURE_SEALS covers.' },
);
const MEMFD_LUO_ALL_SEALS_FEATURES = defineExpr('MEMFD_LUO_ALL_SEALS', expr`${MEMFD_LUO_BASE_SEALS}`, {
  doc: 'The seals this kernel hands over: those of the features it supports. A memfd with any other seal is refused.',
});

const memfd_luo_ser_features = struct('memfd_luo_ser', {
  packed: true,
  summary: 'The state of one preserved memfd.',
  description: ['The address in the file\'s entry in its LUO session leads here; the memory is a preserved allocation of its own. @features comes first so that the next kernel can refuse a payload it cannot read before reading the rest.'],
  fields: {
    features: field(luo_feature_hdr, 'What the writing kernel\'s handler supports, what a reader must support, and what the payload uses.'),
    pos,
    size,
    seals: field(u32, 'The seals of the file, as the uAPI numbers them; only those of MEMFD_LUO_ALL_SEALS.'),
    flags: field(u32, 'Flags of the file; none is defined yet, so 0.'),
    nr_folios: nrFolios,
    folios,
  },
});

export const memfdFeatures = version({
  name: 'memfd-features',
  origin: 'linux-mm, the feature-negotiated form (docs/upstream-notes.md §4): struct memfd_luo_ser opens with struct luo_feature_hdr; the handler is found by its name.',
  doc: {
    title: DOC_TITLE,
    paragraphs: [
      'A memfd preserved across a live update reaches the next kernel through the Live Update Orchestrator (LUO): the file\'s entry in its session names the memfd handler by MEMFD_LUO_FH_NAME, and the address beside it leads to struct memfd_luo_ser.',
      FOLIOS,
      'There is no compatible string: struct memfd_luo_ser opens with struct luo_feature_hdr, and a change only adds, through a new feature bit.',
    ],
  },
  uses: [khoV2, luoFeaturesNamed],
  constants: [
    MEMFD_LUO_FOLIO_DIRTY,
    MEMFD_LUO_FOLIO_UPTODATE,
    F_SEAL_SEAL,
    F_SEAL_SHRINK,
    F_SEAL_GROW,
    F_SEAL_WRITE,
    F_SEAL_FUTURE_WRITE,
    F_SEAL_EXEC,
    MEMFD_LUO_BASE_SEALS,
    MEMFD_LUO_ALL_SEALS_FEATURES,
    MEMFD_LUO_FH_NAME,
    ...MEMFD_BITS,
    MEMFD_LUO_FEATURES_SUPP,
    MEMFD_LUO_FEATURES_REQ,
    MEMFD_LUO_FEATURES_ACTIVE,
  ],
  types: [memfd_luo_folio_ser, memfd_luo_ser_features],
  container: reachedFrom({ from: luo_file_ser_named, field: 'data', selector: 'name', compatible: MEMFD_LUO_FH_NAME, target: toStruct(memfd_luo_ser_features) }),
  features: features({
    subsystem: 'memfd',
    header: luoFeatureHeader,
    carrier: { struct: memfd_luo_ser_features, field: 'features' },
    bits: MEMFD_BITS,
    supported: MEMFD_LUO_FEATURES_SUPP,
    required: MEMFD_LUO_FEATURES_REQ,
    active: MEMFD_LUO_FEATURES_ACTIVE,
    dependencies: [
      dependsOn(memfd_luo_ser_features, [MEMFD_LUO_FEATURE_SEALS], 'seals'),
      dependsOn(memfd_luo_ser_features, [MEMFD_LUO_FEATURE_FOLIOS], 'nr_folios'),
      dependsOn(memfd_luo_ser_features, [MEMFD_LUO_FEATURE_FOLIOS], 'folios'),
      dependsOn(memfd_luo_folio_ser, [MEMFD_LUO_FEATURE_FOLIOS]),
    ],
  }),
});

export const memfdHeader = header({
  name: 'memfd',
  path: 'include/linux/kho/abi/memfd.h',
  includeGuard: '_LINUX_KHO_ABI_MEMFD_H',
  spdx: 'GPL-2.0',
  copyright: ['Copyright (c) 2025, Google LLC.', 'Pasha Tatashin <pasha.tatashin@soleen.com>', '', 'Copyright (C) 2025 Amazon.com Inc. or its affiliates.', 'Pratyush Yadav <ptyadav@amazon.de>'],
  versions: [memfdV1, memfdV2SealsBitfield, memfdV2, memfdFeatures],
  current: 'memfd-v2',
});
