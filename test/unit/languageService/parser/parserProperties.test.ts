import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAqDocument } from '../../../../server/src/languageService/parser/queryParser';
import { parseExpression } from '../../../../server/src/languageService/parser/expressionParser';
import { printExpression } from '../../../../server/src/queryContract/printExpression';
import { buildQuerySpec } from '../../../../server/src/queryContract/buildQuerySpec';
import type { AqDocument, BinaryOperator, Expression, TextSpan } from '../../../../server/src/languageService/parser/queryAst';

/** Kept small for CI; set AQ_FUZZ_RUNS=20000 for a longer hunt. */
const NUM_RUNS = Number(process.env.AQ_FUZZ_RUNS) || 300;

/** The example of every query kind (test/fixtures/aq/issue-example.aq), as in parser.test.ts. */
const ISSUE_EXAMPLE = readFileSync(join(__dirname, '../../../fixtures/aq/issue-example.aq'), 'utf8');

/** Every span anywhere in the tree, found generically so no node type is forgotten. */
function collectSpans(value: unknown, spans: TextSpan[] = []): TextSpan[] {
  if (Array.isArray(value)) {
    for (const item of value) collectSpans(item, spans);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.start === 'number' && typeof record.end === 'number') spans.push(record as unknown as TextSpan);
    for (const [key, child] of Object.entries(record)) {
      // Parsed JSON values are user data, not nodes.
      if (key === 'value' && record.type === 'json') continue;
      collectSpans(child, spans);
    }
  }
  return spans;
}

function assertWellFormed(text: string, doc: AqDocument): void {
  assert.equal(doc.textLength, text.length);
  for (const span of collectSpans(doc)) {
    assert.ok(Number.isInteger(span.start) && Number.isInteger(span.end), `integer span ${JSON.stringify(span)}`);
    assert.ok(span.start >= 0 && span.start <= span.end && span.end <= text.length, `span ${JSON.stringify(span)} inside ${text.length}`);
  }
  for (const problem of doc.problems) {
    assert.ok(problem.message.length > 0 && /^[a-z]+(-[a-z]+)*$/.test(problem.code), `problem ${JSON.stringify(problem)}`);
  }
  for (const block of doc.queries) buildQuerySpec(block, { now: new Date('2026-03-01T00:00:00Z'), timezone: 'Europe/Berlin' });
}

/** Characters the language cares about, so random text reaches the interesting paths. */
const languageChars = fc.constantFrom(
  ...'segmntaiounlfrwhy#"\\[]{}(),->=<!:0123456789 \t\n\r_$.TZ'.split(''),
  'use ',
  '###',
  'properties["',
  '  where ',
  'funnel ',
  ' -> ',
  '2026-10-01',
  ' to ',
  '  params {',
  '\n  ',
  '\u{1F600}',
);

type Mutation = { kind: 'insert' | 'replace'; at: number; text: string } | { kind: 'delete'; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: languageChars, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.string({ unit: languageChars, minLength: 1, maxLength: 3 }) }),
);

function applyMutations(text: string, mutations: readonly Mutation[]): string {
  let result = text;
  for (const m of mutations) {
    const at = m.at % (result.length + 1);
    if (m.kind === 'insert') result = result.slice(0, at) + m.text + result.slice(at);
    else if (m.kind === 'delete') result = result.slice(0, at) + result.slice(at + m.length);
    else result = result.slice(0, at) + m.text + result.slice(at + m.text.length);
  }
  return result;
}

test('random text never throws and keeps every span inside the document', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: languageChars, maxLength: 120 })), (text) => {
      assertWellFormed(text, parseAqDocument(text));
    }),
    { numRuns: NUM_RUNS },
  );
});

test('mutations of the issue example never throw and keep every span inside the document', () => {
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
      const text = applyMutations(ISSUE_EXAMPLE, mutations);
      assertWellFormed(text, parseAqDocument(text));
    }),
    { numRuns: NUM_RUNS },
  );
});

test('one broken line never hides the queries that follow it', () => {
  const tail = '\n### Last\nsegmentation "Tail"\n  last 7 days\n';
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      const doc = parseAqDocument(applyMutations(ISSUE_EXAMPLE, mutations) + tail);
      const last = doc.queries[doc.queries.length - 1];
      assert.equal(last.title, 'Last');
      assert.ok(last.head?.kind === 'segmentation' && last.head.event?.value === 'Tail');
    }),
    { numRuns: NUM_RUNS },
  );
});

test('random expression text never throws; spans stay inside', () => {
  fc.assert(
    fc.property(fc.string({ unit: languageChars, maxLength: 60 }), fc.nat({ max: 1000 }), (text, base) => {
      const { expression, problems } = parseExpression(text, base);
      for (const span of [...collectSpans(expression), ...problems.map((p) => p.span)]) {
        assert.ok(span.start >= base && span.start <= span.end && span.end <= base + text.length, JSON.stringify(span));
      }
    }),
    { numRuns: NUM_RUNS },
  );
});

/** Expression trees the parser can produce: non-negative number literals, known shapes. */
const expressionTree: fc.Arbitrary<Expression> = fc.letrec<{ expr: Expression }>((tie) => {
  const span = { start: 0, end: 0 };
  const leaf = fc.oneof(
    fc.record({
      type: fc.constant('property' as const),
      span: fc.constant(span),
      scope: fc.constantFrom('properties' as const, 'user' as const, 'event' as const),
      name: fc.string({ maxLength: 8 }),
      nameSpan: fc.constant(span),
    }),
    fc.record({ type: fc.constant('string' as const), span: fc.constant(span), value: fc.string({ maxLength: 8 }) }),
    fc.record({ type: fc.constant('number' as const), span: fc.constant(span), value: fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e6, noNaN: true })) }),
    fc.record({ type: fc.constant('boolean' as const), span: fc.constant(span), value: fc.boolean() }),
  );
  const operators: BinaryOperator[] = ['==', '!=', '<', '<=', '>', '>=', 'and', 'or', 'in', '+', '-', '*', '/', '%'];
  return {
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.record({
        type: fc.constant('binary' as const),
        span: fc.constant(span),
        operator: fc.constantFrom(...operators),
        operatorSpan: fc.constant(span),
        left: tie('expr'),
        right: tie('expr'),
      }),
      fc.record({
        type: fc.constant('unary' as const),
        span: fc.constant(span),
        operator: fc.constantFrom('not' as const, '-' as const),
        operand: tie('expr'),
      }),
      fc.record({ type: fc.constant('list' as const), span: fc.constant(span), items: fc.array(tie('expr'), { maxLength: 3 }) }),
      fc.record({
        type: fc.constant('call' as const),
        span: fc.constant(span),
        callee: fc.constantFrom('defined', 'number', 'floor', 'has_prefix'),
        calleeSpan: fc.constant(span),
        args: fc.array(tie('expr'), { maxLength: 2 }),
      }),
    ),
  };
}).expr;

/** The tree without spans, for comparing a reparsed tree with the original. */
function withoutSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSpans);
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (key === 'span' || key === 'nameSpan' || key === 'operatorSpan' || key === 'calleeSpan') continue;
      copy[key] = withoutSpans(child);
    }
    return copy;
  }
  return value;
}

test('printExpression then parseExpression gives the same tree', () => {
  fc.assert(
    fc.property(expressionTree, (tree) => {
      const printed = printExpression(tree);
      const { expression, problems } = parseExpression(printed);
      assert.deepEqual(problems, [], printed);
      assert.deepEqual(withoutSpans(expression), withoutSpans(tree), printed);
    }),
    { numRuns: NUM_RUNS },
  );
});
