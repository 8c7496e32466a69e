/**
 * Where the "raise limit" quick fix writes: the query's own `limit` line gets the new number; a
 * query without one gets a `limit` line after its last clause, indented like its other clauses.
 * No `vscode` import: unit-tested.
 */

export interface LimitEdit {
  line: number;
  /** Replace characters [startCharacter, endCharacter) of `line` by `text` (equal positions insert). */
  startCharacter: number;
  endCharacter: number;
  text: string;
}

const LIMIT_LINE = /^(\s*limit\s+)(\d+)\b/;
const CLAUSE_LINE = /^\s+\S/;

/** `lines` is the document; the query spans lines firstLine..lastLine (inclusive). */
export function planLimitEdit(lines: readonly string[], firstLine: number, lastLine: number, newLimit: number): LimitEdit | undefined {
  const last = Math.min(lastLine, lines.length - 1);
  for (let line = firstLine; line <= last; line++) {
    const match = LIMIT_LINE.exec(lines[line]);
    if (match) return { line, startCharacter: match[1].length, endCharacter: match[1].length + match[2].length, text: String(newLimit) };
  }
  // The last line with text that is not a comment ends the query; comments and blank lines after it belong to the next.
  let end = -1;
  let indent = '  ';
  for (let line = firstLine; line <= last; line++) {
    const text = lines[line];
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    end = line;
    if (CLAUSE_LINE.test(text)) indent = /^\s*/.exec(text)![0];
  }
  if (end < 0) return undefined;
  return { line: end, startCharacter: lines[end].length, endCharacter: lines[end].length, text: `\n${indent}limit ${newLimit}` };
}
