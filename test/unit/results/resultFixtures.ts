// Small hand-made results, one per data kind, shared by the transform tests.
import type { QueryResult, ResultData } from '../../../server/src/protocol/resultModel';

export function makeResult(data: ResultData, overrides: Partial<QueryResult> = {}): QueryResult {
  return {
    title: 'Signups by country',
    queryKind: 'segmentation',
    source: { kind: 'local', name: 'sample' },
    range: { from: '2024-03-01', to: '2024-03-03' },
    cleaned: false,
    data,
    meta: { computedAt: '2024-03-04T10:00:00.000Z', durationMs: 812, rowCount: 3, seriesCount: 3, warnings: [] },
    ...overrides,
  };
}

export const seriesData: ResultData = {
  kind: 'series',
  unit: 'day',
  measure: 'general',
  dates: ['2024-03-01', '2024-03-02', '2024-03-03'],
  series: [
    { segment: 'France', values: [1200, 30, 4], total: 1234 },
    { segment: 'undefined', values: [5, 0, 1], total: 6 },
    { segment: '=HYPERLINK("http://evil")', values: [1, 1, 0], total: 2 },
    { segment: '', values: [0, 1, 0], total: 1 },
  ],
};

export const funnelData: ResultData = {
  kind: 'funnel',
  steps: ['Signup', 'Purchase'],
  window: { count: 7, unit: 'day' },
  segments: [
    { segment: null, counts: [200, 50], overallConversion: [1, 0.25], stepConversion: [1, 0.25], avgTimeSeconds: [null, 3600] },
    { segment: 'iOS', counts: [120, 40], overallConversion: [1, 1 / 3], stepConversion: [1, 1 / 3], avgTimeSeconds: [null, 1800] },
    { segment: 'undefined', counts: [80, 10], overallConversion: [1, 0.125], stepConversion: [1, 0.125], avgTimeSeconds: [null, 7200] },
  ],
};

/** A funnel with `unit day`: the whole range, then one funnel per entry date. */
export const datedFunnelData: ResultData = {
  kind: 'funnel',
  steps: ['Signup', 'Purchase'],
  window: { count: 7, unit: 'day' },
  segments: [{ segment: null, counts: [10, 4], overallConversion: [1, 0.4], stepConversion: [1, 0.4], avgTimeSeconds: [null, 600] }],
  unit: 'day',
  byDate: [
    { date: '2024-03-01', segments: [{ segment: null, counts: [4, 1], overallConversion: [1, 0.25], stepConversion: [1, 0.25], avgTimeSeconds: [null, 900] }] },
    { date: '2024-03-02', segments: [{ segment: null, counts: [8, 6], overallConversion: [1, 0.75], stepConversion: [1, 0.75], avgTimeSeconds: [null, 300] }] },
  ],
};

export const retentionData: ResultData = {
  kind: 'retention',
  unit: 'week',
  retentionType: 'birth',
  cohorts: [
    { date: '2024-03-04', size: 100, retained: [100, 40, 25], segment: null },
    { date: '2024-03-11', size: 80, retained: [80, 20], segment: null },
  ],
};

export const rowsData: ResultData = {
  kind: 'rows',
  columns: [
    { name: 'event', type: 'string' },
    { name: 'count', type: 'number' },
    { name: 'paid', type: 'boolean' },
  ],
  rows: [
    ['Sign, up', 1500, true],
    ['Say "hi"', -3, false],
    [null, 0.5, null],
  ],
};

export const debuggerData: ResultData = {
  kind: 'debugger',
  sessions: [
    {
      sessionId: '9007199254740993',
      visitorId: 'a1b2',
      serverTime: '2024-03-01T10:00:00Z',
      updatedAt: '2024-03-01T10:05:00Z',
      entryUrl: 'https://shop.example/',
      totalEvents: 2,
      fields: {},
      events: [
        {
          eventId: '1',
          index: 0,
          serverTime: '2024-03-01T10:00:00Z',
          type: { code: 1, label: 'Page view' },
          url: 'https://shop.example/',
          title: 'Home',
          fields: {},
        },
        {
          eventId: '2',
          index: 1,
          serverTime: '2024-03-01T10:01:00Z',
          type: { code: 17, label: 'Broken event' },
          errorMessage: 'Missing parameter: idsite',
          fields: {},
          logs: [{ request: '/ppms.php?rec=1' }],
        },
      ],
    },
  ],
};
