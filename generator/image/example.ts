/**
 * An example state for a version, built from its model alone: what `luo-abi encode --example` prints
 * for a user to start from. Every pointer leads somewhere (two entries where it leads to entries, so
 * that the shape of a list shows), every integer has a value of its own, counts kept beside a pointer
 * are left out (encode fills them in), and strings say which field they are.
 */
import { derivedFields, integerRange, isBigintType, type AreaModel, type FieldModel, type NodeModel, type PointerModel, type TypeInfo, type VersionModel } from '../model/index.ts';
import { fdtOf } from './select.ts';
import type { ImageState, NodeState, PropertyState, StructValue } from './state.ts';

const ENTRIES = 2;

export function exampleState(version: VersionModel): ImageState {
  const structs = new Map(version.visibleStructs.map((s) => [s.name, s]));
  let next = 0;
  /** 1 to 100 in turn, cut to fit a narrow bit-field. */
  const integer = (type: TypeInfo): bigint | number => {
    next = (next % 100) + 1;
    const value = next % 2 ** Math.min(integerRange(type)!.bits - 1, 30);
    return isBigintType(type) ? BigInt(value) : value;
  };
  const made = new Map<string, number>();
  /** `name-0`, `name-1`, ...: a string says which field it is, cut to fit with its NUL. */
  const text = (name: string, length: number) => {
    const index = made.get(name) ?? 0;
    made.set(name, index + 1);
    return `${name}-${index}`.slice(0, Math.max(0, length - 1));
  };

  /** A struct's members (an anonymous member's its own); of a union's, only the first: one is set. */
  const members = (fields: readonly FieldModel[], derived: ReadonlySet<string>, depth: number, union = false): StructValue => {
    const shown = fields.filter((f) => f.type.kind !== 'flexible' && !derived.has(f.name)).slice(0, union ? 1 : undefined);
    return Object.assign(
      {},
      ...shown.map((f) =>
        f.anonymous && f.type.kind === 'inline'
          ? members(f.type.fields, derived, depth, f.type.aggregate === 'union')
          : { [f.name]: f.holds ? area(f.holds, depth) : value(f.name, f.type, depth) },
      ),
    ) as StructValue;
  };
  /** A page-list area of entries in groups of one page (order 0); its page total is encode's to work out. */
  const area = (holds: AreaModel, depth: number): StructValue => {
    const list = holds.list;
    const descriptor = members(structs.get(list.descriptor)!.fields, new Set([list.totalPages, list.first, list.order]), depth);
    const order = structs.get(list.descriptor)!.fields.find((f) => f.name === list.order)!;
    return { ...descriptor, [list.first]: Array.from({ length: ENTRIES }, () => struct(holds.entry, depth + 1)), [list.order]: isBigintType(order.type) ? 0n : 0 };
  };
  const struct = (name: string, depth: number): StructValue => {
    const model = structs.get(name)!;
    return members(model.fields, derivedFields(model), depth, model.kind === 'union');
  };
  const pointer = (target: PointerModel['target'], depth: number): PropertyState => {
    // Deep enough to show every level once; a pointer cycle (none in LUO) would end here.
    if (depth > 8) return null;
    // What a handler keeps at a selected address is not the schema's to say: none here.
    if (target.shape === 'selected') return 0n;
    // A client of a name no version travels under: its address, shown as it is.
    if (target.shape === 'client') return BigInt(++next) << 12n;
    // Nothing preserved beyond what encode writes, which it adds.
    if (target.shape === 'radix-tree' || target.shape === 'bitmap-chunks') return [];
    if (target.shape === 'struct') return struct(target.struct, depth + 1);
    return Array.from({ length: ENTRIES }, () => struct(target.entry, depth + 1));
  };
  const value = (name: string, type: TypeInfo, depth: number): unknown => {
    switch (type.kind) {
      case 'scalar':
      case 'bits':
        return integer(type);
      case 'bitmap':
        return Array.from({ length: type.words }, () => 0n);
      case 'inline':
        return members(type.fields, new Set(), depth, type.aggregate === 'union');
      case 'chars':
        return text(name, type.length);
      case 'array':
        return Array.from({ length: type.length }, () => value(name, type.element, depth));
      case 'aggregate':
        return struct(type.name, depth);
      case 'pointer':
        return pointer(type.target, depth);
      case 'flexible':
        return [];
    }
  };
  const node = (model: NodeModel): NodeState => ({
    ...(model.compatible ? { compatible: model.compatible.value } : {}),
    properties: Object.fromEntries(
      model.properties.map((p) => [p.name, p.kind === 'string' ? text(p.name, Infinity) : p.kind === 'u64' ? BigInt(++next) : pointer(p.pointer!.target, 0)]),
    ),
    // A child named at run time gets a name of its own: `client-0`.
    children: Object.fromEntries(model.children.map((c) => [c.anyName === undefined ? c.name : `${c.anyName}-0`, node(c)])),
  });
  const container = version.container;
  // The entry says which version it is: its compatible field holds the version's string, or its
  // feature header the masks the version's kernel writes.
  if (container?.kind === 'kho-entry') {
    const entry = { ...struct(container.struct, 0), ...(container.field ? { [container.field]: container.compatible!.value } : {}) };
    const features = version.features;
    if (!features || features.carrier.struct !== container.struct) return { version: version.name, entry };
    const { supported, required, active } = features.headerStruct;
    const header = { ...(entry[features.carrier.field] as StructValue), [supported]: features.supported, [required]: features.required, [active]: features.active };
    return { version: version.name, entry: { ...entry, [features.carrier.field]: header } };
  }
  return { version: version.name, root: node(fdtOf(version).root) };
}
