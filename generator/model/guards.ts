/**
 * What guards what. A guard is a string the next kernel compares before it reads anything: an FDT
 * node's `compatible`, a char[] field of the struct a KHO entry holds, or the string that selects a
 * handler's state. Each guards the structs it reaches, down to an inner guard (an FDT subnode with a
 * string of its own). A struct of another header is guarded by that header's own string where the
 * guard composes it (KHO_SUB_COMPAT), and by the guard that reaches it otherwise: the reader checks
 * one string, and that string must change whenever anything it reads changes.
 */
import type { ConstantModel, ContainerModel, GuardModel, GuardRole, NodeModel, StructModel, TypeInfo } from './model.ts';
import { targetStructs } from './model.ts';
import type { VersionScope } from './scope.ts';

interface GuardRoot {
  readonly macro: string;
  readonly value: string;
  readonly role: GuardRole;
  readonly properties: readonly string[];
  readonly start: readonly string[];
  readonly depth: number;
  readonly outer: readonly string[];
}

export interface GuardsResult {
  readonly guards: GuardModel[];
  /** Own struct name -> the macro that guards it. */
  readonly guardOf: ReadonlyMap<string, string>;
}

/**
 * @param visible every struct the version can see, by name
 * @param ownGuard the version's own library string, if it has one
 */
export function computeGuards(
  scope: VersionScope,
  container: ContainerModel | undefined,
  own: readonly StructModel[],
  visible: ReadonlyMap<string, StructModel>,
  ownGuard: ConstantModel | undefined,
): GuardsResult {
  const roots = guardRoots(container);
  const libraryOf = libraryGuards(scope);
  const components = (macro: string) => componentsOf(scope, macro, libraryOf);

  const claimed = new Map<string, { macro: string; depth: number }>();
  const rootGuards: GuardModel[] = [];
  for (const root of roots) {
    const composed = new Set([root.macro, ...root.outer].flatMap((m) => components(m).map((c) => c.macro)));
    const reached = reach(root.start, visible, (name) => {
      const owner = visible.get(name);
      const library = owner && owner.version !== scope.version.name ? libraryOf.get(owner.version) : undefined;
      // A struct whose own header's string this guard composes is that string's to guard.
      return library !== undefined && composed.has(library.macro);
    });
    for (const s of reached) {
      const before = claimed.get(s);
      if (!before || before.depth < root.depth) claimed.set(s, { macro: root.macro, depth: root.depth });
    }
    rootGuards.push({
      macro: root.macro,
      value: root.value,
      role: root.role,
      components: components(root.macro),
      properties: root.properties,
      structs: [],
      outer: root.outer,
    });
  }
  const guards = rootGuards.map((g) => ({
    ...g,
    structs: [...claimed].filter(([, c]) => c.macro === g.macro).map(([name]) => name).sort(),
  }));
  if (ownGuard) {
    // A header's own string guards its structs that no container guard already claims, wherever
    // other headers use them. It may also be the container's root string (KHO_FDT_COMPATIBLE).
    const mine = own.map((s) => s.name).filter((name) => !claimed.has(name));
    for (const name of mine) claimed.set(name, { macro: ownGuard.name, depth: 0 });
    const existing = guards.findIndex((g) => g.macro === ownGuard.name);
    if (existing >= 0) {
      const g = guards[existing]!;
      guards[existing] = { ...g, structs: [...g.structs, ...mine].sort() };
    } else {
      guards.push({
        macro: ownGuard.name,
        value: String(ownGuard.value),
        role: { kind: 'library' },
        components: components(ownGuard.name),
        properties: [],
        structs: mine.sort(),
        outer: [],
      });
    }
  }
  checkGuards(scope, guards, own, claimed);
  const guardOf = new Map<string, string>();
  for (const s of own) {
    const c = claimed.get(s.name);
    if (c) guardOf.set(s.name, c.macro);
  }
  return { guards, guardOf };
}

function guardRoots(container: ContainerModel | undefined): GuardRoot[] {
  if (!container) return [];
  switch (container.kind) {
    case 'fdt': {
      const roots: GuardRoot[] = [];
      /** Pointer targets of a node and of its subnodes that have no string of their own. */
      const starts = (node: NodeModel): string[] => [
        ...node.properties.flatMap((p) => (p.pointer ? targetStructs(p.pointer.target) : [])),
        ...node.children.filter((c) => !c.compatible).flatMap(starts),
      ];
      const visit = (node: NodeModel, outer: string[], depth: number): void => {
        const compatible = node.compatible!;
        roots.push({
          macro: compatible.macro,
          value: compatible.value,
          role: { kind: 'node', node: node.path },
          properties: node.properties.map((p) => p.name),
          start: starts(node),
          depth,
          outer,
        });
        const guarded = (n: NodeModel): NodeModel[] => n.children.flatMap((c) => (c.compatible ? [c] : guarded(c)));
        for (const child of guarded(node)) visit(child, [...outer, compatible.macro], depth + 1);
      };
      visit(container.root, [], 0);
      return roots;
    }
    case 'kho-entry':
      // Feature bits, not a string, guard an entry without one.
      if (!container.compatible || !container.field) return [];
      return [
        {
          ...container.compatible,
          role: { kind: 'field', struct: container.struct, field: container.field },
          properties: [],
          start: [container.struct],
          depth: 0,
          outer: [],
        },
      ];
    case 'reached-from':
      return [
        {
          ...container.compatible,
          role: { kind: 'selector', header: container.from.header, struct: container.from.struct, field: container.selector },
          properties: [],
          start: targetStructs(container.target),
          depth: 0,
          outer: [],
        },
      ];
  }
}

/** The library strings of every version this one uses, by version name. */
function libraryGuards(scope: VersionScope): Map<string, { macro: string; value: string }> {
  const found = new Map<string, { macro: string; value: string }>();
  for (const used of scope.allScopes()) {
    if (used === scope || !used.version.guard) continue;
    const model = used.constantModel(used.version.guard);
    if (model) found.set(used.version.name, { macro: model.name, value: String(model.value) });
  }
  return found;
}

/** The library strings a guard's value is composed of, following the constants it is written with. */
function componentsOf(scope: VersionScope, macro: string, libraries: ReadonlyMap<string, { macro: string; value: string }>): { macro: string; value: string }[] {
  const libraryMacros = new Map([...libraries.values()].map((l) => [l.macro, l]));
  const found: { macro: string; value: string }[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const library = libraryMacros.get(name);
    if (library && name !== macro) {
      found.push(library);
      return;
    }
    const model = scope.allScopes().map((s) => s.constantModels.get(name)).find((m) => m !== undefined);
    model?.refs.forEach(visit);
  };
  visit(macro);
  return found;
}

/** Struct names reachable from `start` by nesting or pointing, not entering those `stop` says. */
function reach(start: readonly string[], visible: ReadonlyMap<string, StructModel>, stop: (name: string) => boolean): Set<string> {
  const found = new Set<string>();
  const stack = start.filter((name) => !stop(name));
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (found.has(name)) continue;
    found.add(name);
    for (const f of visible.get(name)?.fields ?? []) {
      // An area's entries are reached through its descriptor, like a pointer's target.
      for (const next of [...typeReferences(f.type), ...(f.holds ? [f.holds.entry] : [])]) if (!stop(next)) stack.push(next);
    }
  }
  return found;
}

/** Struct names a type reaches by nesting or by pointing. */
export function typeReferences(type: TypeInfo): string[] {
  switch (type.kind) {
    case 'aggregate':
      return [type.name];
    case 'pointer':
      return targetStructs(type.target);
    case 'array':
    case 'flexible':
      return typeReferences(type.element);
    case 'inline':
      return type.fields.flatMap((f) => typeReferences(f.type));
    default:
      return [];
  }
}

function checkGuards(scope: VersionScope, guards: readonly GuardModel[], own: readonly StructModel[], claimed: ReadonlyMap<string, unknown>): void {
  const macros = new Set<string>();
  for (const guard of guards) {
    if (macros.has(guard.macro)) {
      const where = guard.role.kind === 'node' ? `node ${guard.role.node}` : guard.macro;
      scope.issues.add('duplicate-node', [...scope.path, where], `guard string ${guard.macro} is used twice; each node needs its own`);
    }
    macros.add(guard.macro);
  }
  // A header with neither a container nor a string of its own (block.h before it had one) leaves its
  // structs to the strings of the headers that use them.
  if (guards.length === 0) return;
  for (const s of own) {
    if (!claimed.has(s.name)) {
      scope.issues.add(
        'unguarded-struct',
        [...scope.path, `${s.kind} ${s.name}`],
        'nothing the container holds reaches it, so no guard string guards it; point at it from the container or from a struct that is reached, give the version a guard string of its own, or drop it',
        s.at,
      );
    }
  }
}
