/**
 * Documentation that names things must name things that exist. Hand-written headers drifted by
 * naming macros, structs and members that did not exist (luo.h's LUO_SESSION_COMPATIBLE); here a doc
 * may only name a macro, a struct or (in a struct's doc) a member the version can see.
 */
import { KERNEL_FUNCTIONS, KERNEL_NAMES } from './expr.ts';
import type { ContainerModel, SourceLocation, StructModel, VersionModel } from './model.ts';
import { allNodes, memberFields } from './model.ts';
import type { VersionScope } from './scope.ts';

export function lintDocs(scope: VersionScope, version: Omit<VersionModel, 'guards'> & { container?: ContainerModel }): void {
  const macros = new Set<string>([...KERNEL_NAMES.keys(), ...KERNEL_FUNCTIONS.keys()]);
  for (const s of scope.allScopes()) for (const name of s.definitions.keys()) macros.add(name);
  const structNames = new Set(version.visibleStructs.map((s) => s.name));
  const path = scope.path;
  const check = (text: string, where: readonly string[], members?: ReadonlySet<string>, at?: SourceLocation): void => {
    for (const [macro] of text.matchAll(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g)) {
      if (!macros.has(macro)) scope.issues.add('bad-doc', where, `names ${macro}, which ${version.name} does not define (nor a version it uses)`, at);
    }
    // Only snake_case names: "a struct that..." and "union of" are prose, not references.
    for (const [, kind, name] of text.matchAll(/\b(struct|union) (\w*_\w*)/g)) {
      if (!structNames.has(name!)) scope.issues.add('bad-doc', where, `names ${kind} ${name}, which ${version.name} does not declare (nor a version it uses)`, at);
    }
    for (const [, member] of text.matchAll(/@(\w+)/g)) {
      if (!members?.has(member!)) scope.issues.add('bad-doc', where, `names @${member}, which is not a member here`, at);
    }
  };
  version.doc.paragraphs.forEach((p, i) => check(p, [...path, `doc paragraph ${i + 1}`]));
  for (const c of version.constants) if (c.doc) check(c.doc, [...path, `constant ${c.name}`], c.params ? new Set(c.params) : undefined, c.at);
  for (const e of version.enums) if (e.doc) check(e.doc, [...path, `enum ${e.name}`], undefined, e.at);
  for (const s of version.structs) lintStruct(s, [...path, `${s.kind} ${s.name}`], check);
  if (version.container?.kind === 'fdt') {
    for (const node of allNodes(version.container.root)) {
      check(node.doc, [...path, `node ${node.path}`], undefined, node.at);
      for (const p of node.properties) check(p.doc, [...path, `node ${node.path}`, `property ${p.name}`], undefined, p.at);
    }
  }
}

function lintStruct(s: StructModel, where: readonly string[], check: (text: string, where: readonly string[], members?: ReadonlySet<string>, at?: SourceLocation) => void): void {
  const members = new Set(memberFields(s.fields).map((f) => f.name));
  for (const text of [s.summary, ...s.description]) check(text, where, members, s.at);
  const visit = (fields: StructModel['fields'], prefix: readonly string[]): void => {
    for (const f of fields) {
      check(f.doc, [...prefix, f.name], members, f.at);
      if (f.type.kind === 'inline') visit(f.type.fields, [...prefix, f.name]);
    }
  };
  visit(s.fields, where);
}
