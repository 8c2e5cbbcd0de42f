/**
 * Where a version's state lives: an FDT (nodes, properties, what each property points at), one raw
 * struct under a KHO entry, or a struct reached from another header's field selected by a string.
 */
import type { Aggregate, Container, FdtNode, FdtProperty, FieldDef, LengthConstant, SourceLocation, StringConstant } from '../../schema/lang.ts';
import { isAggregate, pointerInScope } from './layout.ts';
import type { ConstantModel, ContainerModel, NodeModel, PointerModel, PropertyModel } from './model.ts';
import type { VersionScope } from './scope.ts';

/** The built scope of a version that declares a struct object, anywhere in the family. */
export type ScopeOfStruct = (def: Aggregate) => VersionScope | undefined;

export function containerModel(scope: VersionScope, container: Container | undefined, scopeOf: ScopeOfStruct): ContainerModel | undefined {
  if (container === undefined) return undefined;
  const path = [...scope.path, 'container'];
  switch (container?.kind) {
    case 'fdt': {
      const khoEntry = container.khoEntry ? constantRef(scope, container.khoEntry, [...path, 'khoEntry'], 'string') : undefined;
      const maxSize = container.maxSize ? constantRef(scope, container.maxSize, [...path, 'maxSize'], 'number') : undefined;
      const root = buildNode(scope, container.root, [...scope.path], '');
      if ((container.khoEntry && !khoEntry) || (container.maxSize && !maxSize) || !root) return undefined;
      return { kind: 'fdt', ...(khoEntry ? { khoEntry } : {}), ...(maxSize ? { maxSize } : {}), root, ...(container.at ? { at: container.at } : {}) };
    }
    case 'kho-entry': {
      const khoEntry = constantRef(scope, container.khoEntry, [...path, 'khoEntry'], 'string');
      const struct = isAggregate(container.struct) ? scope.visibleAggregate(container.struct.name) : undefined;
      if (!struct || struct.def !== container.struct) {
        scope.issues.add('bad-container', [...path, 'struct'], 'the KHO entry holds a struct of this version (or of a version it uses); add it to the types', container.at);
        return undefined;
      }
      const base = { kind: 'kho-entry' as const, khoEntry: khoEntry!, struct: struct.def.name, ...(container.at ? { at: container.at } : {}) };
      if (container.field === undefined && container.compatible === undefined) {
        // No string: the struct must open with the feature header the version negotiates with.
        if (scope.version.features?.carrier?.struct !== container.struct) {
          scope.issues.add('bad-container', [...path, 'compatible'], `a KHO entry without a compatible string must hold the struct that opens with the version's feature header (features({ carrier: { struct: ${struct.def.name}, ... } })); give the entry's field and compatible string otherwise`, container.at);
          return undefined;
        }
        return khoEntry ? base : undefined;
      }
      if (container.field === undefined || container.compatible === undefined) {
        scope.issues.add('bad-container', [...path, container.field === undefined ? 'field' : 'compatible'], 'a KHO entry names both the field holding its compatible string and the string, or neither (for a version that negotiates features)', container.at);
        return undefined;
      }
      const compatible = constantRef(scope, container.compatible, [...path, 'compatible'], 'string');
      if (!khoEntry || !compatible || !fitsString(scope, struct.scope, struct.def, container.field, compatible, [...path, 'field'], container.at)) return undefined;
      return { ...base, field: container.field, compatible: { macro: compatible.name, value: String(compatible.value) } };
    }
    case 'reached-from': {
      const compatible = constantRef(scope, container.compatible, [...path, 'compatible'], 'string');
      const from = isAggregate(container.from) ? container.from : undefined;
      const owner = from ? scopeOf(from) : undefined;
      if (!from || !owner) {
        scope.issues.add('bad-container', [...path, 'from'], 'reachedFrom names a struct no header of the family declares', container.at);
        return undefined;
      }
      const pointerField = (from.fields as Record<string, FieldDef | undefined>)[container.field]?.type;
      if (pointerField?.kind !== 'pointer' || pointerField.target.shape !== 'selected' || pointerField.target.selector !== container.selector) {
        scope.issues.add('bad-container', [...path, 'field'], `${from.name}.${container.field} must be declared pa(selectedBy('${container.selector}')) in ${owner.header}.h: an address whose meaning its selector string decides`, container.at);
        return undefined;
      }
      const target = pointerInScope(scope, { kind: 'pointer', target: container.target, nullable: false, form: 'u64' }, [...path, 'target'], container.at);
      if (!compatible || !target || !fitsString(scope, owner, from, container.selector, compatible, [...path, 'selector'], container.at)) return undefined;
      return {
        kind: 'reached-from',
        from: { header: owner.header, struct: from.name },
        field: container.field,
        selector: container.selector,
        compatible: { macro: compatible.name, value: String(compatible.value) },
        target: target.target,
        ...(container.at ? { at: container.at } : {}),
      };
    }
    default:
      scope.issues.add('bad-container', path, 'a container is fdtContainer(...), khoEntry(...) or reachedFrom(...)');
      return undefined;
  }
}

/** The string, with its NUL, must fit the char[] field that carries it. */
function fitsString(scope: VersionScope, owner: VersionScope, struct: Aggregate, fieldName: string, compatible: ConstantModel, path: readonly string[], at?: SourceLocation): boolean {
  const declared = owner.declared.get(struct.name);
  const layout = declared ? owner.aggregateLayout(declared.def, declared.index) : undefined;
  // A struct with errors of its own has been reported already.
  if (declared && !layout) return false;
  const field = layout?.fields.find((f) => f.name === fieldName);
  if (!field || field.type.kind !== 'chars') {
    scope.issues.add('bad-container', path, `${struct.name}.${fieldName} must be a char[] field holding the string`, at);
    return false;
  }
  const needed = Buffer.byteLength(String(compatible.value)) + 1;
  if (needed > field.type.length) {
    scope.issues.add('bad-guard', path, `"${String(compatible.value)}" needs ${needed} bytes with its NUL, but ${struct.name}.${fieldName} holds ${field.type.length}`, at);
    return false;
  }
  return true;
}

/** A constant used by a container must be visible in the version, and of the wanted kind. */
export function constantRef(scope: VersionScope, constant: StringConstant | LengthConstant | undefined, path: readonly string[], want: 'string' | 'number'): ConstantModel | undefined {
  if (!constant || constant.kind !== 'constant') {
    scope.issues.add('bad-constant', path, `expected a ${want} constant`);
    return undefined;
  }
  const model = scope.constantModel(constant);
  if (!model) {
    const owner = scope.ownerOf(constant);
    if (!owner) {
      scope.issues.add('undeclared-constant', path, `uses ${constant.name}, which is not among ${scope.version.name}'s constants (nor those of a version it uses); add it to the version's constants`, constant.at);
    }
    return undefined;
  }
  if ((typeof model.value === 'string') !== (want === 'string')) {
    scope.issues.add('bad-constant', path, `${constant.name} must be a ${want} constant`, constant.at);
    return undefined;
  }
  return model;
}

// -----------------------------------------------------------------------------------------------
// The FDT

/** The characters a property name may have (Devicetree Specification, 2.2.4.1), 1 to 31 of them. */
const PROPERTY_NAME = /^[0-9A-Za-z,._+?#-]{1,31}$/;

/** A property's name, and the macro holding it unless the kernel writes the name as a literal. */
function propertyNaming(scope: VersionScope, property: FdtProperty | undefined, here: readonly string[]): { name: string; macro?: string } | undefined {
  if (typeof property?.name === 'string') {
    if (PROPERTY_NAME.test(property.name)) return { name: property.name };
    scope.issues.add('bad-property', [...here, `property ${JSON.stringify(property.name)}`], 'a property name is 1 to 31 of the characters 0-9 a-z A-Z , . _ + ? # -', property.at);
    return undefined;
  }
  const model = constantRef(scope, property?.name, [...here, 'property'], 'string');
  return model ? { name: String(model.value), macro: model.name } : undefined;
}

function buildNode(scope: VersionScope, node: FdtNode | undefined, path: string[], parentPath: string): NodeModel | undefined {
  if (!node || typeof node !== 'object') {
    scope.issues.add('bad-property', path, 'missing FDT node');
    return undefined;
  }
  const isRoot = parentPath === '';
  const anyName = node.name && 'kind' in node.name && node.name.kind === 'any-name' ? node.name.label : undefined;
  const nameConst = node.name && anyName === undefined ? constantRef(scope, node.name as StringConstant, [...path, 'name'], 'string') : undefined;
  if (!isRoot && !nameConst && anyName === undefined) {
    if (!node.name) scope.issues.add('bad-property', path, 'a subnode needs a name constant, or anyName() for names given at run time', node.at);
    return undefined;
  }
  const name = isRoot || anyName !== undefined ? '' : String(nameConst!.value);
  const segment = anyName !== undefined ? `<${anyName}>` : name;
  const nodePath = isRoot ? '/' : `${parentPath === '/' ? '' : parentPath}/${segment}`;
  const here = [...scope.path, `node ${nodePath}`];
  if (isRoot && !node.compatible) scope.issues.add('bad-property', here, 'the root node needs a compatible string: it is what the next kernel checks first', node.at);
  const compatible = node.compatible ? constantRef(scope, node.compatible, [...here, 'compatible'], 'string') : undefined;
  const properties: PropertyModel[] = [];
  const propertyNames = new Set(['compatible']);
  for (const property of node.properties ?? []) {
    const naming = propertyNaming(scope, property, here);
    if (!naming) continue;
    const ppath = [...here, `property ${naming.name}`];
    if (propertyNames.has(naming.name)) {
      scope.issues.add('duplicate-property', ppath, 'a node cannot have two properties of one name', property.at);
      continue;
    }
    propertyNames.add(naming.name);
    const value = property.value;
    let pointer: PointerModel | undefined;
    if (value?.kind === 'pointer') {
      pointer = pointerInScope(scope, value.pointer, ppath, property.at);
      if (!pointer) continue;
      const target = pointer.target;
      if (target.shape === 'array' || target.shape === 'selected' || (target.shape === 'chain' && target.total)) {
        scope.issues.add('bad-pointer-field', ppath, 'an FDT property has no sibling field; point at a struct, a header-array, a chain, a radix tree or a client', property.at);
        continue;
      }
      if (target.shape === 'client' && anyName === undefined) {
        scope.issues.add('bad-pointer-field', ppath, 'a client\'s state is named by its node\'s name: toClient() belongs in a node named at run time (anyName)', property.at);
        continue;
      }
      const size = target.shape === 'client' ? target.size : undefined;
      if (size !== undefined && !(node.properties ?? []).some((p) => p !== property && p.value?.kind === 'u64' && propertyNaming(scope, p, here)?.name === size)) {
        scope.issues.add('bad-pointer-field', ppath, `the client's size property "${size}" must be a u64 property of the same node`, property.at);
        continue;
      }
    } else if (value?.kind !== 'u64' && value?.kind !== 'string') {
      scope.issues.add('bad-property', ppath, 'a property value is u64Property, stringProperty or pointerProperty', property.at);
      continue;
    }
    properties.push({
      name: naming.name,
      ...(naming.macro ? { macro: naming.macro } : {}),
      kind: value.kind,
      ...(pointer ? { pointer } : {}),
      doc: property.doc,
      ...(property.at ? { at: property.at } : {}),
    });
  }
  const children: NodeModel[] = [];
  const childNames = new Set<string>();
  for (const child of node.children ?? []) {
    const built = buildNode(scope, child, [...here, 'child'], nodePath);
    if (!built) continue;
    if (childNames.has(built.path)) {
      scope.issues.add('duplicate-node', [...here, `node ${built.path}`], 'two subnodes have this name', child.at);
      continue;
    }
    childNames.add(built.path);
    children.push(built);
  }
  if (node.compatible && !compatible) return undefined;
  return {
    path: nodePath,
    name,
    ...(nameConst ? { nameMacro: nameConst.name } : {}),
    ...(anyName !== undefined ? { anyName } : {}),
    ...(compatible ? { compatible: { macro: compatible.name, value: String(compatible.value) } } : {}),
    doc: node.doc,
    properties,
    children,
    ...(node.at ? { at: node.at } : {}),
  };
}
