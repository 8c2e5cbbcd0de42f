/**
 * schema -> model: validate a schema and lay out every struct as gcc does on LP64 targets.
 *
 * Validation collects every mistake with its exact place (`luo-v2 > struct luo_ser > flbs_pa`) and
 * throws them together as a SchemaError; nothing downstream ever sees an invalid model.
 */
import type {
  AbiSchema,
  AbiVersion,
  Aggregate,
  BlockSize,
  Constant,
  FdtNode,
  FieldType,
  PointerType,
  SourceLocation,
} from '../../schema/lang.ts';
import { SchemaError, type SchemaIssue, type SchemaIssueCode } from './errors.ts';
import { evaluateExpression } from './expr.ts';
import type {
  BlockModel,
  ConstantModel,
  FieldModel,
  GuardModel,
  Model,
  NodeModel,
  PointerModel,
  PropertyModel,
  StructModel,
  TargetModel,
  TypeInfo,
  VersionModel,
} from './model.ts';
import { allNodes, targetStructs, typeLayout } from './model.ts';

/** Target parameters that constant expressions may use. */
export const DEFAULT_TARGET = { PAGE_SIZE: 4096 } as const;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VERSION_NAME = /^[a-z0-9][a-z0-9.-]*$/;

class Issues {
  readonly list: SchemaIssue[] = [];
  add(code: SchemaIssueCode, path: readonly string[], message: string, at?: SourceLocation): void {
    this.list.push({ code, path, message, ...(at ? { at } : {}) });
  }
}

export function buildModel(schema: AbiSchema): Model {
  const issues = new Issues();
  const versions: VersionModel[] = [];
  const seen = new Set<string>();
  for (const version of schema.versions) {
    if (seen.has(version.name)) {
      issues.add('duplicate-version', [version.name], 'another version has this name; give each version its own name', version.at);
    }
    seen.add(version.name);
    if (!VERSION_NAME.test(version.name)) {
      issues.add('bad-identifier', [version.name || '(unnamed version)'], 'a version name is lower-case letters, digits, "." and "-"', version.at);
    }
    const built = new VersionBuilder(version, issues).build();
    if (built) versions.push(built);
  }
  const current = versions.find((v) => v.name === schema.current);
  if (!current && !schema.versions.some((v) => v.name === schema.current)) {
    issues.add('unknown-current', [schema.name], `current version "${schema.current}" is not one of the versions (${schema.versions.map((v) => v.name).join(', ')})`);
  }
  if (issues.list.length > 0 || !current) throw new SchemaError(issues.list);
  return {
    name: schema.name,
    header: { ...schema.header },
    versions,
    current,
  };
}

class VersionBuilder {
  private readonly constants = new Map<string, ConstantModel>();
  private readonly declared = new Map<string, { def: Aggregate; index: number }>();
  private readonly laidOut = new Map<string, StructModel>();
  private readonly ok: () => boolean;

  constructor(
    private readonly version: AbiVersion,
    private readonly issues: Issues,
  ) {
    const before = issues.list.length;
    this.ok = () => issues.list.length === before;
  }

  build(): VersionModel | undefined {
    const v = this.version;
    const constants = this.buildConstants();
    this.declareTypes();
    this.checkNestingCycles();
    const structs: StructModel[] = [];
    v.types.forEach((def, index) => {
      if (!isAggregate(def)) return;
      const layout = this.layoutAggregate(def, index);
      if (layout) {
        this.laidOut.set(def.name, layout);
        structs.push(layout);
      }
    });
    const root = this.buildNode(v.fdt?.root, [v.name, 'fdt'], '');
    const khoEntryName = this.constantRef(v.fdt?.khoEntryName, [v.name, 'fdt', 'khoEntryName'], 'string');
    const maxSize = this.constantRef(v.fdt?.maxSize, [v.name, 'fdt', 'maxSize'], 'number');
    // Guards are computed over a whole, valid version; earlier mistakes would only echo as orphans.
    if (!root || !khoEntryName || !maxSize || !this.ok()) return undefined;
    const guards = this.buildGuards(root, structs);
    this.checkDocReferences(structs, root);
    if (!this.ok()) return undefined;
    const guardOf = new Map<string, string>();
    for (const guard of guards) for (const s of guard.structs) guardOf.set(s, guard.macro);
    const includes = [...new Set(constants.flatMap((c) => (c.include ? [c.include] : [])))];
    return {
      name: v.name,
      origin: v.origin,
      doc: { title: v.doc.title, paragraphs: [...v.doc.paragraphs] },
      constants,
      structs: structs.map((s) => ({ ...s, guard: guardOf.get(s.name)! })),
      fdt: { khoEntryName, maxSize, root },
      guards,
      includes,
      ...(v.at ? { at: v.at } : {}),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Constants

  private buildConstants(): ConstantModel[] {
    const out: ConstantModel[] = [];
    for (const constant of this.version.constants) {
      const path = [this.version.name, `constant ${constant?.name ?? '(undefined)'}`];
      if (!constant || constant.kind !== 'constant') {
        this.issues.add('bad-constant', path, 'not a constant; define it with defineNumber, defineString or defineExpr');
        continue;
      }
      if (!IDENTIFIER.test(constant.name)) {
        this.issues.add('bad-identifier', path, 'a constant name must be a C identifier', constant.at);
        continue;
      }
      if (this.constants.has(constant.name)) {
        this.issues.add('duplicate-constant', path, 'defined twice in this version; keep one definition', constant.at);
        continue;
      }
      const model = this.constantModel(constant, path);
      if (!model) continue;
      this.constants.set(constant.name, model);
      out.push(model);
    }
    return out;
  }

  private constantModel(constant: Constant, path: string[]): ConstantModel | undefined {
    const base = {
      name: constant.name,
      ...(constant.include ? { include: constant.include } : {}),
      ...(constant.doc ? { doc: constant.doc } : {}),
      ...(constant.at ? { at: constant.at } : {}),
    };
    const value = constant.value;
    switch (value.kind) {
      case 'number':
        if (!Number.isSafeInteger(value.value) || value.value < 0) {
          this.issues.add('bad-constant', path, `value ${value.value} is not a non-negative integer`, constant.at);
          return undefined;
        }
        return { ...base, kind: 'number', c: String(value.value), value: value.value };
      case 'string':
        if (!/^[\x20-\x7e]*$/.test(value.value) || /["\\]/.test(value.value)) {
          this.issues.add('bad-constant', path, 'a string constant must be printable ASCII without quotes or backslashes', constant.at);
          return undefined;
        }
        return { ...base, kind: 'string', c: `"${value.value}"`, value: value.value };
      case 'expr': {
        const numbers = new Map<string, number>(Object.entries(DEFAULT_TARGET));
        for (const c of this.constants.values()) if (typeof c.value === 'number') numbers.set(c.name, c.value);
        const result = evaluateExpression(value.c, numbers);
        if (typeof result === 'string') {
          this.issues.add('bad-constant', path, `expression "${value.c}": ${result}`, constant.at);
          return undefined;
        }
        return { ...base, kind: 'expr', c: value.c, value: result };
      }
    }
  }

  /** A constant used by a type or the FDT must be one of the version's, with the same value. */
  private constantRef(
    constant: Constant | undefined,
    path: readonly string[],
    want: 'string' | 'number',
  ): ConstantModel | undefined {
    if (!constant || constant.kind !== 'constant') {
      this.issues.add('bad-constant', path, `expected a ${want} constant`);
      return undefined;
    }
    const model = this.constants.get(constant.name);
    if (!model || model.c !== this.cText(constant)) {
      this.issues.add(
        'undeclared-constant',
        path,
        `uses ${constant.name}, which is not among ${this.version.name}'s constants${model ? ` with that value (it is ${model.c})` : ''}; add it to the version's constants`,
        constant.at,
      );
      return undefined;
    }
    const isString = model.kind === 'string';
    if (isString !== (want === 'string')) {
      this.issues.add('bad-constant', path, `${constant.name} must be a ${want} constant`, constant.at);
      return undefined;
    }
    return model;
  }

  private cText(constant: Constant): string {
    const v = constant.value;
    return v.kind === 'string' ? `"${v.value}"` : v.kind === 'number' ? String(v.value) : v.c;
  }

  // ---------------------------------------------------------------------------------------------
  // Structs and unions

  private declareTypes(): void {
    this.version.types.forEach((def, index) => {
      const path = [this.version.name, `types[${index}]`];
      if (!isAggregate(def)) {
        this.issues.add('unknown-type', path, 'not a struct or union; declare it with struct() or union()');
        return;
      }
      const where = [this.version.name, `${def.kind} ${def.name}`];
      if (!IDENTIFIER.test(def.name)) {
        this.issues.add('bad-identifier', where, 'a struct name must be a C identifier', def.at);
        return;
      }
      if (this.declared.has(def.name)) {
        this.issues.add('duplicate-type', where, 'declared twice in this version; one definition per name', def.at);
        return;
      }
      this.declared.set(def.name, { def, index });
    });
  }

  /** A struct that contains itself, directly or through others, has no finite size. */
  private checkNestingCycles(): void {
    const state = new Map<Aggregate, 'visiting' | 'done'>();
    const visit = (def: Aggregate, trail: string[]): void => {
      if (state.get(def) === 'done') return;
      if (state.get(def) === 'visiting') {
        const cycle = trail.slice(trail.indexOf(def.name)).concat(def.name);
        this.issues.add('nested-cycle', [this.version.name, `${def.kind} ${def.name}`], `contains itself: ${cycle.join(' -> ')}; use a pointer (pa) instead of nesting`, def.at);
        return;
      }
      state.set(def, 'visiting');
      for (const f of Object.values<FieldType | undefined>(fieldsOf(def).map(([, fd]) => fd?.type))) {
        for (const nested of nestedAggregates(f)) visit(nested, [...trail, def.name]);
      }
      state.set(def, 'done');
    };
    for (const { def } of this.declared.values()) visit(def, []);
  }

  private layoutAggregate(def: Aggregate, index: number): StructModel | undefined {
    const path = [this.version.name, `${def.kind} ${def.name}`];
    if (this.declared.get(def.name)?.def !== def) return undefined;
    const entries = fieldsOf(def);
    if (entries.length === 0) {
      this.issues.add('empty-aggregate', path, `has no fields; a ${def.kind} needs at least one`, def.at);
      return undefined;
    }
    const purpose = ` * ${def.kind} ${def.name} - ${def.summary ?? ''}`;
    if (!def.summary || /\n/.test(def.summary) || purpose.length > 80) {
      this.issues.add('bad-doc', path, `the summary must be one line that fits " * ${def.kind} ${def.name} - ..." in 80 columns (now ${purpose.length}); move detail into the description`, def.at);
    }
    const fields: FieldModel[] = [];
    let offset = 0;
    let align = 1;
    let size = 0;
    entries.forEach(([name, fieldDef], i) => {
      const fpath = [...path, name];
      if (!IDENTIFIER.test(name)) {
        this.issues.add('bad-identifier', fpath, 'a field name must be a C identifier', fieldDef?.at);
        return;
      }
      if (!fieldDef || typeof fieldDef !== 'object') {
        this.issues.add('unknown-type', fpath, 'not a field; write field(type, doc)');
        return;
      }
      const type = this.typeInfo(fieldDef.type, fpath, index, fieldDef.at);
      if (!type) return;
      if (type.kind === 'flexible' && (i !== entries.length - 1 || def.kind === 'union')) {
        this.issues.add('misplaced-flexible-array', fpath, 'a flexible array must be the last field of a struct', fieldDef.at);
        return;
      }
      const natural = typeLayout(type, (name) => this.laidOut.get(name)!);
      const fieldAlign = def.packed ? 1 : natural.align;
      const fieldOffset = def.kind === 'union' ? 0 : alignUp(offset, fieldAlign);
      fields.push({
        name,
        offset: fieldOffset,
        size: natural.size,
        align: fieldAlign,
        type,
        doc: fieldDef.doc,
        ...(fieldDef.at ? { at: fieldDef.at } : {}),
      });
      offset = fieldOffset + natural.size;
      size = Math.max(size, offset);
      align = Math.max(align, fieldAlign);
    });
    if (fields.length !== entries.length) return undefined;
    for (const f of fields) if (f.type.kind === 'pointer') this.checkSiblingCounts(f, fields, [...path, f.name]);
    return {
      kind: def.kind,
      name: def.name,
      packed: def.packed,
      size: alignUp(size, align),
      align,
      summary: def.summary,
      description: [...def.description],
      fields,
      guard: '',
      ...(def.at ? { at: def.at } : {}),
    };
  }

  private typeInfo(type: FieldType | undefined, path: string[], index: number, at?: SourceLocation): TypeInfo | undefined {
    if (!type || typeof type !== 'object' || !('kind' in type)) {
      this.issues.add('unknown-type', path, `unknown type ${JSON.stringify(type)}; use u8..u64, s8..s64, chars(), array(), flexible(), pa() or a struct`, at);
      return undefined;
    }
    switch (type.kind) {
      case 'scalar':
        return { kind: 'scalar', name: type.name, size: type.size, signed: type.signed };
      case 'chars': {
        const length = this.arrayLength(type.length, path, at);
        if (length === undefined) return undefined;
        return { kind: 'chars', length: length.value, ...(length.name ? { lengthConstant: length.name } : {}) };
      }
      case 'array': {
        const length = this.arrayLength(type.length, path, at);
        const element = this.typeInfo(type.element, [...path, '[]'], index, at);
        if (length === undefined || !element) return undefined;
        if (element.kind === 'flexible') {
          this.issues.add('misplaced-flexible-array', path, 'an array of flexible arrays has no size', at);
          return undefined;
        }
        return { kind: 'array', element, length: length.value, ...(length.name ? { lengthConstant: length.name } : {}) };
      }
      case 'flexible': {
        const element = this.typeInfo(type.element, [...path, '[]'], index, at);
        if (!element) return undefined;
        return { kind: 'flexible', element };
      }
      case 'pointer': {
        const pointer = this.pointerModel(type, path, at);
        return pointer ? { kind: 'pointer', ...pointer } : undefined;
      }
      case 'struct':
      case 'union': {
        const declared = this.declared.get(type.name);
        if (!declared || declared.def !== type) {
          this.issues.add('undeclared-type', path, `${type.kind} ${type.name} is not among ${this.version.name}'s types${declared ? ' (another definition with that name is)' : ''}; add it to the version's types`, at);
          return undefined;
        }
        if (declared.index >= index) {
          this.issues.add('declared-after-use', path, `${type.kind} ${type.name} must be declared before the ${type.kind === 'union' ? 'union' : 'struct'} that nests it; move it earlier in the version's types`, at);
          return undefined;
        }
        // A nested struct that failed validation has been reported already.
        if (!this.laidOut.has(type.name)) return undefined;
        return { kind: 'aggregate', aggregate: type.kind, name: type.name };
      }
      default:
        this.issues.add('unknown-type', path, `unknown type kind ${JSON.stringify((type as { kind: unknown }).kind)}`, at);
        return undefined;
    }
  }

  private arrayLength(length: number | Constant, path: string[], at?: SourceLocation): { value: number; name?: string } | undefined {
    if (typeof length === 'number') {
      if (!Number.isSafeInteger(length) || length <= 0) {
        this.issues.add('zero-length-array', path, `array length ${length} must be a positive integer (use flexible() for a flexible array)`, at);
        return undefined;
      }
      return { value: length };
    }
    const constant = this.constantRef(length, path, 'number');
    if (!constant) return undefined;
    if (typeof constant.value !== 'number' || constant.value <= 0) {
      this.issues.add('zero-length-array', path, `array length ${constant.name} = ${constant.value} must be positive`, at);
      return undefined;
    }
    return { value: constant.value, name: constant.name };
  }

  // ---------------------------------------------------------------------------------------------
  // Pointers

  private pointerModel(pointer: PointerType, path: readonly string[], at?: SourceLocation): PointerModel | undefined {
    const target = pointer.target;
    if (!target || typeof target !== 'object' || !('shape' in target)) {
      this.issues.add('pointer-to-nothing', path, 'the pointer has no target; say what the address points at (toStruct, toHeaderArray, toArray, toChain)', at);
      return undefined;
    }
    const named = (def: Aggregate | undefined, role: string): string | undefined => {
      if (!isAggregate(def)) {
        this.issues.add('pointer-to-nothing', path, `the pointer's ${role} is not a struct`, at);
        return undefined;
      }
      const declared = this.declared.get(def.name);
      if (!declared || declared.def !== def) {
        this.issues.add('undeclared-type', path, `points at ${def.kind} ${def.name}, which is not among ${this.version.name}'s types; add it to the version's types`, at);
        return undefined;
      }
      return def.name;
    };
    let model: TargetModel | undefined;
    switch (target.shape) {
      case 'struct': {
        const s = named(target.struct, 'target');
        if (s) model = { shape: 'struct', struct: s };
        break;
      }
      case 'header-array': {
        const header = named(target.header, 'header');
        const entry = named(target.entry, 'entry');
        const block = this.blockModel(target.block, target.header, path, at);
        if (header && entry && block && this.headerField(target.header, target.count, 'count', path, at)) {
          model = { shape: 'header-array', header, count: target.count, entry, block };
        }
        break;
      }
      case 'array': {
        const entry = named(target.entry, 'entry');
        const block = this.blockModel(target.block, undefined, path, at);
        if (entry && block) model = { shape: 'array', entry, count: target.count, block };
        break;
      }
      case 'chain': {
        const header = named(target.header, 'header');
        const entry = named(target.entry, 'entry');
        const block = this.blockModel(target.block, target.header, path, at);
        const fieldsOk =
          this.headerField(target.header, target.next, 'next', path, at, 8) &&
          this.headerField(target.header, target.count, 'count', path, at);
        if (header && entry && block && fieldsOk) {
          model = { shape: 'chain', header, next: target.next, count: target.count, entry, block, ...(target.total ? { total: target.total } : {}) };
        }
        break;
      }
      default:
        this.issues.add('pointer-to-nothing', path, `unknown pointer shape ${JSON.stringify((target as { shape: unknown }).shape)}`, at);
    }
    return model ? { nullable: pointer.nullable, target: model } : undefined;
  }

  private headerField(header: Aggregate | undefined, name: string, role: string, path: readonly string[], at?: SourceLocation, size?: number): boolean {
    if (!isAggregate(header)) return false;
    const fieldDef = (header.fields as Record<string, { type: FieldType } | undefined>)[name];
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

  /** An array's count and a chain's total are siblings of the pointer in the same struct. */
  private checkSiblingCounts(pointer: FieldModel, siblings: readonly FieldModel[], path: readonly string[]): void {
    if (pointer.type.kind !== 'pointer') return;
    const target = pointer.type.target;
    const sibling = target.shape === 'array' ? target.count : target.shape === 'chain' ? target.total : undefined;
    if (sibling === undefined) return;
    const found = siblings.find((f) => f.name === sibling);
    if (!found || found.type.kind !== 'scalar' || found.type.signed) {
      this.issues.add('bad-pointer-field', path, `the count field "${sibling}" must be an unsigned integer field beside the pointer`, pointer.at);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Documentation that names things: it must name things that exist

  /**
   * Hand-written headers drifted by naming macros, structs and members that did not exist; here a
   * doc may only name a macro, a struct or (in a struct's doc) a member of this version.
   */
  private checkDocReferences(structs: readonly StructModel[], root: NodeModel): void {
    const macros = new Set([...this.constants.keys(), ...Object.keys(DEFAULT_TARGET)]);
    const structNames = new Set(structs.map((s) => s.name));
    const check = (text: string, path: readonly string[], members?: ReadonlySet<string>, at?: SourceLocation): void => {
      for (const [macro] of text.matchAll(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g)) {
        if (!macros.has(macro)) this.issues.add('bad-doc', path, `names ${macro}, which ${this.version.name} does not define`, at);
      }
      // Only snake_case names: "a struct that..." and "union of" are prose, not references.
      for (const [, kind, name] of text.matchAll(/\b(struct|union) (\w*_\w*)/g)) {
        if (!structNames.has(name!)) this.issues.add('bad-doc', path, `names ${kind} ${name}, which ${this.version.name} does not declare`, at);
      }
      for (const [, member] of text.matchAll(/@(\w+)/g)) {
        if (!members?.has(member!)) this.issues.add('bad-doc', path, `names @${member}, which is not a member here`, at);
      }
    };
    const v = this.version;
    v.doc.paragraphs.forEach((p, i) => check(p, [v.name, `doc paragraph ${i + 1}`]));
    for (const c of this.constants.values()) if (c.doc) check(c.doc, [v.name, `constant ${c.name}`], undefined, c.at);
    for (const s of structs) {
      const where = [v.name, `${s.kind} ${s.name}`];
      const members = new Set(s.fields.map((f) => f.name));
      for (const text of [s.summary, ...s.description]) check(text, where, members, s.at);
      for (const f of s.fields) check(f.doc, [...where, f.name], members, f.at);
    }
    for (const node of allNodes(root)) {
      check(node.doc, [v.name, `node ${node.path}`], undefined, node.at);
      for (const p of node.properties) check(p.doc, [v.name, `node ${node.path}`, `property ${p.name}`], undefined, p.at);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The FDT

  private buildNode(node: FdtNode | undefined, path: string[], parentPath: string): NodeModel | undefined {
    if (!node || typeof node !== 'object') {
      this.issues.add('bad-property', path, 'missing FDT node');
      return undefined;
    }
    const isRoot = parentPath === '';
    const nameConst = node.name ? this.constantRef(node.name, [...path, 'name'], 'string') : undefined;
    if (!isRoot && !nameConst) {
      if (!node.name) this.issues.add('bad-property', path, 'a subnode needs a name constant', node.at);
      return undefined;
    }
    const name = isRoot ? '' : String(nameConst!.value);
    const nodePath = isRoot ? '/' : `${parentPath === '/' ? '' : parentPath}/${name}`;
    const here = [...path.slice(0, -1), `node ${nodePath}`];
    const compatible = this.constantRef(node.compatible, [...here, 'compatible'], 'string');
    const properties: PropertyModel[] = [];
    const propertyNames = new Set(['compatible']);
    for (const property of node.properties) {
      const nameModel = this.constantRef(property?.name, [...here, 'property'], 'string');
      if (!nameModel) continue;
      const ppath = [...here, `property ${nameModel.value}`];
      if (propertyNames.has(String(nameModel.value))) {
        this.issues.add('duplicate-property', ppath, 'a node cannot have two properties of one name', property.at);
        continue;
      }
      propertyNames.add(String(nameModel.value));
      const value = property.value;
      let pointer: PointerModel | undefined;
      if (value?.kind === 'pointer') {
        pointer = this.pointerModel(value.pointer, ppath, property.at);
        if (!pointer) continue;
        if (pointer.target.shape === 'array' || (pointer.target.shape === 'chain' && pointer.target.total)) {
          this.issues.add('bad-pointer-field', ppath, 'an FDT property has no sibling count field; point at a header-array or a chain', property.at);
          continue;
        }
      } else if (value?.kind !== 'u64' && value?.kind !== 'string') {
        this.issues.add('bad-property', ppath, 'a property value is u64Property, stringProperty or pointerProperty', property.at);
        continue;
      }
      properties.push({
        name: String(nameModel.value),
        macro: nameModel.name,
        kind: value.kind,
        ...(pointer ? { pointer } : {}),
        doc: property.doc,
        ...(property.at ? { at: property.at } : {}),
      });
    }
    const children: NodeModel[] = [];
    const childNames = new Set<string>();
    for (const child of node.children) {
      const built = this.buildNode(child, [...here, 'child'], nodePath);
      if (!built) continue;
      if (childNames.has(built.name)) {
        this.issues.add('duplicate-node', [...here, `node ${built.path}`], 'two subnodes have this name', child.at);
        continue;
      }
      childNames.add(built.name);
      children.push(built);
    }
    if (!compatible) return undefined;
    return {
      path: nodePath,
      name,
      ...(nameConst ? { nameMacro: nameConst.name } : {}),
      compatible: { macro: compatible.name, value: String(compatible.value) },
      doc: node.doc,
      properties,
      children,
      ...(node.at ? { at: node.at } : {}),
    };
  }

  /** Each node's compatible string guards what its properties reach, down to nodes with their own. */
  private buildGuards(root: NodeModel, structs: readonly StructModel[]): GuardModel[] {
    const byName = new Map(structs.map((s) => [s.name, s]));
    const reach = (start: readonly string[]): Set<string> => {
      const found = new Set<string>();
      const stack = [...start];
      while (stack.length > 0) {
        const name = stack.pop()!;
        if (found.has(name)) continue;
        found.add(name);
        for (const f of byName.get(name)?.fields ?? []) stack.push(...typeReferences(f.type));
      }
      return found;
    };
    const visited: { guard: GuardModel; depth: number }[] = [];
    const claimed = new Map<string, number>();
    const visit = (node: NodeModel, outer: string[], depth: number): void => {
      const reached = reach(node.properties.flatMap((p) => (p.pointer ? targetStructs(p.pointer.target) : [])));
      for (const s of reached) if ((claimed.get(s) ?? -1) < depth) claimed.set(s, depth);
      visited.push({
        guard: {
          macro: node.compatible.macro,
          value: node.compatible.value,
          node: node.path,
          properties: node.properties.map((p) => p.name),
          structs: [...reached].sort(),
          outer,
        },
        depth,
      });
      for (const child of node.children) visit(child, [...outer, node.compatible.macro], depth + 1);
    };
    visit(root, [], 0);
    // A struct belongs to the innermost node that reaches it.
    const guards = visited.map(({ guard, depth }) => ({
      ...guard,
      structs: guard.structs.filter((s) => claimed.get(s) === depth),
    }));
    const macros = new Set<string>();
    for (const guard of guards) {
      if (macros.has(guard.macro) && guard.node !== '/') {
        this.issues.add('duplicate-node', [this.version.name, `node ${guard.node}`], `compatible macro ${guard.macro} is used by two nodes; each node needs its own`);
      }
      macros.add(guard.macro);
    }
    for (const s of structs) {
      if (!claimed.has(s.name)) {
        this.issues.add('unguarded-struct', [this.version.name, `${s.kind} ${s.name}`], 'no FDT property reaches it, so no compatible string guards it; point at it from the FDT or from a struct that is reached, or drop it from the version', s.at);
      }
    }
    return guards;
  }
}

// -----------------------------------------------------------------------------------------------

function isAggregate(value: unknown): value is Aggregate {
  return typeof value === 'object' && value !== null && ((value as Aggregate).kind === 'struct' || (value as Aggregate).kind === 'union') && typeof (value as Aggregate).fields === 'object';
}

function fieldsOf(def: Aggregate): [string, Aggregate['fields'][string] | undefined][] {
  return Object.entries(def.fields ?? {});
}

function nestedAggregates(type: FieldType | undefined): Aggregate[] {
  if (!type || typeof type !== 'object') return [];
  if (type.kind === 'struct' || type.kind === 'union') return [type];
  if (type.kind === 'array' || type.kind === 'flexible') return nestedAggregates(type.element);
  return [];
}

/** Struct names a type reaches by nesting or by pointing. */
function typeReferences(type: TypeInfo): string[] {
  switch (type.kind) {
    case 'aggregate':
      return [type.name];
    case 'pointer':
      return targetStructs(type.target);
    case 'array':
    case 'flexible':
      return typeReferences(type.element);
    default:
      return [];
  }
}

function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}
