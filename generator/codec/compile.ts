/**
 * The struct codecs of a version, compiled at run time from the model: the source ./source.ts gives
 * (the same text the TypeScript emitter writes to out/ts) made into functions with `new Function`,
 * calling the helpers of ./runtime.ts. Whoever reads or writes images with a model gets the codecs of
 * exactly that model, with nothing generated beforehand to go stale.
 */
import type { StructModel, VersionModel } from '../model/index.ts';
import * as runtime from './runtime.ts';
import { VIEW_STATE, structSource, viewClassName, type StructSource } from './source.ts';

/**
 * A struct's codec; its values are plain objects keyed by field name. `move` points a view it made at
 * the struct at `bytes[offset..]` instead, checking the bounds as making a view does: for a reader
 * that hands one view object of each struct over again and again (a walk with transient views)
 * rather than allocating one per struct read; its byte order stays. `shift` is the same move
 * without the bounds check, for a reader that has checked the whole block the view moves within
 * (`dataView` is dataView(bytes)).
 */
export type StructCodec = runtime.StructCodec<Record<string, unknown>> & {
  readonly move: (view: object, bytes: Uint8Array, offset: number) => void;
  readonly shift: (view: object, bytes: Uint8Array, dataView: DataView, offset: number) => void;
};
/** By struct name. */
export type CodecTable = { readonly [struct: string]: StructCodec };

const compiled = new WeakMap<VersionModel, CodecTable>();

/** Every struct of `version`, compiled once per version model and kept while the model lives. */
export function codecsFor(version: VersionModel): CodecTable {
  let table = compiled.get(version);
  if (!table) {
    table = compileCodecs(version);
    compiled.set(version, table);
  }
  return table;
}

/** A view class in plain JavaScript: the state from its constructor, a getter per field. */
function viewClass(source: StructSource): string {
  return [
    `class ${viewClassName(source.struct.name)} {`,
    `constructor(${VIEW_STATE.join(', ')}) {`,
    ...VIEW_STATE.map((name) => `this.${name} = ${name};`),
    '}',
    ...source.getters.map((g) => `get ${g.field.name}() {\n${g.body}\n}`),
    '}',
  ].join('\n');
}

/** One struct's entry in the table, its functions named after the struct for profiles and stacks. */
function tableEntry(source: StructSource): string {
  const { name, size, fields } = source.struct;
  const offsets = fields.map((f) => `${f.name}: ${f.offset}`).join(', ');
  return [
    `${name}: {`,
    `name: '${name}',`,
    `size: ${size},`,
    `offsets: Object.freeze({ ${offsets} }),`,
    `decode: function decode_${name}(bytes, offset = 0, options) {\n${source.decode}\n},`,
    `encode: function encode_${name}(value, bytes, offset = 0, options) {\n${source.encode}\n},`,
    `view: function view_${name}(bytes, offset = 0, options) {\n${source.view}\n},`,
    // A function per struct, so that its stores meet one class of view: one function for every
    // struct's views would see them all, and its stores would go megamorphic (slower than making a view).
    `move: function move_${name}(view, bytes, offset) {\n${moveSource(source.struct, true)}\n},`,
    `shift: function shift_${name}(view, bytes, dataView, offset) {\n${moveSource(source.struct, false)}\n},`,
    '},',
  ].join('\n');
}

/** The JavaScript of a version's codecs: a function body that returns the table. */
export function versionSource(structs: readonly StructModel[]): { readonly text: string; readonly helpers: readonly string[] } {
  const byName = new Map(structs.map((s) => [s.name, s]));
  const lookup = (name: string): StructModel => {
    const found = byName.get(name);
    if (!found) throw new Error(`struct ${name} is nested but not among the version's structs`);
    return found;
  };
  const sources = structs.map((s) => structSource(s, lookup));
  // moveSource's too.
  const helpers = [...new Set([...sources.flatMap((s) => s.helpers), 'checkBounds', 'dataView'])].sort();
  const text = ["'use strict';", ...sources.map(viewClass), 'return Object.freeze({', ...sources.map(tableEntry), '});'].join('\n');
  return { text, helpers };
}

export function compileCodecs(version: VersionModel): CodecTable {
  // Its own structs and those of the headers it uses: a walk reads both.
  const { text, helpers } = versionSource(version.visibleStructs);
  const values = helpers.map((name) => (runtime as Record<string, unknown>)[name]);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the point of this module
  const make = new Function(...helpers, text) as (...helpers: unknown[]) => CodecTable;
  return make(...values);
}

/**
 * The body of a struct's `move` (`checked`: the bounds checked as making a view checks them) or
 * `shift` (its caller has checked them, and passes the DataView): the view's state set.
 */
function moveSource(struct: StructModel, checked: boolean): string {
  const state: Record<(typeof VIEW_STATE)[number], string | undefined> = { $bytes: 'bytes', $offset: 'offset', $le: undefined, $view: checked ? 'dataView(bytes)' : 'dataView' };
  const store = (names: readonly (typeof VIEW_STATE)[number][]) => names.flatMap((name) => (state[name] === undefined ? [] : [`view.${name} = ${state[name]};`]));
  if (checked) return [`checkBounds(bytes, offset, ${struct.size}, '${struct.name}');`, ...store(VIEW_STATE)].join('\n');
  // Most shifts stay in one buffer: its DataView is compared, and the offset alone stored then. A
  // store of an object costs a write barrier, and a walk that shifts every struct spent a third of
  // its moves in them.
  const buffer = VIEW_STATE.filter((name) => name !== '$offset');
  return ['if (view.$view !== dataView) {', ...store(buffer), '}', ...store(['$offset'])].join('\n');
}

export { CodecError } from './runtime.ts';
