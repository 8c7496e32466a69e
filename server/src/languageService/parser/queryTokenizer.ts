/**
 * Splits one line of an `.aq` file into tokens. The parser is line-based, so the tokenizer never
 * crosses a line break; a `#` outside a string ends the line's code and starts a comment.
 */
import type { SyntaxProblem, TextSpan } from './queryAst';

export type TokenType =
  | 'word' // identifiers and keywords: `segmentation`, `properties`, `and`, `day`, `$browser`
  | 'number' // `42`, `3.5`
  | 'date' // `2026-10-01`, `2026-10-01T08:30`
  | 'string' // `"Sign Up"`, value decoded
  | 'punct' // operators and brackets: `->`, `==`, `[`, `,`, …
  | 'unknown'; // a character the language does not use

export interface Token {
  type: TokenType;
  /** The source text of the token. */
  text: string;
  /** For strings: the decoded value; otherwise the same as `text`. */
  value: string;
  span: TextSpan;
  /** Strings only: false when the closing quote is missing. */
  terminated?: boolean;
}

export interface TokenizedLine {
  tokens: Token[];
  /** The `#…` comment at the end of the line, if any. */
  comment: TextSpan | undefined;
}

const TWO_CHAR_PUNCTUATION = new Set(['->', '==', '!=', '<=', '>=']);
const ONE_CHAR_PUNCTUATION = new Set(['<', '>', '=', '!', '+', '-', '*', '/', '%', '(', ')', '[', ']', '{', '}', ',', ':']);
const DATE_PATTERN = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?(?![A-Za-z0-9_$])/y;
const NUMBER_PATTERN = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD_PATTERN = /[A-Za-z_$][A-Za-z0-9_$]*/y;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 12 || code === 11;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isWordStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36;
}

function matchAt(pattern: RegExp, text: string, start: number, end: number): number {
  pattern.lastIndex = start;
  const match = pattern.exec(text);
  if (!match) return start;
  return Math.min(end, start + match[0].length);
}

/** Reads a double-quoted string with JSON escapes starting at `start` (the opening quote). */
function readString(text: string, start: number, end: number, problems: SyntaxProblem[]): Token {
  let value = '';
  let position = start + 1;
  while (position < end) {
    const char = text[position];
    if (char === '\n') {
      end = position;
      break;
    }
    if (char === '"') {
      return { type: 'string', text: text.slice(start, position + 1), value, span: { start, end: position + 1 }, terminated: true };
    }
    if (char === '\\' && position + 1 < end) {
      const escape = text[position + 1];
      if (escape in SIMPLE_ESCAPES) {
        value += SIMPLE_ESCAPES[escape];
        position += 2;
        continue;
      }
      if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(position + 2, Math.min(end, position + 6)))) {
        value += String.fromCharCode(parseInt(text.slice(position + 2, position + 6), 16));
        position += 6;
        continue;
      }
      problems.push({
        span: { start: position, end: Math.min(end, position + 2) },
        message: `Invalid escape '\\${escape}' in a string: use \\", \\\\, \\n, \\t or \\uXXXX.`,
        code: 'invalid-escape',
      });
      value += escape;
      position += 2;
      continue;
    }
    value += char;
    position++;
  }
  problems.push({
    span: { start, end },
    message: 'Unterminated string: add the closing ".',
    code: 'unterminated-string',
  });
  return { type: 'string', text: text.slice(start, end), value, span: { start, end }, terminated: false };
}

/**
 * Tokenizes `text[start, end)` (one line without its line break). Problems in strings are
 * appended to `problems`; unknown characters become `unknown` tokens for the parser to report
 * in context.
 */
export function tokenizeLine(text: string, start: number, end: number, problems: SyntaxProblem[]): TokenizedLine {
  const tokens: Token[] = [];
  let position = start;
  while (position < end) {
    const code = text.charCodeAt(position);
    if (isSpace(code)) {
      position++;
      continue;
    }
    if (code === 35 /* # */) {
      let commentEnd = end;
      while (commentEnd > position && isSpace(text.charCodeAt(commentEnd - 1))) commentEnd--;
      return { tokens, comment: { start: position, end: commentEnd } };
    }
    if (code === 34 /* " */) {
      const token = readString(text, position, end, problems);
      tokens.push(token);
      position = token.span.end;
      continue;
    }
    if (isDigit(code)) {
      const dateEnd = matchAt(DATE_PATTERN, text, position, end);
      const type: TokenType = dateEnd > position ? 'date' : 'number';
      const tokenEnd = dateEnd > position ? dateEnd : matchAt(NUMBER_PATTERN, text, position, end);
      const tokenText = text.slice(position, tokenEnd);
      tokens.push({ type, text: tokenText, value: tokenText, span: { start: position, end: tokenEnd } });
      position = tokenEnd;
      continue;
    }
    if (isWordStart(code)) {
      const wordEnd = matchAt(WORD_PATTERN, text, position, end);
      const word = text.slice(position, wordEnd);
      tokens.push({ type: 'word', text: word, value: word, span: { start: position, end: wordEnd } });
      position = wordEnd;
      continue;
    }
    const pair = text.slice(position, position + 2);
    if (position + 2 <= end && TWO_CHAR_PUNCTUATION.has(pair)) {
      tokens.push({ type: 'punct', text: pair, value: pair, span: { start: position, end: position + 2 } });
      position += 2;
      continue;
    }
    const char = text[position];
    // Surrogate pairs stay one token so spans never split a character.
    const width = code >= 0xd800 && code <= 0xdbff && position + 1 < end ? 2 : 1;
    const type: TokenType = ONE_CHAR_PUNCTUATION.has(char) ? 'punct' : 'unknown';
    const tokenText = text.slice(position, position + width);
    tokens.push({ type, text: tokenText, value: tokenText, span: { start: position, end: position + width } });
    position += width;
  }
  return { tokens, comment: undefined };
}
