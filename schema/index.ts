/** The schemas luo-abi generates from. */
export { luoSchema } from './luo/index.ts';
