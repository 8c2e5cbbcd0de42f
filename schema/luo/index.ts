/** include/linux/kho/abi/luo.h: the Live Update Orchestrator's handover ABI, every version. */
import { header } from '../lang.ts';
import { luoFeatures, luoFeaturesNamed } from './features.ts';
import { luoV5, luoV5Composed } from './raw.ts';
import { luoV1, luoV1SessionV1, luoV1SessionV2, luoV2, luoV3, luoV4 } from './versions.ts';

export const luoHeader = header({
  name: 'luo',
  path: 'include/linux/kho/abi/luo.h',
  includeGuard: '_LINUX_KHO_ABI_LUO_H',
  spdx: 'GPL-2.0',
  copyright: ['Copyright (c) 2025, Google LLC.', 'Pasha Tatashin <pasha.tatashin@soleen.com>'],
  // The compatible-string forms, then the feature-negotiated ones (no string: bits in struct luo_ser).
  versions: [...[luoV1SessionV1, luoV1SessionV2, luoV1, luoV2, luoV3, luoV4, luoV5, luoV5Composed], luoFeatures, luoFeaturesNamed],
  current: 'luo-v5+block-v1',
});
