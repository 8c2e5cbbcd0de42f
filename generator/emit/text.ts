/** Text helpers shared by the emitters: word wrapping and C comment lines. */

/** Greedy word wrap; a word longer than the width stands on a line of its own. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Wrap `text` for a comment that starts with `first` and continues with `rest`, keeping every line,
 * ` * ` included, within `columns`.
 */
export function wrapHanging(text: string, first: string, rest: string, columns: number): string[] {
  const words = wrap(text, columns - 3 - Math.max(first.length, rest.length));
  return words.map((line, i) => `${i === 0 ? first : rest}${line}`);
}

/** Column width of a line whose tabs stop every 8 columns. */
export function displayWidth(text: string): number {
  let column = 0;
  for (const ch of text) column = ch === '\t' ? (Math.floor(column / 8) + 1) * 8 : column + 1;
  return column;
}

/** A C string or character literal, escapes included. */
const C_LITERAL = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g;

/** The identifiers C text names outside its string literals, in order of first use, each once. */
export function cIdentifiers(text: string): string[] {
  return [...new Set(text.replace(C_LITERAL, '""').match(/\b[A-Za-z_]\w*\b/g) ?? [])];
}

/**
 * Whether C text has an operator outside parentheses, brackets, braces and literals: such a macro
 * body needs parentheses of its own, or it binds differently where it is expanded.
 */
export function hasTopLevelOperator(text: string): boolean {
  let depth = 0;
  for (const ch of text.replace(C_LITERAL, '""')) {
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (depth === 0 && '+-*/%<>&|^?:=!~'.includes(ch)) return true;
  }
  return false;
}
