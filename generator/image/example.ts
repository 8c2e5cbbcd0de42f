/**
 * An example state for a version, built from its model alone: what `luo-abi encode --example` prints
 * for a user to start from. Every pointer leads somewhere (two entries where it leads to entries, so
 * that the shape of a list shows), every integer has a value of its own, counts kept beside a pointer
 * are left out (encode fills them in), and strings say which field they are.
 */
import type { NodeModel, PointerModel, StructModel, TypeInfo, VersionModel } from '../model/index.ts';
import { derivedCounts } from './json.ts';
import type { ImageState, NodeState, PropertyState, StructValue } from './state.ts';

const ENTRIES = 2;

export function exampleState(version: VersionModel): ImageState {
  const structs = new Map(version.structs.map((s) => [s.name, s]));
  let next = 0;
  const integer = (type: Extract<TypeInfo, { kind: 'scalar' }>): bigint | number => {
    next = (next % 100) + 1;
    return type.size === 8 ? BigInt(next) : next;
  };
  const made = new Map<string, number>();
  /** `name-0`, `name-1`, ...: a string says which field it is, cut to fit with its NUL. */
  const text = (name: string, length: number) => {
    const index = made.get(name) ?? 0;
    made.set(name, index + 1);
    return `${name}-${index}`.slice(0, Math.max(0, length - 1));
  };

  const struct = (model: StructModel, depth: number): StructValue => {
    const derived = derivedCounts(model);
    const fields = model.fields.filter((f) => f.type.kind !== 'flexible' && !derived.has(f.name));
    return Object.fromEntries(fields.map((f) => [f.name, value(f.name, f.type, depth)])) as StructValue;
  };
  const pointer = (target: PointerModel['target'], depth: number): PropertyState => {
    // Deep enough to show every level once; a pointer cycle (none in LUO) would end here.
    if (depth > 8) return null;
    if (target.shape === 'struct') return struct(structs.get(target.struct)!, depth + 1);
    return Array.from({ length: ENTRIES }, () => struct(structs.get(target.entry)!, depth + 1));
  };
  const value = (name: string, type: TypeInfo, depth: number): unknown => {
    switch (type.kind) {
      case 'scalar':
        return integer(type);
      case 'chars':
        return text(name, type.length);
      case 'array':
        return Array.from({ length: type.length }, () => value(name, type.element, depth));
      case 'aggregate':
        return struct(structs.get(type.name)!, depth);
      case 'pointer':
        return pointer(type.target, depth);
      case 'flexible':
        return [];
    }
  };
  const node = (model: NodeModel): NodeState => ({
    compatible: model.compatible.value,
    properties: Object.fromEntries(
      model.properties.map((p) => [p.name, p.kind === 'string' ? text(p.name, Infinity) : p.kind === 'u64' ? BigInt(++next) : pointer(p.pointer!.target, 0)]),
    ),
    children: Object.fromEntries(model.children.map((c) => [c.name, node(c)])),
  });
  return { version: version.name, root: node(version.fdt.root) };
}
