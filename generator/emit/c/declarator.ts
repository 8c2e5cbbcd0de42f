/** How C spells a member's type: one place for the header and for every doc that shows C types. */
import type { TypeInfo } from '../../model/index.ts';

/** The C type split around the declared name: `char` + `[LEN]`, `struct x` + ``. */
export function declarator(type: TypeInfo): { base: string; suffix: string } {
  switch (type.kind) {
    case 'scalar':
      return { base: type.name, suffix: '' };
    case 'pointer':
      return { base: 'u64', suffix: '' };
    case 'chars':
      return { base: 'char', suffix: `[${type.lengthConstant ?? type.length}]` };
    case 'aggregate':
      return { base: `${type.aggregate} ${type.name}`, suffix: '' };
    case 'array': {
      const element = declarator(type.element);
      return { base: element.base, suffix: `[${type.lengthConstant ?? type.length}]${element.suffix}` };
    }
    case 'flexible': {
      const element = declarator(type.element);
      return { base: element.base, suffix: `[]${element.suffix}` };
    }
  }
}

/** The type alone, as docs show it: `u64`, `char[LIVEUPDATE_SESSION_NAME_LENGTH]`, `u64[]`. */
export function cTypeText(type: TypeInfo): string {
  const { base, suffix } = declarator(type);
  return `${base}${suffix}`;
}
