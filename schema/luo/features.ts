/**
 * luo.h with feature negotiation (linux-mm): no compatible string. struct luo_ser opens with
 * struct luo_feature_hdr, whose three masks say what the writing kernel supports, what a reader must
 * support to read the payload safely, and what the payload uses. The next kernel reads the state when
 * it supports every bit the payload requires (docs/upstream-notes.md §10).
 *
 * Two forms: linux-mm 29a7510 (handlers still found by a compatible string) and the later one that
 * finds handlers by name and adds the structs of the kernel image's `.liveupdate_features` section.
 */
import { blockV0 } from '../block/index.ts';
import {
  array,
  chars,
  defineExpr,
  defineFeatureBit,
  defineMacro,
  defineNumber,
  dependsOn,
  expr,
  features,
  khoEntry,
  field,
  pa,
  selectedBy,
  struct,
  u32,
  u64,
  version,
  type AbiVersion,
  type Aggregate,
  type Constant,
} from '../lang.ts';
import {
  LIVEUPDATE_FLB_COMPAT_LENGTH,
  LIVEUPDATE_HNDL_COMPAT_LENGTH,
  LIVEUPDATE_SESSION_NAME_LENGTH,
  LIVEUPDATE_TEST_FLB_COMPATIBLE,
  LUO_KHO_ENTRY_NAME,
} from './constants.ts';
import { flbBlock, khoBlockSessions, luo_file_ser, luo_flb_header_ser, luo_flb_ser } from './structs.ts';

export const luo_feature_hdr = struct('luo_feature_hdr', {
  packed: true,
  summary: 'Feature negotiation header.',
  description: [
    'Opens a serialised struct so that the next kernel can tell, before it reads anything else, whether it understands the payload: it does when it supports every bit of @req.',
  ],
  fields: {
    supp: field(u64, 'Features the writing subsystem supports.'),
    req: field(u64, 'Features a reading subsystem must support to read the payload safely.'),
    active: field(u64, 'Features the payload uses.'),
    reserved: field(array(u64, 13), 'Reserved; zero.'),
  },
});

/** The feature header's mask fields, for every subsystem whose payload opens with struct luo_feature_hdr. */
export const luoFeatureHeader = { struct: luo_feature_hdr, supported: 'supp', required: 'req', active: 'active' } as const;

export const LUO_FEATURE_NUMBER = defineFeatureBit('LUO_FEATURE_NUMBER', 0, { doc: 'The payload carries the live update counter.' });
export const LUO_FEATURE_SESSIONS = defineFeatureBit('LUO_FEATURE_SESSIONS', 1, { doc: 'The payload carries sessions and their files.' });
export const LUO_FEATURE_FLBS = defineFeatureBit('LUO_FEATURE_FLBS', 2, { doc: 'The payload carries File-Lifecycle-Bound objects.' });
const CORE_BITS = [LUO_FEATURE_NUMBER, LUO_FEATURE_SESSIONS, LUO_FEATURE_FLBS];

function coreMask(name: string, doc: string): Constant {
  return defineExpr(name, expr`(${LUO_FEATURE_NUMBER} | ${LUO_FEATURE_SESSIONS} | ${LUO_FEATURE_FLBS})`, { doc });
}
export const LUO_CORE_FEATURES_SUPP = coreMask('LUO_CORE_FEATURES_SUPP', 'Features of the LUO core this kernel supports.');
export const LUO_CORE_FEATURES_REQ = coreMask('LUO_CORE_FEATURES_REQ', 'Features of the LUO core a kernel must support to read this kernel\'s payload.');
export const LUO_CORE_FEATURES_ACTIVE = coreMask('LUO_CORE_FEATURES_ACTIVE', 'Features of the LUO core this kernel\'s payload uses.');

/**
 * The accessors of the header's masks: set a bit, or test one, in a struct that opens with it.
 * Upstream also has a statement macro setting a bit in two masks at once; it names its argument twice
 * (checkpatch's MACRO_ARG_REUSE), so the generated header leaves it out.
 */
const ACCESSORS = [
  defineMacro('LUO_FEATURE_SUPPORTED', ['s', 'f'], '((s)->features.supp |= (u64)(f))', { doc: 'Marks feature @f as supported in @s.' }),
  defineMacro('LUO_FEATURE_REQUIRED', ['s', 'f'], '((s)->features.req |= (u64)(f))', { doc: 'Marks feature @f as required in @s.' }),
  defineMacro('LUO_FEATURE_IS_ACTIVE', ['s', 'f'], '(!!((s)->features.active & (u64)(f)))', { doc: 'Whether feature @f is active in @s.' }),
  defineMacro('LUO_FEATURE_IS_SUPPORTED', ['s', 'f'], '(!!((s)->features.supp & (u64)(f)))', { doc: 'Whether feature @f is supported in @s.' }),
  defineMacro('LUO_FEATURE_IS_REQUIRED', ['s', 'f'], '(!!((s)->features.req & (u64)(f)))', { doc: 'Whether feature @f is required in @s.' }),
];

const DOC_TITLE = 'Live Update Orchestrator ABI';
const INTRO =
  'The Live Update Orchestrator (LUO) hands state from one kernel to the next across kexec through Kexec HandOver (KHO). LUO registers one raw KHO entry, LUO_KHO_ENTRY_NAME, holding struct luo_ser, and the physical addresses in it lead to everything else.';
const NEGOTIATION =
  'There is no compatible string: struct luo_ser opens with struct luo_feature_hdr. A change only adds; a feature a reader may ignore is released supported and active but not required, and a feature the next kernel must understand is first released as supported only, then required and active in a later release.';
const BLOCKS =
  'Sessions, and the files of each session, live in chains of blocks of KHO_BLOCK_SIZE bytes, each starting with struct kho_block_header_ser.';

/** The structs of one feature form, given its file entry (how a handler is named). */
function featureForm(fileEntry: Aggregate) {
  const { fileSet, session, sessionsPa } = khoBlockSessions(fileEntry);
  const luoSer = struct('luo_ser', {
    packed: true,
    summary: 'The root of the LUO state handed to the next kernel.',
    description: ['The KHO entry LUO_KHO_ENTRY_NAME holds this struct. @features comes first so that the next kernel can refuse a payload it cannot read before reading the rest.'],
    fields: {
      features: field(luo_feature_hdr, 'What the writing kernel supports, what a reader must support, and what the payload uses.'),
      liveupdate_num: field(u64, 'Number of live updates performed so far, this one included.'),
      sessions_pa: sessionsPa,
      flbs_pa: field(pa(flbBlock), 'Physical address of struct luo_flb_header_ser, or 0 if there are no FLBs.'),
    },
  });
  const negotiation = features({
    subsystem: 'luo',
    khoEntry: LUO_KHO_ENTRY_NAME,
    header: luoFeatureHeader,
    carrier: { struct: luoSer, field: 'features' },
    bits: CORE_BITS,
    supported: LUO_CORE_FEATURES_SUPP,
    required: LUO_CORE_FEATURES_REQ,
    active: LUO_CORE_FEATURES_ACTIVE,
    dependencies: [
      dependsOn(luoSer, [LUO_FEATURE_NUMBER], 'liveupdate_num'),
      dependsOn(luoSer, [LUO_FEATURE_SESSIONS], 'sessions_pa'),
      dependsOn(session, [LUO_FEATURE_SESSIONS]),
      dependsOn(fileSet, [LUO_FEATURE_SESSIONS]),
      dependsOn(fileEntry, [LUO_FEATURE_SESSIONS]),
      dependsOn(luoSer, [LUO_FEATURE_FLBS], 'flbs_pa'),
      dependsOn(luo_flb_header_ser, [LUO_FEATURE_FLBS]),
      dependsOn(luo_flb_ser, [LUO_FEATURE_FLBS]),
    ],
  });
  // No compatible string: the next kernel checks the feature header luo_ser opens with.
  const container = khoEntry({ khoEntry: LUO_KHO_ENTRY_NAME, struct: luoSer });
  return { types: [luo_feature_hdr, luoSer, fileEntry, fileSet, session, luo_flb_header_ser, luo_flb_ser], negotiation, container };
}

/** The constants of a feature form in header order, given how long a handler's name or string is. */
function formConstants(handlerLength: Constant, ...after: Constant[]) {
  return [
    ...ACCESSORS,
    LUO_KHO_ENTRY_NAME,
    ...CORE_BITS,
    LUO_CORE_FEATURES_SUPP,
    LUO_CORE_FEATURES_REQ,
    LUO_CORE_FEATURES_ACTIVE,
    LIVEUPDATE_SESSION_NAME_LENGTH,
    handlerLength,
    LIVEUPDATE_FLB_COMPAT_LENGTH,
    LIVEUPDATE_TEST_FLB_COMPATIBLE,
    ...after,
  ];
}

// ---- linux-mm 29a7510: handlers still found by their compatible string.

const formA = featureForm(luo_file_ser);

export const luoFeatures: AbiVersion = version({
  name: 'luo-features',
  origin: 'linux-mm 29a7510: struct luo_ser opens with struct luo_feature_hdr instead of a compatible string; file handlers still found by compatible string.',
  doc: { title: DOC_TITLE, paragraphs: [INTRO, NEGOTIATION, BLOCKS] },
  uses: [blockV0],
  constants: formConstants(LIVEUPDATE_HNDL_COMPAT_LENGTH),
  types: formA.types,
  container: formA.container,
  features: formA.negotiation,
});

// ---- The later form: handlers found by name; the kernel image lists its features.

export const LIVEUPDATE_HNDL_NAME_LENGTH = defineNumber('LIVEUPDATE_HNDL_NAME_LENGTH', 48, {
  doc: 'Maximum length of a file handler name, including the NUL.',
});

export const luo_file_ser_named = struct('luo_file_ser', {
  packed: true,
  summary: 'Serialised state of one preserved file.',
  description: ['One entry per file a session preserved. The file handler named @name retrieves the file in the next kernel from @data.'],
  fields: {
    name: field(chars(LIVEUPDATE_HNDL_NAME_LENGTH), 'Name of the file handler that preserved the file.'),
    data: field(pa(selectedBy('name')), 'Opaque value the file handler saved to find its state again; for the handlers the schema knows, the physical address of their state.'),
    token: luo_file_ser.fields.token,
  },
});

export const LIVEUPDATE_VER_HDR_MAGIC = defineExpr('LIVEUPDATE_VER_HDR_MAGIC', '0x4c565550', {
  doc: 'Magic number opening the kernel image\'s feature list: "LVUP" read as a little-endian u32.',
});
export const LIVEUPDATE_VER_HDR_VER = defineNumber('LIVEUPDATE_VER_HDR_VER', 1, { doc: 'Version of the feature list\'s format.' });

export const liveupdate_ver_hdr = struct('liveupdate_ver_hdr', {
  packed: true,
  summary: 'Header of the kernel image\'s feature list.',
  description: ['Opens the section .liveupdate_features of the kernel image, which lists what the kernel supports so that a tool can tell, before a kexec, whether this kernel will read what another hands over.'],
  fields: {
    magic: field(u32, 'LIVEUPDATE_VER_HDR_MAGIC.'),
    version: field(u32, 'LIVEUPDATE_VER_HDR_VER.'),
  },
});

export const liveupdate_feature_entry = struct('liveupdate_feature_entry', {
  packed: true,
  summary: 'One subsystem in the feature list.',
  description: ['The entries follow struct liveupdate_ver_hdr to the end of the section, one per subsystem: the LUO core as "luo", each file handler by its name.'],
  fields: {
    name: field(chars(LIVEUPDATE_HNDL_NAME_LENGTH), 'Name of the subsystem, NUL-terminated.'),
    feat_bytes: field(u32, 'Bytes of each of @supp, @req and @active that are meaningful.'),
    reserved: field(u32, 'Reserved; zero.'),
    supp: field(u64, 'Features this kernel supports.'),
    req: field(u64, 'Features this kernel\'s payload requires of the next kernel.'),
    active: field(u64, 'Features this kernel\'s payload uses.'),
  },
});

const formB = featureForm(luo_file_ser_named);

export const luoFeaturesNamed: AbiVersion = version({
  name: 'luo-features-named',
  origin: 'linux-mm, after 29a7510: file handlers found by name (luo_file_ser.name), and the structs of the kernel image\'s .liveupdate_features section.',
  doc: {
    title: DOC_TITLE,
    paragraphs: [INTRO, NEGOTIATION, BLOCKS, 'The kernel image lists, in its section .liveupdate_features, the features of every subsystem it supports: struct liveupdate_ver_hdr, then one struct liveupdate_feature_entry per subsystem.'],
  },
  uses: [blockV0],
  constants: formConstants(LIVEUPDATE_HNDL_NAME_LENGTH, LIVEUPDATE_VER_HDR_MAGIC, LIVEUPDATE_VER_HDR_VER),
  types: [...formB.types, liveupdate_ver_hdr, liveupdate_feature_entry],
  container: formB.container,
  features: formB.negotiation,
  acknowledges: [
    {
      rule: 'LUO010',
      reason:
        'upstream replaced luo_file_ser.compatible by the handler name and kept the feature bits: a kernel of luo-features looks each file\'s handler up by compatible string ("memfd-v2") and finds none for a name ("memfd"), so it accepts the payload and loses those files; no bit says so',
    },
  ],
});
