/**
 * luo.h once struct luo_ser is itself the KHO entry (no LUO FDT): it carries its own compatible
 * string, and sessions and files live in chains of page-sized blocks of block.h. The compatible
 * string is either plain ("luo-v5") or composed with block.h's ("luo-v5;block-v1").
 */
import { KHO_BLOCK_COMPATIBLE, blockV0, blockV1 } from '../block/index.ts';
import { KHO_COMPAT_ALIGN, KHO_SUB_COMPAT, compat } from '../compat/index.ts';
import { khoV4 } from '../kexec_handover/index.ts';
import {
  chars,
  defineExpr,
  defineString,
  expr,
  field,
  khoEntry,
  khoserPtr,
  pa,
  selectedBy,
  struct,
  u64,
  version,
  type AbiVersion,
  type Aggregate,
  type Constant,
  type ExprValue,
  type StringConstant,
} from '../lang.ts';
import {
  LIVEUPDATE_FLB_COMPAT_LENGTH,
  LIVEUPDATE_HNDL_COMPAT_LENGTH,
  LIVEUPDATE_SESSION_NAME_LENGTH,
  LIVEUPDATE_TEST_FLB_COMPATIBLE,
  LUO_KHO_ENTRY_NAME,
} from './constants.ts';
import { flbBlock, khoBlockSessions, luo_file_ser, luo_flb_header_ser, luo_flb_ser } from './structs.ts';

const DOC_TITLE = 'Live Update Orchestrator ABI';
const INTRO =
  'The Live Update Orchestrator (LUO) hands state from one kernel to the next across kexec through Kexec HandOver (KHO). LUO registers one raw KHO entry, LUO_KHO_ENTRY_NAME, holding struct luo_ser; the next kernel compares its compatible string before it reads anything else, and the physical addresses in it lead to everything else.';
const BLOCKS =
  'Sessions, and the files of each session, live in chains of blocks of KHO_BLOCK_SIZE bytes, each starting with struct kho_block_header_ser.';

/** luo_file_ser of linux-mm fb2257f: the handler's address as a KHOSER union. */
export const luo_file_ser_khoser = struct('luo_file_ser', {
  packed: true,
  summary: 'Serialised state of one preserved file.',
  description: [
    'One entry per file a session preserved. The file handler named by @compatible retrieves the file in the next kernel from @serialized_data.',
  ],
  fields: {
    compatible: field(chars(LIVEUPDATE_HNDL_COMPAT_LENGTH), 'Compatible string of the file handler that preserved the file.'),
    serialized_data: field(khoserPtr(selectedBy('compatible')), 'Physical address of the state the file handler saved.'),
    token: field(u64, 'Token userspace gave the file when it preserved it.'),
  },
});

function rawForm(fileEntry: Aggregate, compatLen: Constant<ExprValue>) {
  const { fileSet, session, sessionsPa } = khoBlockSessions(fileEntry);
  const luoSer = struct('luo_ser', {
    packed: true,
    summary: 'The root of the LUO state handed to the next kernel.',
    description: ['The KHO entry LUO_KHO_ENTRY_NAME holds this struct. @compatible comes first so that the next kernel can refuse a layout it does not know before reading the rest.'],
    fields: {
      compatible: field(chars(compatLen), 'The compatible string of the LUO state, NUL-terminated.'),
      liveupdate_num: field(u64, 'Number of live updates performed so far, this one included.'),
      sessions_pa: sessionsPa,
      flbs_pa: field(pa(flbBlock), 'Physical address of struct luo_flb_header_ser, or 0 if there are no FLBs.'),
    },
  });
  return { types: [luoSer, fileEntry, fileSet, session, luo_flb_header_ser, luo_flb_ser], luoSer };
}

export function compatLength(name: string, compatible: StringConstant, how: 'align' | 'compat-align'): Constant<ExprValue> {
  return defineExpr(name, how === 'align' ? expr`ALIGN(sizeof(${compatible}), 8)` : expr`${KHO_COMPAT_ALIGN}(${compatible})`, {
    doc: 'Size of struct luo_ser\'s compatible field: the string and its NUL, rounded up to 8 bytes.',
  });
}

/** A raw form of luo.h: its string (and the constants that make it), the file entry, the headers it uses. */
export function rawLuoVersion(spec: {
  name: string;
  origin: string;
  paragraphs: readonly string[];
  uses: readonly AbiVersion[];
  /** The constants that make the string, the string (LUO_ABI_COMPATIBLE) last. */
  compatible: readonly Constant[];
  compatLen: Constant<ExprValue>;
  fileEntry: Aggregate;
}): AbiVersion {
  const form = rawForm(spec.fileEntry, spec.compatLen);
  const compatible = spec.compatible.at(-1) as StringConstant;
  return version({
    name: spec.name,
    origin: spec.origin,
    doc: { title: DOC_TITLE, paragraphs: spec.paragraphs },
    uses: spec.uses,
    constants: [
      LUO_KHO_ENTRY_NAME,
      ...spec.compatible,
      spec.compatLen,
      LIVEUPDATE_SESSION_NAME_LENGTH,
      LIVEUPDATE_HNDL_COMPAT_LENGTH,
      LIVEUPDATE_FLB_COMPAT_LENGTH,
      LIVEUPDATE_TEST_FLB_COMPATIBLE,
    ],
    types: form.types,
    container: khoEntry({ khoEntry: LUO_KHO_ENTRY_NAME, struct: form.luoSer, field: 'compatible', compatible }),
  });
}

// ---- luo-v5 (linux-mm fb2257f)

const LUO_ABI_COMPATIBLE_V5 = defineString('LUO_ABI_COMPATIBLE', 'luo-v5', { doc: 'Compatible string of the LUO state.' });

export const luoV5 = rawLuoVersion({
  name: 'luo-v5',
  origin: 'linux-mm fb2257f: struct luo_ser is a raw KHO entry with its own string; files in page-sized block chains; the handler\'s address as a KHOSER union.',
  paragraphs: [INTRO, BLOCKS],
  uses: [khoV4, blockV0],
  compatible: [LUO_ABI_COMPATIBLE_V5],
  compatLen: compatLength('LUO_ABI_COMPAT_LEN', LUO_ABI_COMPATIBLE_V5, 'align'),
  fileEntry: luo_file_ser_khoser,
});

// ---- luo-v5;block-v1 (the composed-string RFC, linux-mm 8c8e793)

const LUO_ABI_COMPAT_BASE = defineString('LUO_ABI_COMPAT_BASE', 'luo-v5', { doc: 'The LUO part of LUO_ABI_COMPATIBLE.' });
const LUO_ABI_COMPATIBLE_COMPOSED = defineExpr('LUO_ABI_COMPATIBLE', expr`${LUO_ABI_COMPAT_BASE} ${KHO_SUB_COMPAT}(${KHO_BLOCK_COMPATIBLE})`, {
  doc: 'Compatible string of the LUO state: its own version and the version of every header whose structs it uses.',
});

export const luoV5Composed = rawLuoVersion({
  name: 'luo-v5+block-v1',
  origin: 'The RFC "kho: granular compatibility and header decoupling" (linux-mm 8c8e793): LUO_ABI_COMPATIBLE composed with block.h\'s string.',
  paragraphs: [INTRO, BLOCKS, 'LUO_ABI_COMPATIBLE carries KHO_BLOCK_COMPATIBLE: a change to the block header changes it too.'],
  uses: [compat, blockV1],
  compatible: [LUO_ABI_COMPAT_BASE, LUO_ABI_COMPATIBLE_COMPOSED],
  compatLen: compatLength('LUO_ABI_COMPAT_LEN', LUO_ABI_COMPATIBLE_COMPOSED, 'compat-align'),
  fileEntry: luo_file_ser,
});
