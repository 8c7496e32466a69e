import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildQuerySpec, type BuildQuerySpecOptions } from '../../../server/src/queryContract/buildQuerySpec';
import { parseAqDocument } from '../../../server/src/languageService/parser/queryParser';
import { printExpression } from '../../../server/src/queryContract/printExpression';
import type { QuerySpec } from '../../../server/src/queryContract/querySpec';

/** 2026-03-01 03:00 UTC is still 2026-02-28 (19:00) in Los Angeles. */
const NOW = new Date('2026-03-01T03:00:00Z');
const LA: BuildQuerySpecOptions = { now: NOW, timezone: 'America/Los_Angeles' };

function specOf(text: string, options: BuildQuerySpecOptions = LA, index = 0): QuerySpec {
  const doc = parseAqDocument(text);
  const result = buildQuerySpec(doc.queries[index], options);
  if (!result.ok) assert.fail(`expected a spec, got ${JSON.stringify(result.errors)}`);
  return result.spec;
}

function errorsOf(text: string, options: BuildQuerySpecOptions = LA): Array<{ text: string; message: string }> {
  const doc = parseAqDocument(text);
  const result = buildQuerySpec(doc.queries[0], options);
  assert.equal(result.ok, false, 'expected errors');
  return result.ok ? [] : result.errors.map((e) => ({ text: text.slice(e.span.start, e.span.end), message: e.message }));
}

function rangeOf(dateClause: string, options: BuildQuerySpecOptions = LA): unknown {
  const spec = specOf(`segmentation "A"\n  ${dateClause}\n`, options);
  return spec.kind === 'segmentation' ? spec.range : undefined;
}

test('relative dates resolve in the source time zone, not UTC', () => {
  assert.deepEqual(rangeOf('today'), { from: '2026-02-28', to: '2026-02-28' });
  assert.deepEqual(rangeOf('today', { now: NOW }), { from: '2026-03-01', to: '2026-03-01' }, 'UTC by default');
  assert.deepEqual(rangeOf('today', { now: NOW, timezone: 'Asia/Tokyo' }), { from: '2026-03-01', to: '2026-03-01' });
  assert.deepEqual(rangeOf('yesterday'), { from: '2026-02-27', to: '2026-02-27' });
});

test('last N days is N calendar days ending today; weeks are 7N days', () => {
  assert.deepEqual(rangeOf('last 1 day'), { from: '2026-02-28', to: '2026-02-28' });
  assert.deepEqual(rangeOf('last 7 days'), { from: '2026-02-22', to: '2026-02-28' });
  assert.deepEqual(rangeOf('last 30 days'), { from: '2026-01-30', to: '2026-02-28' });
  assert.deepEqual(rangeOf('last 2 weeks'), { from: '2026-02-15', to: '2026-02-28' });
  assert.deepEqual(rangeOf('last 7 days', { now: NOW, timezone: 'Asia/Tokyo' }), { from: '2026-02-23', to: '2026-03-01' });
});

test('last N months starts the day after the same date N months ago', () => {
  assert.deepEqual(rangeOf('last 1 month'), { from: '2026-01-29', to: '2026-02-28' });
  assert.deepEqual(rangeOf('last 12 months'), { from: '2025-03-01', to: '2026-02-28' });
  assert.deepEqual(rangeOf('last 1 months', { now: new Date('2026-03-31T12:00:00Z') }), { from: '2026-03-01', to: '2026-03-31' }, 'Feb 31 clamps to Feb 28');
  assert.deepEqual(rangeOf('last 12 months', { now: new Date('2028-02-29T12:00:00Z') }), { from: '2027-03-01', to: '2028-02-29' });
  assert.deepEqual(rangeOf('last 3 months', { now: new Date('2026-01-15T12:00:00Z') }), { from: '2025-10-16', to: '2026-01-15' });
});

test('explicit ranges are validated as calendar dates and must not be reversed', () => {
  assert.deepEqual(rangeOf('from 2026-10-01 to 2026-10-31'), { from: '2026-10-01', to: '2026-10-31' });
  assert.deepEqual(rangeOf('from 2024-02-29 to 2024-02-29'), { from: '2024-02-29', to: '2024-02-29' });
  assert.deepEqual(rangeOf('from 2026-10-01T08:00 to 2026-10-02T09:30'), { from: '2026-10-01', to: '2026-10-02' });

  const reversed = errorsOf('segmentation "A"\n  from 2026-10-31 to 2026-10-01\n');
  assert.equal(reversed.length, 1);
  assert.equal(reversed[0].text, '2026-10-31 to 2026-10-01');
  assert.match(reversed[0].message, /before it starts/);

  const notADate = errorsOf('segmentation "A"\n  from 2026-02-30 to 2026-13-01\n');
  assert.deepEqual(
    notADate.map((e) => e.text),
    ['2026-02-30', '2026-13-01'],
  );
  assert.deepEqual(
    errorsOf('segmentation "A"\n  from 2026-10-01T25:00 to 2026-10-02\n').map((e) => e.text),
    ['2026-10-01T25:00'],
  );
});

test('segmentation defaults, title, source and expressions', () => {
  const spec = specOf('use mixpanel "shop"\nsegmentation "Sign Up"\n  last 7 days\n');
  assert.deepEqual(spec, {
    title: 'Query 1',
    index: 0,
    source: { kind: 'mixpanel', name: 'shop' },
    chart: undefined,
    clean: false,
    kind: 'segmentation',
    event: 'Sign Up',
    on: undefined,
    where: undefined,
    range: { from: '2026-02-22', to: '2026-02-28' },
    unit: 'day',
    type: 'general',
    measure: 'count',
    buckets: undefined,
    limit: 60,
  });
  const full = specOf(
    '### Numbers\nsegmentation "Purchase"\n  on properties["price"]\n  where properties["plan"] == "team"\n  measure numeric\n  buckets 5\n  unit hour\n  type unique\n  limit 3\n  chart table\n  clean\n  today\n',
  );
  assert.ok(full.kind === 'segmentation');
  assert.equal(full.title, 'Numbers');
  assert.equal(full.source, undefined);
  assert.deepEqual([full.measure, full.buckets, full.unit, full.type, full.limit, full.chart, full.clean], ['numeric', 5, 'hour', 'unique', 3, 'table', true]);
  assert.equal(full.on && printExpression(full.on), 'properties["price"]');
  assert.equal(full.where && printExpression(full.where), 'properties["plan"] == "team"');
});

test('the default source applies only without a use line; untitled queries are numbered', () => {
  const text = 'segmentation "A"\n  today\nsegmentation "B"\n  today\n';
  const defaultSource = { kind: 'local' as const, name: 'data/events.ndjson' };
  const second = specOf(text, { ...LA, defaultSource }, 1);
  assert.deepEqual(second.source, defaultSource);
  assert.equal(second.title, 'Query 2');
  assert.deepEqual(specOf(`use piwik "site"\n${text}`, { ...LA, defaultSource }).source, { kind: 'piwik', name: 'site' });
});

test('funnel: steps or saved id, window default, limit default', () => {
  const adHoc = specOf('funnel "A" -> "B" -> "C"\n  last 7 days\n');
  assert.ok(adHoc.kind === 'funnel');
  // Without `window`, Mixpanel's default of 7 days; without `reentry`, the default counting.
  assert.deepEqual(
    [adHoc.steps, adHoc.savedId, adHoc.window, adHoc.unit, adHoc.limit, adHoc.reentry],
    [['A', 'B', 'C'], undefined, { count: 7, unit: 'day' }, undefined, 255, 'default'],
  );
  const optimized = specOf('funnel "A" -> "B"\n  last 7 days\n  reentry optimized\n');
  assert.ok(optimized.kind === 'funnel');
  assert.equal(optimized.reentry, 'optimized');

  const saved = specOf('funnel id 7125032\n  last 4 weeks\n  window 2 hours\n  unit week\n');
  assert.ok(saved.kind === 'funnel');
  assert.deepEqual([saved.steps, saved.savedId, saved.window, saved.unit], [[], 7125032, { count: 2, unit: 'hour' }, 'week']);
  const savedNoWindow = specOf('funnel id 1\n  last 4 weeks\n');
  assert.ok(savedNoWindow.kind === 'funnel');
  assert.equal(savedNoWindow.window, undefined, "the saved funnel's own window applies");
});

test('insights: the range is optional', () => {
  const spec = specOf('insights id 44012\n');
  assert.deepEqual(spec.kind === 'insights' && [spec.bookmarkId, spec.range], [44012, undefined]);
  const ranged = specOf('insights id 44012\n  yesterday\n');
  assert.deepEqual(ranged.kind === 'insights' && ranged.range, { from: '2026-02-27', to: '2026-02-27' });
});

test('retention defaults and options', () => {
  const spec = specOf('retention "Sign Up"\n  last 7 days\n');
  assert.ok(spec.kind === 'retention');
  assert.deepEqual(
    [spec.bornEvent, spec.returnEvent, spec.unit, spec.intervalCount, spec.retentionType, spec.bornWhere],
    ['Sign Up', undefined, 'day', 1, 'birth', undefined],
  );
  const full = specOf(
    'retention "Sign Up" -> "Purchase"\n  unit week\n  interval_count 8\n  retention_type compounded\n  born_where properties["plan"] == "free"\n  last 90 days\n',
  );
  assert.ok(full.kind === 'retention');
  assert.deepEqual([full.returnEvent, full.unit, full.intervalCount, full.retentionType], ['Purchase', 'week', 8, 'compounded']);
  assert.equal(full.bornWhere && printExpression(full.bornWhere), 'properties["plan"] == "free"');
});

test('jql: params carry from_date and to_date beside the params object', () => {
  const spec = specOf('jql "queries/top.jql"\n  params { "event": "Sign Up", "from_date": "ignored" }\n  last 7 days\n');
  assert.ok(spec.kind === 'jql');
  assert.equal(spec.scriptPath, 'queries/top.jql');
  assert.deepEqual(spec.params, { event: 'Sign Up', from_date: '2026-02-22', to_date: '2026-02-28' });
  const noParams = specOf('jql "a.jql"\n  today\n');
  assert.deepEqual(noParams.kind === 'jql' && noParams.params, { from_date: '2026-02-28', to_date: '2026-02-28' });
});

test('debugger: event type names become codes; defaults for window and limit', () => {
  const spec = specOf('debugger "app"\n  event_type broken, goal, 17, 4\n');
  assert.ok(spec.kind === 'debugger');
  assert.deepEqual([spec.appId, spec.eventTypes, spec.lookupWindow, spec.limit, spec.logs], ['app', [17, 8, 4], 30, 100, false]);
  const none = specOf('debugger "app"\n  logs\n  lookup_window 5\n');
  assert.ok(none.kind === 'debugger');
  assert.deepEqual([none.eventTypes, none.lookupWindow, none.logs], [[], 5, true]);
  assert.deepEqual(
    errorsOf('debugger "app"\n  event_type brokn\n').map((e) => e.text),
    ['brokn'],
  );
});

test('what a run cannot do without comes back as errors with spans', () => {
  assert.match(errorsOf('segmentation "A"\n')[0].message, /needs a date range/);
  assert.match(errorsOf('funnel "A" -> "B"\n  unit day\n')[0].message, /needs a date range/);
  assert.match(errorsOf('jql "a.jql"\n')[0].message, /needs a date range/);
  assert.deepEqual(
    errorsOf('segmentation "A"\n  today\n  last 7 days\n').map((e) => e.text),
    ['last 7 days'],
  );
  assert.deepEqual(
    errorsOf('segmentation "A"\n  today\n', { now: NOW, timezone: 'Mars/Olympus' }).map((e) => e.text),
    ['today'],
  );
  assert.deepEqual(
    errorsOf('segmentation "A"\n  today\n  event_type goal\n').map((e) => e.text),
    ['event_type'],
  );
  assert.deepEqual(
    errorsOf('segmentation "A"\n  today\n  limit 1\n  limit 2\n').map((e) => e.text),
    ['limit'],
  );
  assert.deepEqual(
    errorsOf('segmentation "A"\n  today\n  limt 1\n').map((e) => e.text),
    ['limt'],
  );
  assert.deepEqual(
    errorsOf('segmentation "A"\n  today\n  unit fortnight\n').map((e) => e.text),
    ['fortnight'],
  );
  assert.deepEqual(
    errorsOf('segmentation "A"\n  today\n  limit 0\n').map((e) => e.text),
    ['0'],
  );
  assert.deepEqual(errorsOf('segmentation "A"\n  today\n  where properties["x"] ==\n').length, 1);
  assert.match(errorsOf('segmentation "A"\n  today\n  measure sum\n')[0].message, /'on'/);
  assert.match(errorsOf('funnel "A" -> "B"\n  today\n  window 2 weeks\n')[0].message, /window/);
  assert.match(errorsOf('retention "A"\n  today\n  unit hour\n')[0].message, /day, week or month/);
  assert.match(errorsOf('### Lonely\n')[0].message, /no head/);
  assert.deepEqual(
    errorsOf('jql "a.jql"\n  params { "a": }\n  today\n').map((e) => e.text),
    ['params { "a": }'],
  );
  assert.match(errorsOf('use mixpanal "shop"\nsegmentation "A"\n  today\n')[0].message, /incomplete/);
  assert.match(errorsOf('segmentation\n  today\n')[0].message, /event name/);
});

test('every query of the issue example builds', () => {
  const text = [
    'use mixpanel "shop"',
    'segmentation "Sign Up"',
    '  on properties["$browser"]',
    '  where properties["plan"] in ["premium", "team"] and defined(properties["utm_source"])',
    '  from 2026-10-01 to 2026-10-31',
    '  unit day',
    '  type unique',
    '  limit 20',
    '  chart line',
    '  clean',
    'funnel "Landed on Homepage" -> "Created Account" -> "Purchase"',
    '  on properties["State"]',
    '  window 14 days',
    '  last 30 days',
    'use piwik "site"',
    'debugger "bb338e1a-12f8-5353-ac63-9fd8b1f928a1"',
    '  event_type broken',
    '  lookup_window 300',
    '  limit 20',
    '  logs',
  ].join('\n');
  const doc = parseAqDocument(text);
  assert.deepEqual(doc.problems, []);
  for (const block of doc.queries) assert.equal(buildQuerySpec(block, LA).ok, true, `query ${block.index}`);
  const debug = specOf(text, LA, 2);
  assert.deepEqual(debug.kind === 'debugger' && [debug.eventTypes, debug.lookupWindow, debug.limit, debug.logs], [[17], 300, 20, true]);
});
