/**
 * Funnel conformance: one tiny dataset per behaviour Mixpanel documents, each expected number
 * worked by hand from the quoted sentence (never taken from a run of aq). Every case runs on the
 * local engine and as the JQL aq sends to Mixpanel for an ad-hoc funnel (on the local JQL runtime);
 * both must give the documented answer.
 *
 * Pages (Mixpanel's docs, https://docs.mixpanel.com):
 *   ADVANCED = /docs/reports/funnels/funnels-advanced
 *   FAQ      = /docs/reports/funnels/funnels-faq
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { FunnelSpec } from '../../server/src/queryContract/querySpec';
import type { FunnelData } from '../../server/src/protocol/resultModel';
import { runLocalFunnel } from '../../server/src/queryEngine/backends/local/localFunnel';
import { disposeJqlWorkers, runJql } from '../../server/src/queryEngine/backends/local/jql/jqlRuntime';
import { compileFunnelToJql, funnelJqlOutputToData } from '../../server/src/queryEngine/funnelToJql';
import { datasetOf, expr, funnel, type EventRow } from '../unit/queryEngine/backends/local/localFixtures';

const folder = mkdtempSync(join(tmpdir(), 'aq-funnel-conformance-'));
let fileCount = 0;
after(() => {
  disposeJqlWorkers();
  rmSync(folder, { recursive: true, force: true });
});

const DAY = { from: '2026-10-01', to: '2026-10-01' };
const HOUR_WINDOW = { count: 1, unit: 'hour' as const };
const at = (time: string): string => `2026-10-01T${time}`;

/** Runs the funnel on the local engine and as generated JQL; both must agree, and the local answer is returned. */
async function runBoth(rows: EventRow[], overrides: Partial<FunnelSpec> & Pick<FunnelSpec, 'steps'>): Promise<FunnelData> {
  const spec = funnel({ range: DAY, window: HOUR_WINDOW, ...overrides });
  const local = runLocalFunnel(datasetOf(rows), spec);
  const dataPath = join(folder, `events-${fileCount++}.ndjson`);
  writeFileSync(
    dataPath,
    rows
      .map(([event, user, iso, properties = {}]) => JSON.stringify({ event, properties: { time: Date.parse(`${iso}Z`), distinct_id: user, ...properties } }))
      .join('\n') + '\n',
  );
  const { script, params } = compileFunnelToJql(spec);
  const { output } = await runJql({ script, params, dataPath });
  assert.deepEqual(funnelJqlOutputToData(output, spec), local, 'the generated JQL must count as the local engine does');
  return local;
}

const overall = (data: FunnelData): FunnelData['segments'][number] => data.segments[0];

describe('conversion window (ADVANCED, "Conversion Window")', () => {
  // "Keep in mind that the conversion window starts on the first instance of the Step 1 event per
  // funnel entry, and will not be updated by later instances of the same event in the same funnel entry."
  // "This user enters the funnel when they first track Event A at 1:00 pm. They convert through Event B
  // at 1:45 pm, and then time out of the funnel. They do not show as converting through Event C"
  test('a second A does not reset the window: A 1:00, A 1:30, B 1:45, C 2:15 with 1 hour reaches B only', async () => {
    const rows: EventRow[] = [
      ['A', 'u', at('13:00:00')],
      ['A', 'u', at('13:30:00')],
      ['B', 'u', at('13:45:00')],
      ['C', 'u', at('14:15:00')],
    ];
    const data = await runBoth(rows, { steps: ['A', 'B', 'C'] });
    assert.deepEqual(overall(data).counts, [1, 1, 0]);
    // Time to B is measured from the entry at 1:00 pm, not from the 1:30 pm A: 45 minutes.
    assert.equal(overall(data).avgTimeSeconds[1], 45 * 60);
  });

  // "By default, all customers have 7 days to complete a funnel from the timestamp they perform the Step 1 event."
  test('without `window`, the window is 7 days', async () => {
    const rows: EventRow[] = [
      ['A', 'in', at('10:00:00')],
      ['B', 'in', '2026-10-08T10:00:00'],
      ['A', 'late', at('10:00:00')],
      ['B', 'late', '2026-10-08T10:00:01'],
    ];
    const data = await runBoth(rows, { steps: ['A', 'B'], window: undefined });
    assert.deepEqual(data.window, { count: 7, unit: 'day' });
    assert.deepEqual(overall(data).counts, [2, 1]);
  });
});

describe('re-entry, default mode and Optimized Re-entry (ADVANCED, "Optimized Re-entry")', () => {
  // Scenario 1 — "Event Stream: A -> Conversion Window Ends for A Ends -> A^ -> B"
  const scenario1: EventRow[] = [
    ['A', 'u', at('10:00:00')],
    ['A', 'u', at('11:30:00')],
    ['B', 'u', at('11:45:00')],
  ];
  // Scenario 2 — "Event Stream: A -> A^ -> Conversion Window for A Ends -> B"
  const scenario2: EventRow[] = [
    ['A', 'u', at('10:00:00')],
    ['A', 'u', at('10:40:00')],
    ['B', 'u', at('11:20:00')],
  ];

  // "Since event A occurred first and did not convert within its window, we count the user as not
  // converted. This mode only considers the user's first funnel entry."
  test('Scenario 1, default mode: not converted', async () => {
    assert.deepEqual(overall(await runBoth(scenario1, { steps: ['A', 'B'] })).counts, [1, 0]);
  });

  // "We treat A^ → B as a valid conversion because A^ initiates a new funnel which converts within its
  // active conversion window. Therefore, we count the user as converted."
  // The drop-off of A counts as an entry, as Scenario 2 counts it: 2 entries, 1 conversion.
  test('Scenario 1, optimized re-entry: converted', async () => {
    const data = await runBoth(scenario1, { steps: ['A', 'B'], reentry: 'optimized' });
    assert.deepEqual(overall(data).counts, [2, 1]);
    assert.equal(overall(data).avgTimeSeconds[1], 15 * 60);
  });

  // "We only evaluate the first funnel entry (A), which did not convert. The conversion rate would be
  // 0% from the drop-off for A since A^ is ignored."
  test('Scenario 2, default mode: 0%', async () => {
    const data = await runBoth(scenario2, { steps: ['A', 'B'] });
    assert.deepEqual(overall(data).counts, [1, 0]);
    assert.equal(overall(data).overallConversion[1], 0);
  });

  // "The conversion rate would be 50% from the successful conversion for A^ and the drop-off for A.
  // (A′^ / [A + A^])"
  test('Scenario 2, optimized re-entry: 50%', async () => {
    const data = await runBoth(scenario2, { steps: ['A', 'B'], reentry: 'optimized' });
    assert.deepEqual(overall(data).counts, [2, 1]);
    assert.equal(overall(data).overallConversion[1], 0.5);
  });

  // Note 1: "For example, in scenario A → B → A^ → B^, there are 2 user funnels converted: A → B and
  // A^ → B^. We only consider the first A → B as the user conversion."
  test('note 1: only the first converted funnel counts', async () => {
    const rows: EventRow[] = [
      ['A', 'u', at('10:00:00')],
      ['B', 'u', at('10:10:00')],
      ['A', 'u', at('10:20:00')],
      ['B', 'u', at('10:50:00')],
    ];
    const data = await runBoth(rows, { steps: ['A', 'B'], reentry: 'optimized' });
    assert.deepEqual(overall(data).counts, [1, 1]);
    assert.equal(overall(data).avgTimeSeconds[1], 10 * 60, 'the time is that of A → B, not A^ → B^ (30 minutes)');
  });

  // Note 2: "In a multi-step funnel, we only consider the first step for re-entries. For every
  // subsequent step, we pick the first instance of the step."
  test('note 2: later steps take their first instance', async () => {
    const rows: EventRow[] = [
      ['A', 'u', at('10:00:00')],
      ['B', 'u', at('10:05:00')],
      ['B', 'u', at('10:10:00')],
      ['C', 'u', at('10:20:00')],
    ];
    const data = await runBoth(rows, { steps: ['A', 'B', 'C'], reentry: 'optimized' });
    assert.deepEqual(overall(data).counts, [1, 1, 1]);
    // A → first B: 5 minutes; first B → C: 15 minutes.
    assert.deepEqual(overall(data).avgTimeSeconds, [null, 5 * 60, 15 * 60]);
  });

  // Note 3: "in scenario A → A^ → A^^ → B, where all actions happen within the conversion window,
  // A^^ → B would be recorded as the funnel."
  // Note 4: "in the Optimized Reentry mode, TTC would be calculated for A^^ → B. However, in the
  // Default mode, TTC would be calculated for A → B."
  const noteThree: EventRow[] = [
    ['A', 'u', at('10:00:00')],
    ['A', 'u', at('10:10:00')],
    ['A', 'u', at('10:20:00')],
    ['B', 'u', at('10:30:00')],
  ];
  test('notes 3 and 4: the most recent entry before step 2 is the funnel, and its time to convert is used', async () => {
    const data = await runBoth(noteThree, { steps: ['A', 'B'], reentry: 'optimized' });
    assert.deepEqual(overall(data).counts, [1, 1]);
    assert.equal(overall(data).avgTimeSeconds[1], 10 * 60);
  });

  test('note 4, default mode: time to convert is from the first A', async () => {
    const data = await runBoth(noteThree, { steps: ['A', 'B'] });
    assert.deepEqual(overall(data).counts, [1, 1]);
    assert.equal(overall(data).avgTimeSeconds[1], 30 * 60);
  });
});

describe('simultaneous events (FAQ, "How does the Funnel handle simultaneous events?")', () => {
  // "any consecutive steps that have timestamps within two seconds of one another are interchangeable"
  // "if a user completes event B first and then performs event A within two seconds, the Funnel will
  // count this as a conversion from A → B"
  test('B up to two seconds before A converts; three seconds before does not', async () => {
    const rows: EventRow[] = [
      ['B', 'within', at('10:00:00.000')],
      ['A', 'within', at('10:00:01.500')],
      ['B', 'edge', at('10:00:00.000')],
      ['A', 'edge', at('10:00:02.000')],
      ['B', 'outside', at('10:00:00.000')],
      ['A', 'outside', at('10:00:03.000')],
    ];
    const data = await runBoth(rows, { steps: ['A', 'B'] });
    assert.deepEqual(overall(data).counts, [3, 2]);
    // The reversed step took no time (aq's reading: a negative time to convert would be meaningless).
    assert.equal(overall(data).avgTimeSeconds[1], 0);
  });

  test('the grace applies between any consecutive steps, not only the first two', async () => {
    const rows: EventRow[] = [
      ['A', 'u', at('10:00:00')],
      ['C', 'u', at('10:05:00')],
      ['B', 'u', at('10:05:01')],
    ];
    assert.deepEqual(overall(await runBoth(rows, { steps: ['A', 'B', 'C'] })).counts, [1, 1, 1]);
  });
});

describe('breakdowns (ADVANCED, "Counting Methods" and "User Count in Breakdown")', () => {
  // "Users will enter the funnel the first time that they track Step 1 in the time period selected.
  // When a breakdown is applied, they can enter up to once per segment."
  // "This user would enter the funnel when they first track "Browse Product" with "item = shirt". The
  // second "Browse Product" event is not counted as a new entry since the user has not exited the
  // current funnel attempt. [...] they will re-enter the funnel when they track "Browse Product" with
  // the new item value of "shoes". Overall, the funnel would show two entries, "shirt" and "shoes",
  // with one conversion on "shirt"."
  test('the shirt/jeans/shoes example: two entries, one conversion on shirt', async () => {
    const rows: EventRow[] = [
      ['Browse Product', 'u', at('10:00:00'), { item: 'shirt' }],
      ['Browse Product', 'u', at('10:05:00'), { item: 'jeans' }],
      ['Add to Cart', 'u', at('10:10:00')],
      ['Browse Product', 'u', at('10:20:00'), { item: 'shoes' }],
      ['Browse Product', 'u', at('12:00:00'), { item: 'shirt' }],
      ['Add to Cart', 'u', at('12:10:00')],
    ];
    const data = await runBoth(rows, { steps: ['Browse Product', 'Add to Cart'], on: expr('properties["item"]') });
    assert.deepEqual(
      data.segments.map((row) => [row.segment, row.counts]),
      [
        [null, [2, 1]],
        ['shirt', [1, 1]],
        ['shoes', [1, 0]],
      ],
      'jeans never entered; the second shirt (after shoes timed out) is not a second shirt entry',
    );
  });

  // "with a breakdown on "item" set to attribute the funnel on the value of "Step 1"" — the funnel's
  // segment is the step-1 event's value, whatever later steps carry.
  test('property attribution: the segment is the value on the step-1 event', async () => {
    const rows: EventRow[] = [
      ['View Item', 'u', at('10:00:00'), { color: 'red' }],
      ['Add to Cart', 'u', at('10:05:00'), { color: 'blue' }],
      ['View Item', 'v', at('10:00:00')],
      ['Add to Cart', 'v', at('10:05:00'), { color: 'blue' }],
    ];
    const data = await runBoth(rows, { steps: ['View Item', 'Add to Cart'], on: expr('properties["color"]') });
    assert.deepEqual(
      data.segments.map((row) => [row.segment, row.counts]),
      [
        [null, [2, 2]],
        ['red', [1, 1]],
        ['undefined', [1, 1]],
      ],
    );
  });
});

describe('per-date funnels (FAQ, "Why do the Line chart (by day) and Table ... show different numbers")', () => {
  // "The Line chart runs a separate funnel for each day (based on the time interval) in your date
  // range, so a user can enter the funnel on multiple days and be counted multiple times. The Table
  // (with a day breakdown) runs a single funnel across the full date range, then segments the results
  // by day afterward, so each user is only counted once."
  test('with `unit day`, each day is its own funnel; the whole range counts the user once', async () => {
    const rows: EventRow[] = [
      ['A', 'u', '2026-10-01T10:00:00'],
      ['A', 'u', '2026-10-02T10:00:00'],
      ['B', 'u', '2026-10-02T10:30:00'],
      ['A', 'v', '2026-10-02T23:30:00'],
      ['B', 'v', '2026-10-03T00:15:00'],
    ];
    const data = await runBoth(rows, { steps: ['A', 'B'], range: { from: '2026-10-01', to: '2026-10-03' }, unit: 'day' });
    assert.deepEqual(overall(data).counts, [2, 1], 'over the range u enters once (10-01, no B within the hour); v converts');
    assert.equal(data.unit, 'day');
    assert.deepEqual(
      data.byDate?.map((day) => [day.date, day.segments[0].counts]),
      [
        ['2026-10-01', [1, 0]],
        // u enters again on 10-02 and converts; v enters late on 10-02 and converts after midnight.
        ['2026-10-02', [2, 2]],
        ['2026-10-03', [0, 0]],
      ],
    );
  });
});
