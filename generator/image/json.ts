/**
 * The state as JSON: 64-bit integers as decimal strings (JSON numbers lose precision past 2^53),
 * everything else as itself. Reading JSON back is driven by the model, which says which strings are
 * 64-bit integers; any mistake is an ImageError naming the JSON path.
 */
import type { NodeModel, PointerModel, StructModel, TypeInfo, VersionModel } from '../model/index.ts';
import { ImageError } from './errors.ts';
import type { ImageState, NodeState, PropertyState, StructValue } from './state.ts';

export function stateToJson(state: ImageState): string {
  return JSON.stringify(state, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2);
}

export function stateFromJson(versions: readonly VersionModel[], json: unknown): ImageState {
  const top = object(json, 'state');
  const name = top.version;
  const version = versions.find((v) => v.name === name);
  if (!version) {
    throw new ImageError('state.version', `${JSON.stringify(name)} is not a version; known: ${versions.map((v) => v.name).join(', ')}`);
  }
  onlyKeys(top, ['version', 'root'], 'state');
  return { version: version.name, root: new JsonReader(version).node(version.fdt.root, top.root, 'state.root') };
}

type JsonObject = Record<string, unknown>;

function object(value: unknown, where: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ImageError(where, 'must be an object');
  return value as JsonObject;
}

function onlyKeys(value: JsonObject, known: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new ImageError(where, `has "${key}", which is not one of ${known.join(', ') || '(none)'}`);
  }
}

const key = (where: string, name: string) => (/^[A-Za-z_]\w*$/.test(name) ? `${where}.${name}` : `${where}[${JSON.stringify(name)}]`);

class JsonReader {
  private readonly structs: Map<string, StructModel>;

  constructor(private readonly version: VersionModel) {
    this.structs = new Map(version.structs.map((s) => [s.name, s]));
  }

  node(model: NodeModel, json: unknown, where: string): NodeState {
    const node = object(json, where);
    onlyKeys(node, ['compatible', 'properties', 'children'], where);
    if (node.compatible !== undefined && node.compatible !== model.compatible.value) {
      throw new ImageError(`${where}.compatible`, `is ${JSON.stringify(node.compatible)} but ${this.version.name} has "${model.compatible.value}"`);
    }
    const propertiesJson = object(node.properties ?? {}, `${where}.properties`);
    onlyKeys(propertiesJson, model.properties.map((p) => p.name), `${where}.properties`);
    const properties: Record<string, PropertyState> = {};
    for (const property of model.properties) {
      const here = key(`${where}.properties`, property.name);
      const value = propertiesJson[property.name];
      if (value === undefined) throw new ImageError(here, 'is missing');
      properties[property.name] =
        property.kind === 'string' ? this.string(value, here) : property.kind === 'u64' ? integer(value, 64, false, here) : this.pointer(property.pointer!, value, here);
    }
    const childrenJson = object(node.children ?? {}, `${where}.children`);
    onlyKeys(childrenJson, model.children.map((c) => c.name), `${where}.children`);
    const children: Record<string, NodeState> = {};
    for (const child of model.children) children[child.name] = this.node(child, childrenJson[child.name], key(`${where}.children`, child.name));
    return { compatible: model.compatible.value, properties, children };
  }

  private pointer(pointer: PointerModel, json: unknown, where: string): PropertyState {
    if (json === null) return null;
    const target = pointer.target;
    if (target.shape === 'struct') return this.struct(this.structNamed(target.struct), json, where);
    if (!Array.isArray(json)) throw new ImageError(where, `must be null or an array of struct ${target.entry}`);
    const entry = this.structNamed(target.entry);
    return json.map((element, i) => this.struct(entry, element, `${where}[${i}]`));
  }

  private struct(struct: StructModel, json: unknown, where: string): StructValue {
    const value = object(json, where);
    const fields = struct.fields.filter((f) => f.type.kind !== 'flexible');
    onlyKeys(value, fields.map((f) => f.name), where);
    const derived = derivedCounts(struct);
    const result: Record<string, unknown> = {};
    for (const field of fields) {
      const here = `${where}.${field.name}`;
      if (value[field.name] === undefined) {
        if (derived.has(field.name)) continue;
        throw new ImageError(here, 'is missing');
      }
      result[field.name] = this.value(field.type, value[field.name], here);
    }
    return result as StructValue;
  }

  private value(type: TypeInfo, json: unknown, where: string): unknown {
    switch (type.kind) {
      case 'scalar':
        return type.size === 8 ? integer(json, 64, type.signed, where) : Number(integer(json, type.size * 8, type.signed, where));
      case 'chars':
        return this.string(json, where);
      case 'array':
        if (!Array.isArray(json)) throw new ImageError(where, `must be an array of ${type.length}`);
        return json.map((element, i) => this.value(type.element, element, `${where}[${i}]`));
      case 'aggregate':
        return this.struct(this.structNamed(type.name), json, where);
      case 'pointer':
        return this.pointer(type, json, where);
      case 'flexible':
        return [];
    }
  }

  private string(json: unknown, where: string): string {
    if (typeof json !== 'string') throw new ImageError(where, 'must be a string');
    return json;
  }

  private structNamed(name: string): StructModel {
    const struct = this.structs.get(name);
    if (!struct) throw new Error(`${this.version.name}: no struct ${name}`);
    return struct;
  }
}

/** Count fields beside a pointer: the builder fills them in, so a state may leave them out. */
function derivedCounts(struct: StructModel): Set<string> {
  const names = new Set<string>();
  for (const field of struct.fields) {
    if (field.type.kind !== 'pointer') continue;
    const target = field.type.target;
    if (target.shape === 'array') names.add(target.count);
    if (target.shape === 'chain' && target.total !== undefined) names.add(target.total);
  }
  return names;
}

/** An integer of `bits` bits, from a decimal or 0x string, or a JSON number that is exact. */
function integer(json: unknown, bits: number, signed: boolean, where: string): bigint {
  let value: bigint;
  if (typeof json === 'string' && /^(-?\d+|0x[0-9a-fA-F]+)$/.test(json)) value = BigInt(json);
  else if (typeof json === 'number' && Number.isSafeInteger(json)) value = BigInt(json);
  else throw new ImageError(where, `must be an integer, as a decimal string such as "42" (got ${JSON.stringify(json)})`);
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (value < min || value > max) throw new ImageError(where, `${value} is outside ${signed ? 's' : 'u'}${bits} (${min} to ${max})`);
  return value;
}
