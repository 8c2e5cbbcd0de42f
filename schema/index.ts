/** The schema luo-abi generates from: the KHO ABI headers. `luo-abi --schema` loads a module like this one. */
import { family } from './lang.ts';
import { luoHeader } from './luo/index.ts';

export const khoFamily = family({
  name: 'kho',
  headers: [luoHeader],
});

export default khoFamily;
