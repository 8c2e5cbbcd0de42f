/** The schema luo-abi generates from: the KHO ABI headers. `luo-abi --schema` loads a module like this one. */
import { blockHeader } from './block/index.ts';
import { compatHeader } from './compat/index.ts';
import { kexecHandoverHeader } from './kexec_handover/index.ts';
import { family } from './lang.ts';
import { luoHeader } from './luo/index.ts';
import { memblockHeader } from './memblock/index.ts';
import { memfdHeader } from './memfd/index.ts';

export const khoFamily = family({
  name: 'kho',
  headers: [kexecHandoverHeader, blockHeader, compatHeader, luoHeader, memfdHeader, memblockHeader],
});

export default khoFamily;
