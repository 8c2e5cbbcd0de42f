/**
 * Small constructors over the TypeScript factory, so the codec builders read like the code they make.
 * Every piece of generated code is a syntax node; only the printer turns it into text.
 */
import { ts } from 'ts-morph';

const f = ts.factory;

export type Expression = ts.Expression;
export type Statement = ts.Statement;

export const id = (name: string): ts.Identifier => f.createIdentifier(name);
export const str = (text: string): ts.StringLiteral => f.createStringLiteral(text, true);
export const num = (value: number): ts.Expression =>
  value < 0 ? f.createPrefixUnaryExpression(ts.SyntaxKind.MinusToken, f.createNumericLiteral(-value)) : f.createNumericLiteral(value);

export const call = (callee: ts.Expression, args: readonly ts.Expression[]): ts.CallExpression =>
  f.createCallExpression(callee, undefined, args);
export const member = (object: ts.Expression, name: string): ts.PropertyAccessExpression => f.createPropertyAccessExpression(object, name);
export const plus = (left: ts.Expression, right: ts.Expression): ts.Expression =>
  f.createBinaryExpression(left, ts.SyntaxKind.PlusToken, right);
export const times = (left: ts.Expression, right: ts.Expression): ts.Expression =>
  f.createBinaryExpression(left, ts.SyntaxKind.AsteriskToken, right);
export const notUndefined = (value: ts.Expression): ts.Expression =>
  f.createBinaryExpression(value, ts.SyntaxKind.ExclamationEqualsEqualsToken, id('undefined'));

export const statement = (expression: ts.Expression): ts.Statement => f.createExpressionStatement(expression);
export const returns = (expression: ts.Expression): ts.Statement => f.createReturnStatement(expression);
export const ifThen = (condition: ts.Expression, body: readonly ts.Statement[]): ts.Statement =>
  f.createIfStatement(condition, f.createBlock(body, true));
export const constant = (name: string, value: ts.Expression): ts.Statement =>
  f.createVariableStatement(
    undefined,
    f.createVariableDeclarationList([f.createVariableDeclaration(name, undefined, undefined, value)], ts.NodeFlags.Const),
  );

export const object = (entries: readonly (readonly [string, ts.Expression])[], multiLine = true): ts.ObjectLiteralExpression =>
  f.createObjectLiteralExpression(
    entries.map(([key, value]) => f.createPropertyAssignment(/^[A-Za-z_$][\w$]*$/.test(key) ? key : str(key), value)),
    multiLine,
  );
export const asConst = (expression: ts.Expression): ts.Expression =>
  f.createAsExpression(expression, f.createTypeReferenceNode('const'));
export const array = (elements: readonly ts.Expression[]): ts.Expression => f.createArrayLiteralExpression(elements, false);

export const arrow = (params: readonly string[], body: ts.Expression | readonly ts.Statement[]): ts.ArrowFunction =>
  f.createArrowFunction(
    undefined,
    undefined,
    params.map((name) => f.createParameterDeclaration(undefined, undefined, name)),
    undefined,
    f.createToken(ts.SyntaxKind.EqualsGreaterThanToken),
    Array.isArray(body) ? f.createBlock(body as readonly ts.Statement[], true) : (body as ts.Expression),
  );

/** A string literal when every part is text, else a template literal with the identifiers spliced in. */
export function template(parts: readonly (string | ts.Identifier)[]): ts.Expression {
  const merged: (string | ts.Identifier)[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (typeof part === 'string' && typeof last === 'string') merged[merged.length - 1] = last + part;
    else merged.push(part);
  }
  if (merged.every((p) => typeof p === 'string')) return str(merged.join(''));
  const texts: string[] = [];
  const holes: ts.Identifier[] = [];
  let pending = '';
  for (const part of merged) {
    if (typeof part === 'string') pending += part;
    else {
      texts.push(pending);
      holes.push(part);
      pending = '';
    }
  }
  texts.push(pending);
  return f.createTemplateExpression(
    f.createTemplateHead(texts[0]!),
    holes.map((hole, i) =>
      f.createTemplateSpan(hole, i === holes.length - 1 ? f.createTemplateTail(texts[i + 1]!) : f.createTemplateMiddle(texts[i + 1]!)),
    ),
  );
}

// Types

export const keywordType = (keyword: 'bigint' | 'number' | 'string'): ts.TypeNode =>
  f.createKeywordTypeNode(
    keyword === 'bigint' ? ts.SyntaxKind.BigIntKeyword : keyword === 'number' ? ts.SyntaxKind.NumberKeyword : ts.SyntaxKind.StringKeyword,
  );
export const arrayType = (element: ts.TypeNode): ts.TypeNode => f.createArrayTypeNode(element);
export const typeReference = (name: string): ts.TypeNode => f.createTypeReferenceNode(name);

const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
const scratch = ts.createSourceFile('generated.ts', '', ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);

export function print(node: ts.Node): string {
  return printer.printNode(ts.EmitHint.Unspecified, node, scratch);
}

/** `{ a: T; b: U }`: the type of a struct or union declared in place. */
export const typeLiteral = (members: readonly (readonly [string, ts.TypeNode, boolean])[]): ts.TypeNode =>
  f.createTypeLiteralNode(
    members.map(([name, type, optional]) => f.createPropertySignature(undefined, name, optional ? f.createToken(ts.SyntaxKind.QuestionToken) : undefined, type)),
  );
