/**
 * What one version can name, at one page size: its own constants, macros, enum members and structs,
 * those of the versions it uses (transitively), and the kernel's own names. Values and layouts are
 * computed lazily, once, so a constant may take the size of a struct whose array length is another
 * constant; a cycle is reported, not looped on.
 */
import type { Aggregate, AbiVersion, Constant, EnumMember, Expr, Macro, Referable, SourceLocation } from '../../schema/lang.ts';
import { exprText, ExprError, evaluate, parseExpr, references, type Binding, type ExprNode, type ExprScope, type ExprValue } from './expr.ts';
import type { Issues } from './errors.ts';
import type { ConstantModel, PageTarget, StructModel } from './model.ts';

export type OwnDefinition = Constant | Macro | EnumMember;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A definition after parsing: its tree and what it refers to. */
export interface ParsedDefinition {
  readonly def: OwnDefinition;
  readonly tree?: ExprNode;
  readonly c: string;
  readonly refs: readonly Referable[];
  /** Names and structs the text refers to. */
  readonly names: readonly string[];
  readonly structs: readonly string[];
  readonly kernel: readonly string[];
}

export class VersionScope implements ExprScope {
  /** Own definitions by name. */
  readonly definitions = new Map<string, ParsedDefinition>();
  /** Own aggregates by name, with their index in the version's types. */
  readonly declared = new Map<string, { def: Aggregate; index: number }>();
  /** Own constants' models, once built (constants.ts). */
  readonly constantModels = new Map<string, ConstantModel>();
  private readonly values = new Map<OwnDefinition, ExprValue | null>();
  private readonly evaluating = new Set<OwnDefinition>();
  private readonly layouts = new Map<Aggregate, StructModel | null>();
  private readonly layingOut = new Set<Aggregate>();
  /** Set by the builder: lays out one of this version's own aggregates. */
  layoutOwn: (def: Aggregate, index: number) => StructModel | undefined = () => undefined;

  constructor(
    readonly header: string,
    readonly version: AbiVersion,
    readonly target: PageTarget,
    /** The built scopes of the versions this one uses, directly. */
    readonly uses: readonly VersionScope[],
    readonly issues: Issues,
  ) {}

  get path(): string[] {
    return [this.header, this.version.name];
  }

  /** This scope and every scope it uses, transitively, nearest first, each once. */
  allScopes(): VersionScope[] {
    const seen = new Set<VersionScope>();
    const visit = (scope: VersionScope): void => {
      if (seen.has(scope)) return;
      seen.add(scope);
      scope.uses.forEach(visit);
    };
    visit(this);
    return [...seen];
  }

  // ---------------------------------------------------------------------------------------------
  // Declaring

  declareDefinition(def: OwnDefinition, path: readonly string[]): void {
    if (!IDENTIFIER.test(def.name)) {
      this.issues.add('bad-identifier', path, 'a constant name must be a C identifier', def.at);
      return;
    }
    if (this.definitions.has(def.name)) {
      this.issues.add('duplicate-constant', path, 'defined twice in this version; keep one definition', def.at);
      return;
    }
    const elsewhere = this.uses.flatMap((u) => u.allScopes()).find((s) => s.definitions.has(def.name));
    if (elsewhere && !('include' in def && def.include)) {
      this.issues.add('redefined', path, `${def.name} is defined by ${elsewhere.header}.h (${elsewhere.version.name}), which this version uses; use that definition instead of redefining it`, def.at);
      return;
    }
    const literal = def.kind === 'constant' && def.value.kind !== 'expr' ? def.value : undefined;
    if (literal) {
      if (literal.kind === 'number' && (!Number.isSafeInteger(literal.value) || literal.value < 0)) {
        this.issues.add('bad-constant', path, `value ${literal.value} is not a non-negative integer`, def.at);
        return;
      }
      if (literal.kind === 'string' && (!/^[\x20-\x7e]*$/.test(literal.value) || /["\\]/.test(literal.value))) {
        this.issues.add('bad-constant', path, 'a string constant must be printable ASCII without quotes or backslashes', def.at);
        return;
      }
      const c = literal.kind === 'string' ? `"${literal.value}"` : String(literal.value);
      this.definitions.set(def.name, { def, c, refs: [], names: [], structs: [], kernel: [] });
      return;
    }
    const body = def.kind === 'macro' ? def.body : def.kind === 'enum-member' ? def.value : (def as Constant<{ kind: 'expr'; expr: Expr }>).value.expr;
    const params = def.kind === 'macro' ? def.params : [];
    if (def.kind === 'macro') {
      // A macro's body need not be an expression (a union, a statement); it is read only where used.
      let tree: ExprNode | undefined;
      try {
        tree = parseExpr(body, params);
      } catch (error) {
        if (!(error instanceof ExprError)) throw error;
      }
      const found = tree ? references(tree, params) : { names: [], structs: [], kernel: [] };
      this.definitions.set(def.name, { def, ...(tree ? { tree } : {}), c: exprText(body), refs: body.refs, ...found });
      return;
    }
    try {
      const tree = parseExpr(body, params);
      const found = references(tree, params);
      this.definitions.set(def.name, { def, tree, c: exprText(body), refs: body.refs, names: found.names, structs: found.structs, kernel: found.kernel });
    } catch (error) {
      if (!(error instanceof ExprError)) throw error;
      this.issues.add('bad-constant', path, `cannot read "${exprText(body)}": ${error.message}`, def.at);
    }
  }

  /** The scope that owns a definition object: this one or a used one. */
  ownerOf(def: Referable): VersionScope | undefined {
    if (def.kind === 'struct' || def.kind === 'union') return this.allScopes().find((s) => s.declared.get(def.name)?.def === def);
    // A macro is known by its name and text, as the preprocessor knows it: two schema objects that
    // define the same name the same way are one definition.
    const text = definitionText(def as OwnDefinition);
    return this.allScopes().find((s) => {
      const found = s.definitions.get(def.name)?.def;
      return found === def || (found !== undefined && definitionText(found) === text);
    });
  }

  /** The model of a constant this version can see (own or used), by its schema object. */
  constantModel(def: Referable): ConstantModel | undefined {
    if (def.kind === 'struct' || def.kind === 'union') return undefined;
    return this.ownerOf(def)?.constantModels.get(def.name);
  }

  /** A struct or union this version can see, by name. */
  visibleAggregate(name: string): { scope: VersionScope; def: Aggregate; index: number } | undefined {
    for (const scope of this.allScopes()) {
      const found = scope.declared.get(name);
      if (found) return { scope, ...found };
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // ExprScope: names and values

  kernelName(name: string): bigint | undefined {
    switch (name) {
      case 'PAGE_SHIFT':
        return BigInt(this.target.pageShift);
      case 'PAGE_SIZE':
        return BigInt(this.target.pageSize);
      case 'BITS_PER_BYTE':
        return 8n;
      case 'BITS_PER_LONG':
        return 64n;
      default:
        return undefined;
    }
  }

  lookup(name: string): Binding | undefined {
    for (const scope of this.allScopes()) {
      const found = scope.definitions.get(name);
      if (found) return scope.binding(found);
    }
    return undefined;
  }

  lookupRef(ref: Referable): Binding | undefined {
    if (ref.kind === 'struct' || ref.kind === 'union') return undefined;
    const owner = this.ownerOf(ref);
    if (owner) return owner.binding(owner.definitions.get(ref.name)!);
    // As the preprocessor does: a macro of a header this version uses is what that header defines
    // now (KHO_BLOCK_COMPATIBLE of the block.h version in use), whichever object the schema wrote.
    const used = this.uses.flatMap((u) => u.allScopes()).find((s) => s.definitions.has(ref.name));
    if (used) return used.binding(used.definitions.get(ref.name)!);
    throw new ExprError(`uses ${ref.name}, which neither this version nor a version it uses defines; add it to the constants (or to uses)`);
  }

  structSize(name: string, ref?: Referable): number {
    const found = this.visibleAggregate(name);
    if (!found || (ref && found.def !== ref)) throw new ExprError(`sizeof(struct ${name}): no such struct in this version or the versions it uses`);
    const layout = found.scope.aggregateLayout(found.def, found.index);
    if (!layout) throw new ExprError(`sizeof(struct ${name}): the struct has errors`);
    return layout.size;
  }

  private binding(parsed: ParsedDefinition): Binding {
    const def = parsed.def;
    if (def.kind === 'macro') {
      if (!parsed.tree) return { kind: 'opaque-macro', name: def.name };
      return { kind: 'macro', params: def.params, body: parsed.tree, refs: parsed.refs };
    }
    return { kind: 'value', value: () => this.requireValue(def) };
  }

  private requireValue(def: OwnDefinition): ExprValue {
    const value = this.valueOf(def);
    if (value === undefined) throw new ExprError(`${def.name} has errors of its own`);
    return value;
  }

  /** A definition's value at this target; undefined (reported once) when it cannot be evaluated. */
  valueOf(def: OwnDefinition, path: readonly string[] = [...this.path, `constant ${def.name}`], at?: SourceLocation): ExprValue | undefined {
    if (def.kind === 'macro') return undefined;
    const memo = this.values.get(def);
    if (memo !== undefined) return memo ?? undefined;
    if (this.evaluating.has(def)) throw new ExprError(`${def.name} depends on itself`);
    const parsed = this.definitions.get(def.name);
    if (!parsed || parsed.def !== def) return undefined;
    this.evaluating.add(def);
    let value: ExprValue | null;
    try {
      value = parsed.tree ? evaluate(parsed.tree, this, parsed.refs) : literalValue(def);
    } catch (error) {
      if (!(error instanceof ExprError)) throw error;
      this.issues.add('bad-constant', path, `${parsed.c}: ${error.message}`, at ?? def.at);
      value = null;
    } finally {
      this.evaluating.delete(def);
    }
    this.values.set(def, value);
    return value ?? undefined;
  }

  /** An own aggregate's layout, laid out on first use; undefined when it has errors. */
  aggregateLayout(def: Aggregate, index: number): StructModel | undefined {
    const memo = this.layouts.get(def);
    if (memo !== undefined) return memo ?? undefined;
    if (this.layingOut.has(def)) throw new ExprError(`struct ${def.name}'s size depends on itself`);
    this.layingOut.add(def);
    let layout: StructModel | undefined;
    try {
      layout = this.layoutOwn(def, index);
    } finally {
      this.layingOut.delete(def);
    }
    this.layouts.set(def, layout ?? null);
    return layout;
  }

  /** Evaluates an expression written in a field's type (an array length) in this scope. */
  evaluateLength(tree: ExprNode, refs: readonly Referable[]): ExprValue {
    return evaluate(tree, this, refs);
  }
}

function literalValue(def: OwnDefinition): ExprValue {
  if (def.kind !== 'constant' || def.value.kind === 'expr') throw new ExprError(`${def.name} has no literal value`);
  return def.value.kind === 'string' ? def.value.value : BigInt(def.value.value);
}

/** What a definition says, for telling two objects that define one macro the same way. */
function definitionText(def: OwnDefinition): string {
  switch (def.kind) {
    case 'macro':
      return `macro(${def.params.join(',')}) ${exprText(def.body)}`;
    case 'enum-member':
      return `enum ${exprText(def.value)}`;
    case 'constant':
      return def.value.kind === 'expr' ? `expr ${exprText(def.value.expr)}` : `${def.value.kind} ${def.value.value}`;
  }
}
