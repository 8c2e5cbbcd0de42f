/**
 * The struct codecs, in both of their forms: the generated package (out/ts for LUO, its JavaScript
 * run and its declarations type-checked here; a scratch generation for the aligned fixture schema
 * with its union, arrays, signed fields, padding and flexible array member, whose TypeScript is
 * type-checked strictly) and compiled at run time from the model (generator/codec/compile.ts, what
 * the image walker uses). Every property below is asserted of both, the views' included.
 *
 * Values come from fast-check arbitraries derived from the model; the bytes the codecs write are
 * compared with an independent writer below that knows nothing of the generated code, and sizes and
 * offsets with the numbers of /work/shared/luo-abi-facts.md and a hand layout of the fixture.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { codecsFor } from '../generator/codec/compile.ts';
import { CodecError as RuntimeCodecError } from '../generator/codec/runtime.ts';
import { renderTsCodecs, tsModules } from '../generator/emit/ts/index.ts';
import { allVersions, buildModel, findStruct, typeSize, type FieldModel, type Model, type StructModel, type TypeInfo, type VersionModel } from '../generator/model/index.ts';
import { CodecError, CURRENT_VERSIONS, versions, type StructCodec } from '../out/ts/index.js';
import * as runtime from '../out/ts/runtime.js';
import type { LuoFileSer } from '../out/ts/luo/luo-v4.js';
import family from '../schema/index.ts';
import { demoSchema } from './fixtures/aligned-schema.ts';
import { expectStrictEqual } from './support/equal.ts';
import { OUT, runOk, scratchDir, TSC } from './support/tools.ts';

// -----------------------------------------------------------------------------------------------
// What the tests know independently of the codecs

type Value = unknown;
type Codec = StructCodec<Value>;
interface VersionModule {
  readonly VERSION: string;
  readonly CodecError: ErrorClass;
  readonly codecs: Readonly<Record<string, Codec & { readonly offsets: Readonly<Record<string, number>> }>>;
}

const RUNS = 60;
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const ENDIANS = [true, false] as const;

/** Two's complement bytes of an integer, least significant first unless big-endian. */
function intBytes(value: number | bigint, size: number, littleEndian: boolean): number[] {
  const unsigned = BigInt.asUintN(size * 8, BigInt(value));
  // Its two 32-bit halves as numbers: a bigint shift per byte made this writer the slowest part of the run.
  const halves = [Number(unsigned & 0xffff_ffffn), Number(unsigned >> 32n)];
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) out[i] = (halves[i >> 2]! >>> (8 * (i & 3))) & 0xff;
  return littleEndian ? out : out.reverse();
}

function scalarRange(type: TypeInfo & { kind: 'scalar' }): [bigint, bigint] {
  const bits = BigInt(type.size * 8);
  return type.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

const noNul = (s: string): boolean => !s.includes('\0') && !/\p{Cs}/u.test(s);

/**
 * Any code point but a surrogate, as fast-check's 'binary' string unit draws it (an index into the
 * code points below and above the surrogates), without the map of all 1.1M code points back to
 * their indexes that the unit builds for strings it did not make (half a second per process).
 */
const codePoint = fc.integer({ min: 0, max: 0x10ffff - 0x800 }).map((index) => String.fromCodePoint(index < 0xd800 ? index : index + 0x800));

/** One character of a string. */
const charUnit = fc.oneof(fc.constantFrom('a', 'Z', '-', '9'), codePoint);

function charsArbitrary(length: number): fc.Arbitrary<string> {
  return fc
    .array(charUnit, { maxLength: length - 1 })
    .map((parts) => parts.join(''))
    .filter((s) => noNul(s) && utf8(s).length <= length - 1);
}

/** Values of a C type, unions as exactly one member. */
function arbitraryOf(version: VersionModel, type: TypeInfo): fc.Arbitrary<Value> {
  switch (type.kind) {
    case 'scalar': {
      const [min, max] = scalarRange(type);
      return type.size === 8 ? fc.bigInt({ min, max }) : fc.integer({ min: Number(min), max: Number(max) });
    }
    case 'bits': {
      // A bit-field of `width` bits: a bigint past 32 of them, as the codecs give it.
      const width = BigInt(type.width);
      const [min, max] = type.base.signed ? [-(1n << (width - 1n)), (1n << (width - 1n)) - 1n] : [0n, (1n << width) - 1n];
      return type.width > 32 ? fc.bigInt({ min, max }) : fc.integer({ min: Number(min), max: Number(max) });
    }
    case 'bitmap':
      return fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: type.words, maxLength: type.words });
    case 'inline':
      return aggregateArbitrary(version, { kind: type.aggregate, fields: type.fields });
    case 'pointer':
      return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    case 'chars':
      return charsArbitrary(type.length);
    case 'array':
      return fc.array(arbitraryOf(version, type.element), { minLength: type.length, maxLength: type.length });
    case 'aggregate':
      return structArbitrary(version, findStruct(version, type.name));
    case 'flexible':
      throw new Error('a flexible array member has no value');
  }
}

const bytesFields = (struct: Pick<StructModel, 'fields'>) => struct.fields.filter((f) => f.type.kind !== 'flexible');

/** An anonymous struct or union declared in place: its members are the enclosing value's. */
const isAnonymous = (f: FieldModel): f is FieldModel & { type: TypeInfo & { kind: 'inline' } } => f.anonymous === true && f.type.kind === 'inline';

/** Made once per struct of a version model: building one is slow, and every property asks for it again. */
const structArbitraries = new WeakMap<VersionModel, Map<StructModel, fc.Arbitrary<Value>>>();

function structArbitrary(version: VersionModel, struct: StructModel): fc.Arbitrary<Value> {
  let made = structArbitraries.get(version);
  if (!made) structArbitraries.set(version, (made = new Map()));
  let arbitrary = made.get(struct);
  if (!arbitrary) made.set(struct, (arbitrary = aggregateArbitrary(version, struct)));
  return arbitrary;
}

/** The members of a struct or union; an anonymous member's own members merged into the value. */
function aggregateArbitrary(version: VersionModel, aggregate: Pick<StructModel, 'kind' | 'fields'>): fc.Arbitrary<Value> {
  const part = (f: FieldModel): fc.Arbitrary<Fields> =>
    isAnonymous(f) ? (aggregateArbitrary(version, { kind: f.type.aggregate, fields: f.type.fields }) as fc.Arbitrary<Fields>) : fc.record({ [f.name]: arbitraryOf(version, f.type) });
  const fields = bytesFields(aggregate);
  if (aggregate.kind === 'union') return fc.oneof(...fields.map(part));
  return fc.tuple(...fields.map(part)).map((parts) => Object.assign({}, ...parts) as Fields);
}

/**
 * The independent writer: every byte a value must give, by absolute offset, from the model's layout
 * alone. Padding and the union's unused bytes are 0, as are the bytes after a string's NUL.
 */
function expectedBytes(version: VersionModel, struct: StructModel, value: Value, littleEndian: boolean): number[] {
  const out = new Array<number>(struct.size).fill(0);
  /**
   * A bit-field as gcc places it: `width` bits `shift` bits into its storage unit, counted from the
   * unit's least significant bit on a little-endian machine and from its most significant on a
   * big-endian one.
   */
  const putBits = (f: FieldModel, v: Value, at: number): void => {
    const unitBits = BigInt(f.size * 8);
    const width = BigInt(f.bits!.width);
    const low = littleEndian ? BigInt(f.bits!.shift) : unitBits - BigInt(f.bits!.shift) - width;
    const bytes = out.slice(at, at + f.size);
    let unit = 0n;
    for (let i = 0; i < f.size; i++) unit |= BigInt(bytes[i]!) << BigInt(8 * (littleEndian ? i : f.size - 1 - i));
    unit |= BigInt.asUintN(Number(width), BigInt(v as number | bigint)) << low;
    intBytes(unit, f.size, littleEndian).forEach((b, i) => (out[at + i] = b));
  };
  const putMembers = (fields: readonly FieldModel[], v: Value, at: number): void => {
    for (const f of bytesFields({ fields })) {
      if (isAnonymous(f)) {
        putMembers(f.type.fields, v, at + f.offset);
        continue;
      }
      const member = (v as Record<string, Value>)[f.name];
      if (member === undefined) continue;
      if (f.bits) putBits(f, member, at + f.offset);
      else put(f.type, member, at + f.offset);
    }
  };
  const put = (type: TypeInfo, v: Value, at: number): void => {
    switch (type.kind) {
      case 'scalar':
      case 'pointer':
        intBytes(v as number | bigint, type.kind === 'pointer' ? 8 : type.size, littleEndian).forEach((b, i) => (out[at + i] = b));
        return;
      case 'chars':
        utf8(v as string).forEach((b, i) => (out[at + i] = b));
        return;
      case 'array': {
        const stride = typeSize(version, type.element);
        (v as Value[]).forEach((element, i) => put(type.element, element, at + i * stride));
        return;
      }
      case 'aggregate':
        putMembers(findStruct(version, type.name).fields, v, at);
        return;
      case 'inline':
        putMembers(type.fields, v, at);
        return;
      case 'bitmap':
        (v as bigint[]).forEach((word, i) => intBytes(word, 8, littleEndian).forEach((b, j) => (out[at + i * 8 + j] = b)));
        return;
      case 'bits':
      case 'flexible':
        return;
    }
  };
  put({ kind: 'aggregate', aggregate: struct.kind, name: struct.name }, value, 0);
  return out;
}

/**
 * Where decoding an encoded value did not give the value back (the value itself, except that a union
 * gives every member), as one line per difference. Plain comparisons, not one expect() per leaf:
 * a page-sized array has 512 of them and the properties run it thousands of times.
 */
function roundTripDifferences(version: VersionModel, type: TypeInfo, sent: Value, got: Value, path = '', out: string[] = []): string[] {
  if (type.kind === 'aggregate' || type.kind === 'inline') {
    const aggregate = type.kind === 'aggregate' ? findStruct(version, type.name) : { kind: type.aggregate, fields: type.fields };
    memberDifferences(version, aggregate, sent, got, path, out);
  } else if (type.kind === 'array') {
    if (!Array.isArray(got) || got.length !== type.length) out.push(`${path}: ${Array.isArray(got) ? `${got.length} elements` : typeof got}, expected an array of ${type.length}`);
    else (sent as Value[]).forEach((element, i) => roundTripDifferences(version, type.element, element, got[i], `${path}[${i}]`, out));
  } else if (!sameLeaf(sent, got)) {
    out.push(`${path}: ${String(got)} (${typeof got}), expected ${String(sent)} (${typeof sent})`);
  }
  return out;
}

/** A leaf value as toStrictEqual compares it: primitives by Object.is, arrays (bitmaps) element by element. */
function sameLeaf(sent: Value, got: Value): boolean {
  if (Array.isArray(sent)) return Array.isArray(got) && got.length === sent.length && sent.every((element, i) => Object.is(element, got[i]));
  if (typeof sent === 'object' && sent !== null) throw new Error(`a leaf value is an object: ${JSON.stringify(sent)}`);
  return Object.is(sent, got);
}

/** The members of a struct or union (an anonymous one's as the enclosing value's): a union gives every member. */
function memberDifferences(version: VersionModel, aggregate: Pick<StructModel, 'kind' | 'fields'>, sent: Value, got: Value, path: string, out: string[]): void {
  if (typeof got !== 'object' || got === null) {
    out.push(`${path}: ${String(got)}, expected an object`);
    return;
  }
  for (const f of bytesFields(aggregate)) {
    if (isAnonymous(f)) {
      memberDifferences(version, { kind: f.type.aggregate, fields: f.type.fields }, sent, got, path, out);
      continue;
    }
    const member = (sent as Record<string, Value>)[f.name];
    if (aggregate.kind === 'struct' || member !== undefined) roundTripDifferences(version, f.type, member, (got as Record<string, Value>)[f.name], `${path}.${f.name}`, out);
    else if (!(f.name in got)) out.push(`${path}.${f.name}: missing from the decoded union`);
  }
}

function expectRoundTrip(version: VersionModel, struct: StructModel, sent: Value, got: Value): void {
  const differences = roundTripDifferences(version, { kind: 'aggregate', aggregate: struct.kind, name: struct.name }, sent, got, struct.name);
  if (differences.length > 0) expect(differences).toEqual([]);
}

/**
 * expect(value, message).toBeUndefined(), with expect() called only when it fails: the properties
 * check thousands of values, and making an expectation costs more than most of the checks.
 */
function expectUndefined(value: unknown, message?: string): void {
  if (value !== undefined) expect(value, message).toBeUndefined();
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** The first byte where `actual` differs from `expected` (or their lengths do), in words; undefined when they are equal. */
function byteDifference(actual: Uint8Array, expected: ArrayLike<number>): string | undefined {
  if (actual.length !== expected.length) return `${actual.length} bytes, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) return `byte ${i} is ${actual[i]}, expected ${expected[i]}`;
  return undefined;
}

/** The CodecError class of the runtime a module was generated with (each out/ts has its own). */
type ErrorClass = typeof CodecError;

/**
 * What is wrong with what `action` throws, when it should be a CodecError of `errorClass` at `path`
 * (its message led by the path, matching `message`); undefined when it is. Plain checks, so that a
 * loop over every length of a page-sized struct costs no thousands of expect() calls.
 */
function codecErrorMismatch(errorClass: ErrorClass, action: () => unknown, path: string, message?: RegExp): string | undefined {
  try {
    action();
  } catch (caught) {
    if (!(caught instanceof errorClass)) return `${path}: threw ${String(caught)}, expected a CodecError of its runtime`;
    if (caught.name !== 'CodecError') return `${path}: an error named ${caught.name}`;
    if (caught.path !== path) return `${path}: a CodecError at ${caught.path}`;
    if (!caught.message.startsWith(`${caught.path}: `)) return `${path}: a message not led by its path: ${caught.message}`;
    if (message && !message.test(caught.message)) return `${path}: "${caught.message}" does not match ${message}`;
    return undefined;
  }
  return `${path}: nothing thrown, expected a CodecError`;
}

function expectCodecError(errorClass: ErrorClass, action: () => unknown, path: string, message?: RegExp): void {
  expectUndefined(codecErrorMismatch(errorClass, action, path, message));
}

/** What `action` throws must be an instance of `errorClass`, or it throws nothing; thrown on as it is when not. */
function expectNothingOr(errorClass: ErrorClass, action: () => unknown): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof errorClass)) expect(error).toBeInstanceOf(errorClass);
  }
}

interface Leaf {
  readonly path: string;
  readonly offset: number;
  readonly type: TypeInfo;
  readonly get: (root: Value) => Value;
  /** A copy of `root` with this leaf replaced; inside a union, the union holds only this member. */
  readonly set: (root: Value, leaf: Value) => Value;
}

type Fields = Record<string, Value>;

/** Every field that is not a struct or union, with its path and absolute offset, nested ones expanded. */
function leaves(
  version: VersionModel,
  struct: Pick<StructModel, 'kind' | 'fields'> & { name?: string },
  path = struct.name!,
  base = 0,
  get: (root: Value) => Value = (root) => root,
  set: (root: Value, self: Value) => Value = (_root, self) => self,
): Leaf[] {
  return bytesFields(struct).flatMap((f): Leaf[] => {
    // An anonymous member's own members are the enclosing value's: same path, same object.
    if (isAnonymous(f)) return leaves(version, { kind: f.type.aggregate, fields: f.type.fields }, path, base + f.offset, get, set);
    const fieldPath = `${path}.${f.name}`;
    const getField = (root: Value) => (get(root) as Fields)[f.name];
    const setField = (root: Value, x: Value) =>
      set(root, struct.kind === 'union' ? { [f.name]: x } : { ...(get(root) as Fields), [f.name]: x });
    if (f.type.kind === 'aggregate') return leaves(version, findStruct(version, f.type.name), fieldPath, base + f.offset, getField, setField);
    if (f.type.kind === 'inline') return leaves(version, { kind: f.type.aggregate, fields: f.type.fields }, fieldPath, base + f.offset, getField, setField);
    return [{ path: fieldPath, offset: base + f.offset, type: f.type, get: getField, set: setField }];
  });
}

/** A view read field by field into plain values, through the model: what the decoder gives. */
function materialise(version: VersionModel, struct: Pick<StructModel, 'fields'>, view: Value): Value {
  const read = (type: TypeInfo, v: Value): Value =>
    type.kind === 'aggregate'
      ? materialise(version, findStruct(version, type.name), v)
      : type.kind === 'array'
        ? (v as Value[]).map((element) => read(type.element, element))
        : v;
  const members = (fields: readonly FieldModel[]): [string, Value][] =>
    bytesFields({ fields }).flatMap((f) => (isAnonymous(f) ? members(f.type.fields) : [[f.name, read(f.type, (view as Fields)[f.name])]]));
  return Object.fromEntries(members(struct.fields));
}

/** What an action gives: its value, or the message of the CodecError it throws (anything else is thrown on). */
function outcome(action: () => Value): { value?: Value; error?: string } {
  try {
    return { value: action() };
  } catch (error) {
    if (error instanceof Error && error.name === 'CodecError') return { error: error.message };
    throw error;
  }
}

// -----------------------------------------------------------------------------------------------
// The properties every generated version module must have

function codecProperties(
  model: () => Model,
  modules: () => Readonly<Record<string, VersionModule>>,
  errorClassOf: () => ErrorClass,
): void {
  const cases = () =>
    allVersions(model()).flatMap((version) =>
      version.structs.map((struct) => ({ version, struct, codec: modules()[version.name]!.codecs[struct.name]! })),
    );

  it('has one codec per struct of every version, named and sized by the model', () => {
    for (const version of allVersions(model())) {
      const module = modules()[version.name]!;
      expect(module.VERSION).toBe(version.name);
      // Its own structs, and those of the headers it uses (a walk reads both).
      expect(Object.keys(module.codecs)).toEqual(version.visibleStructs.map((s) => s.name));
      for (const struct of version.structs) {
        const codec = module.codecs[struct.name]!;
        expect(codec.name).toBe(struct.name);
        expect(codec.size).toBe(struct.size);
        expect(codec.offsets).toEqual(Object.fromEntries(struct.fields.map((f) => [f.name, f.offset])));
      }
    }
  });

  it('round-trips every struct in both byte orders, writing exactly the bytes of the independent writer', () => {
    for (const { version, struct, codec } of cases()) {
      for (const littleEndian of ENDIANS) {
        const options = { littleEndian };
        fc.assert(
          fc.property(structArbitrary(version, struct), fc.nat(16), fc.uint8Array({ minLength: 16, maxLength: 16 }), (value, offset, noise) => {
            // Garbage around and under the struct: the encoder must own every byte of it, and no other.
            const bytes = new Uint8Array(offset + struct.size + 16);
            for (let i = 0; i < bytes.length; i++) bytes[i] = noise[i % 16]! | 1;
            const before = bytes.slice();
            codec.encode(value, bytes, offset, options);
            expectUndefined(byteDifference(bytes.subarray(offset, offset + struct.size), expectedBytes(version, struct, value, littleEndian)), 'the struct');
            expectUndefined(byteDifference(bytes.subarray(0, offset), before.subarray(0, offset)), 'before the struct');
            expectUndefined(byteDifference(bytes.subarray(offset + struct.size), before.subarray(offset + struct.size)), 'after the struct');
            expectRoundTrip(version, struct, value, codec.decode(bytes, offset, options));
          }),
          { numRuns: RUNS },
        );
      }
    }
  });

  it('decodes bytes from the independent writer (little-endian unless told otherwise)', () => {
    for (const { version, struct, codec } of cases()) {
      fc.assert(
        fc.property(structArbitrary(version, struct), (value) => {
          const bytes = Uint8Array.from(expectedBytes(version, struct, value, true));
          expectRoundTrip(version, struct, value, codec.decode(bytes));
        }),
        { numRuns: RUNS / 2 },
      );
    }
  });

  it('refuses a buffer too short at every length, and bad offsets, with a CodecError naming the struct', () => {
    // Hundreds of thousands of CodecErrors, whose stacks nobody reads: capturing them was most of this test's time.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    onTestFinished(() => void (Error.stackTraceLimit = stackTraceLimit));
    for (const { version, struct, codec } of cases()) {
      const value = fc.sample(structArbitrary(version, struct), { numRuns: 1, seed: 7 })[0];
      const problems: string[] = [];
      const note = (problem: string | undefined, where: string): void => void (problem && problems.push(`${where}: ${problem}`));
      const needs = [0, 3].map((offset) => [offset, new RegExp(`needs ${struct.size} bytes at offset ${offset}`)] as const);
      // One zeroed buffer, seen through views of each length: an encoder that wrote anything before refusing leaves a mark.
      const zeros = new Uint8Array(struct.size + 3);
      for (let length = 0; length < struct.size; length++) {
        for (const [offset, message] of needs) {
          const bytes = zeros.subarray(0, offset + length);
          const where = `${length} bytes at offset ${offset}`;
          note(codecErrorMismatch(errorClassOf(), () => codec.decode(bytes, offset), struct.name, message), `decode of ${where}`);
          note(codecErrorMismatch(errorClassOf(), () => codec.encode(value, bytes, offset), struct.name), `encode into ${where}`);
          if (!isZero(bytes)) {
            problems.push(`encode into ${where} wrote bytes before refusing`);
            zeros.fill(0);
          }
        }
      }
      const bytes = new Uint8Array(struct.size * 2);
      for (const offset of [-1, 0.5, Number.NaN, struct.size + 1]) {
        note(codecErrorMismatch(errorClassOf(), () => codec.decode(bytes, offset), struct.name), `decode at offset ${offset}`);
        note(codecErrorMismatch(errorClassOf(), () => codec.encode(value, bytes, offset), struct.name), `encode at offset ${offset}`);
      }
      expect(problems, `${version.name} ${struct.name}`).toEqual([]);
    }
  });

  it('decodes any bytes to a value or a CodecError, never another exception', () => {
    for (const { struct, codec } of cases()) {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: struct.size * 2 }), fc.nat(struct.size * 2), fc.boolean(), (bytes, offset, littleEndian) => {
          expectNothingOr(errorClassOf(), () => codec.decode(bytes, offset, { littleEndian }));
        }),
        { numRuns: RUNS },
      );
    }
  });

  it('encodes any junk value to bytes or a CodecError, never another exception', () => {
    for (const { version, struct, codec } of cases()) {
      // Right field names with values of any type, nested a level down too, or no object at all.
      const structLeaves = new Map(leaves(version, struct).map((l) => [l.path, l]));
      const junkFields = fc.dictionary(fc.constantFrom(...structLeaves.keys()), fc.anything());
      const junk = fc.oneof(
        fc.anything(),
        fc.tuple(structArbitrary(version, struct), junkFields).map(([value, fields]) =>
          Object.entries(fields).reduce((v, [path, leaf]) => structLeaves.get(path)!.set(v, leaf), value),
        ),
      );
      fc.assert(
        fc.property(junk, (value) => {
          expectNothingOr(errorClassOf(), () => codec.encode(value, new Uint8Array(struct.size)));
        }),
        { numRuns: RUNS },
      );
    }
  });

  it('refuses integers outside every field’s range, naming the field', () => {
    for (const { version, struct, codec } of cases()) {
      const value = fc.sample(structArbitrary(version, struct), { numRuns: 1, seed: 11 })[0];
      const scalars = leaves(version, struct).filter((l) => l.type.kind === 'scalar' || l.type.kind === 'pointer' || l.type.kind === 'bits');
      for (const leaf of scalars) {
        const type = leaf.type.kind === 'pointer' ? ({ kind: 'scalar', name: 'u64', size: 8, signed: false } as const) : leaf.type;
        // A bit-field's range is its width's; it is a bigint past 32 bits, as a scalar is past 4 bytes.
        const bits = type.kind === 'bits' ? BigInt(type.width) : BigInt((type as TypeInfo & { kind: 'scalar' }).size * 8);
        const signed = type.kind === 'bits' ? type.base.signed : (type as TypeInfo & { kind: 'scalar' }).signed;
        const [min, max] = signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
        const wide = bits > 32n;
        const outside = fc.oneof(fc.bigInt({ max: min - 1n, min: min - (1n << 70n) }), fc.bigInt({ min: max + 1n, max: max + (1n << 70n) }));
        fc.assert(
          fc.property(outside, (bad) => {
            const input = leaf.set(value, wide ? bad : Number(bad));
            expectCodecError(errorClassOf(), () => codec.encode(input, new Uint8Array(struct.size)), leaf.path, /is outside/);
          }),
          { numRuns: 20 },
        );
        // The other kind of number, and a fraction for the small ones.
        expectCodecError(errorClassOf(), () => codec.encode(leaf.set(value, wide ? 1 : 1n), new Uint8Array(struct.size)), leaf.path, /expected a/);
        if (!wide) expectCodecError(errorClassOf(), () => codec.encode(leaf.set(value, 0.5), new Uint8Array(struct.size)), leaf.path, /is outside/);
        // The limits themselves are fine.
        for (const edge of [min, max]) codec.encode(leaf.set(value, wide ? edge : Number(edge)), new Uint8Array(struct.size));
      }
    }
  });

  it('views read every field as the decoder does, in both byte orders', () => {
    for (const { version, struct, codec } of cases()) {
      for (const littleEndian of ENDIANS) {
        const options = { littleEndian };
        fc.assert(
          fc.property(structArbitrary(version, struct), fc.nat(16), (value, offset) => {
            const bytes = new Uint8Array(offset + struct.size);
            codec.encode(value, bytes, offset, options);
            const view = codec.view(bytes, offset, options);
            expectStrictEqual(materialise(version, struct, view), codec.decode(bytes, offset, options));
          }),
          { numRuns: RUNS },
        );
      }
    }
  });

  it('views refuse hostile bytes with the errors of the decoder: the bounds when made, a field when read', () => {
    for (const { version, struct, codec } of cases()) {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: struct.size * 2 }), fc.nat(struct.size * 2), fc.boolean(), (bytes, offset, littleEndian) => {
          const options = { littleEndian };
          const decoded = outcome(() => codec.decode(bytes, offset, options));
          const viewed = outcome(() => materialise(version, struct, codec.view(bytes, offset, options)));
          expectStrictEqual(viewed, decoded);
          if (decoded.error && !decoded.error.startsWith(`${struct.name}`)) expect(decoded.error).toMatch(new RegExp(`^${struct.name}`));
        }),
        { numRuns: RUNS * 2 },
      );
      // Bytes that are bad in one string only: the view is made (the bounds are fine), the string refused when read.
      for (const leaf of leaves(version, struct).filter((l) => l.type.kind === 'chars')) {
        const bytes = new Uint8Array(struct.size);
        bytes.fill(0x41, leaf.offset, leaf.offset + (leaf.type as { length: number }).length);
        const view = codec.view(bytes);
        expect(outcome(() => leaf.get(view))).toStrictEqual(outcome(() => codec.decode(bytes)));
      }
    }
  });

  it('refuses strings the kernel could not read back, and reads no char array without its NUL', () => {
    for (const { version, struct, codec } of cases()) {
      const value = fc.sample(structArbitrary(version, struct), { numRuns: 1, seed: 13 })[0];
      for (const leaf of leaves(version, struct).filter((l) => l.type.kind === 'chars')) {
        const length = (leaf.type as { length: number }).length;
        const encode = (text: string) => codec.encode(leaf.set(value, text), new Uint8Array(struct.size));
        encode('x'.repeat(length - 1));
        expectCodecError(errorClassOf(), () => encode('x'.repeat(length)), leaf.path, new RegExp(`${length} bytes of UTF-8 do not fit: char\\[${length}\\] holds at most ${length - 1}`));
        // Counted in UTF-8 bytes, not UTF-16 units: 'é' is two bytes.
        expectCodecError(errorClassOf(), () => encode('é'.repeat(Math.ceil(length / 2))), leaf.path, /bytes of UTF-8 do not fit/);
        expectCodecError(errorClassOf(), () => encode('ab\0cd'), leaf.path, /contains a NUL at index 2/);
        expectCodecError(errorClassOf(), () => encode('a\ud800b'), leaf.path, /lone surrogate/);
        expectCodecError(errorClassOf(), () => encode(undefined as unknown as string), leaf.path, /expected a string/);
        fc.assert(
          fc.property(fc.string({ unit: codePoint, minLength: Math.ceil(length / 4), maxLength: length * 2 }).filter((s) => noNul(s) && utf8(s).length >= length), (text) => {
            expectCodecError(errorClassOf(), () => encode(text), leaf.path, /do not fit/);
          }),
          { numRuns: 20 },
        );

        const bytes = Uint8Array.from(expectedBytes(version, struct, value, true));
        bytes.fill(0x41, leaf.offset, leaf.offset + length);
        expectCodecError(errorClassOf(), () => codec.decode(bytes), leaf.path, new RegExp(`no NUL terminator within char\\[${length}\\]`));
        bytes.set([0xc3, 0x28, 0], leaf.offset);
        expectCodecError(errorClassOf(), () => codec.decode(bytes), leaf.path, /not valid UTF-8/);
        // Bytes after the NUL are not part of the string.
        bytes.set([0x6f, 0x6b, 0], leaf.offset);
        expect(leaf.get(codec.decode(bytes))).toBe('ok');
      }
    }
  });
}

// -----------------------------------------------------------------------------------------------
// LUO: the committed out/ts

const luoModel = buildModel(family);

describe('the codec runtime (generator/codec/runtime.ts, compiled to out/ts/runtime.js)', () => {
  it('reads a char array of ASCII and of UTF-8 the same way', () => {
    const bytes = new TextEncoder().encode('x memfd-v1\0 é-v1\0');
    expect(runtime.readChars(bytes, 2, 9, 'p')).toBe('memfd-v1');
    expect(runtime.readChars(bytes, 11, 7, 'p')).toBe(' é-v1');
    expect(() => runtime.readChars(bytes, 2, 8, 'p')).toThrow(/no NUL terminator/);
  });
});

describe('generated TypeScript codecs for LUO (out/ts)', () => {
  codecProperties(
    () => luoModel,
    () => versions as unknown as Record<string, VersionModule>,
    () => CodecError,
  );

  it('has the sizes and offsets of the ABI facts', () => {
    const v4 = versions['luo-v4'];
    expect([v4.LUO_SER_SIZE, v4.LUO_SER_OFFSETS]).toEqual([24, { liveupdate_num: 0, sessions_pa: 8, flbs_pa: 16 }]);
    expect([v4.LUO_FILE_SER_SIZE, v4.LUO_FILE_SER_OFFSETS]).toEqual([64, { compatible: 0, data: 48, token: 56 }]);
    expect([v4.LUO_FLB_SER_SIZE, v4.LUO_FLB_SER_OFFSETS]).toEqual([64, { name: 0, data: 48, count: 56 }]);
    expect([v4.LUO_SESSION_SER_SIZE, v4.LUO_SESSION_SER_OFFSETS]).toEqual([80, { name: 0, file_set_ser: 64 }]);
    expect([v4.LUO_FILE_SET_SER_SIZE, v4.LUO_FILE_SET_SER_OFFSETS]).toEqual([16, { files: 0, count: 8 }]);
    expect([v4.LUO_BLOCK_HEADER_SER_SIZE, v4.LUO_BLOCK_HEADER_SER_OFFSETS]).toEqual([16, { next: 0, count: 8 }]);
    expect([v4.LUO_FLB_HEADER_SER_SIZE, v4.LUO_FLB_HEADER_SER_OFFSETS]).toEqual([16, { pgcnt: 0, count: 8 }]);
    expect(versions['luo-v2'].LUO_SESSION_HEADER_SER_SIZE).toBe(8);
    expect(versions['luo-v1-session-v1'].LUO_SESSION_SER_SIZE).toBe(64);
    expect(Object.keys(versions)).toEqual(allVersions(luoModel).map((v) => v.name));
    expect(CURRENT_VERSIONS).toEqual({ kexec_handover: 'kho-v4', block: 'block-v1', compat: 'compat', luo: 'luo-v5+block-v1', memfd: 'memfd-v2', memblock: 'memblock-v1' });
  });

  it('exports the #define and enum constants that have a value, with the values of the ABI facts (4 KiB pages)', () => {
    expect(versions['luo-v5'].constants).toMatchObject({ LUO_ABI_COMPATIBLE: 'luo-v5', LUO_ABI_COMPAT_LEN: 8, LIVEUPDATE_SESSION_NAME_LENGTH: 64 });
    expect(versions['luo-v5+block-v1'].constants).toMatchObject({ LUO_ABI_COMPATIBLE: 'luo-v5;block-v1', LUO_ABI_COMPAT_LEN: 16 });
    expect(versions['luo-v2'].constants.LUO_FDT_COMPATIBLE).toBe('luo-v2');
    // (4096 - 8) / 8 page addresses in a chunk; the sizeof constant of struct kho_vmalloc is another name.
    expect(versions['kho-v4'].constants.KHO_VMALLOC_SIZE).toBe(511);
    expect(versions['kho-v4'].KHO_VMALLOC_SIZE).toBe(versions['kho-v4'].codecs.kho_vmalloc.size);
    expect(versions['memfd-v1'].constants).toMatchObject({ MEMFD_LUO_FOLIO_DIRTY: 1, MEMFD_LUO_FOLIO_UPTODATE: 2 });
    // A function-like macro has no value to export.
    expect(versions['compat'].constants).toEqual({});
  });

  it('decodes a luo_file_ser written by hand, little- and big-endian', () => {
    const bytes = new Uint8Array(64 + 5);
    bytes.set(utf8('memfd-v1'), 5);
    bytes.set([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11], 5 + 48);
    bytes.set([1, 0, 0, 0, 0, 0, 0, 0x80], 5 + 56);
    const codec: StructCodec<LuoFileSer> = versions['luo-v4'].codecs.luo_file_ser;
    expect(codec.decode(bytes, 5)).toEqual({ compatible: 'memfd-v1', data: 0x1122334455667788n, token: 0x8000000000000001n });
    expect(codec.decode(bytes, 5, { littleEndian: false })).toEqual({
      compatible: 'memfd-v1',
      data: 0x8877665544332211n,
      token: 0x0100000000000080n,
    });
  });

  it('reads back each string exactly when strings repeat, differ in one byte, or change length', () => {
    // The runtime keeps recently read strings. 600 distinct names of one length cannot all have
    // slots of their own, so stale and colliding entries are met: none may be returned.
    const codec = versions['luo-v4'].codecs.luo_session_ser;
    const names = [
      ...Array.from({ length: 600 }, (_, i) => `session-${String(i).padStart(4, '0')}`),
      ...['memfd-v1', 'memfd-v', 'memfd-v12', 'x'.repeat(63), `${'x'.repeat(62)}y`, ''],
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(names, { minLength: names.length }), fc.array(fc.constantFrom(...names), { maxLength: 200 }), (order, more) => {
        for (const name of [...order, ...more, ...order]) {
          const bytes = new Uint8Array(80);
          bytes.set(utf8(name));
          const read = codec.decode(bytes).name;
          if (read !== name) expect(read).toBe(name);
        }
      }),
      { numRuns: 5 },
    );
  });

  it('imports nothing but the runtime and, for a header it uses, that header\'s module', () => {
    const dir = join(OUT, 'ts');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.js') || name.endsWith('.d.ts'));
    expect(files.filter((name) => name.endsWith('.js')).length).toBe(allVersions(luoModel).length + 2);
    for (const name of files) {
      const text = readFileSync(join(dir, name), 'utf8');
      const specifiers = [...text.matchAll(/\bfrom\s+["']([^"']+)["']/g)].map((m) => m[1]);
      const base = name.replace(/\.(d\.ts|js)$/, '');
      const allowed = base === 'index' ? /^\.\/(runtime|[a-z_]+\/[\w+-]+)\.js$/ : base === 'runtime' ? /^$/ : /^\.\.\/(runtime|[a-z_]+\/[\w+-]+)\.js$/;
      for (const specifier of specifiers) expect(specifier, `${name} imports ${specifier}`).toMatch(allowed);
      expect(text).not.toMatch(/\bimport\(|\brequire\(/);
    }
  });
});

describe('codecs compiled at run time from the LUO model (generator/codec/compile.ts)', () => {
  codecProperties(
    () => luoModel,
    () => Object.fromEntries(allVersions(luoModel).map((v) => [v.name, compiledModule(v)])),
    () => RuntimeCodecError,
  );

  it('are compiled once per version model', () => {
    const v4 = allVersions(luoModel).at(-1)!;
    expect(codecsFor(v4)).toBe(codecsFor(v4));
  });

  it('move a view (codec.move) or shift it to read another struct as a view made there reads it, bounds checked by a move as making one checks them', () => {
    for (const version of allVersions(luoModel)) {
      for (const struct of version.structs) {
        const codec = codecsFor(version)[struct.name]!;
        for (const littleEndian of ENDIANS) {
          const options = { littleEndian };
          fc.assert(
            fc.property(fc.array(structArbitrary(version, struct), { minLength: 2, maxLength: 2 }), fc.nat(16), ([first, second], gap) => {
              const bytes = new Uint8Array(2 * struct.size + gap);
              codec.encode(first as Record<string, unknown>, bytes, 0, options);
              codec.encode(second as Record<string, unknown>, bytes, struct.size + gap, options);
              const moving = codec.view(bytes, 0, options);
              codec.move(moving, bytes, struct.size + gap);
              expect(materialise(version, struct, moving)).toStrictEqual(codec.decode(bytes, struct.size + gap, options));
              // Into another buffer, too: the view reads that one's bytes.
              const other = bytes.slice(0, struct.size);
              codec.move(moving, other, 0);
              expect(materialise(version, struct, moving)).toStrictEqual(codec.decode(bytes, 0, options));
              // Shifted (no check of its own, the caller has made it) within a buffer and into another.
              const shifted = codec.view(other, 0, options);
              const view = new DataView(bytes.buffer);
              codec.shift(shifted, bytes, view, struct.size + gap);
              expect(materialise(version, struct, shifted)).toStrictEqual(codec.decode(bytes, struct.size + gap, options));
              // The same buffer and DataView: the offset alone changes.
              codec.shift(shifted, bytes, view, 0);
              expect(materialise(version, struct, shifted)).toStrictEqual(codec.decode(bytes, 0, options));
              codec.shift(shifted, other, new DataView(other.buffer), 0);
              expect(materialise(version, struct, shifted)).toStrictEqual(codec.decode(bytes, 0, options));
              expect((shifted as { $bytes: Uint8Array }).$bytes).toBe(other);
            }),
            // A move and a shift are the same whatever the record; a dozen records per struct and byte order.
            { numRuns: 12 },
          );
        }
        const bytes = new Uint8Array(struct.size + 3);
        const moving = codec.view(bytes);
        const refused = `${struct.name}: needs ${struct.size} bytes at offset 4, but the buffer holds ${struct.size + 3}`;
        expect(() => codec.view(bytes, 4)).toThrow(refused);
        expect(() => codec.move(moving, bytes, 4)).toThrow(refused);
        expect(() => codec.move(moving, bytes, 4)).toThrow(RuntimeCodecError);
      }
    }
  });
});

/** A compiled version's codecs in the shape of a generated version module. */
function compiledModule(version: VersionModel): VersionModule {
  return { VERSION: version.name, CodecError: RuntimeCodecError, codecs: codecsFor(version) as unknown as VersionModule['codecs'] };
}

// -----------------------------------------------------------------------------------------------
// The aligned fixture: union, arrays, signed and small integers, padding, a flexible array member

describe('generated TypeScript codecs for the aligned fixture schema', () => {
  const model = buildModel(demoSchema);
  let demo: VersionModule & Record<string, unknown>;

  const dir = scratchDir('ts-codecs');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    const write = (root: string, path: string, content: string): string => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), content);
      return join(root, path);
    };
    const files = renderTsCodecs(model);
    const declarations = files.filter((f) => f.path.endsWith('.d.ts')).map((f) => write(join(dir, 'package'), f.path, f.content));
    for (const f of files) write(join(dir, 'package'), f.path, f.content);
    // The TypeScript the packages are compiled from, the fixture's and LUO's (out/ts ships none), and the
    // fixture's declarations, with the strictness of the repository's tsconfig.
    const sources = [
      ...tsModules(model).map((m) => write(join(dir, 'ts-fixture'), `${m.path}.ts`, m.typescript)),
      ...tsModules(luoModel).map((m) => write(join(dir, 'ts-luo'), `${m.path}.ts`, m.typescript)),
    ];
    runOk(process.execPath, [
      TSC,
      '--ignoreConfig',
      '--noEmit',
      '--strict',
      '--noUncheckedIndexedAccess',
      '--noImplicitOverride',
      '--noUnusedLocals',
      '--isolatedDeclarations',
      '--declaration',
      '--target',
      'ES2022',
      '--module',
      'NodeNext',
      '--moduleResolution',
      'NodeNext',
      '--verbatimModuleSyntax',
      '--types',
      '',
      ...sources,
      ...declarations,
    ], { cwd: join(import.meta.dirname, '..') });
    demo = (await import(pathToFileURL(join(dir, 'package', files.find((f) => f.path.endsWith('/demo-v1.js'))!.path)).href)) as typeof demo;
  });

  codecProperties(
    () => model,
    () => ({ 'demo-v1': demo }),
    () => demo.CodecError,
  );

  describe('compiled at run time from its model', () => {
    codecProperties(
      () => model,
      () => ({ 'demo-v1': compiledModule(allVersions(model)[0]!) }),
      () => RuntimeCodecError,
    );
  });

  it('lays out the fixture as gcc does on LP64 (offsets worked out by hand)', () => {
    expect([demo['DEMO_MIXED_SIZE'], demo['DEMO_MIXED_OFFSETS']]).toEqual([32, { a: 0, b: 4, c: 8, d: 16, e: 24 }]);
    expect([demo['DEMO_HOLDER_SIZE'], demo['DEMO_HOLDER_OFFSETS']]).toEqual([72, { tag: 0, v: 8, m: 16, p: 48, name: 61, tail: 66 }]);
    expect([demo['DEMO_ENTRIES_SIZE'], demo['DEMO_ENTRIES_OFFSETS']]).toEqual([8, { count: 0, flags: 4, items: 8 }]);
  });

  it('decodes a union to every member and encodes exactly one', () => {
    const union = demo.codecs['demo_value']!;
    const bytes = Uint8Array.from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]);
    expect(union.decode(bytes)).toEqual({ byte: 1, word: 0x04030201, wide: 0x0807060504030201n, triple: [0x0201, 0x0403, 0x0605] });
    union.encode({ word: 0xdeadbeef }, bytes);
    expect([...bytes]).toEqual([0xef, 0xbe, 0xad, 0xde, 0, 0, 0, 0]);
    expectCodecError(demo.CodecError, () => union.encode({}, bytes), 'demo_value', /exactly one member, but none/);
    expectCodecError(demo.CodecError, () => union.encode({ byte: 1, wide: 2n }, bytes), 'demo_value', /but byte, wide are set/);
  });

  it('refuses an array whose length differs from the C array, naming it', () => {
    const holder = demo.codecs['demo_holder']!;
    const value = fc.sample(structArbitrary(allVersions(model)[0]!, findStruct(allVersions(model)[0]!, 'demo_holder')), { numRuns: 1, seed: 3 })[0];
    for (const triple of [[1, 2], [1, 2, 3, 4], []]) {
      expectCodecError(demo.CodecError, () => holder.encode({ ...(value as Fields), v: { triple } }, new Uint8Array(72)), 'demo_holder.v.triple', new RegExp(`has ${triple.length} elements; the C array has exactly 3`));
    }
    expectCodecError(demo.CodecError, () => holder.encode({ ...(value as Fields), v: { triple: [1, 70000, 3] } }, new Uint8Array(72)), 'demo_holder.v.triple[1]', /outside u16/);
  });

  it('leaves the flexible array member out of the value but gives its offset', () => {
    const entries = demo.codecs['demo_entries']!;
    expect(entries.decode(Uint8Array.from([5, 0, 0, 0, 1, 9, 9, 9]))).toEqual({ count: 5, flags: 1 });
  });
});
