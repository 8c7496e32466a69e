/**
 * An ad-hoc funnel on a Mixpanel source (compiled to JQL, sent over real HTTP to the fake
 * Mixpanel, which runs /jql on the local runtime) and the same funnel on a local source over the
 * same events must give identical FunnelData: an analyst who checks a funnel offline and then
 * runs it on Mixpanel gets the same numbers.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FunnelData } from '../../../../../server/src/protocol/resultModel';
import { createMixpanelBackend } from '../../../../../server/src/queryEngine/backends/mixpanel/mixpanelBackend';
import { runLocalFunnel } from '../../../../../server/src/queryEngine/backends/local/localFunnel';
import { disposeJqlWorkers } from '../../../../../server/src/queryEngine/backends/local/jql/jqlRuntime';
import { createHttpClient, type HttpClient } from '../../../../../server/src/queryEngine/httpClient';
import { RequestQueue } from '../../../../../server/src/queryEngine/requestQueue';
import { ResultCache } from '../../../../../server/src/queryEngine/resultCache';
import { startFakeMixpanel, type FakeMixpanel, type FixtureEvent } from '../../../../fake-apis/fakeMixpanel';
import { datasetOf } from '../../../../unit/queryEngine/backends/local/localFixtures';
import { context, funnel, property } from '../backendTestKit';

const USER = 'aq-test.1234.mp-service-account';
const SECRET = 'sa-secret-5f2d8c1e9a';

// Re-entries, a timed-out first attempt, a step two seconds early, and entries on several days.
const EVENTS: FixtureEvent[] = [
  { event: 'View', distinctId: 'u1', time: '2026-10-01T10:00:00Z', properties: { item: 'shirt' } },
  { event: 'View', distinctId: 'u1', time: '2026-10-01T10:20:00Z', properties: { item: 'jeans' } },
  { event: 'Buy', distinctId: 'u1', time: '2026-10-01T10:40:00Z', properties: {} },
  { event: 'View', distinctId: 'u1', time: '2026-10-02T09:00:00Z', properties: { item: 'shoes' } },
  { event: 'Buy', distinctId: 'u1', time: '2026-10-02T09:10:00Z', properties: {} },
  { event: 'View', distinctId: 'u2', time: '2026-10-01T08:00:00Z', properties: { item: 'shirt' } },
  { event: 'View', distinctId: 'u2', time: '2026-10-01T08:50:00Z', properties: { item: 'shirt' } },
  { event: 'Buy', distinctId: 'u2', time: '2026-10-01T09:30:00Z', properties: {} },
  { event: 'Buy', distinctId: 'u3', time: '2026-10-03T12:00:00Z', properties: {} },
  { event: 'View', distinctId: 'u3', time: '2026-10-03T12:00:01Z', properties: { item: 'hat' } },
];

let fake: FakeMixpanel;
let http: HttpClient;

before(async () => {
  fake = await startFakeMixpanel({ projects: { 123: { region: 'US', serviceAccounts: [{ username: USER, secret: SECRET }] } }, events: EVENTS });
  http = createHttpClient();
});

after(async () => {
  await disposeJqlWorkers();
  await http.close();
  await fake.close();
});

it('a remote ad-hoc funnel and a local funnel over the same events give identical FunnelData', async () => {
  const backend = createMixpanelBackend(
    { kind: 'mixpanel', name: 'shop', projectId: 123, region: 'US' },
    {
      baseUrlOverride: fake.url,
      queue: new RequestQueue({ baseBackoffMs: 5 }),
      cache: new ResultCache(),
      timeoutMs: 10_000,
      http,
    },
  );
  const dataset = datasetOf(EVENTS.map((event) => [event.event, event.distinctId, event.time, event.properties]));
  const specs = [
    funnel({ savedId: undefined, steps: ['View', 'Buy'], window: { count: 1, unit: 'hour' } }),
    funnel({ savedId: undefined, steps: ['View', 'Buy'], window: { count: 1, unit: 'hour' }, reentry: 'optimized' }),
    funnel({ savedId: undefined, steps: ['View', 'Buy'], window: { count: 1, unit: 'hour' }, on: property('item'), unit: 'day' }),
    funnel({ savedId: undefined, steps: ['View', 'Buy'], window: { count: 1, unit: 'hour' }, on: property('item'), reentry: 'optimized', unit: 'day' }),
  ];
  for (const spec of specs) {
    const remote = (await backend.runQuery(spec, context({ username: USER, secret: SECRET }))).data as FunnelData;
    assert.deepEqual(remote, runLocalFunnel(dataset, spec));
  }
  // Worked by hand for the first spec: u1 enters at 10:00 (shirt) and buys at 10:40; u2 enters at
  // 08:00 and times out (the 08:50 View does not restart the window); u3 buys a second before viewing.
  const remote = (await backend.runQuery(specs[0], context({ username: USER, secret: SECRET }))).data as FunnelData;
  assert.deepEqual(remote.segments[0].counts, [3, 2]);
});
