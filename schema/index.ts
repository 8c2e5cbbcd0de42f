/** The schema luo-abi generates from: `luo-abi --schema` loads a module like this one. */
import { luoSchema } from './luo/index.ts';

export { luoSchema };
export default luoSchema;
