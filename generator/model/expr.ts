/**
 * C constant expressions as kernel ABI headers write them: integers (decimal, hex, octal, with U/L
 * suffixes), string literals and their concatenation, names, function-like macros (the kernel's own
 * helpers and the schema's, with `#param`), sizeof of a type or a string, casts to integer types,
 * and the C operators. Parsed once into a tree; evaluated per target (page size) with bigint, so
 * BIT_ULL(63) is exact.
 *
 * The C text of an expression is kept as the schema wrote it: the generated header prints that, and
 * only the value comes from here.
 */
import type { Expr, Referable } from '../../schema/lang.ts';

export type ExprValue = bigint | string;

export class ExprError extends Error {}

// -----------------------------------------------------------------------------------------------
// The kernel's own names: what a header may use without defining, and which header defines it.

export const KERNEL_NAMES: ReadonlyMap<string, string> = new Map([
  ['PAGE_SIZE', '<asm/page.h>'],
  ['PAGE_SHIFT', '<asm/page.h>'],
  ['BITS_PER_BYTE', '<linux/bits.h>'],
  ['BITS_PER_LONG', '<asm/bitsperlong.h>'],
]);

export const KERNEL_FUNCTIONS: ReadonlyMap<string, { include: string; arity: number; apply: (args: bigint[]) => bigint }> = new Map([
  ['ALIGN', { include: '<linux/align.h>', arity: 2, apply: ([x, a]) => align(x!, a!) }],
  ['BIT', { include: '<linux/bits.h>', arity: 1, apply: ([n]) => shiftLeft(1n, n!, 64n) }],
  ['BIT_ULL', { include: '<linux/bits.h>', arity: 1, apply: ([n]) => shiftLeft(1n, n!, 64n) }],
  ['GENMASK', { include: '<linux/bits.h>', arity: 2, apply: ([h, l]) => genmask(h!, l!) }],
  ['GENMASK_ULL', { include: '<linux/bits.h>', arity: 2, apply: ([h, l]) => genmask(h!, l!) }],
  ['DIV_ROUND_UP', { include: '<linux/math.h>', arity: 2, apply: ([n, d]) => divide(n! + d! - 1n, d!) }],
  ['const_ilog2', { include: '<linux/log2.h>', arity: 1, apply: ([n]) => ilog2(n!) }],
  ['ilog2', { include: '<linux/log2.h>', arity: 1, apply: ([n]) => ilog2(n!) }],
  ['BITS_TO_LONGS', { include: '<linux/bitops.h>', arity: 1, apply: ([n]) => divide(n! + 63n, 64n) }],
]);

/** C integer types a cast or sizeof may name, with their size in bytes on LP64. */
const INTEGER_TYPES: ReadonlyMap<string, number> = new Map([
  ['char', 1],
  ['u8', 1],
  ['s8', 1],
  ['u16', 2],
  ['s16', 2],
  ['u32', 4],
  ['s32', 4],
  ['u64', 8],
  ['s64', 8],
  ['short', 2],
  ['int', 4],
  ['long', 8],
  ['long long', 8],
  ['unsigned char', 1],
  ['unsigned short', 2],
  ['unsigned int', 4],
  ['unsigned', 4],
  ['unsigned long', 8],
  ['unsigned long long', 8],
  ['phys_addr_t', 8],
  ['size_t', 8],
]);

function align(x: bigint, a: bigint): bigint {
  if (a <= 0n || (a & (a - 1n)) !== 0n) throw new ExprError(`ALIGN to ${a}, which is not a power of two`);
  return (x + a - 1n) & ~(a - 1n);
}

function shiftLeft(x: bigint, n: bigint, limit: bigint): bigint {
  if (n < 0n || n >= limit) throw new ExprError(`shift by ${n} is outside 0..${limit - 1n}`);
  return x << n;
}

function genmask(high: bigint, low: bigint): bigint {
  if (low < 0n || high > 63n || low > high) throw new ExprError(`GENMASK(${high}, ${low}) is not a mask of bits 0..63`);
  return ((1n << (high - low + 1n)) - 1n) << low;
}

function divide(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new ExprError('division by zero');
  return n / d;
}

function ilog2(n: bigint): bigint {
  if (n <= 0n) throw new ExprError(`ilog2 of ${n}, which is not positive`);
  return BigInt(n.toString(2).length - 1);
}

// -----------------------------------------------------------------------------------------------
// Tokens and the tree

type Token =
  | { readonly kind: 'number'; readonly value: bigint; readonly text: string }
  | { readonly kind: 'string'; readonly value: string; readonly text: string }
  | { readonly kind: 'name'; readonly text: string }
  | { readonly kind: 'ref'; readonly index: number; readonly text: string }
  | { readonly kind: 'punct'; readonly text: string };

export type TypeName = { readonly kind: 'integer'; readonly name: string; readonly size: number } | { readonly kind: 'aggregate'; readonly name: string; readonly ref?: number } | { readonly kind: 'pointer' };

export type ExprNode =
  | { readonly kind: 'number'; readonly value: bigint }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'ref'; readonly index: number }
  | { readonly kind: 'call'; readonly callee: string; readonly ref?: number; readonly args: readonly ExprNode[]; readonly argTexts: readonly string[] }
  | { readonly kind: 'sizeof-type'; readonly type: TypeName }
  | { readonly kind: 'sizeof'; readonly operand: ExprNode }
  | { readonly kind: 'cast'; readonly type: TypeName; readonly operand: ExprNode }
  | { readonly kind: 'unary'; readonly op: string; readonly operand: ExprNode }
  | { readonly kind: 'binary'; readonly op: string; readonly left: ExprNode; readonly right: ExprNode }
  | { readonly kind: 'conditional'; readonly test: ExprNode; readonly then: ExprNode; readonly otherwise: ExprNode }
  | { readonly kind: 'concat'; readonly parts: readonly ExprNode[] }
  | { readonly kind: 'stringify'; readonly param: string };

const REF_OPEN = '\uE000';
const REF_CLOSE = '\uE001';
const PUNCTUATORS = ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '##', '(', ')', ',', '+', '-', '*', '/', '%', '<', '>', '&', '|', '^', '~', '!', '?', ':', '#'];

/** The C text of a reference: a macro's or constant's name, `struct name` for a struct. */
export function refText(ref: Referable): string {
  return ref.kind === 'struct' || ref.kind === 'union' ? `${ref.kind} ${ref.name}` : ref.name;
}

/** An expression's C text, references spelled by name. */
export function exprText(expr: Expr): string {
  return expr.parts.map((part, i) => part + (i < expr.refs.length ? refText(expr.refs[i]!) : '')).join('');
}

function tokenize(expr: Expr): Token[] {
  const text = expr.parts.map((part, i) => part + (i < expr.refs.length ? `${REF_OPEN}${i}${REF_CLOSE}` : '')).join('');
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^(?:\s+|\/\*[\s\S]*?\*\/|\\\n)/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const ref = new RegExp(`^${REF_OPEN}(\\d+)${REF_CLOSE}`).exec(rest);
    if (ref) {
      const index = Number(ref[1]);
      tokens.push({ kind: 'ref', index, text: refText(expr.refs[index]!) });
      i += ref[0].length;
      continue;
    }
    const number = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)(?![\w.])/.exec(rest);
    if (number) {
      const digits = number[1]!;
      const value = digits.length > 1 && digits.startsWith('0') && !/^0[xX]/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
      tokens.push({ kind: 'number', value, text: number[0] });
      i += number[0].length;
      continue;
    }
    const string = /^"((?:[^"\\\n]|\\.)*)"/.exec(rest);
    if (string) {
      tokens.push({ kind: 'string', value: unescape(string[1]!), text: string[0] });
      i += string[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', text: name[0] });
      i += name[0].length;
      continue;
    }
    const punct = PUNCTUATORS.find((p) => rest.startsWith(p));
    if (!punct) throw new ExprError(`unexpected "${rest[0]}"`);
    tokens.push({ kind: 'punct', text: punct });
    i += punct.length;
  }
  return tokens;
}

function unescape(body: string): string {
  return body.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', '0': '\0' })[c] ?? c);
}

const BINARY: readonly (readonly string[])[] = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '>', '<=', '>='],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%'],
];

/** Parse an expression; `params` are the parameters of the macro whose body it is. */
export function parseExpr(expr: Expr, params: readonly string[] = []): ExprNode {
  const tokens = tokenize(expr);
  if (tokens.length === 0) throw new ExprError('is empty');
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const isPunct = (text: string, token = peek()): boolean => token?.kind === 'punct' && token.text === text;
  const expect = (text: string): void => {
    if (!isPunct(text)) throw new ExprError(`expected "${text}"${peek() ? ` before "${peek()!.text}"` : ' at the end'}`);
    position++;
  };
  const sourceText = (from: number, to: number): string => tokens.slice(from, to).map((t) => t.text).join(' ');

  /** A type name at the current position, or undefined (position unchanged). */
  const typeName = (): TypeName | undefined => {
    const start = position;
    const token = peek();
    if (token?.kind === 'ref') {
      const ref = expr.refs[token.index]!;
      if (ref.kind === 'struct' || ref.kind === 'union') {
        position++;
        return pointerSuffix({ kind: 'aggregate', name: ref.name, ref: token.index });
      }
      return undefined;
    }
    if (token?.kind !== 'name') return undefined;
    if (token.text === 'struct' || token.text === 'union') {
      position++;
      const name = peek();
      if (name?.kind !== 'name') throw new ExprError(`expected a name after "${token.text}"`);
      position++;
      return pointerSuffix({ kind: 'aggregate', name: name.text });
    }
    const words: string[] = [];
    while (peek()?.kind === 'name' && ['unsigned', 'signed', 'long', 'short', 'int', 'char'].includes(peek()!.text)) words.push(tokens[position++]!.text);
    if (words.length === 0 && INTEGER_TYPES.has(token.text) && isPunct(')', tokens[position + 1])) words.push(tokens[position++]!.text);
    if (words.length === 0 && INTEGER_TYPES.has(token.text) && isPunct('*', tokens[position + 1])) words.push(tokens[position++]!.text);
    const name = words.filter((w) => w !== 'signed').join(' ').replace(/^long int$/, 'long').replace(/^unsigned long int$/, 'unsigned long');
    const size = INTEGER_TYPES.get(name);
    if (words.length === 0 || size === undefined) {
      position = start;
      return undefined;
    }
    return pointerSuffix({ kind: 'integer', name, size });
  };
  const pointerSuffix = (type: TypeName): TypeName => {
    if (isPunct('*')) {
      while (isPunct('*')) position++;
      return { kind: 'pointer' };
    }
    return type;
  };

  const primary = (): ExprNode => {
    const token = peek();
    if (!token) throw new ExprError('ends too early');
    if (isPunct('(')) {
      const start = position;
      position++;
      const cast = typeName();
      if (cast && isPunct(')')) {
        position++;
        return { kind: 'cast', type: cast, operand: unary() };
      }
      position = start + 1;
      const inner = conditional();
      expect(')');
      return inner;
    }
    if (isPunct('#')) {
      position++;
      const param = peek();
      if (param?.kind !== 'name' || !params.includes(param.text)) throw new ExprError('"#" must be followed by a macro parameter');
      position++;
      return { kind: 'stringify', param: param.text };
    }
    position++;
    switch (token.kind) {
      case 'number':
        return { kind: 'number', value: token.value };
      case 'string':
        return { kind: 'string', value: token.value };
      case 'ref':
      case 'name': {
        if (token.kind === 'name' && token.text === 'sizeof') return sizeofOperand();
        const callee = token.text;
        if (!isPunct('(')) return token.kind === 'ref' ? { kind: 'ref', index: token.index } : { kind: 'name', name: callee };
        position++;
        const args: ExprNode[] = [];
        const argTexts: string[] = [];
        if (!isPunct(')')) {
          for (;;) {
            const start = position;
            args.push(conditional());
            argTexts.push(sourceText(start, position));
            if (isPunct(')')) break;
            expect(',');
          }
        }
        expect(')');
        return { kind: 'call', callee, ...(token.kind === 'ref' ? { ref: token.index } : {}), args, argTexts };
      }
      case 'punct':
        throw new ExprError(`unexpected "${token.text}"`);
    }
  };

  const sizeofOperand = (): ExprNode => {
    if (isPunct('(')) {
      const start = position;
      position++;
      const type = typeName();
      if (type && isPunct(')')) {
        position++;
        return { kind: 'sizeof-type', type };
      }
      position = start;
    }
    return { kind: 'sizeof', operand: unary() };
  };

  /** Adjacent string-valued operands concatenate, as C's adjacent string literals do after expansion. */
  const juxtaposed = (): ExprNode => {
    const first = primary();
    const parts = [first];
    while (peek() && (peek()!.kind === 'string' || peek()!.kind === 'name' || peek()!.kind === 'ref' || isPunct('#'))) parts.push(primary());
    return parts.length === 1 ? first : { kind: 'concat', parts };
  };

  const unary = (): ExprNode => {
    const token = peek();
    if (token?.kind === 'punct' && ['-', '+', '~', '!'].includes(token.text)) {
      position++;
      return { kind: 'unary', op: token.text, operand: unary() };
    }
    return juxtaposed();
  };

  const binary = (level: number): ExprNode => {
    if (level === BINARY.length) return unary();
    let left = binary(level + 1);
    while (peek()?.kind === 'punct' && BINARY[level]!.includes(peek()!.text)) {
      const op = tokens[position++]!.text;
      left = { kind: 'binary', op, left, right: binary(level + 1) };
    }
    return left;
  };

  const conditional = (): ExprNode => {
    const test = binary(0);
    if (!isPunct('?')) return test;
    position++;
    const then = conditional();
    expect(':');
    return { kind: 'conditional', test, then, otherwise: conditional() };
  };

  const tree = conditional();
  if (position !== tokens.length) throw new ExprError(`unexpected "${tokens[position]!.text}"`);
  return tree;
}

// -----------------------------------------------------------------------------------------------
// Evaluation

/** What a name means where an expression is evaluated. */
export type Binding =
  | { readonly kind: 'value'; value(): ExprValue }
  | { readonly kind: 'macro'; readonly params: readonly string[]; readonly body: ExprNode; readonly refs: readonly Referable[] }
  /** A macro whose body is C but not an expression (a union, a statement): it has no value. */
  | { readonly kind: 'opaque-macro'; readonly name: string };

export interface ExprScope {
  /** A name of the schema (constant, enum member or macro) as written in the text, or undefined. */
  lookup(name: string): Binding | undefined;
  /** A schema object interpolated into the expression. */
  lookupRef(ref: Referable): Binding | undefined;
  /** sizeof(struct name). */
  structSize(name: string, ref?: Referable): number;
  /** The target's value of a kernel name (PAGE_SIZE, ...). */
  kernelName(name: string): bigint | undefined;
}

interface Frame {
  readonly scope: ExprScope;
  readonly refs: readonly Referable[];
  /** Macro parameters bound to the caller's argument trees. */
  readonly args?: ReadonlyMap<string, { node: ExprNode; text: string; frame: Frame }>;
  readonly depth: number;
}

export function evaluate(tree: ExprNode, scope: ExprScope, refs: readonly Referable[]): ExprValue {
  return evaluateIn(tree, { scope, refs, depth: 0 });
}

function evaluateIn(node: ExprNode, frame: Frame): ExprValue {
  const integer = (n: ExprNode): bigint => {
    const value = evaluateIn(n, frame);
    if (typeof value !== 'bigint') throw new ExprError(`"${value}" is a string where a number is needed`);
    return value;
  };
  switch (node.kind) {
    case 'number':
    case 'string':
      return node.value;
    case 'ref': {
      const binding = frame.scope.lookupRef(frame.refs[node.index]!);
      return valueOf(binding, refText(frame.refs[node.index]!));
    }
    case 'name': {
      const arg = frame.args?.get(node.name);
      if (arg) return evaluateIn(arg.node, arg.frame);
      const kernel = frame.scope.kernelName(node.name);
      if (kernel !== undefined) return kernel;
      return valueOf(frame.scope.lookup(node.name), node.name);
    }
    case 'stringify': {
      const arg = frame.args?.get(node.param);
      if (!arg) throw new ExprError(`#${node.param} outside a macro`);
      return arg.text;
    }
    case 'call': {
      const builtin = node.ref === undefined ? KERNEL_FUNCTIONS.get(node.callee) : undefined;
      if (builtin) {
        if (node.args.length !== builtin.arity) throw new ExprError(`${node.callee} takes ${builtin.arity} argument${builtin.arity === 1 ? '' : 's'}, not ${node.args.length}`);
        return builtin.apply(node.args.map(integer));
      }
      const binding = node.ref !== undefined ? frame.scope.lookupRef(frame.refs[node.ref]!) : frame.scope.lookup(node.callee);
      if (!binding) throw new ExprError(`unknown name ${node.callee}; define it (or use the version that defines it) first`);
      if (binding.kind === 'opaque-macro') throw new ExprError(`${node.callee} does not expand to an expression`);
      if (binding.kind !== 'macro') throw new ExprError(`${node.callee} is not a function-like macro`);
      if (binding.params.length !== node.args.length) throw new ExprError(`${node.callee} takes ${binding.params.length} argument${binding.params.length === 1 ? '' : 's'}, not ${node.args.length}`);
      if (frame.depth > 32) throw new ExprError(`${node.callee} expands too deeply (a macro that uses itself?)`);
      const args = new Map(binding.params.map((p, i) => [p, { node: node.args[i]!, text: node.argTexts[i]!, frame }]));
      return evaluateIn(binding.body, { scope: frame.scope, refs: binding.refs, args, depth: frame.depth + 1 });
    }
    case 'sizeof-type':
      return BigInt(typeSize(node.type, frame));
    case 'sizeof': {
      const value = evaluateIn(node.operand, frame);
      if (typeof value === 'string') return BigInt(Buffer.byteLength(value, 'utf8') + 1);
      throw new ExprError('sizeof of a number depends on its C type; write sizeof(type) instead');
    }
    case 'cast': {
      const value = integer(node.operand);
      if (node.type.kind !== 'integer') throw new ExprError('only casts to integer types are constant expressions here');
      return BigInt.asUintN(node.type.size * 8, value);
    }
    case 'unary': {
      const value = integer(node.operand);
      switch (node.op) {
        case '-':
          return -value;
        case '+':
          return value;
        case '~':
          return BigInt.asUintN(64, ~value);
        default:
          return value === 0n ? 1n : 0n;
      }
    }
    case 'binary':
      return binaryOp(node.op, integer(node.left), () => integer(node.right));
    case 'conditional':
      return integer(node.test) !== 0n ? evaluateIn(node.then, frame) : evaluateIn(node.otherwise, frame);
    case 'concat': {
      const parts = node.parts.map((p) => evaluateIn(p, frame));
      if (parts.some((p) => typeof p !== 'string')) throw new ExprError('only strings may be written side by side');
      return parts.join('');
    }
  }
}

function valueOf(binding: Binding | undefined, name: string): ExprValue {
  if (!binding) throw new ExprError(`unknown name ${name}; define it (or use the version that defines it) first`);
  if (binding.kind !== 'value') throw new ExprError(`${name} is a function-like macro; call it with arguments`);
  return binding.value();
}

function typeSize(type: TypeName, frame: Frame): number {
  switch (type.kind) {
    case 'integer':
      return type.size;
    case 'pointer':
      return 8;
    case 'aggregate':
      return frame.scope.structSize(type.name, type.ref !== undefined ? frame.refs[type.ref] : undefined);
  }
}

function binaryOp(op: string, left: bigint, right: () => bigint): bigint {
  switch (op) {
    case '||':
      return left !== 0n || right() !== 0n ? 1n : 0n;
    case '&&':
      return left !== 0n && right() !== 0n ? 1n : 0n;
  }
  const r = right();
  switch (op) {
    case '|':
      return left | r;
    case '^':
      return left ^ r;
    case '&':
      return left & r;
    case '==':
      return left === r ? 1n : 0n;
    case '!=':
      return left !== r ? 1n : 0n;
    case '<':
      return left < r ? 1n : 0n;
    case '>':
      return left > r ? 1n : 0n;
    case '<=':
      return left <= r ? 1n : 0n;
    case '>=':
      return left >= r ? 1n : 0n;
    case '<<':
      return shiftLeft(left, r, 64n);
    case '>>':
      if (r < 0n || r >= 64n) throw new ExprError(`shift by ${r} is outside 0..63`);
      return left >> r;
    case '+':
      return left + r;
    case '-':
      return left - r;
    case '*':
      return left * r;
    case '/':
      return divide(left, r);
    case '%':
      if (r === 0n) throw new ExprError('division by zero');
      return left % r;
  }
  throw new ExprError(`unknown operator ${op}`);
}

// -----------------------------------------------------------------------------------------------
// What an expression refers to

export interface ExprReferences {
  /** Names written in the text, neither kernel names nor macro parameters. */
  readonly names: readonly string[];
  /** Kernel helpers and names it uses (for includes). */
  readonly kernel: readonly string[];
  /** Structs named by sizeof, in the text. */
  readonly structs: readonly string[];
}

export function references(tree: ExprNode, params: readonly string[] = []): ExprReferences {
  const names = new Set<string>();
  const kernel = new Set<string>();
  const structs = new Set<string>();
  const visitType = (type: TypeName) => {
    if (type.kind === 'aggregate' && type.ref === undefined) structs.add(type.name);
  };
  const visit = (node: ExprNode): void => {
    switch (node.kind) {
      case 'name':
        if (params.includes(node.name)) return;
        if (KERNEL_NAMES.has(node.name)) kernel.add(node.name);
        else names.add(node.name);
        return;
      case 'call':
        if (node.ref === undefined) {
          if (KERNEL_FUNCTIONS.has(node.callee)) kernel.add(node.callee);
          else names.add(node.callee);
        }
        node.args.forEach(visit);
        return;
      case 'sizeof-type':
        visitType(node.type);
        return;
      case 'cast':
        visitType(node.type);
        visit(node.operand);
        return;
      case 'sizeof':
      case 'unary':
        visit(node.operand);
        return;
      case 'binary':
        visit(node.left);
        visit(node.right);
        return;
      case 'conditional':
        visit(node.test);
        visit(node.then);
        visit(node.otherwise);
        return;
      case 'concat':
        node.parts.forEach(visit);
        return;
      default:
        return;
    }
  };
  visit(tree);
  return { names: [...names], kernel: [...kernel], structs: [...structs] };
}
