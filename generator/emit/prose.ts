/**
 * Sentences the C header's comments and the docs both say about a version: where its state lives,
 * what each guard string guards, and which string a struct's change must bump. Plain text; each
 * output wraps and marks it up its own way.
 */
import { basename } from 'node:path';
import { findHeader, targetSentence, usedVersion, type ContainerModel, type FeatureVersionModel, type GuardModel, type Model, type StructModel, type VersionModel } from '../model/index.ts';

/** "a, b and c". */
export function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The file name of a header of the family: `luo.h`. */
export function headerFile(model: Model, header: string): string {
  return basename(findHeader(model, header).path);
}

/** Where the version's state lives, in words; empty for a version with no state of its own. */
export function containerSentence(model: Model, container: ContainerModel | undefined): string {
  switch (container?.kind) {
    case undefined:
      return '';
    case 'fdt': {
      const entry = container.khoEntry ? ` is handed over as the KHO entry ${container.khoEntry.name} ("${String(container.khoEntry.value)}")` : '';
      const size = container.maxSize ? `${entry ? ',' : ''} in at most ${container.maxSize.name} bytes` : '';
      return entry || size ? `The FDT${entry}${size}.` : '';
    }
    case 'kho-entry':
      return (
        `The KHO entry ${container.khoEntry.name} ("${String(container.khoEntry.value)}") holds one struct ${container.struct}, the root of the state. ` +
        (container.compatible
          ? `Its ${container.field} field holds ${container.compatible.macro} ("${container.compatible.value}"), which the next kernel compares before it reads anything else.`
          : `It opens with the feature header, which the next kernel checks before it reads anything else.`)
      );
    case 'reached-from':
      return (
        `The state is reached from struct ${container.from.struct} of ${headerFile(model, container.from.header)}: when its ${container.selector} field holds ` +
        `${container.compatible.macro} ("${container.compatible.value}"), its ${container.field} field is the physical address of ${targetSentence(container.target, false)}`
      );
  }
}

/** The structs a component string guards, looked up in the versions this one uses (transitively). */
function componentStructs(model: Model, version: VersionModel, macro: string): string[] {
  const seen = new Set<VersionModel>();
  const visit = (v: VersionModel): string[] => {
    if (seen.has(v)) return [];
    seen.add(v);
    const own = v.guards.find((g) => g.macro === macro);
    return own ? [...own.structs] : v.uses.flatMap((ref) => visit(usedVersion(model, ref)));
  };
  return version.uses.flatMap((ref) => visit(usedVersion(model, ref)));
}

/** Where the string sits and what it guards, with what a change to it means. */
export function guardSentence(model: Model, version: VersionModel, guard: GuardModel): string {
  const quoted = `${guard.macro} ("${guard.value}")`;
  const role = guard.role;
  const lead =
    role.kind === 'field'
      ? `${quoted}, held in the ${role.field} field of struct ${role.struct},`
      : role.kind === 'selector'
        ? `${quoted}, held in the ${role.field} field of struct ${role.struct} of ${headerFile(model, role.header)},`
        : quoted;
  const own = [
    ...(role.kind === 'node' ? [`the properties of ${role.node === '/' ? 'the root node' : `the node ${role.node}`}`] : []),
    ...guard.structs.map((s) => `struct ${s}`),
  ];
  const composed = guard.components.map(({ macro: component }) => {
    const structs = componentStructs(model, version, component);
    return structs.length > 0 ? `${listText(structs.map((s) => `struct ${s}`))} through ${component}, which it composes` : `composes ${component}`;
  });
  const guarded = own.length > 0 && composed.length > 0 ? `${listText(own)}, and ${composed.join(', and ')}` : listText([...own, ...composed]);
  const where = role.kind === 'library' ? ' wherever the headers that compose it use them' : '';
  const outer = guard.outer.length > 0 ? ` A new value of ${listText(guard.outer)} covers them too, as the next kernel checks that string first.` : '';
  return (
    `${lead} guards ${guarded || 'nothing yet'}${where}. Any change to what it guards, to a layout or to what an address points at, ` +
    `must come with a new value of ${guard.macro}.${outer}`
  );
}

/** The feature negotiation that guards a struct of `version`, if its feature header covers the struct. */
export function featuresGuarding(version: VersionModel, struct: string): FeatureVersionModel | undefined {
  return version.features?.structs.includes(struct) ? version.features : undefined;
}

/** The bits a struct needs to be in the payload at all, and those each of its fields needs. */
function structBits(features: FeatureVersionModel, struct: string): { own: string[]; fields: string[] } {
  const of = (field: string | undefined) => features.dependencies.filter((d) => d.struct === struct && d.field === field).flatMap((d) => d.bits);
  const fields = [...new Set(features.dependencies.filter((d) => d.struct === struct && d.field !== undefined).map((d) => d.field!))];
  return { own: [...new Set(of(undefined))], fields: fields.map((f) => `${f} with ${listText([...new Set(of(f))])}`) };
}

/** What guards a struct, briefly: its string, or the feature bits it is part of the payload with. */
export function structGuardText(struct: Pick<StructModel, 'name' | 'guard'>, features: FeatureVersionModel | undefined): string {
  if (features) {
    const { own } = structBits(features, struct.name);
    return own.length > 0 ? `feature bit${own.length > 1 ? 's' : ''} ${listText(own)}` : `feature bits of ${features.macros.required}`;
  }
  return struct.guard ? struct.guard : 'the compatible strings of the headers that use it';
}

/** The last line of a struct's comment: the string a change to it must bump, or the feature bits that guard it. */
export function structGuardSentence(struct: Pick<StructModel, 'name' | 'guard'>, features?: FeatureVersionModel): string {
  if (features) {
    const { own, fields } = structBits(features, struct.name);
    const holds = [
      ...(own.length > 0 ? [`Feature bits guard it, not a string: the payload holds it only when ${listText(own)} ${own.length > 1 ? 'are' : 'is'} active.`] : [`Feature bits guard it, not a string.`]),
      ...(fields.length > 0 ? [`Its fields need bits of their own: ${listText(fields)}.`] : []),
    ];
    return `${holds.join(' ')} If this structure is modified, the change needs a new feature bit, which ${features.macros.required} requires of the next kernel.`;
  }
  return struct.guard
    ? `If this structure is modified, ${struct.guard} must be updated.`
    : 'If this structure is modified, the compatible strings of the headers that use it must be updated.';
}
