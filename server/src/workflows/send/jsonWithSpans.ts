/**
 * A small JSON parser that keeps the offsets of every value and key, so lint can point at the
 * exact property of the exact event and a send can name the line an event came from. Pure: no I/O.
 */
import type { TextSpan } from '../../languageService/analyticsTypes';

export interface JsonProperty {
  key: string;
  keySpan: TextSpan;
  value: JsonNode;
}

export type JsonNode =
  | { type: 'object'; span: TextSpan; properties: JsonProperty[] }
  | { type: 'array'; span: TextSpan; items: JsonNode[] }
  | { type: 'string'; span: TextSpan; value: string }
  | { type: 'number'; span: TextSpan; value: number; raw: string }
  | { type: 'boolean'; span: TextSpan; value: boolean }
  | { type: 'null'; span: TextSpan };

export interface JsonSyntaxError {
  message: string;
  span: TextSpan;
}

export type JsonParseResult = { ok: true; node: JsonNode } | { ok: false; error: JsonSyntaxError };

/**
 * Objects and arrays nested deeper than this are refused as a syntax error of their record: the
 * parser and every walk over its nodes recurse, and a line nested 100,000 deep must not overflow
 * the stack. Mixpanel accepts at most 3 levels inside a property; the local engine has the same limit.
 */
export const MAX_JSON_DEPTH = 256;

class JsonSyntaxFailure extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Parses `text.slice(start, end)` as one JSON value; offsets are into `text`. */
export function parseJsonWithSpans(text: string, start = 0, end = text.length): JsonParseResult {
  const parser = new Parser(text, start, end);
  try {
    parser.skipWhitespace();
    const node = parser.value();
    parser.skipWhitespace();
    if (parser.pos < end) throw new JsonSyntaxFailure('Unexpected text after the JSON value.', parser.pos);
    return { ok: true, node };
  } catch (error) {
    if (!(error instanceof JsonSyntaxFailure)) throw error;
    const at = Math.min(error.offset, end);
    return { ok: false, error: { message: error.message, span: { start: at, end: Math.min(at + 1, Math.max(end, at)) } } };
  }
}

/** The plain JavaScript value of a node. */
export function toPlainValue(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const property of node.properties) {
        // Assigning "__proto__" would set the prototype; JSON.parse makes it an own property, so do we.
        if (property.key === '__proto__')
          Object.defineProperty(value, property.key, { value: toPlainValue(property.value), enumerable: true, writable: true, configurable: true });
        else value[property.key] = toPlainValue(property.value);
      }
      return value;
    }
    case 'array':
      return node.items.map(toPlainValue);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

/** The last property named `key` of an object node (JSON.parse keeps the last duplicate too). */
export function propertyOf(node: JsonNode | undefined, key: string): JsonProperty | undefined {
  if (node?.type !== 'object') return undefined;
  for (let i = node.properties.length - 1; i >= 0; i--) if (node.properties[i].key === key) return node.properties[i];
  return undefined;
}

class Parser {
  pos: number;
  private depth = 0;

  constructor(
    private readonly text: string,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  skipWhitespace(): void {
    while (this.pos < this.end) {
      const code = this.text.charCodeAt(this.pos);
      if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) this.pos++;
      else break;
    }
  }

  value(): JsonNode {
    if (this.pos >= this.end) throw new JsonSyntaxFailure('Unexpected end of JSON: a value is missing.', this.pos);
    const char = this.text[this.pos];
    if (char === '{') return this.object();
    if (char === '[') return this.array();
    if (char === '"') {
      const start = this.pos;
      const value = this.string();
      return { type: 'string', span: { start, end: this.pos }, value };
    }
    if (char === '-' || (char >= '0' && char <= '9')) return this.number();
    for (const [word, node] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        const span = { start: this.pos, end: this.pos + word.length };
        this.pos += word.length;
        return node === null ? { type: 'null', span } : { type: 'boolean', span, value: node };
      }
    }
    throw new JsonSyntaxFailure(`Unexpected character ${JSON.stringify(char)}: expected a JSON value.`, this.pos);
  }

  private enter(): void {
    if (++this.depth > MAX_JSON_DEPTH)
      throw new JsonSyntaxFailure(
        `Nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays, the most aq reads (Mixpanel accepts 3 inside a property).`,
        this.pos,
      );
  }

  private object(): JsonNode {
    this.enter();
    try {
      return this.objectBody();
    } finally {
      this.depth--;
    }
  }

  private array(): JsonNode {
    this.enter();
    try {
      return this.arrayBody();
    } finally {
      this.depth--;
    }
  }

  private objectBody(): JsonNode {
    const start = this.pos++;
    const properties: JsonProperty[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { type: 'object', span: { start, end: this.pos }, properties };
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"')
        throw new JsonSyntaxFailure(
          this.pos >= this.end ? 'Unexpected end of JSON: the object is not closed.' : 'Expected a property name in double quotes.',
          this.pos,
        );
      const keyStart = this.pos;
      const key = this.string();
      const keySpan = { start: keyStart, end: this.pos };
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') throw new JsonSyntaxFailure(`Expected ":" after the property name "${key}".`, this.pos);
      this.pos++;
      this.skipWhitespace();
      properties.push({ key, keySpan, value: this.value() });
      this.skipWhitespace();
      const next = this.text[this.pos];
      if (next === ',') {
        this.pos++;
        continue;
      }
      if (next === '}') {
        this.pos++;
        return { type: 'object', span: { start, end: this.pos }, properties };
      }
      throw new JsonSyntaxFailure(
        this.pos >= this.end ? 'Unexpected end of JSON: the object is not closed.' : 'Expected "," or "}" after a property value.',
        this.pos,
      );
    }
  }

  private arrayBody(): JsonNode {
    const start = this.pos++;
    const items: JsonNode[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { type: 'array', span: { start, end: this.pos }, items };
    }
    for (;;) {
      this.skipWhitespace();
      items.push(this.value());
      this.skipWhitespace();
      const next = this.text[this.pos];
      if (next === ',') {
        this.pos++;
        continue;
      }
      if (next === ']') {
        this.pos++;
        return { type: 'array', span: { start, end: this.pos }, items };
      }
      throw new JsonSyntaxFailure(
        this.pos >= this.end ? 'Unexpected end of JSON: the array is not closed.' : 'Expected "," or "]" after an array element.',
        this.pos,
      );
    }
  }

  private string(): string {
    const start = this.pos++;
    let simple = true;
    while (this.pos < this.end) {
      const code = this.text.charCodeAt(this.pos);
      if (code === 0x22) {
        this.pos++;
        const raw = this.text.slice(start, this.pos);
        if (simple) return raw.slice(1, -1);
        try {
          return JSON.parse(raw) as string;
        } catch {
          throw new JsonSyntaxFailure('Invalid escape sequence in a string.', start);
        }
      }
      if (code === 0x5c) {
        simple = false;
        this.pos += 2;
        continue;
      }
      if (code < 0x20) throw new JsonSyntaxFailure('Unescaped control character (a line break?) in a string.', this.pos);
      this.pos++;
    }
    throw new JsonSyntaxFailure('Unterminated string.', start);
  }

  private number(): JsonNode {
    const start = this.pos;
    const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    match.lastIndex = start;
    const found = match.exec(this.text);
    if (!found || found[0] === '-' || start + found[0].length > this.end) throw new JsonSyntaxFailure('Invalid number.', start);
    this.pos = start + found[0].length;
    return { type: 'number', span: { start, end: this.pos }, value: Number(found[0]), raw: found[0] };
  }
}
