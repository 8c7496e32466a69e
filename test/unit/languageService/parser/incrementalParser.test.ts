import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createDocumentModelCache } from '../../../../server/src/lsp/documentModelCache';
import {
  assembleDocument,
  chunkStarts,
  createIncrementalParser,
  documentAround,
  shiftExpression,
  windowAround,
  type EditedText,
  type IncrementalParser,
  type TextChange,
} from '../../../../server/src/languageService/parser/incrementalParser';
import { getAqLanguageService, narrowCompletions } from '../../../../server/src/languageService/analyticsLanguageService';
import { queryAt } from '../../../../server/src/languageService/queryFacts';
import { shopSchema } from '../languageServiceHelpers';
import { parseAqDocument } from '../../../../server/src/languageService/parser/queryParser';
import { parseExpression } from '../../../../server/src/languageService/parser/expressionParser';
import type { AqDocument } from '../../../../server/src/languageService/parser/queryAst';

/** Kept small for CI; set AQ_FUZZ_RUNS=5000 for a longer hunt. */
const NUM_RUNS = Number(process.env.AQ_FUZZ_RUNS) || 150;

const ISSUE_EXAMPLE = readFileSync(join(__dirname, '../../../fixtures/aq/issue-example.aq'), 'utf8');

/** The issue example cut into its blocks (use lines, titled queries), to recombine. */
const EXAMPLE_BLOCKS = ISSUE_EXAMPLE.split(/\n(?=###|use )/).map((block) => `${block.trimEnd()}\n`);

/**
 * Asserts the incremental result is what a full parse gives: the same tree (after a JSON round
 * trip, as it crosses processes) and every query's `source` the very `uses` entry a full parse links.
 */
function assertSameAsFullParse(incremental: AqDocument, text: string): void {
  const full = parseAqDocument(text);
  assert.deepStrictEqual(JSON.parse(JSON.stringify(incremental)), JSON.parse(JSON.stringify(full)));
  assert.deepStrictEqual(incremental, full);
  assert.deepStrictEqual(
    incremental.queries.map((query) => (query.source === undefined ? -1 : incremental.uses.indexOf(query.source))),
    full.queries.map((query) => (query.source === undefined ? -1 : full.uses.indexOf(query.source))),
  );
  incremental.queries.forEach((query, index) => assert.equal(query.index, index));
}

function parseAll(parser: IncrementalParser, versions: readonly string[]): void {
  for (const text of versions) assertSameAsFullParse(parser.parse(text), text);
}

/** Fragments that create or destroy the lines chunks start at, and join or split blocks. */
const languagePieces = fc.constantFrom(
  '\n',
  '\n\n',
  '###',
  '### T\n',
  'use ',
  'use mixpanel "a"\n',
  'use piwik "b"\n',
  'segmentation "X"\n',
  'funnel ',
  'retention "A"',
  'insights id 4\n',
  '  ',
  '\t',
  '  where ',
  '    and ',
  '  params {',
  '}',
  '\n  ',
  '# note\n',
  '  # c',
  '"',
  '\\',
  '->',
  ' -> "B"',
  'properties["p"] == 1',
  '2026-10-01',
  ' to ',
  'last 3 days',
  'x',
  'jql',
  'debugger',
  '\r\n',
  '\f',
  '\v',
  'us',
  'e',
  '#',
  '\u{1F600}',
);

type Edit = { at: number; deleteCount: number; insert: string };

const edit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  deleteCount: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 5, max: 60 })),
  insert: fc.oneof(fc.constant(''), fc.string({ unit: languagePieces, maxLength: 3 })),
});

function applyEdit(text: string, { at, deleteCount, insert }: Edit): string {
  const start = at % (text.length + 1);
  return text.slice(0, start) + insert + text.slice(Math.min(text.length, start + deleteCount));
}

const baseDocument = fc
  .array(fc.oneof(fc.constantFrom(...EXAMPLE_BLOCKS), fc.string({ unit: languagePieces, maxLength: 8 })), { minLength: 1, maxLength: 10 })
  .map((parts) => parts.join(''));

test('after any sequence of edits the incremental parse equals a full parse', () => {
  fc.assert(
    fc.property(baseDocument, fc.array(edit, { minLength: 1, maxLength: 12 }), (base, edits) => {
      const parser = createIncrementalParser();
      let text = base;
      assertSameAsFullParse(parser.parse(text), text);
      for (const change of edits) {
        text = applyEdit(text, change);
        assertSameAsFullParse(parser.parse(text), text);
      }
    }),
    { numRuns: NUM_RUNS },
  );
});

/**
 * The simplest `EditedText`: a string and the change of each edit. The server's piece document is
 * another (its own tests compare its changes with its texts); this one lets the parser be checked
 * on edits alone.
 */
class EditedString implements EditedText {
  revision: object = {};
  private changes: Array<{ revision: object; change: TextChange | undefined }> = [{ revision: this.revision, change: undefined }];

  constructor(public text: string) {}

  get length(): number {
    return this.text.length;
  }

  slice(start: number, end: number): string {
    return this.text.slice(start, end);
  }

  /** Applies `change`, remembering it (or, with `forget`, that the change is unknown). */
  edit(change: Edit, forget = false): void {
    const start = change.at % (this.text.length + 1);
    const end = Math.min(this.text.length, start + change.deleteCount);
    this.text = applyEdit(this.text, change);
    this.revision = {};
    this.changes.push({ revision: this.revision, change: forget ? undefined : { start, oldEnd: end, newEnd: start + change.insert.length } });
  }

  changeSince(revision: object): TextChange | undefined {
    const index = this.changes.findIndex((entry) => entry.revision === revision);
    if (index < 0) return undefined;
    let combined: TextChange | undefined;
    for (const { change } of this.changes.slice(index + 1)) {
      if (change === undefined) return undefined;
      combined =
        combined === undefined
          ? change
          : {
              start: Math.min(combined.start, change.start),
              oldEnd: Math.max(combined.oldEnd, change.oldEnd - combined.newEnd + combined.oldEnd),
              newEnd: Math.max(combined.newEnd, change.oldEnd) + change.newEnd - change.oldEnd,
            };
    }
    return combined ?? { start: 0, oldEnd: 0, newEnd: 0 };
  }
}

/** `document` as the parser sees it, counting the characters it reads. */
function watched(document: EditedString): { text: EditedText; charactersRead: () => number; reset: () => void } {
  let read = 0;
  const text: EditedText = {
    get length() {
      return document.length;
    },
    get revision() {
      return document.revision;
    },
    slice: (start, end) => {
      read += end - start;
      return document.slice(start, end);
    },
    changeSince: (revision) => document.changeSince(revision),
  };
  return { text, charactersRead: () => read, reset: () => (read = 0) };
}

test('told where the edits were, the parser equals a full parse (also when a change is unknown or a string comes instead)', () => {
  const step = fc.record({ edits: fc.array(edit, { minLength: 1, maxLength: 3 }), forget: fc.boolean(), asString: fc.boolean() });
  fc.assert(
    fc.property(baseDocument, fc.array(step, { minLength: 1, maxLength: 8 }), (base, steps) => {
      const parser = createIncrementalParser();
      const document = new EditedString(base);
      assertSameAsFullParse(parser.parse(document), document.text);
      for (const { edits, forget, asString } of steps) {
        edits.forEach((change, index) => document.edit(change, forget && index === 0));
        const chunked = parser.parseChunks(asString ? document.text : document);
        assert.deepStrictEqual(
          chunked.chunks.map((chunk) => chunk.offset),
          chunkStarts(document.text),
        );
        assertSameAsFullParse(assembleDocument(chunked), document.text);
      }
    }),
    { numRuns: NUM_RUNS },
  );
});

test('after a keystroke in a large file, the parser reads a few chunks of it, not the whole text', () => {
  const query = (n: number) => `### Query ${n}\nsegmentation "Event ${n}"\n  last 30 days\n\n`;
  const document = new EditedString(Array.from({ length: 2000 }, (_, n) => query(n)).join(''));
  const parser = createIncrementalParser();
  const { text, charactersRead, reset } = watched(document);
  parser.parseChunks(text);
  assert.equal(charactersRead(), document.length, 'the first version is read whole');
  for (const [replaced, typed] of [
    ['### Query 1234\n', '### Query 1235\n'],
    ['### Query 7\n', '### Query 77\n'],
    ['"Event 1999"', '"Event 199"'],
  ]) {
    document.edit({ at: document.text.indexOf(replaced), deleteCount: replaced.length, insert: typed });
    reset();
    assertSameAsFullParse(assembleDocument(parser.parseChunks(text)), document.text);
    assert.ok(charactersRead() > 0 && charactersRead() < 4 * query(1234).length, `${charactersRead()} characters read`);
  }
});

test('a tiny chunk cache still gives full-parse results', () => {
  fc.assert(
    fc.property(baseDocument, fc.array(edit, { minLength: 1, maxLength: 6 }), (base, edits) => {
      const parser = createIncrementalParser(1);
      let text = base;
      for (const change of edits) {
        text = applyEdit(text, change);
        assertSameAsFullParse(parser.parse(text), text);
      }
    }),
    { numRuns: Math.ceil(NUM_RUNS / 3) },
  );
});

test('the issue example parses the same incrementally, and re-parsing it keeps every node', () => {
  const parser = createIncrementalParser();
  const first = parser.parse(ISSUE_EXAMPLE);
  assertSameAsFullParse(first, ISSUE_EXAMPLE);
  const second = parser.parse(ISSUE_EXAMPLE);
  assert.equal(second.queries.length, 7);
  second.queries.forEach((query, index) => assert.equal(query, first.queries[index]));
});

test('an edit in one query leaves the queries before it untouched and moves the ones after it', () => {
  const parser = createIncrementalParser();
  const before = parser.parse(ISSUE_EXAMPLE);
  const text = ISSUE_EXAMPLE.replace('funnel id 7125032', 'funnel id 71250329');
  const after = parser.parse(text);
  assertSameAsFullParse(after, text);
  assert.equal(after.queries[0], before.queries[0]);
  assert.equal(after.queries[1], before.queries[1]);
  assert.notEqual(after.queries[2], before.queries[2]);
  assert.equal(after.queries[3].span.start, before.queries[3].span.start + 1);
  assert.equal(after.queries[6].source, after.uses[1]);
});

test('chunks start at titles, use lines and heads no title waits for', () => {
  const text = [
    '# intro',
    '  stray clause',
    'use local "a.ndjson"',
    '### One',
    '',
    '# between',
    'segmentation "A"',
    '  unit day',
    'funnel "A" -> "B"',
    '### Two',
    '### Three',
    'segmentation "C"',
    '',
  ].join('\n');
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  // Lines 2 (use), 3 (### One), 8 (funnel: its title was taken), 9 and 10 (titles); `segmentation` on line 6 joins its title.
  assert.deepStrictEqual(chunkStarts(text), [0, lineStarts[2], lineStarts[3], lineStarts[8], lineStarts[9], lineStarts[10]]);
  assertSameAsFullParse(createIncrementalParser().parse(text), text);
});

test('a title waiting for its head keeps waiting across blank and comment lines', () => {
  parseAll(createIncrementalParser(), [
    '### T\nsegmentation "A"\n',
    '### T\n\nsegmentation "A"\n',
    '### T\n  # note\n\t\nsegmentation "A"\n',
    '### T\n  on x\nsegmentation "A"\n',
    '### T\nbogus\nsegmentation "A"\n  unit day\n',
    '### T\n### U\nsegmentation "A"\n',
    // The tokenizer skips \f, \v and \r as white space, so these lines are blank too.
    '### T\n\v\n\f # x\n \r\nsegmentation "A"\n',
  ]);
});

test('typing a use line, a title and a head character by character', () => {
  const parser = createIncrementalParser();
  const base = '### A\nsegmentation "A"\n  unit day\n\n### B\nsegmentation "B"\n  last 3 days\n';
  const typed = 'use piwik "site"\n### New\nfunnel "X" -> "Y"\n  window 3 days\n';
  const insertAt = base.indexOf('### B');
  for (let length = 0; length <= typed.length; length++) {
    const text = base.slice(0, insertAt) + typed.slice(0, length) + base.slice(insertAt);
    assertSameAsFullParse(parser.parse(text), text);
  }
});

test('lines that only look like boundaries do not split chunks', () => {
  parseAll(createIncrementalParser(), [
    'segmentation "A"\n  where x == 1\n    and y\nuser\nused\n  use\n\fuse local "a"\nsegmentations "B"\n',
    'segmentation "A"\n  params {\n  "a": 1\n}\nsegmentation "B"\n',
    'use local "a"\r\n### T\r\nsegmentation "A"\r\n  unit day\r\n',
    '\u{1F600}\n### T #x\nfunnel "A" "B"\n  unit dya\n',
  ]);
});

test('shifting an expression moves every span in it', () => {
  const source = 'not defined(properties["a"]) or user["b"] in [1, "x", true] and -2 * 3 > floor(event["c"]) + ';
  const parsed = parseExpression(source, 10);
  assert.ok(parsed.problems.length > 0, 'the trailing + leaves an error node to shift too');
  assert.deepStrictEqual(shiftExpression(parsed.expression, 7), parseExpression(source, 17).expression);
});

test('the server keeps one incremental parser per open document and drops it on close', () => {
  const seen: Array<{ uri: string; parser: IncrementalParser }> = [];
  const models = createDocumentModelCache<AqDocument>((document, parser) => {
    seen.push({ uri: document.uri, parser });
    return parser.parse(document.getText());
  });
  try {
    const edited = ISSUE_EXAMPLE.replace('last 4 weeks', 'last 5 weeks');
    const first = models.get(TextDocument.create('file:///a.aq', 'aq', 1, ISSUE_EXAMPLE));
    const second = models.get(TextDocument.create('file:///a.aq', 'aq', 2, edited));
    models.get(TextDocument.create('file:///b.aq', 'aq', 1, ISSUE_EXAMPLE));
    models.onDocumentRemoved('file:///a.aq');
    models.get(TextDocument.create('file:///a.aq', 'aq', 3, edited));
    assert.equal(seen[1].parser, seen[0].parser, 'a new version of a.aq reuses its parser');
    assert.notEqual(seen[2].parser, seen[0].parser, 'b.aq has its own parser');
    assert.notEqual(seen[3].parser, seen[0].parser, 'a.aq reopened starts afresh');
    assertSameAsFullParse(second, edited);
    assert.equal(second.queries[0], first.queries[0], 'the query above the edit was not re-parsed');
  } finally {
    models.dispose();
  }
});

test('chunk by chunk, the parse after any edits cuts the text where chunkStarts does and assembles to the full parse', () => {
  fc.assert(
    fc.property(baseDocument, fc.array(edit, { minLength: 1, maxLength: 12 }), (base, edits) => {
      const parser = createIncrementalParser();
      let text = base;
      for (const change of [undefined, ...edits]) {
        if (change) text = applyEdit(text, change);
        const chunked = parser.parseChunks(text);
        assert.deepStrictEqual(
          chunked.chunks.map((chunk) => chunk.offset),
          chunkStarts(text),
        );
        chunked.chunks.forEach((chunk) => assert.equal(chunk.text, text.slice(chunk.offset, chunk.offset + chunk.text.length)));
        assertSameAsFullParse(assembleDocument(chunked), text);
      }
    }),
    { numRuns: NUM_RUNS },
  );
});

test('inserting a character above the other queries moves them without parsing them again', () => {
  const parser = createIncrementalParser();
  const before = parser.parseChunks(ISSUE_EXAMPLE);
  const text = ISSUE_EXAMPLE.replace('### Sign-ups by browser', '### Sign-ups by browsers');
  const after = parser.parseChunks(text);
  assert.equal(after.chunks.length, before.chunks.length);
  assert.equal(after.chunks[0], before.chunks[0], 'the use line above the edit keeps its chunk');
  assert.notEqual(after.chunks[1].parsed, before.chunks[1].parsed, 'the edited query is parsed again');
  for (let i = 2; i < after.chunks.length; i++) {
    assert.equal(after.chunks[i].parsed, before.chunks[i].parsed, `chunk ${i} keeps its parse`);
    assert.equal(after.chunks[i].offset, before.chunks[i].offset + 1);
  }
  assertSameAsFullParse(assembleDocument(after), text);
});

/** Completion and hover on the whole document and on the chunks around the cursor, at every offset. */
function assertSameAroundEveryOffset(text: string, chunked: ReturnType<IncrementalParser['parseChunks']>): void {
  const service = getAqLanguageService();
  const schema = shopSchema();
  const lookup = () => schema;
  const full = parseAqDocument(text);
  for (let offset = 0; offset <= text.length; offset++) {
    const around = documentAround(chunked, offset);
    const where = `at ${offset} of ${JSON.stringify(text)}`;
    assert.deepStrictEqual(service.complete(around, text, offset, lookup), service.complete(full, text, offset, lookup), `completion ${where}`);
    assert.deepStrictEqual(service.hover(around, text, offset, lookup), service.hover(full, text, offset, lookup), `hover ${where}`);
    assert.deepStrictEqual(queryAt(around, offset), queryAt(full, offset), `query ${where}`);
    // The window: the same answers, with spans counted from its start, read from its own text.
    const window = windowAround(chunked, offset);
    const at = offset - window.start;
    assert.equal(window.text, text.slice(window.start, window.start + window.text.length), `window text ${where}`);
    const inWindow = service.complete(window.document, window.text, at, lookup);
    assert.deepStrictEqual(
      inWindow.map((candidate) => (candidate.replaceSpan ? { ...candidate, replaceSpan: shiftSpan(candidate.replaceSpan, window.start) } : candidate)),
      service.complete(full, text, offset, lookup),
      `completion in the window ${where}`,
    );
    assert.deepStrictEqual(
      narrowCompletions(inWindow, window.text, at, 3).candidates.map((candidate) => candidate.label),
      narrowCompletions(service.complete(full, text, offset, lookup), text, offset, 3).candidates.map((candidate) => candidate.label),
      `narrowed completion in the window ${where}`,
    );
    const hover = service.hover(window.document, window.text, at, lookup);
    assert.deepStrictEqual(
      hover && { ...hover, span: shiftSpan(hover.span, window.start) },
      service.hover(full, text, offset, lookup),
      `hover in the window ${where}`,
    );
    assert.deepStrictEqual(
      service.propertyValueTarget(window.document, window.text, at, lookup),
      service.propertyValueTarget(full, text, offset, lookup),
      `value target in the window ${where}`,
    );
  }
}

function shiftSpan(span: { start: number; end: number }, delta: number): { start: number; end: number } {
  return { start: span.start + delta, end: span.end + delta };
}

test('completion and hover answer the same on the chunks around the cursor, and on their text alone, as on the whole document', () => {
  const parser = createIncrementalParser();
  assertSameAroundEveryOffset(ISSUE_EXAMPLE, parser.parseChunks(ISSUE_EXAMPLE));
  const edge =
    'use mixpanel "shop"\n  where x\n### T\n\nsegmentation "Sign Up"\n  on properties["plan"]\nuse mixpanel "shop"\n  unit day\nfunnel "Purchase" -> "S';
  assertSameAroundEveryOffset(edge, parser.parseChunks(edge));
  // Two use lines in a row: the clause below them still belongs to the query above both.
  const uses = 'segmentation "Sign Up"\n  on properties["plan"]\nuse mixpanel "shop"\nuse mixpanel "shop"\n  unit d\n';
  assertSameAroundEveryOffset(uses, parser.parseChunks(uses));
  fc.assert(
    fc.property(baseDocument, fc.array(edit, { maxLength: 4 }), (base, edits) => {
      const incremental = createIncrementalParser();
      let text = base;
      incremental.parseChunks(text);
      for (const change of edits) {
        text = applyEdit(text, change);
        incremental.parseChunks(text);
      }
      assertSameAroundEveryOffset(text, incremental.parseChunks(text));
    }),
    { numRuns: Math.ceil(NUM_RUNS / 5) },
  );
});
