import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAqDocument } from '../../../server/src/languageService/parser/queryParser';
import type { AqDocument, Clause, ClauseValue, QueryBlock, TextSpan } from '../../../server/src/languageService/parser/queryAst';

/** The example of every query kind (test/fixtures/aq/issue-example.aq); parserProperties and validateQuery tests read the same file. */
const ISSUE_EXAMPLE = readFileSync(join(__dirname, '../../fixtures/aq/issue-example.aq'), 'utf8');

function textOf(text: string, span: TextSpan | undefined): string | undefined {
  return span ? text.slice(span.start, span.end) : undefined;
}

function clause(block: QueryBlock, name: string): Clause {
  const found = block.clauses.find((c) => c.name === name);
  assert.ok(found, `clause ${name} in query ${block.index}`);
  return found;
}

function valueOf<T extends ClauseValue['type']>(c: Clause, type: T): Extract<ClauseValue, { type: T }> {
  assert.equal(c.value.type, type, `value of ${c.name}`);
  return c.value as Extract<ClauseValue, { type: T }>;
}

function codes(doc: AqDocument): string[] {
  return doc.problems.map((p) => p.code);
}

/** A file with one segmentation query whose clause lines are `clauseLines`. */
function oneQuery(clauseLines: string): { text: string; doc: AqDocument; block: QueryBlock } {
  const text = `segmentation "Sign Up"\n${clauseLines}\n  last 7 days\n`;
  const doc = parseAqDocument(text);
  assert.equal(doc.queries.length, 1);
  return { text, doc, block: doc.queries[0] };
}

test('the issue example parses with no problems into seven queries', () => {
  const doc = parseAqDocument(ISSUE_EXAMPLE);
  assert.deepEqual(doc.problems, []);
  assert.equal(doc.textLength, ISSUE_EXAMPLE.length);
  assert.deepEqual(
    doc.queries.map((q) => q.title),
    [
      'Sign-ups by browser',
      'Checkout funnel by state',
      'Saved funnel',
      'A saved Insights report',
      'Buyers come back',
      'Top browsers in JQL',
      'Broken events in the last five hours',
    ],
  );
  assert.deepEqual(
    doc.queries.map((q) => q.index),
    [0, 1, 2, 3, 4, 5, 6],
  );
  assert.deepEqual(
    doc.queries.map((q) => q.head?.kind),
    ['segmentation', 'funnel', 'funnel', 'insights', 'retention', 'jql', 'debugger'],
  );
  assert.equal(doc.uses.length, 2);
  assert.deepEqual(
    doc.queries.map((q) => `${q.source?.sourceKind} ${q.source?.target?.value}`),
    [...Array(6).fill('mixpanel shop'), 'piwik site'],
  );
  assert.equal(textOf(ISSUE_EXAMPLE, doc.uses[1].sourceKindSpan), 'piwik');
  assert.equal(textOf(ISSUE_EXAMPLE, doc.uses[1].target?.span), '"site"');
});

test('issue example: the segmentation query, clause by clause', () => {
  const doc = parseAqDocument(ISSUE_EXAMPLE);
  const q = doc.queries[0];
  assert.equal(textOf(ISSUE_EXAMPLE, q.titleSpan), '### Sign-ups by browser');
  assert.ok(q.head?.kind === 'segmentation');
  assert.equal(q.head.event?.value, 'Sign Up');
  assert.equal(textOf(ISSUE_EXAMPLE, q.head.event?.span), '"Sign Up"');
  assert.equal(textOf(ISSUE_EXAMPLE, q.head.keywordSpan), 'segmentation');
  assert.deepEqual(
    q.clauses.map((c) => c.name),
    ['on', 'where', 'from', 'unit', 'type', 'limit', 'chart', 'clean'],
  );
  assert.equal(textOf(ISSUE_EXAMPLE, q.span), ISSUE_EXAMPLE.slice(ISSUE_EXAMPLE.indexOf('### Sign-ups'), ISSUE_EXAMPLE.indexOf('  clean') + 7));

  const on = valueOf(clause(q, 'on'), 'expression').expression;
  assert.deepEqual(
    { type: on.type, scope: on.type === 'property' && on.scope, name: on.type === 'property' && on.name },
    { type: 'property', scope: 'properties', name: '$browser' },
  );
  assert.equal(textOf(ISSUE_EXAMPLE, on.type === 'property' ? on.nameSpan : undefined), '"$browser"');

  const where = valueOf(clause(q, 'where'), 'expression').expression;
  assert.ok(where.type === 'binary' && where.operator === 'and');
  assert.ok(where.left.type === 'binary' && where.left.operator === 'in');
  assert.ok(where.left.right.type === 'list');
  assert.deepEqual(
    where.left.right.items.map((i) => (i.type === 'string' ? i.value : i.type)),
    ['premium', 'team'],
  );
  assert.ok(where.right.type === 'call' && where.right.callee === 'defined');
  assert.equal(textOf(ISSUE_EXAMPLE, where.span), 'properties["plan"] in ["premium", "team"] and defined(properties["utm_source"])');

  const from = valueOf(clause(q, 'from'), 'dateRange');
  assert.equal(from.from?.value, '2026-10-01');
  assert.equal(from.to?.value, '2026-10-31');
  assert.equal(textOf(ISSUE_EXAMPLE, from.to?.span), '2026-10-31');
  assert.equal(valueOf(clause(q, 'unit'), 'word').word.value, 'day');
  assert.equal(valueOf(clause(q, 'type'), 'word').word.value, 'unique');
  assert.equal(valueOf(clause(q, 'limit'), 'number').number.value, 20);
  assert.equal(valueOf(clause(q, 'chart'), 'word').word.value, 'line');
  valueOf(clause(q, 'clean'), 'flag');
  assert.equal(textOf(ISSUE_EXAMPLE, clause(q, 'limit').span), 'limit 20');
  assert.equal(textOf(ISSUE_EXAMPLE, clause(q, 'limit').nameSpan), 'limit');
});

test('issue example: funnels, insights, retention, jql and debugger heads and clauses', () => {
  const doc = parseAqDocument(ISSUE_EXAMPLE);
  const [, funnel, saved, insights, retention, jql, debug] = doc.queries;

  assert.ok(funnel.head?.kind === 'funnel');
  assert.deepEqual(
    funnel.head.steps.map((s) => s.value),
    ['Landed on Homepage', 'Created Account', 'Purchase'],
  );
  assert.equal(funnel.head.savedId, undefined);
  const window = valueOf(clause(funnel, 'window'), 'duration');
  assert.deepEqual([window.count?.value, window.unit?.value], [14, 'days']);
  const last = valueOf(clause(funnel, 'last'), 'duration');
  assert.deepEqual([last.count?.value, last.unit?.value], [30, 'days']);

  assert.ok(saved.head?.kind === 'funnel');
  assert.deepEqual(saved.head.steps, []);
  assert.equal(saved.head.savedId?.value, 7125032);
  assert.equal(saved.head.savedId?.text, '7125032');
  assert.deepEqual([valueOf(clause(saved, 'last'), 'duration').count?.value, valueOf(clause(saved, 'last'), 'duration').unit?.value], [4, 'weeks']);

  assert.ok(insights.head?.kind === 'insights');
  assert.equal(insights.head.bookmarkId?.value, 44012);

  assert.ok(retention.head?.kind === 'retention');
  assert.equal(retention.head.bornEvent?.value, 'Sign Up');
  assert.equal(retention.head.returnEvent?.value, 'Purchase');
  assert.equal(valueOf(clause(retention, 'unit'), 'word').word.value, 'week');
  assert.equal(valueOf(clause(retention, 'interval_count'), 'number').number.value, 8);
  const bornWhere = valueOf(clause(retention, 'born_where'), 'expression').expression;
  assert.ok(bornWhere.type === 'binary' && bornWhere.operator === '==');
  assert.ok(bornWhere.right.type === 'string' && bornWhere.right.value === 'free');

  assert.ok(jql.head?.kind === 'jql');
  assert.equal(jql.head.scriptPath?.value, 'queries/top-browsers.jql');
  const params = valueOf(clause(jql, 'params'), 'json');
  assert.deepEqual(params.value, { event: 'Sign Up' });
  assert.equal(textOf(ISSUE_EXAMPLE, params.span), '{ "event": "Sign Up" }');

  assert.ok(debug.head?.kind === 'debugger');
  assert.equal(debug.head.appId?.value, 'bb338e1a-12f8-5353-ac63-9fd8b1f928a1');
  assert.deepEqual(
    valueOf(clause(debug, 'event_type'), 'wordList').words.map((w) => w.value),
    ['broken'],
  );
  assert.equal(valueOf(clause(debug, 'lookup_window'), 'number').number.value, 300);
  assert.equal(valueOf(clause(debug, 'limit'), 'number').number.value, 20);
  valueOf(clause(debug, 'logs'), 'flag');
});

test('comments: whole lines and after code, but not inside strings', () => {
  const text = '# a file comment\nsegmentation "Sign # Up" # trailing\n  # between clauses\n  where properties["a#b"] == "x" # why\n  last 7 days\n';
  const doc = parseAqDocument(text);
  assert.deepEqual(doc.problems, []);
  assert.deepEqual(
    doc.comments.map((c) => textOf(text, c)),
    ['# a file comment', '# trailing', '# between clauses', '# why'],
  );
  const head = doc.queries[0].head;
  assert.ok(head?.kind === 'segmentation');
  assert.equal(head.event?.value, 'Sign # Up');
  const where = valueOf(clause(doc.queries[0], 'where'), 'expression').expression;
  assert.ok(where.type === 'binary' && where.left.type === 'property' && where.left.name === 'a#b');
});

test('untitled queries, CRLF line ends and tab indentation', () => {
  const text = 'segmentation "A"\r\n\tlast 7 days\r\n\r\nfunnel "A" -> "B"\r\n\tlast 2 weeks\r\n';
  const doc = parseAqDocument(text);
  assert.deepEqual(doc.problems, []);
  assert.equal(doc.queries.length, 2);
  assert.equal(doc.queries[0].title, undefined);
  assert.equal(doc.queries[0].titleSpan, undefined);
  assert.equal(textOf(text, doc.queries[0].span), 'segmentation "A"\r\n\tlast 7 days');
  assert.equal(valueOf(clause(doc.queries[1], 'last'), 'duration').unit?.value, 'weeks');
});

test('a long where continues on lines indented deeper than its keyword', () => {
  const { text, doc, block } = oneQuery('  where properties["plan"] == "free"\n     # a note\n\n      or properties["plan"] == "team"\n  unit week');
  assert.deepEqual(doc.problems, []);
  assert.deepEqual(
    block.clauses.map((c) => c.name),
    ['where', 'unit', 'last'],
  );
  const where = valueOf(block.clauses[0], 'expression').expression;
  assert.ok(where.type === 'binary' && where.operator === 'or');
  assert.ok(textOf(text, block.clauses[0].span)?.endsWith('or properties["plan"] == "team"'));
});

test('json values may span lines and keep comments out', () => {
  const text = 'jql "a.jql"\n  params {\n    "event": "Sign Up", # the event\n    "n": [1, 2]\n  }\n  last 7 days\n';
  const doc = parseAqDocument(text);
  assert.deepEqual(doc.problems, []);
  assert.deepEqual(valueOf(clause(doc.queries[0], 'params'), 'json').value, { event: 'Sign Up', n: [1, 2] });
});

test('bad json is reported at the failing position', () => {
  const text = 'jql "a.jql"\n  params { "event": "Sign Up" "x": 1 }\n  last 7 days\n';
  const doc = parseAqDocument(text);
  assert.deepEqual(codes(doc), ['bad-json']);
  assert.equal(doc.problems[0].span.start, text.indexOf('"x"'));
  assert.equal(valueOf(clause(doc.queries[0], 'params'), 'json').value, undefined);

  const notObject = parseAqDocument('jql "a.jql"\n  params [1]\n  last 7 days\n');
  assert.deepEqual(codes(notObject), ['bad-json']);
});

test('every value shape: flags, words, numbers, date ranges, durations, word lists', () => {
  const { block, doc } = oneQuery('  clean\n  unit hour\n  limit 5\n  chart pie');
  assert.deepEqual(doc.problems, []);
  assert.deepEqual(
    block.clauses.map((c) => c.value.type),
    ['flag', 'word', 'number', 'word', 'duration'],
  );

  const withTime = oneQuery('  from 2026-10-01T08:00 to 2026-10-01T18:30');
  assert.deepEqual(withTime.doc.problems, []);
  const range = valueOf(withTime.block.clauses[0], 'dateRange');
  assert.deepEqual([range.from?.value, range.to?.value], ['2026-10-01T08:00', '2026-10-01T18:30']);

  const list = parseAqDocument('debugger "app"\n  event_type broken, 17,goal\n');
  assert.deepEqual(list.problems, []);
  assert.deepEqual(
    valueOf(list.queries[0].clauses[0], 'wordList').words.map((w) => w.value),
    ['broken', '17', 'goal'],
  );

  const singular = oneQuery('  window 1 day');
  assert.deepEqual(valueOf(singular.block.clauses[0], 'duration').unit?.value, 'day');
});

test('value shape errors have codes and spans', () => {
  const cases: Array<[string, string, string]> = [
    ['  limit many', 'expected-number', 'many'],
    ['  limit 2.5', 'expected-number', '2.5'],
    ['  limit', 'expected-number', ''],
    ['  unit', 'expected-value', ''],
    ['  unit "day"', 'expected-value', '"day"'],
    ['  from 2026-1-5 to 2026-10-31', 'expected-date', '2026-1-5'],
    ['  from 2026-10-01', 'expected-token', ''],
    ['  from 2026-10-01 to', 'expected-date', ''],
    ['  clean please', 'unexpected-token', 'please'],
    ['  unit day week', 'unexpected-token', 'week'],
    ['  window 14 fortnights', 'invalid-unit', 'fortnights'],
    ['  window days', 'expected-number', 'days'],
    ['  window 14', 'expected-unit', ''],
    ['  where', 'expected-expression', ''],
  ];
  for (const [line, code, spanText] of cases) {
    const { text, doc } = oneQuery(line);
    assert.deepEqual(codes(doc), [code], line);
    assert.equal(textOf(text, doc.problems[0].span), spanText, line);
  }
});

test('last accepts days, weeks and months; window minutes, hours and days', () => {
  assert.deepEqual(codes(oneQuery('  window 3 hours').doc), []);
  const hours = parseAqDocument('segmentation "A"\n  last 3 hourz\n');
  assert.deepEqual(codes(hours), ['invalid-unit']);
  const inHours = parseAqDocument('segmentation "A"\n  last 3 hours\n');
  assert.deepEqual(codes(inHours), ['invalid-unit']);
  const typo = parseAqDocument('segmentation "A"\n  last 3 dyas\n');
  assert.equal(typo.problems[0].fixes?.[0].edits[0].newText, 'days');
});

test('unknown clause names parse as invalid values without a problem', () => {
  const { doc, block } = oneQuery('  wher properties["x"] == 1\n    and more');
  assert.deepEqual(doc.problems, []);
  assert.equal(block.clauses[0].name, 'wher');
  assert.deepEqual(block.clauses[0].value, { type: 'invalid' });
  assert.deepEqual(
    block.clauses.map((c) => c.name),
    ['wher', 'last'],
  );
});

test('an unknown query kind suggests the closest one with a quick fix', () => {
  const text = '### T\nsegmentaton "Sign Up"\n  last 7 days\n';
  const doc = parseAqDocument(text);
  assert.deepEqual(codes(doc), ['unknown-query-kind']);
  const problem = doc.problems[0];
  assert.equal(textOf(text, problem.span), 'segmentaton');
  assert.match(problem.message, /segmentation/);
  assert.deepEqual(problem.fixes?.[0].edits, [{ span: problem.span, newText: 'segmentation' }]);
  // The title keeps its query so its clauses are still known.
  assert.equal(doc.queries.length, 1);
  assert.equal(doc.queries[0].head, undefined);
  assert.deepEqual(
    doc.queries[0].clauses.map((c) => c.name),
    ['last'],
  );

  const far = parseAqDocument('xyzzy "a"\n  last 7 days\nfunnel "A" -> "B"\n  last 7 days\n');
  assert.deepEqual(codes(far), ['unknown-query-kind']);
  assert.equal(far.problems[0].fixes, undefined);
  assert.match(far.problems[0].message, /segmentation, funnel, insights, retention, jql, debugger or report/);
  assert.equal(far.queries.length, 1, 'the untitled broken query is skipped, the next one parsed');
});

test('structural problems: title without query, clause outside a query, clause not indented', () => {
  const text = '  last 7 days\n### Lonely\n\n### Real\nsegmentation "A"\nlast 7 days\n### End\n';
  const doc = parseAqDocument(text);
  assert.deepEqual(codes(doc), ['clause-outside-query', 'title-without-query', 'clause-not-indented', 'title-without-query']);
  assert.equal(textOf(text, doc.problems[1].span), '### Lonely');
  assert.equal(textOf(text, doc.problems[3].span), '### End');
  assert.deepEqual(
    doc.queries.map((q) => [q.title, q.head?.kind]),
    [
      ['Lonely', undefined],
      ['Real', 'segmentation'],
      ['End', undefined],
    ],
  );
  assert.deepEqual(
    doc.queries[1].clauses.map((c) => c.name),
    ['last'],
  );
  const unindented = text.indexOf('\nlast 7 days') + 1;
  assert.deepEqual(doc.problems[2].fixes?.[0].edits, [{ span: { start: unindented, end: unindented }, newText: '  ' }]);
});

test('head errors: missing events, ids and arrows', () => {
  const cases: Array<[string, string[]]> = [
    ['segmentation', ['expected-event-name']],
    ['segmentation Sign', ['expected-event-name']],
    ['segmentation "A" "B"', ['unexpected-token']],
    ['funnel "A" ->', ['expected-event-name']],
    ['funnel "A"', ['expected-funnel-step']],
    ['funnel "A" "B"', ['expected-token']],
    ['funnel id', ['expected-number']],
    ['funnel id x7', ['expected-number']],
    ['insights 44012', ['expected-token']],
    ['insights id 1.5', ['expected-number']],
    ['retention "A" -> "B" -> "C"', ['unexpected-token']],
    ['jql', ['expected-string']],
    ['debugger 12', ['expected-string']],
    ['segmentation "Sign Up', ['unterminated-string']],
  ];
  for (const [head, expected] of cases) {
    const doc = parseAqDocument(`${head}\n  last 7 days\n`);
    assert.deepEqual(codes(doc), expected, head);
    assert.equal(doc.queries.length, 1, head);
    assert.equal(doc.queries[0].head?.kind, head.split(' ')[0], head);
  }
  const arrow = parseAqDocument('funnel "A" "B"\n');
  assert.deepEqual(arrow.problems[0].fixes?.[0].edits[0].newText, ' -> ');
  const unterminated = parseAqDocument('segmentation "Sign Up\n');
  const head = unterminated.queries[0].head;
  assert.ok(head?.kind === 'segmentation');
  assert.deepEqual([head.event?.value, head.event?.terminated], ['Sign Up', false]);
});

test('use lines: source kinds, targets and their errors', () => {
  const doc = parseAqDocument('use local "data/shop.ndjson"\nsegmentation "A"\n  last 7 days\n');
  assert.deepEqual(doc.problems, []);
  assert.deepEqual([doc.queries[0].source?.sourceKind, doc.queries[0].source?.target?.value], ['local', 'data/shop.ndjson']);

  const typo = parseAqDocument('use mixpanal "shop"\n');
  assert.deepEqual(codes(typo), ['unknown-source-kind']);
  assert.equal(typo.problems[0].fixes?.[0].edits[0].newText, 'mixpanel');
  assert.equal(typo.uses[0].sourceKind, undefined);
  assert.equal(typo.uses[0].target?.value, 'shop');

  assert.deepEqual(codes(parseAqDocument('use\n')), ['expected-source-kind']);
  assert.deepEqual(codes(parseAqDocument('use piwik site\n')), ['expected-string']);
  assert.deepEqual(codes(parseAqDocument('use piwik "a" "b"\n')), ['unexpected-token']);
  assert.deepEqual(codes(parseAqDocument('### T\nuse piwik "a"\n')), ['title-without-query']);
});

test('several errors in one file; the queries after a broken one are still parsed', () => {
  const text = [
    '### One',
    'segmentation "A"',
    '  where properties["x"] == ',
    '  limit lots',
    '### Two',
    'funel "A" -> "B"',
    '  last 7 days',
    '### Three',
    'retention "Sign Up" -> "Purchase"',
    '  unit week',
    '  last 90 days',
    '',
  ].join('\n');
  const doc = parseAqDocument(text);
  assert.deepEqual(codes(doc), ['expected-expression', 'expected-number', 'unknown-query-kind']);
  assert.deepEqual(
    doc.queries.map((q) => q.title),
    ['One', 'Two', 'Three'],
  );
  const three = doc.queries[2];
  assert.equal(three.head?.kind, 'retention');
  assert.deepEqual(
    three.clauses.map((c) => c.name),
    ['unit', 'last'],
  );
  for (let i = 1; i < doc.problems.length; i++) assert.ok(doc.problems[i - 1].span.start <= doc.problems[i].span.start, 'sorted');
});

test('an empty or blank document has no queries and no problems', () => {
  for (const text of ['', '\n\n', '   \n\t\n', '# only a comment']) {
    const doc = parseAqDocument(text);
    assert.deepEqual([doc.queries.length, doc.problems.length], [0, 0], JSON.stringify(text));
  }
});

test('a 2,000-query file parses completely', () => {
  const block = ISSUE_EXAMPLE.slice(ISSUE_EXAMPLE.indexOf('### Sign-ups'), ISSUE_EXAMPLE.indexOf('use piwik'));
  const text = `use mixpanel "shop"\n${block.repeat(334)}`;
  const doc = parseAqDocument(text);
  assert.equal(doc.queries.length, 334 * 6);
  assert.deepEqual(doc.problems, []);
  assert.equal(doc.queries[2003].index, 2003);
});
