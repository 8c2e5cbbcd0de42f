/**
 * A real header as the checker sees a schema version: a CanonicalVersion whose guards, values and
 * layouts come from what gcc and pahole read, and whose roles (which string guards which struct, what
 * a property is) come from the schema version the header is (or is nearest to). Both sides are then
 * cut down to what a compiler can see, so that the same rules compare them.
 *
 * What a compiler cannot see: where a u64 physical address points, which spelling holds an address
 * (u64, phys_addr_t or a KHOSER union: the same 8 bytes), where a bit-field sits within its unit, and
 * whether a struct is __packed other than through its offsets, size and alignment.
 */
import {
  canonicalVersion,
  type CanonicalField,
  type CanonicalGuard,
  type CanonicalNode,
  type CanonicalStruct,
  type CanonicalType,
  type CanonicalVersion,
  type GuardLayout,
} from '../../model/canonical.ts';
import { ExprError, evaluate, parseExpr, type Binding, type ExprScope, type ExprValue } from '../../model/expr.ts';
import { cText } from '../../../schema/lang.ts';
import type { VersionModel } from '../../model/index.ts';
import type { HeaderLayout, MacroDefinition } from './extract.ts';

/** What a header says a guard is, and where the macro it uses is written. */
export interface HeaderGuard {
  readonly macro: string;
  readonly value: string | undefined;
  /** Set when the schema's macro is gone and another with this role took its place. */
  readonly renamedFrom?: string;
}

/**
 * The header as a version: `reference`'s roles, the header's macros and layouts. Values of guard
 * strings are evaluated as the preprocessor would (a composed string is its concatenation).
 */
export function headerCanonical(reference: VersionModel, layout: HeaderLayout, own = true): CanonicalVersion {
  const schema = canonicalVersion(reference);
  const strings = new HeaderStrings(layout);
  const guards = new Map(schema.guards.map((g) => [g.macro, headerGuard(g, reference, layout, strings, own)]));
  const valueOf = (macro: string) => guards.get(macro)?.value ?? strings.value(macro);
  const structs = new Map(layout.structs.map((s) => [s.name, s]));
  return {
    header: schema.header,
    name: schema.name,
    guards: schema.guards.map((g): CanonicalGuard => {
      const found = guards.get(g.macro)!;
      const value = found.value ?? '(undefined)';
      const outer = g.outer.map((o) => ({ ...o, macro: guards.get(o.macro)?.macro ?? o.macro, value: valueOf(o.macro) ?? '(undefined)' }));
      return {
        ...g,
        key: [...outer, { value, role: g.role }].map((c) => `${c.role}=${c.value}`).join(' > '),
        macro: found.macro,
        value,
        outer,
        components: g.components.map((c) => ({ macro: c.macro, value: strings.value(c.macro) ?? '(undefined)' })),
        layout: headerLayout(g.layout, structs, strings),
      };
    }),
  };
}

/**
 * Which macro of the header plays a guard's role, and its value. `own`: the guard is the checked
 * header's own, so a macro of it under another name may have taken the role; a used header's guard
 * (block.h's, read through luo.h) is only ever its own macro.
 */
export function headerGuard(guard: CanonicalGuard, reference: VersionModel, layout: HeaderLayout, strings: HeaderStrings, own = true): HeaderGuard {
  if (layout.definitions.has(guard.macro)) return { macro: guard.macro, value: strings.value(guard.macro) };
  if (!own) return { macro: guard.macro, value: undefined };
  // The macro is gone. Another string macro the schema version does not have took its place if it
  // holds the old value, or if it is the one new *_COMPATIBLE macro of the header.
  const known = new Set(reference.constants.map((c) => c.name));
  const candidates = [...layout.macros.keys()].filter((name) => !known.has(name) && strings.value(name) !== undefined);
  const sameValue = candidates.find((name) => strings.value(name) === guard.value);
  const compatible = candidates.filter((name) => name.endsWith('_COMPATIBLE'));
  const renamed = sameValue ?? (compatible.length === 1 ? compatible[0] : undefined);
  return renamed ? { macro: renamed, value: strings.value(renamed), renamedFrom: guard.macro } : { macro: guard.macro, value: undefined };
}

function headerLayout(schema: GuardLayout, structs: ReadonlyMap<string, CanonicalStruct>, strings: HeaderStrings): GuardLayout {
  const container = schema.container;
  return {
    ...(container
      ? {
          container:
            container.kind === 'fdt'
              ? {
                  kind: 'fdt',
                  ...(container.khoEntry ? { khoEntry: { macro: container.khoEntry.macro, value: strings.value(container.khoEntry.macro) ?? '(undefined)' } } : {}),
                  ...(container.maxSize ? { maxSize: { macro: container.maxSize.macro, c: strings.text(container.maxSize.macro) ?? '(undefined)' } } : {}),
                }
              : container.kind === 'kho-entry'
                ? { ...container, khoEntry: { macro: container.khoEntry.macro, value: strings.value(container.khoEntry.macro) ?? '(undefined)' } }
                : container,
        }
      : {}),
    ...(schema.node ? { node: headerNode(schema.node, strings) } : {}),
    // A struct the header lacks is left out: the comparison then reports it removed.
    structs: schema.structs.flatMap((s) => (structs.has(s.name) ? [structs.get(s.name)!] : [])),
  };
}

function headerNode(node: CanonicalNode, strings: HeaderStrings): CanonicalNode {
  return {
    ...node,
    // A name the kernel writes as a literal is not in the header: the header cannot change it.
    properties: node.properties.map((p) => (p.macro ? { ...p, name: strings.value(p.macro) ?? `(${p.macro} undefined)` } : p)),
    ...(node.children ? { children: node.children.map((c) => headerNode(c, strings)) } : {}),
  };
}

// -----------------------------------------------------------------------------------------------
// What a compiler sees

/** A version cut down to what C shows: the form both sides of a header comparison are compared in. */
export function cVisible(version: CanonicalVersion): CanonicalVersion {
  return { ...version, guards: version.guards.map((g) => ({ ...g, layout: { ...g.layout, structs: g.layout.structs.map(cStruct) } })) };
}

export function cStruct(s: CanonicalStruct): CanonicalStruct {
  return { name: s.name, kind: s.kind, packed: false, size: s.size, align: s.align, fields: s.fields.map(cField) };
}

function cField(f: CanonicalField): CanonicalField {
  const type = cType(f.type, f.size);
  // Where a bit-field sits in its storage unit is the compiler's to say and pahole's to round: its type says its width.
  if (type.kind === 'scalar' && /:\d+$/.test(type.name)) return { name: f.name, offset: -1, size: -1, type };
  return { name: f.anonymous ? `(anonymous at ${f.offset})` : f.name, offset: f.offset, size: f.size, type };
}

/** pahole's spelling of the C integer types. */
const PAHOLE_NAMES: Readonly<Record<string, string>> = {
  'long unsigned int': 'unsigned long',
  'short unsigned int': 'unsigned short',
  'long int': 'long',
  'short int': 's16',
  'long long unsigned int': 'u64',
  'long long int': 's64',
};

function cType(type: CanonicalType, size: number): CanonicalType {
  switch (type.kind) {
    case 'pointer':
      return { kind: 'scalar', name: 'u64' };
    case 'scalar': {
      const name = PAHOLE_NAMES[type.name] ?? type.name;
      return { kind: 'scalar', name: name === 'phys_addr_t' ? 'u64' : name };
    }
    case 'bits':
      return { kind: 'scalar', name: `${type.base}:${type.width}` };
    case 'chars':
      return { kind: 'chars', length: type.length };
    case 'array':
      return { kind: 'array', element: cType(type.element, 0), length: type.length };
    case 'flexible':
      return { kind: 'flexible', element: cType(type.element, 0) };
    case 'bitmap':
      return { kind: 'array', element: { kind: 'scalar', name: 'unsigned long' }, length: Math.ceil(type.bits / 64) };
    case 'inline':
      // pahole shows a struct or union declared in place as one member; an 8-byte union is a KHOSER address.
      return type.aggregate === 'union' && size === 8 ? { kind: 'scalar', name: 'u64' } : { kind: type.aggregate, name: `(anonymous ${type.aggregate})` };
    case 'struct':
    case 'union':
      return type.name === '(anonymous union)' && size === 8 ? { kind: 'scalar', name: 'u64' } : type;
  }
}

// -----------------------------------------------------------------------------------------------
// Macro values as the preprocessor gives them

/** The header's macros (and those of every file it includes), evaluated as C constant expressions. */
export class HeaderStrings implements ExprScope {
  private readonly values = new Map<string, ExprValue | null>();

  constructor(private readonly layout: HeaderLayout) {}

  /** The string a macro expands to, or undefined when it is undefined or no string. */
  value(macro: string): string | undefined {
    const value = this.evaluate(macro);
    return typeof value === 'string' ? value : undefined;
  }

  /** The macro's text as written. */
  text(macro: string): string | undefined {
    return this.layout.definitions.get(macro)?.text;
  }

  evaluate(macro: string): ExprValue | undefined {
    if (this.values.has(macro)) return this.values.get(macro) ?? undefined;
    this.values.set(macro, null);
    const definition = this.layout.definitions.get(macro);
    let value: ExprValue | undefined;
    if (definition && definition.params.length === 0 && definition.text !== '') {
      try {
        value = evaluate(parseExpr(cText(definition.text)), this, []);
      } catch (error) {
        if (!(error instanceof ExprError)) throw error;
      }
    }
    this.values.set(macro, value ?? null);
    return value;
  }

  lookup(name: string): Binding | undefined {
    const definition: MacroDefinition | undefined = this.layout.definitions.get(name);
    if (!definition) return undefined;
    if (definition.params.length > 0) {
      try {
        return { kind: 'macro', params: definition.params, body: parseExpr(cText(definition.text), definition.params), refs: [] };
      } catch {
        return { kind: 'opaque-macro', name };
      }
    }
    return {
      kind: 'value',
      value: () => {
        const value = this.evaluate(name);
        if (value === undefined) throw new ExprError(`${name} has no value`);
        return value;
      },
    };
  }

  lookupRef(): Binding | undefined {
    return undefined;
  }

  structSize(name: string): number {
    const found = this.layout.structs.find((s) => s.name === name);
    if (!found) throw new ExprError(`sizeof(struct ${name}): the header declares no such struct`);
    return found.size;
  }

  kernelName(): bigint | undefined {
    // PAGE_SIZE and the like are the prelude's macros, read like any other.
    return undefined;
  }
}
