/** include/linux/kho/abi/compat.h: helpers that compose one compatible string of several. */
import { defineMacro, header, version } from '../lang.ts';

export const KHO_SUB_COMPAT = defineMacro('KHO_SUB_COMPAT', ['str'], '";" str', {
  doc: 'Appends the compatible string of a component to a compatible string, after a ";". Components follow the base in alphabetical order, each once.',
});

export const KHO_COMPAT_ALIGN = defineMacro('KHO_COMPAT_ALIGN', ['str'], 'ALIGN(sizeof(str), 8)', {
  doc: 'The size of a char array that holds the string and its NUL, rounded up to 8 bytes.',
});

export const compat = version({
  name: 'compat',
  origin: 'The RFC "kho: granular compatibility and header decoupling" (linux-mm 8c8e793). compat.h has no string of its own.',
  doc: {
    title: 'Composed compatible strings',
    paragraphs: [
      'A header whose state uses structs of other headers may compose its compatible string of its own base string and the strings of those headers, so that a change to a shared struct changes every string that depends on it.',
    ],
  },
  constants: [KHO_SUB_COMPAT, KHO_COMPAT_ALIGN],
  types: [],
});

export const compatHeader = header({
  name: 'compat',
  path: 'include/linux/kho/abi/compat.h',
  includeGuard: '_LINUX_KHO_ABI_COMPAT_H',
  spdx: 'GPL-2.0',
  copyright: ['Copyright (c) 2026 Google LLC.', 'Pasha Tatashin <pasha.tatashin@soleen.com>'],
  versions: [compat],
  current: 'compat',
});
