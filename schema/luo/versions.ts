/**
 * Every LUO ABI version, oldest first. Each is complete; what did not change between two versions is
 * the same object in both.
 */
import { fdtContainer, node, pa, pointerProperty, toStruct, u64Property, version, type StringConstant } from '../lang.ts';
import {
  LIVEUPDATE_FLB_COMPAT_LENGTH,
  LIVEUPDATE_HNDL_COMPAT_LENGTH,
  LIVEUPDATE_SESSION_NAME_LENGTH,
  LUO_FDT_ABI_HEADER,
  LUO_FDT_FLB_COMPATIBLE,
  LUO_FDT_FLB_HEADER,
  LUO_FDT_FLB_NODE_NAME,
  LUO_FDT_KHO_ENTRY_NAME,
  LUO_FDT_LIVEUPDATE_NUM,
  LUO_FDT_SESSION_HEADER,
  LUO_FDT_SESSION_NODE_NAME,
  LUO_FDT_SIZE,
  LIVEUPDATE_TEST_FLB_COMPATIBLE,
  fdtCompatible,
  sessionCompatible,
} from './constants.ts';
import {
  flbBlock,
  luoSer,
  luo_block_header_ser,
  luo_file_ser,
  luo_file_set_ser_array,
  luo_file_set_ser_chain,
  luo_flb_header_ser,
  luo_flb_ser,
  luo_session_header_ser,
  luo_session_ser,
  luo_session_ser_name_only,
  luo_session_ser_v4,
  sessionBlock,
  sessionChain,
} from './structs.ts';

const DOC_TITLE = 'Live Update Orchestrator ABI';

const INTRO =
  'The Live Update Orchestrator (LUO) hands state from one kernel to the next across kexec through Kexec HandOver (KHO). LUO adds one KHO sub-tree, a Flattened Device Tree (FDT) named LUO_FDT_KHO_ENTRY_NAME, whose properties hold the physical addresses of the serialised structs below. Those addresses point at memory KHO preserves across the kexec.';

const RAW_U64 =
  'A u64 property is written as 8 bytes in the CPU byte order, not as big-endian FDT cells. The next kernel reads it unaligned and rejects any other length.';

// --------------------------------------------------------------------------------------------
// luo-v1: per-node compatible strings

const LUO_V1 = fdtCompatible('luo-v1');
const LUO_SESSION_V1 = sessionCompatible('luo-session-v1');
const LUO_SESSION_V2 = sessionCompatible('luo-session-v2');

function v1Fdt(sessionCompat: StringConstant, withFiles: boolean, withFlb: boolean) {
  const sessionNode = node({
    name: LUO_FDT_SESSION_NODE_NAME,
    compatible: sessionCompat,
    doc: 'Session state: the preserved sessions and their files.',
    properties: [
      pointerProperty(
        LUO_FDT_SESSION_HEADER,
        pa(sessionBlock(withFiles ? luo_session_ser : luo_session_ser_name_only)),
        'Physical address of struct luo_session_header_ser.',
      ),
    ],
    children: [],
  });
  const flbNode = node({
    name: LUO_FDT_FLB_NODE_NAME,
    compatible: LUO_FDT_FLB_COMPATIBLE,
    doc: 'File-Lifecycle-Bound state: global objects tied to preserved files.',
    properties: [pointerProperty(LUO_FDT_FLB_HEADER, pa(flbBlock), 'Physical address of struct luo_flb_header_ser.')],
    children: [],
  });
  return fdtContainer({
    khoEntry: LUO_FDT_KHO_ENTRY_NAME,
    maxSize: LUO_FDT_SIZE,
    root: node({
      compatible: LUO_V1,
      doc: 'The LUO root node.',
      properties: [u64Property(LUO_FDT_LIVEUPDATE_NUM, 'Number of live updates performed so far.')],
      children: withFlb ? [sessionNode, flbNode] : [sessionNode],
    }),
  });
}

const v1Paragraphs = [INTRO, RAW_U64];

/** The root's and the session node's constants, in both luo-v1 forms. */
const v1RootConstants = [LUO_FDT_SIZE, LUO_FDT_KHO_ENTRY_NAME, LUO_V1, LUO_FDT_LIVEUPDATE_NUM, LIVEUPDATE_SESSION_NAME_LENGTH];
const v1SessionConstants = (compatible: StringConstant) => [LUO_FDT_SESSION_NODE_NAME, compatible, LUO_FDT_SESSION_HEADER];

export const luoV1SessionV1 = version({
  name: 'luo-v1-session-v1',
  origin: 'The earliest form found upstream: sessions identified by a name only.',
  doc: { title: DOC_TITLE, paragraphs: v1Paragraphs },
  constants: [...v1RootConstants, ...v1SessionConstants(LUO_SESSION_V1)],
  types: [luo_session_header_ser, luo_session_ser_name_only],
  container: v1Fdt(LUO_SESSION_V1, false, false),
});

export const luoV1SessionV2 = version({
  name: 'luo-v1-session-v2',
  origin: 'Mainline: sessions with their files (luo-session-v2), no FLBs yet.',
  doc: { title: DOC_TITLE, paragraphs: v1Paragraphs },
  constants: [...v1RootConstants, LIVEUPDATE_HNDL_COMPAT_LENGTH, ...v1SessionConstants(LUO_SESSION_V2)],
  types: [luo_file_ser, luo_file_set_ser_array, luo_session_header_ser, luo_session_ser],
  container: v1Fdt(LUO_SESSION_V2, true, false),
});

export const luoV1 = version({
  name: 'luo-v1',
  origin: 'The form the seed patch starts from (linux-next): per-node compatible strings, files and FLBs.',
  doc: { title: DOC_TITLE, paragraphs: v1Paragraphs },
  constants: [
    ...v1RootConstants,
    LIVEUPDATE_HNDL_COMPAT_LENGTH,
    ...v1SessionConstants(LUO_SESSION_V2),
    LIVEUPDATE_FLB_COMPAT_LENGTH,
    LUO_FDT_FLB_NODE_NAME,
    LUO_FDT_FLB_COMPATIBLE,
    LUO_FDT_FLB_HEADER,
    LIVEUPDATE_TEST_FLB_COMPATIBLE,
  ],
  types: [luo_file_ser, luo_file_set_ser_array, luo_session_header_ser, luo_session_ser, luo_flb_header_ser, luo_flb_ser],
  container: v1Fdt(LUO_SESSION_V2, true, true),
});

// --------------------------------------------------------------------------------------------
// luo-v2 onwards: one root property pointing at struct luo_ser

function luoSerFdt(compatible: string, luoSerStruct: ReturnType<typeof luoSer>) {
  return fdtContainer({
    khoEntry: LUO_FDT_KHO_ENTRY_NAME,
    maxSize: LUO_FDT_SIZE,
    root: node({
      compatible: fdtCompatible(compatible),
      doc: 'The LUO root node, the only node.',
      properties: [
        pointerProperty(LUO_FDT_ABI_HEADER, pa(toStruct(luoSerStruct), { nullable: false }), 'Physical address of struct luo_ser.'),
      ],
      children: [],
    }),
  });
}

const luoSerConstants = (compatible: string) => [
  LUO_FDT_SIZE,
  LUO_FDT_KHO_ENTRY_NAME,
  fdtCompatible(compatible),
  LUO_FDT_ABI_HEADER,
  LIVEUPDATE_SESSION_NAME_LENGTH,
  LIVEUPDATE_HNDL_COMPAT_LENGTH,
  LIVEUPDATE_FLB_COMPAT_LENGTH,
  LIVEUPDATE_TEST_FLB_COMPATIBLE,
];

const luoSerParagraphs = [
  INTRO,
  RAW_U64,
  'All LUO state hangs off struct luo_ser: the live update counter, the sessions with their files, and the File-Lifecycle-Bound (FLB) objects.',
];

const luoSerV2 = luoSer(
  sessionBlock(luo_session_ser),
  'Physical address of struct luo_session_header_ser, or 0 if there are no sessions.',
);

export const luoV2 = version({
  name: 'luo-v2',
  origin: 'The seed patch "liveupdate: centralize state management into struct luo_ser".',
  doc: { title: DOC_TITLE, paragraphs: luoSerParagraphs },
  constants: luoSerConstants('luo-v2'),
  types: [luoSerV2, luo_file_ser, luo_file_set_ser_array, luo_session_header_ser, luo_session_ser, luo_flb_header_ser, luo_flb_ser],
  container: luoSerFdt('luo-v2', luoSerV2),
});

const sessionChainDoc =
  'Physical address of the first struct luo_block_header_ser of the chain of session blocks, or 0 if there are no sessions.';
const luoSerV3 = luoSer(sessionChain(luo_session_ser), sessionChainDoc);

export const luoV3 = version({
  name: 'luo-v3',
  origin: 'Patch "liveupdate: Remove limit on the number of sessions": sessions in a chain of blocks.',
  doc: { title: DOC_TITLE, paragraphs: luoSerParagraphs },
  constants: luoSerConstants('luo-v3'),
  types: [luoSerV3, luo_block_header_ser, luo_file_ser, luo_file_set_ser_array, luo_session_ser, luo_flb_header_ser, luo_flb_ser],
  container: luoSerFdt('luo-v3', luoSerV3),
});

const luoSerV4 = luoSer(sessionChain(luo_session_ser_v4), sessionChainDoc);

export const luoV4 = version({
  name: 'luo-v4',
  origin:
    'Patch "liveupdate: Remove limit on the number of files per session": the files of a session in a chain of blocks. No struct layout changed.',
  doc: { title: DOC_TITLE, paragraphs: luoSerParagraphs },
  constants: luoSerConstants('luo-v4'),
  types: [luoSerV4, luo_block_header_ser, luo_file_ser, luo_file_set_ser_chain, luo_session_ser_v4, luo_flb_header_ser, luo_flb_ser],
  container: luoSerFdt('luo-v4', luoSerV4),
});
