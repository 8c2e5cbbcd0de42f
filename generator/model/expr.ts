/**
 * A small evaluator for the C constant expressions a schema may use as a value (`PAGE_SIZE`,
 * `2 * PAGE_SIZE`, `(LEN + 7) / 8`): integers, names, + - * / and parentheses.
 */

/** The value, or a message saying what is wrong. */
export function evaluateExpression(text: string, names: ReadonlyMap<string, number>): number | string {
  const tokens = text.match(/\s*(\d+|[A-Za-z_][A-Za-z0-9_]*|[-+*/()]|\S)/g)?.map((t) => t.trim()) ?? [];
  let position = 0;
  const fail = (message: string): never => {
    throw new ExprError(message);
  };
  const primary = (): number => {
    const token = tokens[position++];
    if (token === undefined) return fail('ends too early');
    if (token === '(') {
      const value = sum();
      if (tokens[position++] !== ')') fail('missing ")"');
      return value;
    }
    if (token === '-') return -primary();
    if (/^\d+$/.test(token)) return Number(token);
    if (/^[A-Za-z_]/.test(token)) {
      const value = names.get(token);
      return value ?? fail(`unknown name ${token}; define it before this constant`);
    }
    return fail(`unexpected "${token}"`);
  };
  const product = (): number => {
    let value = primary();
    while (tokens[position] === '*' || tokens[position] === '/') {
      const op = tokens[position++];
      const right = primary();
      if (op === '/' && right === 0) fail('division by zero');
      value = op === '*' ? value * right : Math.trunc(value / right);
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    while (tokens[position] === '+' || tokens[position] === '-') {
      const op = tokens[position++];
      const right = product();
      value = op === '+' ? value + right : value - right;
    }
    return value;
  };
  try {
    if (tokens.length === 0) return 'is empty';
    const value = sum();
    if (position !== tokens.length) return `unexpected "${tokens[position]}"`;
    if (!Number.isSafeInteger(value) || value < 0) return `value ${value} is not a non-negative integer`;
    return value;
  } catch (error) {
    if (error instanceof ExprError) return error.message;
    throw error;
  }
}

class ExprError extends Error {}
