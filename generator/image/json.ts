/**
 * The state as JSON: 64-bit integers as decimal strings (JSON numbers lose precision past 2^53),
 * everything else as itself. Reading JSON back is driven by the model, which says which strings are
 * 64-bit integers; any mistake is an ImageError naming the JSON path.
 */
import { derivedFields, integerRange, isBigintType, valueFields, type NodeModel, type PointerModel, type StructModel, type TypeInfo, type VersionModel } from '../model/index.ts';
import { ImageError } from './errors.ts';
import { fdtOf } from './select.ts';
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
  if (version.container?.kind === 'kho-entry') {
    onlyKeys(top, ['version', 'entry'], 'state');
    const reader = new JsonReader(version);
    return { version: version.name, entry: reader.struct(reader.structNamed(version.container.struct), top.entry, 'state.entry') };
  }
  onlyKeys(top, ['version', 'root'], 'state');
  return { version: version.name, root: new JsonReader(version).node(fdtOf(version).root, top.root, 'state.root') };
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
    this.structs = new Map(version.visibleStructs.map((s) => [s.name, s]));
  }

  node(model: NodeModel, json: unknown, where: string): NodeState {
    const node = object(json, where);
    onlyKeys(node, ['compatible', 'properties', 'children'], where);
    if (node.compatible !== undefined && node.compatible !== model.compatible?.value) {
      const has = model.compatible ? `has "${model.compatible.value}"` : 'has no compatible string at this node';
      throw new ImageError(`${where}.compatible`, `is ${JSON.stringify(node.compatible)} but ${this.version.name} ${has}`);
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
    const anyChild = model.children.find((c) => c.anyName !== undefined);
    if (!anyChild) onlyKeys(childrenJson, model.children.map((c) => c.name), `${where}.children`);
    const children: Record<string, NodeState> = {};
    for (const child of model.children) if (child.anyName === undefined) children[child.name] = this.node(child, childrenJson[child.name], key(`${where}.children`, child.name));
    // Children named at run time: any name the model does not use.
    for (const name of Object.keys(childrenJson)) {
      if (anyChild && !(name in children)) children[name] = this.node(anyChild, childrenJson[name], key(`${where}.children`, name));
    }
    return { ...(model.compatible ? { compatible: model.compatible.value } : {}), properties, children };
  }

  private pointer(pointer: PointerModel, json: unknown, where: string): PropertyState {
    const target = pointer.target;
    // A selected address is the handler's: the state gives the address itself.
    if (target.shape === 'selected') return integer(json, 64, false, where);
    if (json === null) return null;
    if (target.shape === 'struct') return this.struct(this.structNamed(target.struct), json, where);
    if (!Array.isArray(json)) throw new ImageError(where, `must be null or an array of struct ${target.entry}`);
    const entry = this.structNamed(target.entry);
    return json.map((element, i) => this.struct(entry, element, `${where}[${i}]`));
  }

  struct(struct: Pick<StructModel, 'fields'>, json: unknown, where: string): StructValue {
    const value = object(json, where);
    const fields = members(struct.fields);
    onlyKeys(value, fields.map((f) => f.name), where);
    const derived = 'name' in struct ? derivedFields(struct as StructModel) : new Set<string>();
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
      case 'bits': {
        const range = integerRange(type)!;
        const value = integer(json, range.bits, range.signed, where);
        return isBigintType(type) ? value : Number(value);
      }
      case 'bitmap':
        if (!Array.isArray(json) || json.length !== type.words) throw new ImageError(where, `must be an array of ${type.words} unsigned longs`);
        return json.map((word, i) => integer(word, 64, false, `${where}[${i}]`));
      case 'inline':
        return this.struct(type, json, where);
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

  structNamed(name: string): StructModel {
    const struct = this.structs.get(name);
    if (!struct) throw new Error(`${this.version.name}: no struct ${name}`);
    return struct;
  }
}

/** The members a value has: fields with bytes, an anonymous member's own members in its place. */
function members(fields: readonly StructModel['fields'][number][]): StructModel['fields'][number][] {
  return valueFields({ fields }).flatMap((f) => (f.anonymous && f.type.kind === 'inline' ? members(f.type.fields) : [f]));
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
