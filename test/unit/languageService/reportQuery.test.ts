/**
 * `report` queries in the language core: parsing the Piwik PRO clauses, the spec they build, and
 * completion, hover and lint of column ids against a website's listing or the bundled catalogue.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAqLanguageService } from '../../../server/src/languageService/analyticsLanguageService';
import type { AnalyticsSchema } from '../../../server/src/languageService/analyticsTypes';
import { parseAqDocument } from '../../../server/src/languageService/parser/queryParser';
import { buildQuerySpec } from '../../../server/src/queryContract/buildQuerySpec';
import { piwikColumnsFromListing } from '../../../server/src/queryContract/piwikColumns';
import type { ReportSpec } from '../../../server/src/queryContract/querySpec';
import { acceptCompletion, caret } from './languageServiceHelpers';

const service = getAqLanguageService();

const CONTRACT_EXAMPLE = `use piwik "site"

### Sessions by channel
report "WEBSITE_ID"
  dimensions source_medium, device_type
  metrics sessions, visitors, bounce_rate
  where device_type == "desktop"
  having sessions > 10
  order sessions desc
  limit 100
  from 2026-11-01 to 2026-11-30
`;

/** A website listing with one custom dimension the bundled catalogue does not have. */
const LISTED: AnalyticsSchema = {
  events: {},
  userProperties: {},
  piwikColumns: piwikColumnsFromListing(
    [
      {
        column_id: 'source_medium',
        column_meta: { column_name: 'Source/Medium', column_type: 'str', scope: 'session' },
        available_transformations: { dimension_to_metric: [{ transformation_id: 'unique_count' }], dimension_to_dimension: [] },
      },
      { column_id: 'device_type', column_meta: { column_name: 'Device type', column_type: 'int' }, enum_values: { '0': 'Desktop', '1': 'Smartphone' } },
      { column_id: 'event_custom_dimension_1', column_meta: { column_name: 'Plan', column_type: 'str', description: 'The customer plan.' } },
      {
        column_id: 'revenue',
        column_meta: { column_name: 'Revenue', column_type: 'float' },
        available_transformations: { dimension_to_metric: [{ transformation_id: 'sum' }] },
      },
    ],
    [
      { column_id: 'sessions', column_meta: { column_name: 'Sessions', column_type: 'int' } },
      { column_id: 'visitors', column_meta: { column_name: 'Visitors', column_type: 'int' } },
    ],
  ),
};

function lint(text: string, schema?: AnalyticsSchema) {
  return service.validate(service.parse(text), text, () => schema);
}

function report(clauses: string): string {
  return `use piwik "site"\nreport "W"\n${clauses}\n  last 7 days\n`;
}

function spec(text: string): ReportSpec {
  const built = buildQuerySpec(parseAqDocument(text).queries[0], { now: new Date('2026-12-06T10:00:00Z'), timezone: 'Europe/Warsaw' });
  assert.ok(built.ok, JSON.stringify(!built.ok && built.errors.map((e) => e.message)));
  return built.spec as ReportSpec;
}

describe('report: syntax and spec', () => {
  it('parses the contract example without a problem and builds its spec', () => {
    assert.deepEqual(parseAqDocument(CONTRACT_EXAMPLE).problems, []);
    assert.deepEqual(lint(CONTRACT_EXAMPLE), []);
    const built = spec(CONTRACT_EXAMPLE);
    assert.equal(built.websiteId, 'WEBSITE_ID');
    assert.deepEqual(
      built.dimensions.map((c) => c.columnId),
      ['source_medium', 'device_type'],
    );
    assert.deepEqual(
      built.metrics.map((c) => c.columnId),
      ['sessions', 'visitors', 'bounce_rate'],
    );
    assert.equal(built.where?.operator, 'and');
    const [condition] = built.where!.conditions as Array<{ column: { columnId: string }; operator: string; value: unknown }>;
    assert.deepEqual([condition.column.columnId, condition.operator, condition.value], ['device_type', 'eq', 'desktop']);
    assert.deepEqual(built.order, { index: 2, direction: 'desc' });
    assert.equal(built.limit, 100);
    assert.deepEqual(built.range, { from: '2026-11-01', to: '2026-11-30' });
  });

  it('nests and/or as written, and takes the Piwik PRO operators and empty tests', () => {
    const built = spec(report('  metrics sessions\n  where event_url contains "/blog" and (device_type != "tablet" or campaign_name not_empty)'));
    const [first, group] = built.where!.conditions as unknown as [
      { operator: string; value: unknown },
      { operator: string; conditions: Array<{ operator: string; value: unknown }> },
    ];
    assert.equal(built.where!.operator, 'and');
    assert.deepEqual([first.operator, first.value], ['contains', '/blog']);
    assert.equal(group.operator, 'or');
    assert.deepEqual(
      group.conditions.map((c) => [c.operator, c.value]),
      [
        ['neq', 'tablet'],
        ['not_empty', null],
      ],
    );
  });

  it('resolves last N days and yesterday in the given time zone', () => {
    // 10:00 UTC on Dec 6 is 11:00 in Warsaw: the same day.
    assert.deepEqual(spec(report('  metrics sessions')).range, { from: '2026-11-30', to: '2026-12-06' });
    assert.deepEqual(spec(report('  metrics sessions').replace('last 7 days', 'yesterday')).range, { from: '2026-12-05', to: '2026-12-05' });
  });

  it('orders by the time column with unit, which comes first', () => {
    const built = spec(report('  dimensions device_type\n  metrics sessions\n  unit quarter\n  order timestamp asc'));
    assert.equal(built.unit, 'quarter');
    assert.deepEqual(built.order, { index: 0, direction: 'asc' });
  });

  it('refuses a run it cannot express, with the reason', () => {
    const text = report('  metrics sessions\n  order visitors desc\n  having sessions contains "x"');
    const built = buildQuerySpec(parseAqDocument(text).queries[0], { now: new Date('2026-12-06T10:00:00Z') });
    assert.equal(built.ok, false);
    const messages = !built.ok ? built.errors.map((e) => e.message).join('\n') : '';
    assert.match(messages, /'order' sorts by a column of the report/);
    assert.match(messages, /'having' compares metrics with ==/);
  });

  it('reports a broken condition where it is', () => {
    const text = report('  metrics sessions\n  where device_type ==');
    const problems = parseAqDocument(text).problems;
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /Expected a value after '=='/);
  });
});

describe('report: lint', () => {
  it('checks columns against the bundled catalogue offline, as warnings for unknown names', () => {
    const found = lint(report('  dimensions source_medium, sessions\n  metrics sesions, browser_name, median(source_medium)\n  where device_type == "desktp"'));
    const byCode = found.map((d) => `${d.severity} ${d.code}`);
    assert.deepEqual(byCode, [
      'error wrong-column-kind',
      'warning unknown-column',
      'error wrong-column-kind',
      'error unsupported-transformation',
      'error unknown-column-value',
    ]);
    assert.match(found[1].message, /Did you mean 'sessions'/);
    assert.equal(found[1].fixes?.[0].edits[0].newText, 'sessions');
    assert.match(found[4].message, /Did you mean "Desktop"/);
  });

  it("checks columns against the website's listing, where an unknown name is an error", () => {
    const found = lint(report('  dimensions event_custom_dimension_1, browser_name\n  metrics sum(revenue), sessions'), LISTED);
    assert.deepEqual(
      found.map((d) => [d.severity, d.code]),
      [['error', 'unknown-column']],
    );
    assert.match(found[0].message, /Unknown Piwik PRO column 'browser_name'/);
  });

  it('needs columns', () => {
    assert.deepEqual(
      lint(report('  unit day')).map((d) => d.code),
      ['missing-columns'],
    );
  });

  it('runs on Piwik PRO only', () => {
    const found = lint('use mixpanel "shop"\nreport "W"\n  metrics sessions\n  last 7 days\n');
    assert.deepEqual(
      found.map((d) => d.code),
      ['wrong-source-kind'],
    );
  });
});

describe('report: completion and hover', () => {
  it('offers dimensions under dimensions and metrics under metrics, from the listing', () => {
    const { text, offset } = caret(report('  dimensions source_medium, ev|\n  metrics sessions'));
    const items = service.complete(service.parse(text), text, offset, () => LISTED);
    assert.deepEqual(
      items.map((i) => i.label),
      ['device_type', 'event_custom_dimension_1', 'revenue'],
    );
    const plan = items.find((i) => i.label === 'event_custom_dimension_1')!;
    assert.equal(acceptCompletion(text, offset, plan).split('\n')[2], '  dimensions source_medium, event_custom_dimension_1');
    const metrics = caret(report('  metrics |'));
    assert.deepEqual(
      service.complete(service.parse(metrics.text), metrics.text, metrics.offset, () => LISTED).map((i) => i.label),
      ['sessions', 'visitors'],
    );
  });

  it('offers the dimensions a transformation applies to inside a call', () => {
    const { text, offset } = caret(report('  metrics sum(|)'));
    assert.deepEqual(
      service.complete(service.parse(text), text, offset, () => LISTED).map((i) => i.label),
      ['revenue'],
    );
  });

  it("offers an enumerated dimension's names as where values", () => {
    const { text, offset } = caret(report('  metrics sessions\n  where device_type == |'));
    const items = service.complete(service.parse(text), text, offset, () => LISTED);
    assert.deepEqual(
      items.map((i) => i.label),
      ['"Desktop"', '"Smartphone"'],
    );
  });

  it('offers standard columns offline', () => {
    const { text, offset } = caret(report('  dimensions source_med|'));
    const labels = service.complete(service.parse(text), text, offset, () => undefined).map((i) => i.label);
    assert.ok(labels.includes('source_medium'));
    assert.ok(!labels.includes('sessions'));
  });

  it('describes a column on hover: name, type, scope, description', () => {
    const { text, offset } = caret(report('  dimensions event_custom_dim|ension_1\n  metrics sessions'));
    const info = service.hover(service.parse(text), text, offset, () => LISTED);
    assert.ok(info);
    assert.equal(text.slice(info.span.start, info.span.end), 'event_custom_dimension_1');
    assert.match(info.markdown, /\*\*Plan\*\* `event_custom_dimension_1` — dimension/);
    assert.match(info.markdown, /type str/);
    assert.match(info.markdown, /The customer plan\./);
  });
});
