/** A version's own constants, macros and enums, as the model gives them: C text, value, references. */
import type { AbiVersion, Definition, EnumDef, SourceLocation } from '../../schema/lang.ts';
import type { ExprValue } from './expr.ts';
import type { ConstantModel, ConstantValue, EnumModel } from './model.ts';
import type { OwnDefinition, VersionScope } from './scope.ts';

/** Declares every own definition in `scope` (names first, so that values may refer to any of them). */
export function declareDefinitions(scope: VersionScope, version: AbiVersion): void {
  for (const [index, def] of (version.constants ?? []).entries()) {
    const path = [...scope.path, `constant ${(def as { name?: string })?.name ?? `[${index}]`}`];
    if (!isDefinition(def)) {
      scope.issues.add('bad-constant', path, 'not a constant; define it with defineNumber, defineString, defineExpr, defineMacro or defineEnum');
      continue;
    }
    if (def.kind === 'enum') {
      for (const member of Object.values(def.members)) scope.declareDefinition(member, [...scope.path, `enum ${def.name}`, member.name]);
    } else {
      scope.declareDefinition(def, path);
    }
  }
}

/** The own definitions' models, in the header's order, and the enums. */
export function constantModels(scope: VersionScope, version: AbiVersion): { constants: ConstantModel[]; enums: EnumModel[] } {
  const constants: ConstantModel[] = [];
  const enums: EnumModel[] = [];
  for (const def of version.constants ?? []) {
    if (!isDefinition(def)) continue;
    if (def.kind === 'enum') {
      const members = Object.values(def.members);
      for (const member of members) {
        const model = constantModel(scope, member, def);
        if (model) constants.push(model);
      }
      enums.push({ name: def.name, members: members.map((m) => m.name), ...(def.doc ? { doc: def.doc } : {}), ...(def.at ? { at: def.at } : {}) });
      continue;
    }
    const model = constantModel(scope, def);
    if (model) constants.push(model);
  }
  for (const c of constants) scope.constantModels.set(c.name, c);
  return { constants, enums };
}

function constantModel(scope: VersionScope, def: OwnDefinition, enumDef?: EnumDef): ConstantModel | undefined {
  const parsed = scope.definitions.get(def.name);
  if (!parsed || parsed.def !== def) return undefined;
  const options: { include?: string; config?: string } = def.kind === 'enum-member' ? {} : def;
  const value = def.kind === 'macro' ? undefined : scope.valueOf(def);
  if (def.kind !== 'macro' && value === undefined) return undefined;
  const kind: ConstantModel['kind'] = def.kind === 'macro' ? 'macro' : def.kind === 'enum-member' ? 'enum-member' : def.value.kind;
  const at: SourceLocation | undefined = def.at;
  return {
    name: def.name,
    kind,
    c: parsed.c,
    ...(value !== undefined ? { value: plainValue(value) } : {}),
    ...(def.kind === 'macro' ? { params: [...def.params] } : {}),
    ...(enumDef ? { enum: enumDef.name } : {}),
    ...(options.include ? { include: options.include } : {}),
    ...(options.config ? { config: options.config } : {}),
    refs: [...new Set([...parsed.refs.filter((r) => r.kind !== 'struct' && r.kind !== 'union').map((r) => r.name), ...parsed.names])],
    sizeofStructs: [...new Set([...parsed.refs.filter((r) => r.kind === 'struct' || r.kind === 'union').map((r) => r.name), ...parsed.structs])],
    ...(def.doc ? { doc: def.doc } : {}),
    ...(at ? { at } : {}),
  };
}

/** An integer as a number where that is exact, else a bigint; strings as they are. */
export function plainValue(value: ExprValue): ConstantValue {
  return typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function isDefinition(def: unknown): def is Definition {
  const kind = (def as { kind?: unknown } | undefined)?.kind;
  return typeof def === 'object' && def !== null && (kind === 'constant' || kind === 'macro' || kind === 'enum');
}
