/**
 * What a C compiler can see of an ABI: macros and struct layouts. A schema version seen this way, and a
 * header read with gcc and pahole, can be compared field by field. Pointers are plain u64 here, the
 * names of the constants that shape arrays are gone (DWARF keeps only the numbers; the macros are
 * compared on their own), and packing is seen through its effects: offsets, sizes and the struct's
 * alignment (1 when __packed).
 */
import type { VersionModel } from '../../model/index.ts';
import { canonicalStruct, type CanonicalStruct, type CanonicalType } from '../canonical.ts';
import type { HeaderLayout } from './extract.ts';

export interface CView {
  /** What to call it in messages: a version name or a header path. */
  readonly name: string;
  /** Macro name -> replacement text. */
  readonly macros: ReadonlyMap<string, string>;
  readonly structs: readonly CanonicalStruct[];
  /** Where things are written, when known (a header), by 'struct NAME', 'struct NAME > FIELD' or '#define NAME'. */
  readonly lines: ReadonlyMap<string, number>;
  readonly file?: string;
}

export function versionCView(version: VersionModel): CView {
  return {
    name: version.name,
    macros: new Map(version.constants.filter((c) => !c.include).map((c) => [c.name, c.c])),
    structs: version.structs.map((s) => cStruct(canonicalStruct(s))),
    lines: new Map(),
  };
}

export function headerCView(header: HeaderLayout, name: string): CView {
  const lines = new Map<string, number>();
  for (const s of header.structs) {
    if (s.line) lines.set(`${s.kind} ${s.name}`, s.line);
    for (const [field, line] of s.fieldLines) lines.set(`${s.kind} ${s.name} > ${field}`, line);
  }
  for (const m of header.macros.values()) if (m.line) lines.set(`#define ${m.name}`, m.line);
  return {
    name,
    macros: new Map([...header.macros.values()].map((m) => [m.name, m.text])),
    structs: header.structs.map(({ line: _line, fieldLines: _fieldLines, ...s }) => cStruct(s)),
    lines,
    file: header.path,
  };
}

function cStruct(s: CanonicalStruct): CanonicalStruct {
  return { name: s.name, kind: s.kind, packed: false, size: s.size, align: s.align, fields: s.fields.map((f) => ({ ...f, type: cType(f.type) })) };
}

function cType(type: CanonicalType): CanonicalType {
  switch (type.kind) {
    case 'pointer':
      return { kind: 'scalar', name: 'u64' };
    case 'chars':
      return { kind: 'chars', length: type.length };
    case 'array':
      return { kind: 'array', element: cType(type.element), length: type.length };
    case 'flexible':
      return { kind: 'flexible', element: cType(type.element) };
    default:
      return type;
  }
}
