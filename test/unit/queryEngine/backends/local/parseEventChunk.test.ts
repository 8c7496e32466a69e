/**
 * The chunk parser's byte scanner against the plain JSON.parse reading it stands in for: every
 * line, valid or not, must give the same event (name, user, time, line range) or the same skip
 * reason, and every property read out for a query must equal `JSON.parse(line).properties[name]`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  insertIdsOfLikelyDuplicates,
  MAX_NESTING_DEPTH,
  nestingDepthExceeds,
  parseEventChunk,
  type ExtractRequest,
  type ParsedChunk,
} from '../../../../../server/src/queryEngine/backends/local/parseEventChunk';
import { ParsePool } from '../../../../../server/src/queryEngine/backends/local/parsePool';
import { linesBackToBack } from '../../../../../server/src/queryEngine/backends/local/datasetCache';

/** What a property holds on an event without it. */
const MISSING = '<missing>';

interface ReadEvent {
  name: string;
  user: string;
  time: number;
  line: string;
  values: unknown[];
}

interface ReadChunk {
  lineCount: number;
  events: ReadEvent[];
  skipped: Array<[number, string]>;
}

/** The loader's documented rules, applied with JSON.parse to every line. */
function reference(bytes: Buffer, final: boolean, extract?: ExtractRequest): ReadChunk {
  const result: ReadChunk = { lineCount: 0, events: [], skipped: [] };
  let start = 0;
  while (start < bytes.length) {
    let newline = bytes.indexOf(10, start);
    if (newline < 0) {
      if (!final) break;
      newline = bytes.length;
    }
    result.lineCount++;
    const end = newline > start && bytes[newline - 1] === 13 ? newline - 1 : newline;
    const line = bytes.toString('utf8', start, end);
    start = newline + 1;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      result.skipped.push([result.lineCount, 'not valid JSON']);
      continue;
    }
    if (nestingDepthExceeds(value, MAX_NESTING_DEPTH)) {
      result.skipped.push([result.lineCount, `nested deeper than ${MAX_NESTING_DEPTH} levels`]);
      continue;
    }
    const record = value as { event?: unknown; properties?: unknown } | null;
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      result.skipped.push([result.lineCount, 'not a JSON object']);
      continue;
    }
    if (typeof record.event !== 'string' || record.event === '') {
      result.skipped.push([result.lineCount, 'no "event" name']);
      continue;
    }
    if (typeof record.properties !== 'object' || record.properties === null || Array.isArray(record.properties)) {
      result.skipped.push([result.lineCount, 'no "properties" object']);
      continue;
    }
    const props = record.properties as Record<string, unknown>;
    const rawTime = typeof props.time === 'string' && props.time.trim() !== '' ? Number(props.time) : props.time;
    if (typeof rawTime !== 'number' || !Number.isFinite(rawTime)) {
      result.skipped.push([result.lineCount, 'no numeric "properties.time"']);
      continue;
    }
    const time = Math.abs(rawTime) < 1e11 ? Math.round(rawTime * 1000) : Math.round(rawTime);
    const distinct = props.distinct_id;
    const values = (extract?.properties ?? []).map((name) => (Object.prototype.hasOwnProperty.call(props, name) ? props[name] : MISSING));
    let user: string;
    try {
      user = distinct === undefined || distinct === null ? '' : String(distinct);
    } catch {
      // A value String() cannot convert ({"toString": {}}) is named by its kind.
      user = Object.prototype.toString.call(distinct);
    }
    result.events.push({ name: record.event, user, time, line, values });
  }
  return result;
}

/** The parser's output in the reference's shape; values marked "read from the line" are read so. */
function decoded(bytes: Buffer, chunk: ParsedChunk, extract?: ExtractRequest): ReadChunk {
  const events: ReadEvent[] = [];
  for (let i = 0; i < chunk.times.length; i++) {
    const line = bytes.toString('utf8', chunk.starts[i], chunk.ends[i]);
    const values = (extract?.properties ?? []).map((name, j) => {
      const column = chunk.columns[j];
      switch (column.kinds[i]) {
        case 0:
          return MISSING;
        case 1:
          return column.values[i];
        case 2:
          return column.texts[column.values[i]];
        case 3:
          return true;
        case 4:
          return false;
        case 5:
          return null;
        case 6:
          return JSON.parse(column.texts[column.values[i]]) as unknown;
        case 7: {
          const props = (JSON.parse(line) as { properties: Record<string, unknown> }).properties;
          return Object.prototype.hasOwnProperty.call(props, name) ? props[name] : MISSING;
        }
        default:
          throw new Error(`unknown kind ${column.kinds[i]}`);
      }
    });
    events.push({ name: chunk.names[chunk.nameIndexes[i]], user: chunk.users[chunk.userIndexes[i]], time: chunk.times[i], line, values });
  }
  return { lineCount: chunk.lineCount, events, skipped: chunk.skippedLines.map((line, i) => [line, chunk.skippedReasons[i]]) };
}

function assertSameAsJsonParse(text: string | Buffer, extract?: ExtractRequest, final = true): void {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const parsed = parseEventChunk(bytes, final, extract);
  // Object.is semantics for -0 and NaN: deepStrictEqual compares numbers with Object.is.
  assert.deepStrictEqual(decoded(bytes, parsed, extract), reference(bytes, final, extract));
  // The parser's flag, found while it scans, against the entry writer's walk over the lines.
  assert.equal(parsed.linesBackToBack, linesBackToBack(bytes, parsed.starts, parsed.ends), 'linesBackToBack');
}

const event = (properties: Record<string, unknown>, name: unknown = 'E'): string => JSON.stringify({ event: name, properties });

const EDGE_LINES = [
  // Plain events, with the property values a query may read.
  event({ time: 1790000000, distinct_id: 'u1', price: 19, $browser: 'Chrome' }),
  event({ time: 1790000000.25, distinct_id: 42, price: -0, tags: ['a', 1, [2, { x: '"]}' }]], nested: { a: { b: [true, null] } } }),
  event({ time: '1790000001', distinct_id: true, price: '19', $browser: null }),
  event({ time: '1790000000123', distinct_id: false, price: 1e21, big: 123456789012345678 }),
  event({ time: 1790000000123, distinct_id: null, price: 0.1, exp: 1.5e-7 }),
  event({ time: 1790000000, price: 999999999999999, more: 9999999999999999, neg: -123456789012345 }),
  event({ time: 1790000000, distinct_id: 'ünïcödé ✓ 😀', $browser: 'Ünïcödé 😀', price: 'ß' }),
  event({ time: 1790000000, distinct_id: 'q"u\\o\nte\u0001', $browser: '\u2028\t\r', price: '\\' }),
  event({ time: 1790000000, distinct_id: 'u1' }, 'Ünïcödé ✓'),
  event({ time: 1790000000, distinct_id: 'u1', __proto__: 'x', toString: 5 }),
  event({ time: 1790000000, distinct_id: { id: 1 } }),
  event({ time: 1790000000, distinct_id: ['a', 'b'] }),
  event({ time: 1790000000, distinct_id: { toString: {} } }),
  event({ time: 1790000000, distinct_id: [{ valueOf: 1, toString: null }] }),
  event({ time: 1790000000, distinct_id: 1e21 }),
  event({ time: 1790000000, distinct_id: '' }),
  // Escapes in keys and values the scanner reads.
  '{"event":"E","properties":{"time":1790000000,"pr\\u0069ce":5,"distinct_id":"u\\u0031"}}',
  '{"ev\\u0065nt":"E","properties":{"time":1790000000}}',
  '{"event":"E\\u00e9\\ud83d\\ude00","propert\\u0069es":{"t\\u0069me":1790000000}}',
  '{"event":"E","properties":{"time":"1790000000","price":"\\u0031\\u0039","$browser":"a\\/b\\\\c\\"d"}}',
  '{"event":"E","properties":{"time":1790000000,"$browser":"\\ud800"}}',
  '{"event":"E","properties":{"time":1790000000,"pr\\u0069ce":5,"distinct_id":"u1"}}',
  '{"event":"E","properties":{"time":1790000000,"t\\u0069me":1790000500,"distinct_id":"u1","d\\u0069stinct_id":"u2"}}',
  '{"event":"E","properties":{"time":1790000000},"propert\\u0069es":{"time":1790000500}}',
  '{"event":"E","\\u0065vent":"F","properties":{"time":1790000000}}',
  // Numbers past 15 digits: rounded once, as JSON.parse rounds them.
  '{"event":"E","properties":{"time":1790000000,"price":63773802584356172,"big":9007199254740993,"other":41980187386454147,"more":12345678901234567890,"neg":-98765432109876543}}',
  '{"event":"E","properties":{"time":1790000000123.5,"price":0.30000000000000004,"big":1234567890123456.7}}',
  '{"event":"E","properties":{"time":17900000000000000,"price":-0.0,"big":1E2}}',
  // Repeated keys: JSON.parse keeps the last.
  '{"event":"A","event":"B","properties":{"time":1790000000}}',
  '{"event":"A","properties":{"time":1},"properties":{"time":1790000000,"distinct_id":"u2"}}',
  '{"event":"A","properties":{"time":1790000000,"time":1790000500,"distinct_id":"u1","distinct_id":"u2"}}',
  '{"event":"A","properties":{"time":1790000000,"price":1,"price":[2],"$browser":{"a":1},"$browser":"x"}}',
  // Whitespace JSON allows, and some it does not.
  ' { "event" : "E" , "properties" : { "time" : 1790000000 , "price" : [ 1 , 2 ] , "distinct_id" : "u" } } ',
  '\t{"event":"E",\r"properties":{"time":1790000000}}\t',
  '\u00a0{"event":"E","properties":{"time":1790000000}}',
  '\ufeff{"event":"E","properties":{"time":1790000000}}',
  '\u000b{"event":"E","properties":{"time":1790000000}}',
  '   ',
  '\t',
  '',
  // Malformed JSON of every kind.
  '{"event":"E","properties":{"time":1790000000}',
  '{"event":"E","properties":{"time":1790000000}}}',
  '{"event":"E","properties":{"time":1790000000}} x',
  '{"event":"E","properties":{"time":1790000000,}}',
  '{"event":"E",,"properties":{"time":1790000000}}',
  '{"event":"E" "properties":{"time":1790000000}}',
  '{"event":"E","properties":{"time":01}}',
  '{"event":"E","properties":{"time":1.}}',
  '{"event":"E","properties":{"time":.5}}',
  '{"event":"E","properties":{"time":-}}',
  '{"event":"E","properties":{"time":+1}}',
  '{"event":"E","properties":{"time":1e}}',
  '{"event":"E","properties":{"time":1e+}}',
  '{"event":"E","properties":{"time":NaN}}',
  '{"event":"E","properties":{"time":Infinity}}',
  '{"event":"E","properties":{"time":1790000000,"x":tru}}',
  '{"event":"E","properties":{"time":1790000000,"x":nulll}}',
  '{"event":"E","properties":{"time":1790000000,"x":"a\tb"}}',
  '{"event":"E","properties":{"time":1790000000,"x":"a\\qb"}}',
  '{"event":"E","properties":{"time":1790000000,"x":"\\u12G4"}}',
  '{"event":"E","properties":{"time":1790000000,"x":"\\u12"}}',
  '{"event":"E","properties":{"time":1790000000,"x":[1,2,]}}',
  '{"event":"E","properties":{"time":1790000000,"x":[1 2]}}',
  '{"event":"E","properties":{"time":1790000000,"x":{"a"}}}',
  '{"event":"E","properties":{"time":1790000000,"x":{1:2}}}',
  "{'event':'E','properties':{'time':1790000000}}",
  '{"event":"E","properties":{"time":1790000000,"x":"unterminated}}',
  '{"event":"E","properties":{"time":1790000000,"x":[[[[]]]]]}}',
  'not json',
  '[1, 2]',
  '"text"',
  '42',
  'null',
  // Valid JSON that is not an event.
  '{"properties":{"time":1790000000}}',
  '{"event":"","properties":{"time":1790000000}}',
  '{"event":7,"properties":{"time":1790000000}}',
  '{"event":"E"}',
  '{"event":"E","properties":[]}',
  '{"event":"E","properties":null}',
  '{"event":"E","properties":"x"}',
  '{"event":"E","properties":{}}',
  '{"event":"E","properties":{"time":"soon"}}',
  '{"event":"E","properties":{"time":"  "}}',
  '{"event":"E","properties":{"time":""}}',
  '{"event":"E","properties":{"time":true}}',
  '{"event":"E","properties":{"time":null}}',
  '{"event":"E","properties":{"time":[1790000000]}}',
  '{"event":"E","properties":{"time":1e400}}',
  '{"event":"E","properties":{"time":" 1790000000 "}}',
  '{"event":"E","properties":{"time":"0x10"}}',
  '{"event":"E","properties":{"time":-1790000000}}',
  '{"event":"E","properties":{"time":123456789012345678}}',
  '{"event":"E","properties":{"time":1.79e9}}',
  '{"event":"E","properties":{"time":1790000000},"extra":{"time":5,"distinct_id":"no","properties":{}}}',
  '{"extra":[{"event":"no"}],"event":"E","properties":{"time":1790000000,"deep":{"time":1,"price":2}}}',
  // Deep nesting, past the scanner's limit.
  `{"event":"E","properties":{"time":1790000000,"deep":${'['.repeat(300)}${']'.repeat(300)}}}`,
  `{"event":"E","properties":{"time":1790000000,"deep":${'{"a":'.repeat(300)}1${'}'.repeat(300)}}}`,
  // At the nesting limit (256 levels, the event's object and properties included), and one past it.
  `{"event":"E","properties":{"time":1790000000,"deep":${'['.repeat(254)}${']'.repeat(254)}}}`,
  `{"event":"E","properties":{"time":1790000000,"deep":${'{"a":'.repeat(255)}1${'}'.repeat(255)}}}`,
];

const EXTRACT: ExtractRequest = {
  properties: ['price', '$browser', 'tags', 'nested', 'time', 'distinct_id', 'toString', '__proto__', 'big', 'more', 'neg', 'exp', 'deep', 'x', 'other', ''],
};

test('every edge case reads as JSON.parse reads it, with and without properties to extract', () => {
  for (const line of EDGE_LINES) {
    assertSameAsJsonParse(line);
    assertSameAsJsonParse(line, EXTRACT);
  }
  const all = EDGE_LINES.join('\n');
  assertSameAsJsonParse(all, EXTRACT);
  assertSameAsJsonParse(EDGE_LINES.join('\r\n'), EXTRACT);
  assertSameAsJsonParse(all + '\n' + EDGE_LINES[0], EXTRACT, false);
  // Only some event names' properties are read; the others' are read from the line.
  assertSameAsJsonParse(all, { properties: ['price', 'x'], events: ['E', 'B'] });
  assertSameAsJsonParse(all, { properties: ['price'], events: [] });
});

test('names and users repeated on consecutive lines keep their numbers, and a changed one is seen', () => {
  const lines = ['A', 'A', 'B', 'A', 'AB', 'A'].map((name, i) => event({ time: 1790000000 + i, distinct_id: ['u1', 'u1', 'u2', 'u10', 'u1', 7][i] }, name));
  lines.splice(3, 0, '{"event":"A","event":"B","properties":{"time":1790000000,"distinct_id":"u1"}}');
  const bytes = Buffer.from(lines.join('\n'));
  const chunk = parseEventChunk(bytes, true);
  assert.deepEqual(chunk.names, ['A', 'B', 'AB']);
  assert.deepEqual(chunk.users, ['u1', 'u2', 'u10', '7']);
  assertSameAsJsonParse(bytes);
});

test('invalid UTF-8 reads as the replacement character, inside strings and out', () => {
  const good = Buffer.from(event({ time: 1790000000, distinct_id: 'u', $browser: 'ab' }));
  const variants: Buffer[] = [];
  for (const bytes of [[0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
    // Inside the value of $browser, inside distinct_id, inside the event name, in a key, and outside any string.
    for (const anchor of ['"ab"', '"u"', '"E"', '"$browser"', ',"distinct_id"']) {
      const at = good.indexOf(anchor) + (anchor.startsWith(',') ? 1 : 2);
      variants.push(Buffer.concat([good.subarray(0, at), Buffer.from(bytes), good.subarray(at)]));
    }
  }
  for (const variant of variants) assertSameAsJsonParse(variant, EXTRACT);
  assertSameAsJsonParse(Buffer.concat(variants.flatMap((variant) => [variant, Buffer.from('\n')])), EXTRACT);
});

/** Property values as an export may hold them, plus awkward ones. */
const propertyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', ' ', '12', ' 12 ', '1e3', '-0', 'Infinity', '\\', '"', '\u0000', '\ud800', '😀', '}]'),
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, 1e21, 2 ** 53 + 1, 123456789012345, 1234567890123456, 1790000000, 1790000000123),
);
const KEYS = ['time', 'distinct_id', 'price', '$browser', 'tags', 'event', 'properties', '$insert_id', 'é', ''];

/** A line from generated parts: keys may repeat, values may be anything, and bytes may be damaged. */
const lineArbitrary = fc
  .record({
    top: fc.array(fc.tuple(fc.constantFrom('event', 'properties', 'other'), propertyValue), { maxLength: 2 }),
    name: fc.oneof(fc.constantFrom('A', 'B', 'Ünï ✓'), propertyValue),
    props: fc.array(fc.tuple(fc.constantFrom(...KEYS), propertyValue), { maxLength: 6 }),
    time: fc.oneof(fc.constantFrom(1790000000, 1790000000123, 1790000000.5, '1790000000', ' 1790000001 ', -5, 0), propertyValue),
    spaces: fc.boolean(),
    escapeKeys: fc.array(fc.constantFrom(false, false, false, true), { minLength: 1, maxLength: 9 }),
    damage: fc.option(fc.tuple(fc.nat(), fc.constantFrom('delete', 'insert', 'replace'), fc.integer({ min: 0, max: 255 })), { freq: 3 }),
  })
  .map(({ top, name, props, time, spaces, escapeKeys, damage }) => {
    const gap = spaces ? ' ' : '';
    // Some keys are written with an escape for their first character: the same key to JSON.parse.
    let keys = 0;
    const keyText = (key: string): string =>
      escapeKeys[keys++ % escapeKeys.length] && key !== ''
        ? `"\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${JSON.stringify(key).slice(2)}`
        : JSON.stringify(key);
    const pair = ([key, value]: [string, unknown]): string => `${keyText(key)}${gap}:${gap}${JSON.stringify(value) ?? 'null'}`;
    const properties = `{${[['time', time] as [string, unknown], ...props].map(pair).join(`,${gap}`)}}`;
    const fields = [`${keyText('event')}:${gap}${JSON.stringify(name) ?? 'null'}`, `${keyText('properties')}:${gap}${properties}`, ...top.map(pair)];
    let bytes = Buffer.from(`{${fields.join(`,${gap}`)}}`);
    if (damage) {
      const [position, how, byte] = damage;
      const at = position % (bytes.length + 1);
      if (how === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
      else if (how === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([byte === 10 ? 32 : byte]), bytes.subarray(at)]);
      else if (at < bytes.length) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([byte === 10 ? 32 : byte]), bytes.subarray(at + 1)]);
    }
    return bytes;
  });

test('generated lines, valid and damaged, read as JSON.parse reads them', () => {
  fc.assert(
    fc.property(fc.array(lineArbitrary, { minLength: 1, maxLength: 8 }), fc.boolean(), (lines, filter) => {
      const bytes = Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')]));
      assertSameAsJsonParse(bytes, filter ? { properties: ['price', 'tags', 'time', 'é', ''], events: ['A', 'Ünï ✓'] } : { properties: KEYS });
    }),
    { numRuns: 3000 },
  );
});

/** Every column of a parsed chunk, to check the memory each holds against its length. */
function columnsOf(chunk: ParsedChunk): ArrayBufferView[] {
  return [chunk.times, chunk.nameIndexes, chunk.userIndexes, chunk.starts, chunk.ends, ...chunk.columns.flatMap((column) => [column.kinds, column.values])];
}

test("columns sized from the chunk's lines read as JSON.parse reads them, with at most an eighth of their room unused", () => {
  const priced = (i: number): string =>
    event({ time: 1790000000 + i, distinct_id: `u${i % 17}`, price: i, $browser: i % 2 ? 'Chrome' : 'Ünï' }, i % 3 ? 'A' : 'E');
  const extract = { properties: ['price', '$browser'] };
  const many = Array.from({ length: 3000 }, (_, i) => priced(i));
  const shortest = '{"event":"a","properties":{"time":0}}';
  assert.equal(shortest.length + 1, 38);
  const cases: Array<{ title: string; text: string; final: boolean }> = [
    // One event per line: the columns are returned as they were filled.
    { title: 'an event on every line', text: many.join('\n') + '\n', final: false },
    { title: 'the last line without its newline', text: many.join('\n'), final: true },
    // Half the lines blank: the columns are copied to their length.
    { title: 'a blank line after every event', text: many.join('\n\n') + '\n', final: false },
    { title: 'damaged lines among events', text: many.map((line, i) => (i % 3 === 0 ? line.slice(0, 20) : line)).join('\n') + '\n', final: false },
    // Lines shorter than the count assumes: the columns start smaller and grow.
    { title: 'the shortest events', text: Array.from({ length: 5000 }, () => shortest).join('\n') + '\n', final: false },
    {
      title: 'long events, then the shortest ones',
      text: [...many.slice(0, 50), ...Array.from({ length: 5000 }, () => shortest)].join('\n') + '\n',
      final: false,
    },
    { title: 'blank lines only', text: '\n'.repeat(100000), final: false },
    { title: 'no newline at all', text: many[0], final: true },
  ];
  for (const { title, text, final } of cases) {
    const bytes = Buffer.from(text);
    for (const request of [undefined, extract]) {
      const parsed = parseEventChunk(bytes, final, request);
      assert.deepStrictEqual(decoded(bytes, parsed, request), reference(bytes, final, request), title);
      assert.equal(parsed.linesBackToBack, linesBackToBack(bytes, parsed.starts, parsed.ends), `${title}: linesBackToBack`);
      for (const column of columnsOf(parsed)) {
        assert.ok(
          column.buffer.byteLength * 7 <= Math.max(column.byteLength, 16 * 8) * 8,
          `${title}: ${column.byteLength} bytes used of ${column.buffer.byteLength}`,
        );
      }
    }
  }
});

test('the parse workers return the same chunk, extracted columns included, as parsing on this thread', async () => {
  const lines = EDGE_LINES.concat(
    Array.from({ length: 2000 }, (_, i) =>
      event(
        {
          time: 1790000000 + i,
          distinct_id: `u${i % 13}`,
          price: i % 7 === 0 ? String(i) : i,
          $browser: ['Chrome', 'Firefox', 'Ünï'][i % 3],
          tags: i % 5 === 0 ? ['a', i] : undefined,
        },
        i % 2 ? 'A' : 'E',
      ),
    ),
  );
  const text = Buffer.from(lines.join('\n'));
  const pool = new ParsePool(2);
  try {
    for (const extract of [undefined, EXTRACT, { properties: ['price', '$browser'], events: ['A'] }]) {
      const local = parseEventChunk(text, true, extract);
      local.likelyDuplicates = insertIdsOfLikelyDuplicates(text, local);
      // The pool moves the chunk's memory to the worker: give it a copy that owns its buffer.
      const copy = Buffer.from(text);
      const { parsed, chunk } = await pool.parse(copy, true, extract);
      assert.deepEqual(chunk, text);
      assert.deepStrictEqual(parsed, local);
      assert.deepStrictEqual(decoded(text, parsed, extract), reference(text, true, extract));
    }
  } finally {
    pool.close();
  }
});

test('the insert ids read with a chunk are those of the events sharing time, name and user with another, as de-duplication names them', () => {
  // Few times and names, so that many events share them; few users (many share all three) or
  // many (most differ only by user, and meet in the lookup's table); every kind of insert id.
  const insertIds: unknown[] = ['a', 'b', '', null, undefined, 7, 7.5, true, ['x', 1], { nested: { deep: 1 } }, { toString: {} }, 'ünï', 'a'];
  let seed = 3;
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let round = 0; round < 40; round++) {
    const count = 1 + random(round % 4 < 2 ? 400 : 3000);
    const userCount = round % 4 < 2 ? 3 : 2000;
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      // Seconds and milliseconds, and both spellings of one instant (1790000000 s = 1790000000000 ms).
      const time = [1790000000, 1790000000000, 1790000001, 1790000000.5, '1790000002'][random(round % 2 ? 5 : 2)];
      const properties: Record<string, unknown> = { time, distinct_id: random(10) === 0 ? 3 : `u${random(userCount)}`, pad: 'x'.repeat(random(30)) };
      const id = insertIds[random(insertIds.length)];
      if (id !== undefined) properties.$insert_id = id;
      // Blank and damaged lines between the events: rows are numbered among the valid events.
      if (random(10) === 0) lines.push(random(2) ? '' : '{"event": "broken"');
      lines.push(event(properties, ['A', 'B'][random(2)]));
    }
    const text = Buffer.from(lines.join('\n'));
    const parsed = parseEventChunk(text, true);
    const found = insertIdsOfLikelyDuplicates(text, parsed);

    // The plain way: group the valid events by time, name and user; every event of a group of two or more.
    const groups = new Map<string, number>();
    const keyOf = (row: number): string => `${parsed.times[row]}|${parsed.names[parsed.nameIndexes[row]]}|${parsed.users[parsed.userIndexes[row]]}`;
    for (let row = 0; row < parsed.times.length; row++) groups.set(keyOf(row), (groups.get(keyOf(row)) ?? 0) + 1);
    const expectedRows: number[] = [];
    const expectedIds: Array<string | null> = [];
    for (let row = 0; row < parsed.times.length; row++) {
      if (groups.get(keyOf(row))! < 2) continue;
      expectedRows.push(row);
      const insert = (JSON.parse(text.toString('utf8', parsed.starts[row], parsed.ends[row])) as { properties: Record<string, unknown> }).properties.$insert_id;
      // Missing, null and empty are no id; an object (even one String() cannot convert) is "[object Object]".
      if (insert === undefined || insert === null || insert === '') expectedIds.push(null);
      else expectedIds.push(typeof insert === 'object' && !Array.isArray(insert) ? '[object Object]' : String(insert));
    }
    assert.deepEqual([...found.rows], expectedRows, `round ${round}`);
    assert.deepEqual(found.ids, expectedIds, `round ${round}`);
  }
});
