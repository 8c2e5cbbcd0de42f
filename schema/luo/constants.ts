/**
 * The constants of include/linux/kho/abi/luo.h, written once and shared by every version that has them.
 */
import { defineExpr, defineMacro, defineNumber, defineString, type StringConstant } from '../lang.ts';

export const LIVEUPDATE_SESSION_NAME_LENGTH = defineNumber('LIVEUPDATE_SESSION_NAME_LENGTH', 64, {
  include: '<uapi/linux/liveupdate.h>',
  doc: 'Maximum length of a session name, including the terminating NUL.',
});

export const LUO_FDT_SIZE = defineExpr('LUO_FDT_SIZE', 'PAGE_SIZE', {
  doc: 'Size of the memory allocated for the LUO FDT.',
});

export const LUO_FDT_KHO_ENTRY_NAME = defineString('LUO_FDT_KHO_ENTRY_NAME', 'LUO', {
  doc: 'Name of the KHO sub-tree that carries the LUO FDT.',
});

/** The root compatible string of one version. */
export function fdtCompatible(value: string): StringConstant {
  return defineString('LUO_FDT_COMPATIBLE', value, {
    doc: 'Compatible string of the LUO FDT root node.',
  });
}

export const LUO_FDT_LIVEUPDATE_NUM = defineString('LUO_FDT_LIVEUPDATE_NUM', 'liveupdate-number', {
  doc: 'Root property: number of live updates performed so far.',
});

export const LUO_FDT_ABI_HEADER = defineString('LUO_FDT_ABI_HEADER', 'luo-abi-header', {
  doc: 'Root property: physical address of struct luo_ser.',
});

export const LUO_FDT_SESSION_NODE_NAME = defineString('LUO_FDT_SESSION_NODE_NAME', 'luo-session', {
  doc: 'Name of the session subnode.',
});

export function sessionCompatible(value: string): StringConstant {
  return defineString('LUO_FDT_SESSION_COMPATIBLE', value, {
    doc: 'Compatible string of the session subnode.',
  });
}

export const LUO_FDT_SESSION_HEADER = defineString('LUO_FDT_SESSION_HEADER', 'luo-session-header', {
  doc: 'Session node property: physical address of struct luo_session_header_ser.',
});

export const LIVEUPDATE_HNDL_COMPAT_LENGTH = defineNumber('LIVEUPDATE_HNDL_COMPAT_LENGTH', 48, {
  doc: 'Maximum length of a file handler compatible string, including the NUL.',
});

export const LIVEUPDATE_FLB_COMPAT_LENGTH = defineNumber('LIVEUPDATE_FLB_COMPAT_LENGTH', 48, {
  doc: 'Maximum length of an FLB compatible string, including the NUL.',
});

export const LUO_FDT_FLB_NODE_NAME = defineString('LUO_FDT_FLB_NODE_NAME', 'luo-flb', {
  doc: 'Name of the FLB subnode.',
});

export const LUO_FDT_FLB_COMPATIBLE = defineString('LUO_FDT_FLB_COMPATIBLE', 'luo-flb-v1', {
  doc: 'Compatible string of the FLB subnode.',
});

export const LUO_FDT_FLB_HEADER = defineString('LUO_FDT_FLB_HEADER', 'luo-flb-header', {
  doc: 'FLB node property: physical address of struct luo_flb_header_ser.',
});

/** Defined for the in-kernel test module only: the compatible string of its i-th test FLB. */
export const LIVEUPDATE_TEST_FLB_COMPATIBLE = defineMacro('LIVEUPDATE_TEST_FLB_COMPATIBLE', ['i'], '"liveupdate-test-flb-v" #i', {
  config: 'CONFIG_LIVEUPDATE_TEST',
  doc: 'Compatible string of the test module\'s FLB number @i.',
});

// ---- The raw forms (luo-v5 on): struct luo_ser itself is the KHO entry.

export const LUO_KHO_ENTRY_NAME = defineString('LUO_KHO_ENTRY_NAME', 'LUO', {
  doc: 'Name of the KHO entry that holds struct luo_ser.',
});
