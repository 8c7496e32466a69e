/**
 * The Piwik PRO backend over real HTTP against the fake Piwik PRO (test/fake-apis/fakePiwikPro.ts):
 * token handling, the debugger's NDJSON with 64-bit ids, several event types, bad lines, logs.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { DebuggerData, QueryResult } from '../../../../../server/src/protocol/resultModel';
import type { PiwikSourceConfig } from '../../../../../server/src/queryEngine/analyticsBackend';
import { createPiwikProBackend, type PiwikProBackendOptions } from '../../../../../server/src/queryEngine/backends/piwikPro/piwikProBackend';
import { createHttpClient, type HttpClient } from '../../../../../server/src/queryEngine/httpClient';
import { RequestQueue } from '../../../../../server/src/queryEngine/requestQueue';
import { ResultCache } from '../../../../../server/src/queryEngine/resultCache';
import { PIWIK_IDS, PIWIK_LOG_IDS, startFakePiwikPro, type FakePiwikPro } from '../../../../fake-apis/fakePiwikPro';
import { backendErrorOf, context, debuggerSpec, segmentation, until } from '../backendTestKit';

const CLIENT_ID = 'aq-test-client';
const CLIENT_SECRET = 'pp-client-secret-3c9e1f7a';
const GOOD = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
const SOURCE: PiwikSourceConfig = { kind: 'piwik', name: 'site', url: 'https://example.piwik.pro' };

let fake: FakePiwikPro;
let http: HttpClient;
const seenText: string[] = [];

before(async () => {
  fake = await startFakePiwikPro({ clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }] });
  http = createHttpClient();
});

after(async () => {
  await http.close();
  await fake.close();
});

beforeEach(() => {
  fake.clearFaults();
  fake.store.requests.length = 0;
});

function backend(overrides: Partial<PiwikProBackendOptions> = {}) {
  return createPiwikProBackend(SOURCE, {
    baseUrlOverride: fake.url,
    queue: new RequestQueue({ hourlyBudget: Infinity, baseBackoffMs: 5 }),
    cache: new ResultCache(),
    timeoutMs: 5000,
    http,
    ...overrides,
  });
}

function sessionsOf(result: QueryResult): DebuggerData['sessions'] {
  seenText.push(JSON.stringify(result));
  assert.equal(result.data.kind, 'debugger');
  return (result.data as DebuggerData).sessions;
}

describe('Piwik PRO debugger', () => {
  it('reads every session, newest first, with exact 64-bit ids', async () => {
    const result = await backend().runQuery(debuggerSpec(), context(GOOD));
    const sessions = sessionsOf(result);
    assert.deepEqual(
      sessions.map((session) => session.sessionId),
      [PIWIK_IDS.session1, PIWIK_IDS.session2, PIWIK_IDS.session3],
    );
    assert.deepEqual(
      sessions.map((session) => session.visitorId),
      [PIWIK_IDS.visitor1, PIWIK_IDS.visitor2, PIWIK_IDS.visitor3],
    );
    assert.deepEqual(
      sessions[0].events.map((event) => event.eventId),
      [PIWIK_IDS.event1, PIWIK_IDS.event2, PIWIK_IDS.event3],
    );
    assert.equal(sessions[0].fields.session_id, PIWIK_IDS.session1);
    // JSON.parse rounds each id to another number; none of those may reach the result.
    const serialized = JSON.stringify(result);
    for (const id of Object.values(PIWIK_IDS)) assert.ok(!serialized.includes(String(Number(id))), `rounded ${id} leaked`);
  });

  it('keeps coded fields as [code, label] and the broken/excluded details', async () => {
    const [first] = sessionsOf(await backend().runQuery(debuggerSpec(), context(GOOD)));
    assert.deepEqual(first.events[1].type, { code: 17, label: 'Broken event' });
    assert.equal(first.events[1].errorMessage, 'Resolving referrer failed due to internal error (timeout)');
    assert.equal(first.events[2].exclusionReason, 'IP is on the crawler list');
    assert.deepEqual(first.fields.visitor_returning, [0, 'New']);
    assert.equal(first.entryUrl, 'https://shop.example/');
    assert.equal(first.totalEvents, 3);
  });

  it('sends app_id, lookup_window, limit and a bearer token', async () => {
    await backend().runQuery(debuggerSpec({ lookupWindow: 60, limit: 10 }), context(GOOD));
    const [request] = fake.store.requestsTo('/api/tracker/v1/debugger');
    assert.deepEqual(request.query, { app_id: '01e7e7f7-8a34-4aca-b700-45f6a6aa3aba', lookup_window: '60', limit: '10' });
    assert.equal(request.headers.authorization, `Bearer fake-token-${fake.store.tokensIssued()}`);
  });

  it('several event types: one request per type, sessions merged by id', async () => {
    const sessions = sessionsOf(await backend().runQuery(debuggerSpec({ eventTypes: [17, 18] }), context(GOOD)));
    assert.deepEqual(
      fake.store.requestsTo('/api/tracker/v1/debugger').map((request) => request.query.event_type),
      ['17', '18'],
    );
    // Session 1 matches both types and appears once, its three events once each.
    assert.deepEqual(
      sessions.map((session) => session.sessionId),
      [PIWIK_IDS.session1, PIWIK_IDS.session2],
    );
    assert.equal(sessions[0].events.length, 3);
  });

  it('a bad NDJSON line is skipped, counted and reported with its line number', async () => {
    fake.setFault({ kind: 'badLine' });
    const result = await backend().runQuery(debuggerSpec(), context(GOOD));
    assert.equal(sessionsOf(result).length, 3);
    const warnings = result.meta.warnings;
    assert.ok(warnings.some((warning) => warning.code === 'bad-lines' && warning.message.startsWith('1 line ')));
    assert.ok(warnings.some((warning) => warning.code === 'bad-line' && warning.message.includes('Line 2')));
  });

  it('with logs, attaches each raw tracking request to its event', async () => {
    const sessions = sessionsOf(await backend().runQuery(debuggerSpec({ eventTypes: [17], logs: true }), context(GOOD)));
    const broken = sessions[0].events[1];
    assert.equal(broken.logs?.length, 1);
    assert.equal(broken.logs?.[0].id, PIWIK_LOG_IDS.event2);
    assert.equal(sessions[0].events[0].logs, undefined, 'only events of the asked type get logs');
    const [logRequest] = fake.store.requestsTo('/api/tracker/v1/log');
    assert.equal(logRequest.query.event_ids, PIWIK_IDS.event2);
    assert.equal(logRequest.query.server_time_min, '2026-10-03T09:58:00');
    assert.equal(logRequest.query.server_time_max, '2026-10-03T10:01:00');
  });

  it('an answer above the byte cap keeps the sessions read so far and says so', async () => {
    const result = await backend({ maxResponseBytes: 2500 }).runQuery(debuggerSpec(), context(GOOD));
    const sessions = sessionsOf(result);
    assert.ok(sessions.length >= 1 && sessions.length < 3, `got ${sessions.length} sessions`);
    assert.ok(result.meta.warnings.some((warning) => warning.code === 'truncated'));
    assert.ok(!result.meta.warnings.some((warning) => warning.code === 'bad-line'), 'the cut is at a line end');
  });
});

describe('Piwik PRO tokens', () => {
  it('one token serves several queries', async () => {
    const piwik = backend();
    const before = fake.store.tokensIssued();
    await piwik.runQuery(debuggerSpec(), context(GOOD));
    await piwik.runQuery(debuggerSpec({ limit: 5 }), context(GOOD));
    assert.equal(fake.store.tokensIssued() - before, 1);
    const tokenRequest = fake.store.requestsTo('/auth/token')[0];
    assert.deepEqual(JSON.parse(tokenRequest.body), { grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
  });

  it('an expired token is renewed once on a 401', async () => {
    const piwik = backend();
    await piwik.runQuery(debuggerSpec(), context(GOOD));
    const before = fake.store.tokensIssued();
    fake.expireTokens();
    fake.store.requests.length = 0;
    const sessions = sessionsOf(await piwik.runQuery(debuggerSpec({ limit: 5 }), context(GOOD)));
    assert.equal(sessions.length, 3);
    assert.equal(fake.store.tokensIssued() - before, 1);
    assert.deepEqual(
      fake.store.requests.map((request) => request.path),
      ['/api/tracker/v1/debugger', '/auth/token', '/api/tracker/v1/debugger'],
    );
  });

  it('a token is renewed before it expires, without waiting for a 401', async () => {
    const shortLived = await startFakePiwikPro({ clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }], tokenTtlSeconds: 120 });
    try {
      let now = Date.parse('2026-10-03T10:00:00Z');
      const piwik = createPiwikProBackend(SOURCE, {
        baseUrlOverride: shortLived.url,
        queue: new RequestQueue({ hourlyBudget: Infinity }),
        cache: new ResultCache(),
        timeoutMs: 5000,
        http,
        now: () => now,
      });
      await piwik.runQuery(debuggerSpec(), context(GOOD));
      now += 50_000;
      await piwik.runQuery(debuggerSpec({ limit: 5 }), context(GOOD));
      assert.equal(shortLived.store.tokensIssued(), 1, 'still valid 50 s later');
      // 120 s lifetime minus the 60 s margin: renewed after 60 s.
      now += 20_000;
      await piwik.runQuery(debuggerSpec({ limit: 6 }), context(GOOD));
      assert.equal(shortLived.store.tokensIssued(), 2);
      assert.ok(!shortLived.store.requests.some((request) => request.path !== '/auth/token' && request.headers.authorization === undefined));
    } finally {
      await shortLived.close();
    }
  });

  it('wrong client secret → auth with what to check', async () => {
    const error = await backendErrorOf(backend().runQuery(debuggerSpec(), context({ clientId: CLIENT_ID, clientSecret: 'wrong-secret-0000' })));
    assert.equal(error.kind, 'auth');
    assert.match(error.message, /client id and secret/);
    seenText.push(error.message, error.details.hint ?? '');
  });
});

describe('Piwik PRO errors and faults', () => {
  it('an unknown app → notFound; no app id anywhere → config', async () => {
    const unknown = await backendErrorOf(backend().runQuery(debuggerSpec({ appId: '11111111-2222-3333-4444-555555555555' }), context(GOOD)));
    assert.equal(unknown.kind, 'notFound');
    const none = await backendErrorOf(backend().runQuery(debuggerSpec({ appId: '' }), context(GOOD)));
    assert.equal(none.kind, 'config');
    seenText.push(unknown.message, none.message);
  });

  it('a Mixpanel query on a Piwik PRO source → config', async () => {
    const error = await backendErrorOf(backend().runQuery(segmentation(), context(GOOD)));
    assert.equal(error.kind, 'config');
  });

  it('500 is retried, then succeeds', async () => {
    fake.setFault({ kind: 'status', status: 500, body: 'Internal error occurred. Check logs' }, { times: 1, path: /debugger/ });
    const sessions = sessionsOf(await backend().runQuery(debuggerSpec(), context(GOOD)));
    assert.equal(sessions.length, 3);
    assert.equal(fake.store.requestsTo('/api/tracker/v1/debugger').length, 2);
  });

  it('cancelling stops the HTTP request', async () => {
    const piwik = backend();
    await piwik.runQuery(debuggerSpec(), context(GOOD));
    fake.store.requests.length = 0;
    fake.setFault({ kind: 'slow', delayMs: 3000 }, { times: 1, path: /debugger/ });
    const controller = new AbortController();
    const running = piwik.runQuery(debuggerSpec({ limit: 7 }), context(GOOD, { signal: controller.signal }));
    await until(() => fake.store.requests.length === 1, 'the request reaches the fake');
    controller.abort();
    assert.equal((await backendErrorOf(running)).kind, 'cancelled');
    await until(() => fake.store.requests[0].closedEarly, 'the fake sees the client hang up');
  });

  it('the generated request masks the bearer token', () => {
    const described = backend().describeRequest(debuggerSpec({ eventTypes: [17] }));
    assert.match(described.curl ?? '', /api\/tracker\/v1\/debugger\?app_id=.*event_type=17/);
    assert.match(described.curl ?? '', /Authorization: Bearer \*\*\*\*/);
  });
});

describe('secrets', () => {
  it('never appear in any message, hint or result seen above', () => {
    assert.ok(seenText.length >= 8);
    assert.ok(!seenText.join('\n').includes(CLIENT_SECRET));
    assert.ok(!seenText.join('\n').includes('fake-token-'), 'no bearer token in results or errors');
  });
});
