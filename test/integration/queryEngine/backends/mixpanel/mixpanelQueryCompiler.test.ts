/**
 * The pure parts of the Mixpanel backend: which call a spec compiles to, and how the documented
 * response shapes (docs/api-notes.md) become results — including shapes the fake does not serve.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FunnelData, RetentionData, SeriesData } from '../../../../../server/src/protocol/resultModel';
import type { MixpanelSourceConfig } from '../../../../../server/src/queryEngine/analyticsBackend';
import { isBackendError } from '../../../../../server/src/queryEngine/backendErrors';
import { jqlOutputToRows } from '../../../../../server/src/queryEngine/backends/local/jqlOutputToRows';
import { compileMixpanelQuery } from '../../../../../server/src/queryEngine/backends/mixpanel/mixpanelQueryCompiler';
import { mixpanelResponseToData } from '../../../../../server/src/queryEngine/backends/mixpanel/mixpanelResults';
import { debuggerSpec, equals, funnel, insights, property, retention, segmentation } from '../backendTestKit';

const SOURCE: MixpanelSourceConfig = { kind: 'mixpanel', name: 'shop', projectId: 123, region: 'EU', workspaceId: 9 };
const converters = { jqlOutputToRows };

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(isBackendError(error) && error.kind === 'config');
    return error.message;
  }
  throw new Error('expected a config error');
}

describe('compileMixpanelQuery', () => {
  it('segmentation: documented parameters, expressions printed, limit only with on', () => {
    const { call } = compileMixpanelQuery(segmentation({ on: property('browser'), where: equals('plan', 'pro'), type: 'unique', limit: 5 }), SOURCE);
    assert.equal(call.path, '/api/query/segmentation');
    assert.deepEqual(call.query, {
      project_id: '123',
      workspace_id: '9',
      event: 'Sign Up',
      from_date: '2026-10-01',
      to_date: '2026-10-03',
      on: 'properties["browser"]',
      where: 'properties["plan"] == "pro"',
      unit: 'day',
      type: 'unique',
      limit: '5',
    });
    assert.equal(compileMixpanelQuery(segmentation(), SOURCE).call.query.limit, undefined);
  });

  it('sum/average/numeric need `on`; average has no week unit', () => {
    assert.match(
      configError(() => compileMixpanelQuery(segmentation({ measure: 'sum' }), SOURCE)),
      /needs an `on` expression/,
    );
    assert.match(
      configError(() => compileMixpanelQuery(segmentation({ measure: 'average', on: property('amount'), unit: 'week' }), SOURCE)),
      /hour and day/,
    );
    const monthlySum = compileMixpanelQuery(segmentation({ measure: 'sum', on: property('amount'), unit: 'month' }), SOURCE);
    assert.equal(monthlySum.call.path, '/api/query/segmentation/sum');
    assert.equal(monthlySum.call.query.unit, 'day');
    assert.equal(monthlySum.regroup, 'month');
  });

  it('saved funnel with a window; retention; insights', () => {
    const saved = compileMixpanelQuery(funnel({ window: { count: 14, unit: 'day' } }), SOURCE).call;
    assert.equal(saved.query.length, '14');
    assert.equal(saved.query.length_unit, 'day');
    const kept = compileMixpanelQuery(retention({ bornWhere: equals('plan', 'free'), returnEvent: undefined }), SOURCE).call;
    assert.equal(kept.query.born_where, 'properties["plan"] == "free"');
    assert.equal(kept.query.event, undefined, 'no return event: any event counts');
    assert.equal(compileMixpanelQuery(insights(), SOURCE).call.query.bookmark_id, '44');
  });

  it('an ad-hoc funnel without the JQL compiler, and a debugger query, are config errors', () => {
    assert.match(
      configError(() => compileMixpanelQuery(funnel({ savedId: undefined, steps: ['A', 'B'] }), SOURCE)),
      /funnel-to-JQL/,
    );
    assert.match(
      configError(() => compileMixpanelQuery(debuggerSpec(), SOURCE)),
      /Piwik PRO/,
    );
  });
});

describe('mixpanelResponseToData', () => {
  it('numeric buckets become one series per bucket', () => {
    const spec = segmentation({ measure: 'numeric', on: property('amount') });
    const compiled = compileMixpanelQuery(spec, SOURCE);
    const data = mixpanelResponseToData(
      {
        data: {
          series: ['2026-10-02', '2026-10-01'],
          values: { '0 - 25': { '2026-10-01': 1, '2026-10-02': 0 }, '25 - 50': { '2026-10-01': 2, '2026-10-02': 3 } },
        },
        legend_size: 2,
      },
      spec,
      compiled,
      converters,
    ) as SeriesData;
    assert.deepEqual(data.dates, ['2026-10-01', '2026-10-02']);
    assert.deepEqual(
      data.series.map((s) => [s.segment, s.values]),
      [
        ['25 - 50', [2, 3]],
        ['0 - 25', [1, 0]],
      ],
    );
    assert.equal(data.measure, 'numeric');
  });

  it('hourly labels become YYYY-MM-DDTHH:MM; clean drops empty segments', () => {
    const spec = segmentation({ unit: 'hour', on: property('browser'), clean: true });
    const compiled = compileMixpanelQuery(spec, SOURCE);
    const data = mixpanelResponseToData(
      {
        data: {
          series: ['2026-10-01 11:00:00', '2026-10-01 10:00:00'],
          values: { Chrome: { '2026-10-01 10:00:00': 1, '2026-10-01 11:00:00': 0 }, undefined: { '2026-10-01 10:00:00': 4, '2026-10-01 11:00:00': 4 } },
        },
      },
      spec,
      compiled,
      converters,
    ) as SeriesData;
    assert.deepEqual(data.dates, ['2026-10-01T10:00', '2026-10-01T11:00']);
    assert.deepEqual(
      data.series.map((s) => s.segment),
      ['Chrome'],
    );
  });

  it('the documented /funnels example, custom-event step labels included', () => {
    const spec = funnel();
    const data = mixpanelResponseToData(
      {
        meta: { dates: ['2016-09-12'] },
        data: {
          '2016-09-12': {
            steps: [
              { count: 32688, avg_time: null, step_conv_ratio: 1, overall_conv_ratio: 1, goal: 'App Open', event: 'App Open' },
              {
                count: 20524,
                avg_time: 133,
                step_conv_ratio: 0.63,
                overall_conv_ratio: 0.63,
                goal: '$custom_event:12345',
                step_label: 'Game Played',
                event: '$custom_event:12345',
              },
            ],
            analysis: { completion: 20524, starting_amount: 32688, steps: 2, worst: 1 },
          },
        },
      },
      spec,
      compileMixpanelQuery(spec, SOURCE),
      converters,
    ) as FunnelData;
    assert.deepEqual(data.steps, ['App Open', 'Game Played']);
    assert.deepEqual(data.segments[0].counts, [32688, 20524]);
    assert.deepEqual(data.segments[0].avgTimeSeconds, [null, 133]);
    assert.equal(data.segments[0].stepConversion[1], 20524 / 32688);
  });

  it('segmented retention nests cohorts under segment values', () => {
    const spec = retention({ on: property('browser') });
    const data = mixpanelResponseToData(
      { Chrome: { '2026-10-01': { counts: [1, 1], first: 1 } }, Firefox: { '2026-10-01': { counts: [1, 0], first: 1 } } },
      spec,
      compileMixpanelQuery(spec, SOURCE),
      converters,
    ) as RetentionData;
    assert.deepEqual(
      data.cohorts.map((c) => [c.segment, c.size, c.retained]),
      [
        ['Chrome', 1, [1, 1]],
        ['Firefox', 1, [1, 0]],
      ],
    );
  });

  it('insights with two headers: one series per path, $overall levels left out', () => {
    const spec = insights();
    const data = mixpanelResponseToData(
      {
        headers: ['$event', 'browser'],
        series: {
          'Logged in': {
            $overall: { '2020-08-31T00:00:00-07:00': 10, '2020-09-01T00:00:00-07:00': 5 },
            Chrome: { '2020-08-31T00:00:00-07:00': 7, '2020-09-01T00:00:00-07:00': 5 },
          },
        },
      },
      spec,
      compileMixpanelQuery(spec, SOURCE),
      converters,
    ) as SeriesData;
    assert.deepEqual(data.dates, ['2020-08-31', '2020-09-01']);
    assert.deepEqual(
      data.series.map((s) => [s.segment, s.values]),
      [
        ['Logged in', [10, 5]],
        ['Logged in / Chrome', [7, 5]],
      ],
    );
  });

  it('an answer in the wrong shape → badResponse, not a crash', () => {
    const spec = segmentation();
    try {
      mixpanelResponseToData({ unexpected: true }, spec, compileMixpanelQuery(spec, SOURCE), converters);
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(isBackendError(error) && error.kind === 'badResponse');
    }
  });
});
