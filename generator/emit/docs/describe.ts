/** How the docs colour and name the model's types, in every format. */
import type { TypeInfo } from '../../model/index.ts';

/** How a field is coloured and described: what kind of value it holds. */
export type FieldRole = 'pointer' | 'number' | 'chars' | 'struct' | 'array' | 'padding';

export function roleOf(type: TypeInfo): FieldRole {
  switch (type.kind) {
    case 'scalar':
    case 'bits':
      return 'number';
    case 'pointer':
      return 'pointer';
    case 'chars':
      return 'chars';
    case 'aggregate':
    case 'inline':
      return 'struct';
    case 'array':
    case 'flexible':
    case 'bitmap':
      return 'array';
  }
}
