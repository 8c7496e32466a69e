/**
 * The fake Raw Export API answers as Mixpanel documents: NDJSON of the day's events, gzipped only
 * when asked and over 1400 bytes, the error shapes for bad credentials and a missing project, and
 * its faults (429 with Retry-After, a cut stream) as a client sees them on the wire.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { exportLine, startFakeExport, type ExportEvent, type FakeExport } from './fakeMixpanelExport';

const view = (date: number, i: number): ExportEvent => ({
  event: 'View',
  properties: { time: Date.UTC(2026, 9, date, 2) / 1000 + i, distinct_id: `u${i}`, $insert_id: `v${date}-${i}` },
});
/** One event on October 1st (under 1400 bytes), forty on the 2nd (over). */
const EVENTS = [view(1, 0), ...Array.from({ length: 40 }, (_, i) => view(2, i))];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  aborted: boolean;
}

function get(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      let aborted = false;
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('aborted', () => (aborted = true));
      res.on('error', () => (aborted = true));
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), aborted: aborted || !res.complete }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('fake Raw Export API', () => {
  let fake: FakeExport;
  const auth = { authorization: `Basic ${Buffer.from('sa:pw').toString('base64')}` };
  before(async () => {
    fake = await startFakeExport({ projectId: 3, username: 'sa', secret: 'pw', events: EVENTS });
  });
  after(() => fake.close());

  it('answers a small day as plain NDJSON and a large one gzipped when asked', async () => {
    const small = await get(`${fake.url}/api/2.0/export?project_id=3&from_date=2026-10-01&to_date=2026-10-01`, { ...auth, 'accept-encoding': 'gzip' });
    assert.equal(small.headers['content-encoding'], undefined);
    assert.equal(small.body.toString('utf8'), `${exportLine(EVENTS[0])}\n`);
    const large = await get(`${fake.url}/api/2.0/export?project_id=3&from_date=2026-10-02&to_date=2026-10-02`, { ...auth, 'accept-encoding': 'gzip' });
    assert.equal(large.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(large.body).toString('utf8').split('\n').length - 1, 40);
    const unasked = await get(`${fake.url}/api/2.0/export?project_id=3&from_date=2026-10-02&to_date=2026-10-02`, auth);
    assert.equal(unasked.headers['content-encoding'], undefined);
  });

  it("refuses bad credentials and a missing project_id with Mixpanel's error shape", async () => {
    const wrong = await get(`${fake.url}/api/2.0/export?project_id=3&from_date=2026-10-01&to_date=2026-10-01`, {
      authorization: `Basic ${Buffer.from('sa:nope').toString('base64')}`,
    });
    assert.equal(wrong.status, 401);
    assert.deepEqual(JSON.parse(wrong.body.toString('utf8')), { error: 'Invalid credentials', status: 'error' });
    const noProject = await get(`${fake.url}/api/2.0/export?from_date=2026-10-01&to_date=2026-10-01`, auth);
    assert.equal(noProject.status, 400);
  });

  it('plays 429 with Retry-After and a stream cut mid-body', async () => {
    fake.setFault({ kind: 'rateLimited', retryAfterSeconds: 7 });
    const limited = await get(`${fake.url}/api/2.0/export?project_id=3&from_date=2026-10-02&to_date=2026-10-02`, auth);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '7');
    fake.setFault({ kind: 'cut', afterBytes: 100 });
    const cut = await get(`${fake.url}/api/2.0/export?project_id=3&from_date=2026-10-02&to_date=2026-10-02`, auth);
    assert.equal(cut.status, 200);
    assert.equal(cut.aborted, true);
    assert.ok(cut.body.length < Number(cut.headers['content-length']), `${cut.body.length} of ${String(cut.headers['content-length'])} bytes`);
  });
});
