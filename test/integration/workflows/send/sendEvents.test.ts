/**
 * Sending event files over real HTTP to the fake Mixpanel /import and mParticle /v2/bulkevents,
 * with seeded random drops (also after the server stored the batch), 429s and 5xx: the stores must
 * end with exactly the file's events, also across an interrupted and resumed send. Backoff waits
 * are recorded instead of slept.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHttpClient, type HttpClient } from '../../../../server/src/queryEngine/httpClient';
import { sendEventFile, type SendDestination } from '../../../../server/src/workflows/send/sendEventFile';
import type { RetryPolicy } from '../../../../server/src/workflows/send/sendBatches';
import { backoffDelay } from '../../../../server/src/workflows/send/sendBatches';
import { stableInsertId, insertIdProblem } from '../../../../server/src/workflows/send/insertIds';
import { mixpanelImportHost } from '../../../../server/src/workflows/send/mixpanelImport';
import { mparticleHost } from '../../../../server/src/queryEngine/remoteBackends';
import { startFakeMixpanelImport, type FakeMixpanelImport } from '../../../fake-apis/fakeMixpanelImport';
import { startFakeMparticle, type FakeMparticle } from '../../../fake-apis/fakeMparticle';

const SA = { username: 'aq-import.sa', secret: 'mp-sa-secret-71c0' };
const PROJECT_ID = 3120;
const MP_KEY = 'us1-key-0a1b2c';
const MP_SECRET = 'mp-secret-9z8y7x';
const BASE_TIME = Date.parse('2026-10-01T00:00:00Z') / 1000;
const FAULTS = { dropBefore: 0.05, dropAfterStore: 0.1, rateLimit: 0.1, retryAfterSeconds: 70, serverError: 0.1 };

let dir: string;
let http: HttpClient;
const waits: number[] = [];
const RETRY: RetryPolicy = { maxAttempts: 60, sleep: async (ms) => void waits.push(ms) };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'aq-send-'));
  // Send progress goes to the cache folder; this file runs in its own process, so this is its own.
  process.env.AQ_CACHE_DIR = join(dir, 'cache');
  http = createHttpClient();
});

after(async () => {
  await http.close();
  rmSync(dir, { recursive: true, force: true });
});

/** 50,000 events over 500 users; every tenth has no $insert_id (aq derives one). */
function mixpanelFile(name: string, count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const properties: Record<string, unknown> = { time: BASE_TIME + i, distinct_id: `user-${i % 500}`, plan: i % 3 === 0 ? 'pro' : 'free' };
    if (i % 10 !== 0) properties.$insert_id = `ev-${i}`;
    lines.push(JSON.stringify({ event: i % 2 ? 'Sign Up' : 'Purchase', properties }));
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function mixpanelDestination(fake: FakeMixpanelImport, secret = SA.secret): SendDestination {
  return {
    kind: 'mixpanel',
    name: 'prod',
    target: { projectId: PROJECT_ID, region: 'EU', baseUrlOverride: fake.url, credentials: { username: SA.username, secret } },
  };
}

function expectedKeys(path: string): Set<string> {
  return new Set(
    readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const event = JSON.parse(line) as { event: string; properties: Record<string, unknown> };
        return JSON.stringify([
          event.event,
          event.properties.distinct_id,
          event.properties.time,
          event.properties.$insert_id ?? stableInsertId(event.event, event.properties),
        ]);
      }),
  );
}

describe('aq send to Mixpanel /import', () => {
  let fake: FakeMixpanelImport;
  before(async () => {
    fake = await startFakeMixpanelImport({ projectId: PROJECT_ID, ...SA });
  });
  after(() => fake.close());

  it('sends 50,000 events through drops, 429s and 5xx and the store ends with exactly those 50,000', async () => {
    const path = mixpanelFile('big.events.ndjson', 50_000);
    fake.setFaults({ seed: 7, ...FAULTS });
    waits.length = 0;
    const result = await sendEventFile({ path, destination: mixpanelDestination(fake), http, signal: new AbortController().signal, retry: RETRY });
    fake.setFaults(undefined);
    assert.equal(result.report?.stoppedBy, undefined);
    assert.deepEqual(result.report?.failedBatches, []);
    assert.equal(result.requests, 25);
    assert.equal(result.report?.sentBatches, 25);
    assert.equal(fake.store.size, 50_000);
    assert.deepEqual(new Set(fake.store.keys()), expectedKeys(path));
    // The faults really happened: batches were stored and then re-sent, and 429s were waited out.
    assert.ok(
      fake.injected.dropAfterStore > 0 && fake.injected.rateLimit > 0 && fake.injected.serverError > 0 && fake.injected.dropBefore > 0,
      JSON.stringify(fake.injected),
    );
    assert.ok(fake.received() > 50_000);
    // 70 s is beyond any backoff step (60 s + 5 s jitter): only Retry-After can ask for it.
    assert.ok(waits.includes(70_000), 'Retry-After of 70 s was not honoured');
    assert.ok(fake.seen.every((request) => request.encoding === 'gzip' && /strict=1/.test(request.query)));
    assert.equal(existsSync(result.progressPath), false, 'a finished send leaves no progress file');
  });

  it('resumes an interrupted send where it stopped and still ends with exactly 50,000 events', async () => {
    fake.store.clear();
    const path = mixpanelFile('resume.events.ndjson', 50_000);
    const controller = new AbortController();
    fake.setFaults({ seed: 11, ...FAULTS });
    const first = await sendEventFile({
      path,
      destination: mixpanelDestination(fake),
      http,
      signal: controller.signal,
      retry: RETRY,
      limits: { maxRecordsPerRequest: 1000 },
      onProgress: (progress) => {
        if (progress.done === 20) controller.abort();
      },
    });
    assert.equal(first.report?.stoppedBy, 'cancelled');
    assert.equal(first.report?.sentBatches, 20);
    assert.ok(fake.store.size >= 20_000 && fake.store.size < 50_000, `stored ${fake.store.size}`);
    assert.ok(existsSync(first.progressPath));
    assert.ok(first.progressPath.startsWith(join(dir, 'cache', 'send')), first.progressPath);
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.startsWith('resume.events.ndjson')),
      ['resume.events.ndjson'],
      'nothing is written beside the input',
    );

    const requestsBefore = fake.requests();
    const second = await sendEventFile({
      path,
      destination: mixpanelDestination(fake),
      http,
      signal: new AbortController().signal,
      retry: RETRY,
      limits: { maxRecordsPerRequest: 1000 },
      resume: true,
    });
    fake.setFaults(undefined);
    assert.equal(second.report?.skippedBatches, 20);
    assert.equal(second.report?.sentBatches, 30);
    assert.ok(fake.requests() - requestsBefore >= 30);
    assert.equal(fake.store.size, 50_000);
    assert.deepEqual(new Set(fake.store.keys()), expectedKeys(path));
  });

  it('starts over when the file changed since the interrupted run', async () => {
    const path = mixpanelFile('changed.events.ndjson', 30);
    const controller = new AbortController();
    const first = await sendEventFile({
      path,
      destination: mixpanelDestination(fake),
      http,
      signal: controller.signal,
      limits: { maxRecordsPerRequest: 10 },
      onProgress: () => controller.abort(),
    });
    assert.equal(first.report?.sentBatches, 1);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"plan":"pro"', '"plan":"team"'));
    const second = await sendEventFile({
      path,
      destination: mixpanelDestination(fake),
      http,
      signal: new AbortController().signal,
      limits: { maxRecordsPerRequest: 10 },
      resume: true,
    });
    assert.equal(second.report?.skippedBatches, 0);
    assert.equal(second.report?.sentBatches, 3);
  });

  it('reports strict-mode failures on the source lines of a pretty-printed JSON file; the valid events are stored', async () => {
    fake.store.clear();
    const path = join(dir, 'mixed.events.json');
    const soon = BASE_TIME;
    writeFileSync(
      path,
      [
        '[',
        `  {"event": "Sign Up", "properties": {"time": ${soon}, "distinct_id": "a", "$insert_id": "ok-1"}},`,
        `  {"event": "Sign Up",`,
        `   "properties": {"distinct_id": "b", "$insert_id": "ok-2"}},`,
        `  {"event": "Purchase", "properties": {"time": ${soon + 1}, "distinct_id": "c", "$insert_id": "not valid!"}},`,
        `  {"event": "Purchase", "properties": {"time": ${soon + 2}, "distinct_id": "d"}}`,
        ']',
      ].join('\n'),
    );
    const result = await sendEventFile({ path, destination: mixpanelDestination(fake), http, signal: new AbortController().signal, retry: RETRY });
    assert.deepEqual(
      result.report?.recordFailures.map((failure) => [failure.line, failure.field]),
      [
        [3, 'properties.time'],
        [5, 'properties.$insert_id'],
      ],
    );
    assert.match(result.report?.recordFailures[0].message ?? '', /seconds since epoch/);
    assert.equal(result.report?.accepted, 2);
    assert.equal(fake.store.size, 2);
  });

  it('stops at once on rejected credentials and never shows the secret', async () => {
    const path = mixpanelFile('auth.events.ndjson', 10);
    const result = await sendEventFile({
      path,
      destination: mixpanelDestination(fake, 'wrong-secret-123'),
      http,
      signal: new AbortController().signal,
      retry: RETRY,
      limits: { maxRecordsPerRequest: 5 },
    });
    const stopped = result.report?.stoppedBy;
    assert.ok(stopped && stopped !== 'cancelled' && stopped.kind === 'auth');
    assert.equal(result.report?.sentBatches, 0);
    assert.ok(!JSON.stringify(result).includes('wrong-secret-123'));
  });

  it('refuses a file with a JSON error before sending anything, naming the line', async () => {
    const path = join(dir, 'broken.events.ndjson');
    writeFileSync(path, '{"event":"A","properties":{"time":1,"distinct_id":"x"}}\n{"event":"B",\n');
    const requests = fake.requests();
    const result = await sendEventFile({ path, destination: mixpanelDestination(fake), http, signal: new AbortController().signal });
    assert.equal(result.syntaxErrors[0]?.line, 2);
    assert.equal(result.report, undefined);
    assert.equal(fake.requests(), requests);
  });
});

describe('aq send to mParticle /v2/bulkevents', () => {
  let fake: FakeMparticle;
  before(async () => {
    fake = await startFakeMparticle({ apiKey: MP_KEY, apiSecret: MP_SECRET });
  });
  after(() => fake.close());

  function mparticleFile(name: string, batchCount: number): string {
    const batches = [];
    for (let b = 0; b < batchCount; b++) {
      const events = [];
      for (let e = 0; e < 10; e++)
        events.push({
          event_type: 'custom_event',
          data: { event_name: 'Viewed', custom_event_type: 'navigation', timestamp_unixtime_ms: (BASE_TIME + b) * 1000 + e, source_message_id: `m-${b}-${e}` },
        });
      batches.push({ environment: 'production', user_identities: { customer_id: `c-${b % 300}` }, events });
    }
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(batches));
    return path;
  }

  const destination = (): SendDestination => ({
    kind: 'mparticle',
    name: 'mp',
    target: { pod: 'EU1', apiKey: MP_KEY, apiSecret: MP_SECRET, baseUrlOverride: fake.url },
  });
  const storedMessageIds = (): Set<string> => new Set(fake.batches.flatMap((batch) => batch.events.map((event) => String(event.data?.source_message_id))));

  it('sends 5,000 batches (50,000 events) in chunks of 100 through faults, interrupted and resumed, storing each event once', async () => {
    const path = mparticleFile('big.mparticle.json', 5000);
    fake.setFaults({ seed: 3, ...FAULTS });
    const controller = new AbortController();
    const first = await sendEventFile({
      path,
      destination: destination(),
      http,
      signal: controller.signal,
      retry: RETRY,
      onProgress: (progress) => {
        if (progress.done === 17) controller.abort();
      },
    });
    assert.equal(first.requests, 50);
    assert.equal(first.report?.stoppedBy, 'cancelled');
    const second = await sendEventFile({ path, destination: destination(), http, signal: new AbortController().signal, retry: RETRY, resume: true });
    fake.setFaults(undefined);
    assert.equal(second.report?.skippedBatches, 17);
    assert.deepEqual(second.report?.failedBatches, []);
    assert.equal(fake.batches.length, 5000);
    const events = fake.batches.reduce((sum, batch) => sum + batch.events.length, 0);
    assert.equal(events, 50_000);
    assert.equal(storedMessageIds().size, 50_000);
    assert.ok(fake.injected.dropAfterStore > 0 && fake.injected.rateLimit > 0, JSON.stringify(fake.injected));
  });

  it('reports a rejected chunk on the lines of its batches and does not retry it', async () => {
    const path = join(dir, 'bad.mparticle.json');
    writeFileSync(
      path,
      '[\n{"environment": "production", "events": [{"event_type": "session_start", "data": {}}]},\n{"environment": "staging", "events": []}\n]\n',
    );
    const requests = fake.requests();
    const result = await sendEventFile({ path, destination: destination(), http, signal: new AbortController().signal, retry: RETRY });
    assert.equal(fake.requests() - requests, 1);
    assert.deepEqual(
      result.report?.recordFailures.map((failure) => failure.line),
      [2, 3],
    );
    assert.match(result.report?.failedBatches[0]?.reason ?? '', /HTTP 400.*environment/);
  });

  it('will not send Mixpanel events to an mParticle source', async () => {
    const path = mixpanelFile('wrong.events.ndjson', 2);
    const result = await sendEventFile({ path, destination: destination(), http, signal: new AbortController().signal });
    assert.match(result.problem ?? '', /holds Mixpanel events, but "mp" is a mparticle source/);
  });
});

describe('insert ids and backoff', () => {
  it('derives the same 36-character id from the same content, whatever the key order', () => {
    const a = stableInsertId('Sign Up', { time: 1, distinct_id: 'u', plan: { a: 1, b: 2 } });
    const b = stableInsertId('Sign Up', { plan: { b: 2, a: 1 }, distinct_id: 'u', time: 1 });
    assert.equal(a, b);
    assert.equal(a.length, 36);
    assert.equal(insertIdProblem(a), undefined);
    assert.notEqual(stableInsertId('Sign Up', { time: 2, distinct_id: 'u', plan: { a: 1, b: 2 } }), a);
  });

  it('flags malformed insert ids', () => {
    assert.match(insertIdProblem('x'.repeat(37)) ?? '', /37 bytes/);
    assert.match(insertIdProblem('a b') ?? '', /letters, digits/);
    assert.match(insertIdProblem('undefined') ?? '', /placeholder/);
  });

  it('backs off exponentially from 2 s up to 60 s with 1-5 s of jitter, never under Retry-After', () => {
    const noJitter = { random: () => 0 };
    assert.equal(backoffDelay(1, noJitter), 3000);
    assert.equal(backoffDelay(3, noJitter), 9000);
    assert.equal(backoffDelay(10, { random: () => 1 }), 65_000);
    assert.equal(backoffDelay(1, noJitter, 30_000), 30_000);
  });
});

describe('ingestion hosts', () => {
  it('sends Mixpanel imports to the region host and mParticle batches to the pod host', () => {
    assert.equal(mixpanelImportHost('US'), 'https://api.mixpanel.com');
    assert.equal(mixpanelImportHost('EU'), 'https://api-eu.mixpanel.com');
    assert.equal(mixpanelImportHost('IN'), 'https://api-in.mixpanel.com');
    assert.equal(mparticleHost('EU1'), 'https://s2s.eu1.mparticle.com');
    assert.equal(mparticleHost('AU1'), 'https://s2s.au1.mparticle.com');
  });
});
