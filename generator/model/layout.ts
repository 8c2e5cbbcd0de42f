/**
 * Laying out structs and unions as gcc does on LP64 targets: natural alignment unless `__packed`,
 * bit-fields in storage units of their base type (never straddling one unless packed), unions at
 * offset 0, arrays sized by constants or expressions evaluated for the page size at hand.
 * Validation of every field's type happens here too, with the exact place of each mistake.
 */
import type { AreaContents, Aggregate, AggregateRef, BlockSize, FieldDef, FieldType, Length, PointerType, PropertyName, SourceLocation } from '../../schema/lang.ts';
import { exprText, ExprError, parseExpr } from './expr.ts';
import type { AreaModel, BlockModel, FieldModel, PointerModel, StructModel, TargetModel, TypeInfo } from './model.ts';
import { typeLayout } from './model.ts';
import type { VersionScope } from './scope.ts';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SUMMARY_COLUMNS = 80;

export function isAggregate(value: unknown): value is Aggregate {
  return typeof value === 'object' && value !== null && ((value as Aggregate).kind === 'struct' || (value as Aggregate).kind === 'union') && typeof (value as Aggregate).fields === 'object';
}

export function resolveAggregate(ref: AggregateRef | undefined): Aggregate | undefined {
  const value = typeof ref === 'function' ? ref() : ref;
  return isAggregate(value) ? value : undefined;
}

export function fieldEntries(fields: { readonly [name: string]: FieldDef } | undefined): [string, FieldDef | undefined][] {
  return Object.entries(fields ?? {});
}

/** Lays out one of `scope`'s own aggregates; StructModel.sizeC and guard are filled in later. */
export function layoutAggregate(scope: VersionScope, def: Aggregate, index: number): StructModel | undefined {
  const path = [...scope.path, `${def.kind} ${def.name}`];
  const entries = fieldEntries(def.fields);
  if (entries.length === 0) {
    scope.issues.add('empty-aggregate', path, `has no fields; a ${def.kind} needs at least one`, def.at);
    return undefined;
  }
  const purpose = ` * ${def.kind} ${def.name} - ${def.summary ?? ''}`;
  if (!def.summary || /\n/.test(def.summary) || purpose.length > SUMMARY_COLUMNS) {
    scope.issues.add('bad-doc', path, `the summary must be one line that fits " * ${def.kind} ${def.name} - ..." in 80 columns (now ${purpose.length}); move detail into the description`, def.at);
  }
  const laid = new FieldLayout(scope, index).fields(entries, def.kind, def.packed, path);
  if (!laid) return undefined;
  return {
    kind: def.kind,
    name: def.name,
    header: scope.header,
    version: scope.version.name,
    packed: def.packed,
    size: laid.size,
    sizeC: String(laid.size),
    align: laid.align,
    summary: def.summary,
    description: [...def.description],
    fields: laid.fields,
    guard: '',
    ...(def.at ? { at: def.at } : {}),
  };
}

class FieldLayout {
  constructor(
    private readonly scope: VersionScope,
    /** The aggregate's index among the version's types: nested structs must come before it. */
    private readonly index: number,
  ) {}

  private get issues() {
    return this.scope.issues;
  }

  fields(entries: [string, FieldDef | undefined][], kind: 'struct' | 'union', packed: boolean, path: string[]): { fields: FieldModel[]; size: number; align: number } | undefined {
    const fields: FieldModel[] = [];
    let bit = 0;
    let end = 0;
    let align = 1;
    let ok = true;
    entries.forEach(([name, fieldDef], i) => {
      const fpath = [...path, name];
      if (!IDENTIFIER.test(name)) {
        this.issues.add('bad-identifier', fpath, 'a field name must be a C identifier', fieldDef?.at);
        ok = false;
        return;
      }
      if (!fieldDef || typeof fieldDef !== 'object' || !('type' in fieldDef)) {
        this.issues.add('unknown-type', fpath, 'not a field; write field(type, doc)');
        ok = false;
        return;
      }
      const type = this.typeInfo(fieldDef.type, fpath, fieldDef.at);
      if (!type) {
        ok = false;
        return;
      }
      if (type.kind === 'flexible' && (i !== entries.length - 1 || kind === 'union')) {
        this.issues.add('misplaced-flexible-array', fpath, 'a flexible array must be the last field of a struct', fieldDef.at);
        ok = false;
        return;
      }
      if (fieldDef.anonymous && type.kind !== 'inline') {
        this.issues.add('unknown-type', fpath, 'only a struct or union declared in place (inlineStruct, inlineUnion) can be an anonymous member', fieldDef.at);
        ok = false;
        return;
      }
      const start = kind === 'union' ? 0 : bit;
      const base = {
        name,
        type,
        doc: fieldDef.doc,
        ...(fieldDef.anonymous ? { anonymous: true } : {}),
        ...(fieldDef.at ? { at: fieldDef.at } : {}),
      };
      if (type.kind === 'bits') {
        const unit = type.base.size * 8;
        // gcc: a bit-field that would straddle a storage unit of its type starts the next one, unless packed.
        const placed = !packed && Math.floor(start / unit) !== Math.floor((start + type.width - 1) / unit) ? alignUp(start, unit) : start;
        const offset = Math.floor(placed / 8);
        const shift = placed - offset * 8;
        fields.push({ ...base, offset, size: Math.ceil((shift + type.width) / 8), align: packed ? 1 : type.base.size, bits: { shift, width: type.width } });
        if (!packed) align = Math.max(align, type.base.size);
        bit = kind === 'union' ? bit : placed + type.width;
        end = Math.max(end, placed + type.width);
        return;
      }
      const natural = typeLayout(type, (nested) => this.nestedLayout(nested));
      const fieldAlign = packed ? 1 : natural.align;
      const offset = alignUp(Math.ceil(start / 8), fieldAlign);
      fields.push({ ...base, offset, size: natural.size, align: fieldAlign });
      if (kind === 'struct') bit = (offset + natural.size) * 8;
      end = Math.max(end, (offset + natural.size) * 8);
      align = Math.max(align, fieldAlign);
    });
    if (!ok) return undefined;
    this.checkMemberNames(fields, path);
    for (const f of fields) if (f.type.kind === 'pointer') this.checkSiblings(f, fields, [...path, f.name]);
    for (const [name, fieldDef] of entries) {
      if (!fieldDef?.holds) continue;
      const at = fields.findIndex((f) => f.name === name);
      const holds = this.areaModel(fieldDef.holds, fields[at]!, fields, [...path, name], fieldDef.at);
      if (!holds) return undefined;
      fields[at] = { ...fields[at]!, holds };
    }
    return { fields, size: alignUp(Math.ceil(end / 8), align), align };
  }

  /** A nested struct typeInfo has already checked and laid out. */
  private nestedLayout(name: string): StructModel {
    const found = this.scope.visibleAggregate(name)!;
    return found.scope.aggregateLayout(found.def, found.index)!;
  }

  /** C: an anonymous member's fields share the enclosing struct's names. */
  private checkMemberNames(fields: readonly FieldModel[], path: string[]): void {
    const names = new Set<string>();
    const visit = (list: readonly FieldModel[]): void => {
      for (const f of list) {
        if (f.anonymous && f.type.kind === 'inline') {
          visit(f.type.fields);
          continue;
        }
        if (names.has(f.name)) this.issues.add('duplicate-type', [...path, f.name], 'two members (one inside an anonymous struct or union) have this name', f.at);
        names.add(f.name);
      }
    };
    visit(fields);
  }

  // ---------------------------------------------------------------------------------------------
  // Types

  private typeInfo(type: FieldType | undefined, path: string[], at?: SourceLocation): TypeInfo | undefined {
    if (!type || typeof type !== 'object' || !('kind' in type)) {
      this.issues.add('unknown-type', path, `unknown type ${JSON.stringify(type)}; use u8..u64, s8..s64, the C integer types, bits(), chars(), array(), flexible(), bitmap(), pa(), khoserPtr(), inlineUnion(), inlineStruct() or a struct`, at);
      return undefined;
    }
    switch (type.kind) {
      case 'scalar':
        return { kind: 'scalar', name: type.name, size: type.size, signed: type.signed };
      case 'bits': {
        const base = type.base;
        if (!base || base.kind !== 'scalar' || base.name === 'phys_addr_t') {
          this.issues.add('bad-bit-field', path, 'a bit-field needs an integer base type such as u64', at);
          return undefined;
        }
        if (!Number.isInteger(type.width) || type.width < 1 || type.width > base.size * 8) {
          this.issues.add('bad-bit-field', path, `a bit-field of ${base.name} is 1 to ${base.size * 8} bits wide, not ${type.width}`, at);
          return undefined;
        }
        return { kind: 'bits', base: { kind: 'scalar', name: base.name, size: base.size, signed: base.signed }, width: type.width };
      }
      case 'chars': {
        const length = this.length(type.length, path, at);
        if (!length) return undefined;
        return { kind: 'chars', length: length.value, lengthC: length.c, ...(length.constant ? { lengthConstant: length.constant } : {}) };
      }
      case 'array': {
        const length = this.length(type.length, path, at);
        const element = this.typeInfo(type.element, [...path, '[]'], at);
        if (!length || !element) return undefined;
        if (element.kind === 'flexible' || element.kind === 'bits') {
          this.issues.add(element.kind === 'bits' ? 'bad-bit-field' : 'misplaced-flexible-array', path, element.kind === 'bits' ? 'C has no arrays of bit-fields' : 'an array of flexible arrays has no size', at);
          return undefined;
        }
        return { kind: 'array', element, length: length.value, lengthC: length.c, ...(length.constant ? { lengthConstant: length.constant } : {}) };
      }
      case 'flexible': {
        const element = this.typeInfo(type.element, [...path, '[]'], at);
        if (!element) return undefined;
        return { kind: 'flexible', element };
      }
      case 'bitmap': {
        const length = this.length(type.bits, path, at);
        if (!length) return undefined;
        return { kind: 'bitmap', bits: length.value, bitsC: length.c, words: Math.ceil(length.value / 64) };
      }
      case 'pointer': {
        const pointer = this.pointerModel(type, path, at);
        if (pointer?.form === 'khoser' && this.scope.lookup('DECLARE_KHOSER_PTR') === undefined) {
          this.issues.add('undeclared-constant', path, 'a KHOSER pointer is spelled with DECLARE_KHOSER_PTR, which neither this version nor a version it uses defines; use the version of the header that defines it', at);
          return undefined;
        }
        return pointer ? { kind: 'pointer', ...pointer } : undefined;
      }
      case 'inline': {
        const laid = this.fields(fieldEntries(type.fields), type.aggregate, type.packed, path);
        if (!laid) return undefined;
        return { kind: 'inline', aggregate: type.aggregate, packed: type.packed, fields: laid.fields, size: laid.size, align: laid.align };
      }
      case 'struct':
      case 'union': {
        const found = this.scope.visibleAggregate(type.name);
        if (!found || !sameAggregate(this.scope, found, type)) {
          this.issues.add('undeclared-type', path, `${type.kind} ${type.name} is not among ${this.scope.version.name}'s types${found ? ' (another definition with that name is)' : ''}; add it to the version's types, or use the version of the header that declares it`, at);
          return undefined;
        }
        if (found.scope === this.scope && found.index >= this.index) {
          this.issues.add('declared-after-use', path, `${type.kind} ${type.name} must be declared before the struct that nests it; move it earlier in the version's types`, at);
          return undefined;
        }
        // A nested struct that failed validation has been reported already.
        if (!found.scope.aggregateLayout(found.def, found.index)) return undefined;
        return { kind: 'aggregate', aggregate: type.kind, name: type.name };
      }
      default:
        this.issues.add('unknown-type', path, `unknown type kind ${JSON.stringify((type as { kind: unknown }).kind)}`, at);
        return undefined;
    }
  }

  /** An element count: its value here, its C text, and the constant's name when it is one. */
  private length(length: Length | undefined, path: string[], at?: SourceLocation): { value: number; c: string; constant?: string } | undefined {
    const positive = (value: bigint | string | undefined, c: string, constant?: string) => {
      if (typeof value !== 'bigint' || value <= 0n || value > 0xffffffffn) {
        this.issues.add('zero-length-array', path, `array length ${c}${constant === c && value !== undefined ? ` = ${String(value)}` : ''} must be a positive integer below 2^32 (use flexible() for a flexible array)`, at);
        return undefined;
      }
      return { value: Number(value), c, ...(constant ? { constant } : {}) };
    };
    if (typeof length === 'number') {
      if (!Number.isSafeInteger(length)) return positive(undefined, String(length));
      return positive(BigInt(length), String(length));
    }
    if (!length || typeof length !== 'object') {
      this.issues.add('bad-constant', path, 'an array length is a number, a constant, an enum member or an expression', at);
      return undefined;
    }
    try {
      if (length.kind === 'expr') {
        const tree = parseExpr(length);
        const c = exprText(length);
        const single = tree.kind === 'name' ? tree.name : tree.kind === 'ref' ? c : undefined;
        return positive(this.scope.evaluateLength(tree, length.refs), c, single);
      }
      const owner = this.scope.ownerOf(length);
      if (!owner) {
        this.issues.add('undeclared-constant', path, `uses ${length.name}, which neither ${this.scope.version.name} nor a version it uses defines; add it to the version's constants`, (length as { at?: SourceLocation }).at ?? at);
        return undefined;
      }
      const value = owner.valueOf(length as Parameters<VersionScope['valueOf']>[0]);
      if (value === undefined) return undefined;
      return positive(value, length.name, length.name);
    } catch (error) {
      if (!(error instanceof ExprError)) throw error;
      this.issues.add('bad-constant', path, `array length: ${error.message}`, at);
      return undefined;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Pointers

  /** A struct a pointer or an area names: it must be visible in the version. */
  private named(ref: AggregateRef | undefined, role: string, path: readonly string[], at?: SourceLocation): { name: string; def: Aggregate } | undefined {
    const def = resolveAggregate(ref);
    if (!def) {
      this.issues.add('pointer-to-nothing', path, `the pointer's ${role} is not a struct`, at);
      return undefined;
    }
    const found = this.scope.visibleAggregate(def.name);
    if (!found || !sameAggregate(this.scope, found, def)) {
      this.issues.add('undeclared-type', path, `points at ${def.kind} ${def.name}, which is not among ${this.scope.version.name}'s types; add it to the version's types, or use the version of the header that declares it`, at);
      return undefined;
    }
    return { name: def.name, def };
  }

  pointerModel(pointer: PointerType, path: readonly string[], at?: SourceLocation): PointerModel | undefined {
    const target = pointer.target;
    if (!target || typeof target !== 'object' || !('shape' in target)) {
      this.issues.add('pointer-to-nothing', path, 'the pointer has no target; say what the address points at (toStruct, toHeaderArray, toArray, toChain, selectedBy, toRadixTree, toClient)', at);
      return undefined;
    }
    const named = (ref: AggregateRef | undefined, role: string) => this.named(ref, role, path, at);
    let model: TargetModel | undefined;
    switch (target.shape) {
      case 'struct': {
        const s = named(target.struct, 'target');
        if (s) model = { shape: 'struct', struct: s.name };
        break;
      }
      case 'header-array': {
        const header = named(target.header, 'header');
        const entry = named(target.entry, 'entry');
        const block = this.blockModel(target.block, header?.def, path, at);
        if (header && entry && block && this.headerField(header.def, target.count, 'count', path, at)) {
          model = { shape: 'header-array', header: header.name, count: target.count, entry: entry.name, block };
        }
        break;
      }
      case 'array': {
        const entry = named(target.entry, 'entry');
        const block = this.blockModel(target.block, undefined, path, at);
        if (entry && block) model = { shape: 'array', entry: entry.name, count: target.count, block };
        break;
      }
      case 'chain': {
        const header = named(target.header, 'header');
        const entry = named(target.entry, 'entry');
        const block = this.blockModel(target.block, header?.def, path, at);
        const fieldsOk =
          header !== undefined &&
          this.headerField(header.def, target.next, 'next', path, at, 8) &&
          this.headerField(header.def, target.count, 'count', path, at);
        if (header && entry && block && fieldsOk) {
          model = { shape: 'chain', header: header.name, next: target.next, count: target.count, entry: entry.name, block, ...(target.total ? { total: target.total } : {}) };
        }
        break;
      }
      case 'selected':
        if (typeof target.selector === 'string') model = { shape: 'selected', selector: target.selector };
        break;
      case 'radix-tree': {
        const node = named(target.node, 'node');
        const leaf = named(target.leaf, 'leaf');
        const depth = this.length(target.depth, [...path, 'depth'], at);
        const order0 = this.length(target.order0, [...path, 'order0'], at);
        const table = node && this.ownField(node.def, target.table, (t) => t.kind === 'array' && isU64(t.element), 'a u64 array', path, at);
        const bitmap = leaf && this.ownField(leaf.def, target.bitmap, (t) => t.kind === 'bitmap', 'a bitmap', path, at);
        if (node && leaf && depth && order0 && table && bitmap) {
          if (depth.value < 2 || order0.value > 63) {
            this.issues.add('bad-pointer-field', path, `a radix tree has at least a node level and a leaf level (depth ${depth.value}) and an order-0 marker below bit 64 (order0 ${order0.value})`, at);
          } else {
            model = { shape: 'radix-tree', node: node.name, table: target.table, leaf: leaf.name, bitmap: target.bitmap, depth: depth.value, order0: order0.value };
          }
        }
        break;
      }
      case 'bitmap-chunks': {
        const header = named(target.header, 'header');
        const entry = named(target.entry, 'entry');
        const block = this.blockModel(target.block, header?.def, path, at);
        const unsigned = (t: TypeInfo) => t.kind === 'scalar' && !t.signed;
        const address = (t: TypeInfo) => t.kind === 'pointer' || isU64(t);
        const headerOk =
          header !== undefined &&
          this.ownField(header.def, target.next, address, 'an address (a pointer or a u64)', path, at) !== undefined &&
          this.ownField(header.def, target.order, unsigned, 'an unsigned integer', path, at) !== undefined &&
          this.ownField(header.def, target.count, unsigned, 'an unsigned integer', path, at) !== undefined;
        const start = entry && this.ownField(entry.def, target.start, address, 'an address (a u64 or a phys_addr_t)', path, at);
        const bitmap = entry && this.ownField(entry.def, target.bitmap, (t) => t.kind === 'pointer' && t.target.shape === 'struct', 'a pointer to a struct', path, at);
        const bitsStruct = bitmap?.type.kind === 'pointer' && bitmap.type.target.shape === 'struct' ? bitmap.type.target.struct : undefined;
        const bitsDef = bitsStruct ? this.scope.visibleAggregate(bitsStruct)?.def : undefined;
        const bits = bitsDef && this.ownField(bitsDef, target.bits, (t) => t.kind === 'bitmap', 'a bitmap', path, at);
        if (header && entry && block && headerOk && start && bits) {
          model = {
            shape: 'bitmap-chunks',
            header: header.name,
            next: target.next,
            order: target.order,
            count: target.count,
            entry: entry.name,
            start: target.start,
            bitmap: target.bitmap,
            bits: { struct: bitsStruct!, field: target.bits },
            block,
          };
        }
        break;
      }
      case 'client': {
        const size = target.size === undefined ? undefined : this.propertyNameValue(target.size, [...path, 'size'], at);
        if (target.size === undefined || size !== undefined) model = { shape: 'client', ...(size !== undefined ? { size } : {}) };
        break;
      }
      default:
        this.issues.add('pointer-to-nothing', path, `unknown pointer shape ${JSON.stringify((target as { shape: unknown }).shape)}`, at);
    }
    const form = pointer.form ?? 'u64';
    return model ? { nullable: pointer.nullable, form, target: model } : undefined;
  }

  /** A property named by a string or a string constant: the name. */
  private propertyNameValue(name: PropertyName, path: readonly string[], at?: SourceLocation): string | undefined {
    if (typeof name === 'string') return name;
    const model = name?.kind === 'constant' ? this.scope.constantModel(name) : undefined;
    if (typeof model?.value !== 'string') {
      this.issues.add('bad-constant', path, 'a property is named by a string or a string constant of the version', at);
      return undefined;
    }
    return model.value;
  }

  /** The field `name` of `struct`, laid out, when it is what `ok` accepts. */
  private ownField(struct: Aggregate, name: string, ok: (type: TypeInfo) => boolean, what: string, path: readonly string[], at?: SourceLocation): FieldModel | undefined {
    const found = this.scope.visibleAggregate(struct.name);
    const field = found?.scope.aggregateLayout(found.def, found.index)?.fields.find((f) => f.name === name);
    if (!field || !ok(field.type)) {
      this.issues.add('bad-pointer-field', path, `"${name}" must be ${what} field of ${struct.kind} ${struct.name}`, at);
      return undefined;
    }
    return field;
  }

  /** A page-list descriptor field and what its area holds, checked against the structs it names. */
  private areaModel(holds: AreaContents, field: FieldModel, siblings: readonly FieldModel[], path: readonly string[], at?: SourceLocation): AreaModel | undefined {
    const list = holds.list;
    if (list?.kind !== 'page-list' || field.type.kind !== 'aggregate' || field.type.name !== list.descriptor?.name) {
      this.issues.add('bad-pointer-field', path, 'an area field (areaField) has the type of its page list\'s descriptor', at);
      return undefined;
    }
    const descriptor = this.named(list.descriptor, 'page-list descriptor', path, at);
    const chunk = this.named(list.chunk, 'page-list chunk', path, at);
    const entry = this.named(holds.entry, 'area entry', path, at);
    if (!descriptor || !chunk || !entry) return undefined;
    const unsigned = (t: TypeInfo) => t.kind === 'scalar' && !t.signed;
    const first = this.ownField(descriptor.def, list.first, (t) => t.kind === 'pointer' && t.target.shape === 'struct' && t.target.struct === chunk.name, `a pointer to struct ${chunk.name}`, path, at);
    const order = this.ownField(descriptor.def, list.order, unsigned, 'an unsigned integer', path, at);
    const total = this.ownField(descriptor.def, list.totalPages, unsigned, 'an unsigned integer', path, at);
    const pages = this.ownField(chunk.def, list.pages, (t) => t.kind === 'array' && isU64(t.element), 'a u64 array', path, at);
    const next = this.fieldPath(chunk.def, list.next.split('.'), path, at);
    const count = siblings.find((f) => f.name === holds.count);
    if (!count || !unsigned(count.type)) {
      this.issues.add('bad-pointer-field', path, `the count field "${holds.count}" must be an unsigned integer field beside the area`, at);
      return undefined;
    }
    if (!first || !order || !total || !pages || !next) return undefined;
    return {
      list: { descriptor: descriptor.name, first: list.first, chunk: chunk.name, next: list.next.split('.'), pages: list.pages, order: list.order, totalPages: list.totalPages },
      entry: entry.name,
      count: holds.count,
    };
  }

  /** A path through nested structs (`hdr.next`) to an 8-byte address: a pointer or a u64. */
  private fieldPath(struct: Aggregate, steps: readonly string[], path: readonly string[], at?: SourceLocation): FieldModel | undefined {
    let current = struct;
    for (const [i, step] of steps.entries()) {
      const last = i === steps.length - 1;
      const field = this.ownField(current, step, (t) => (last ? t.kind === 'pointer' || isU64(t) : t.kind === 'aggregate'), last ? 'an address (a pointer or a u64)' : 'a struct', path, at);
      if (!field) return undefined;
      if (last) return field;
      const nested = this.named(this.scope.visibleAggregate((field.type as { name: string }).name)?.def, 'nested struct', path, at);
      if (!nested) return undefined;
      current = nested.def;
    }
    return undefined;
  }

  private headerField(header: Aggregate, name: string, role: string, path: readonly string[], at?: SourceLocation, size?: number): boolean {
    const fieldDef = (header.fields as Record<string, FieldDef | undefined>)[name];
    const type = fieldDef?.type;
    if (!type || type.kind !== 'scalar' || type.signed || (size !== undefined && type.size !== size)) {
      this.issues.add('bad-pointer-field', path, `the ${role} field "${name}" must be an unsigned ${size ? `${size * 8}-bit ` : ''}integer field of ${header.kind} ${header.name}`, at);
      return false;
    }
    return true;
  }

  private blockModel(block: BlockSize | undefined, header: Aggregate | undefined, path: readonly string[], at?: SourceLocation): BlockModel | undefined {
    if (block?.kind === 'pages' && Number.isSafeInteger(block.pages) && block.pages > 0) return { kind: 'pages', pages: block.pages };
    if (block?.kind === 'header-field' && header && this.headerField(header, block.field, 'block size', path, at)) {
      return { kind: 'header-field', field: block.field, unit: 'pages' };
    }
    if (block?.kind !== 'header-field') {
      this.issues.add('bad-block-size', path, 'the block size must be pages(N) with N > 0, or pagesIn(header, field)', at);
    }
    return undefined;
  }

  /** An array's count and a chain's total are siblings of the pointer; a selector is a sibling string. */
  private checkSiblings(pointer: FieldModel, siblings: readonly FieldModel[], path: readonly string[]): void {
    if (pointer.type.kind !== 'pointer') return;
    const target = pointer.type.target;
    if (target.shape === 'selected') {
      const found = siblings.find((f) => f.name === target.selector);
      if (found?.type.kind !== 'chars') this.issues.add('bad-pointer-field', path, `the selector "${target.selector}" must be a char[] field beside the address`, pointer.at);
      return;
    }
    const sibling = target.shape === 'array' ? target.count : target.shape === 'chain' ? target.total : undefined;
    if (sibling === undefined) return;
    const found = siblings.find((f) => f.name === sibling);
    if (!found || found.type.kind !== 'scalar' || found.type.signed) {
      this.issues.add('bad-pointer-field', path, `the count field "${sibling}" must be an unsigned integer field beside the pointer`, pointer.at);
    }
  }
}

/** A pointer outside a struct (an FDT property or a container's target), validated in `scope`. */
export function pointerInScope(scope: VersionScope, pointer: PointerType, path: readonly string[], at?: SourceLocation): PointerModel | undefined {
  return new FieldLayout(scope, Number.MAX_SAFE_INTEGER).pointerModel(pointer, path, at);
}

/**
 * Whether `def` names the struct `found`: the same object for the version's own types (a stale copy
 * of a struct is a mistake), the same name for a used header's (what C sees is what that header, in
 * the version used, declares).
 */
function sameAggregate(scope: VersionScope, found: { scope: VersionScope; def: Aggregate }, def: Aggregate): boolean {
  return found.def === def || (found.scope !== scope && found.def.kind === def.kind && found.def.name === def.name);
}

function isU64(type: TypeInfo): boolean {
  return type.kind === 'scalar' && type.size === 8 && !type.signed;
}

export function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}
