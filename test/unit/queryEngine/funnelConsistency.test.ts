/**
 * The JQL aq sends to Mixpanel for an ad-hoc funnel must count exactly as the local funnel engine
 * does: random small datasets (a few users, clustered times with near-simultaneous events, repeated
 * step names), random windows, both counting modes, with and without `on` and `unit`, run through
 * both, must give identical FunnelData.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import type { FunnelSpec } from '../../../server/src/queryContract/querySpec';
import { runLocalFunnel } from '../../../server/src/queryEngine/backends/local/localFunnel';
import { disposeJqlWorkers, runJql } from '../../../server/src/queryEngine/backends/local/jql/jqlRuntime';
import { compileFunnelToJql, funnelJqlOutputToData } from '../../../server/src/queryEngine/funnelToJql';
import { datasetOf, expr, funnel, type EventRow } from './backends/local/localFixtures';

const folder = mkdtempSync(join(tmpdir(), 'aq-funnel-consistency-'));
after(() => {
  disposeJqlWorkers();
  rmSync(folder, { recursive: true, force: true });
});

const BASE = Date.parse('2026-09-30T22:00:00Z');
const HOUR = 3_600_000;

// Times cluster on a few hours, each with sub-three-second jitter, so steps land inside and just
// outside the two-second grace period and on window edges.
const eventArbitrary = fc.record({
  name: fc.constantFrom('A', 'B', 'C'),
  user: fc.constantFrom('u1', 'u2'),
  hour: fc.constantFrom(0, 1, 2, 3, 12, 13, 24, 25, 26, 27, 49, 50),
  jitterMs: fc.constantFrom(0, 500, 1000, 1999, 2000, 2001, 2500),
  // Values on which Mixpanel's casts and `not` differ from JavaScript's truthiness.
  plan: fc.constantFrom<unknown>('free', 'pro', 'false', '', 0, 1, true, false, null, undefined),
});

const specArbitrary = fc.record({
  steps: fc.constantFrom(['A', 'B'], ['A', 'B', 'C'], ['A', 'B', 'A'], ['B', 'A'], ['A', 'C', 'B']),
  window: fc.constantFrom(
    { count: 1, unit: 'hour' as const },
    { count: 3, unit: 'hour' as const },
    { count: 1, unit: 'day' as const },
    { count: 90, unit: 'minute' as const },
  ),
  reentry: fc.constantFrom('default' as const, 'optimized' as const),
  on: fc.constantFrom(
    undefined,
    'properties["plan"]',
    'not properties["plan"]',
    'boolean(properties["plan"])',
    'number(properties["plan"]) > 0',
    'properties["plan"] in ["pro", "free"]',
  ),
  unit: fc.constantFrom(undefined, 'day' as const),
});

test('the generated funnel JQL on the local JQL runtime counts exactly as the local funnel engine', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(eventArbitrary, { maxLength: 14 }), specArbitrary, async (events, options) => {
      const rows: EventRow[] = events.map((event) => [
        event.name,
        event.user,
        new Date(BASE + event.hour * HOUR + event.jitterMs).toISOString(),
        event.plan === undefined ? {} : { plan: event.plan },
      ]);
      const spec: FunnelSpec = funnel({
        steps: [...options.steps],
        range: { from: '2026-10-01', to: '2026-10-02' },
        window: options.window,
        reentry: options.reentry,
        on: options.on === undefined ? undefined : expr(options.on),
        unit: options.unit,
      });
      const dataPath = join(folder, `events-${run++}.ndjson`);
      const sorted = [...rows].sort((a, b) => Date.parse(a[2]) - Date.parse(b[2]));
      writeFileSync(
        dataPath,
        sorted
          .map(([event, user, iso, properties]) => JSON.stringify({ event, properties: { time: Date.parse(iso), distinct_id: user, ...properties } }))
          .join('\n') + '\n',
      );
      const { script, params } = compileFunnelToJql(spec);
      const { output } = await runJql({ script, params, dataPath });
      assert.deepEqual(funnelJqlOutputToData(output, spec), runLocalFunnel(datasetOf(sorted), spec));
    }),
    { numRuns: 100 },
  );
});
