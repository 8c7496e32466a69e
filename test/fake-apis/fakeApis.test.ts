/**
 * The fakes' own contract, checked with plain HTTP: what they demand of a client (auth, required
 * parameters, region, rate limit) must match the documented API, or the backend tests prove nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeMixpanel, type FakeMixpanel } from './fakeMixpanel';
import { PIWIK_WEBSITE_ID } from './fakePiwikAnalytics';
import { PIWIK_APP_ID, startFakePiwikPro, type FakePiwikPro } from './fakePiwikPro';

const basic = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

describe('fake Mixpanel', () => {
  let fake: FakeMixpanel;
  before(async () => {
    fake = await startFakeMixpanel({
      projects: {
        1: { region: 'US', serviceAccounts: [{ username: 'svc', secret: 'pw' }], legacySecret: 'old' },
        2: { region: 'IN', serviceAccounts: [{ username: 'svc', secret: 'pw' }] },
      },
    });
  });
  after(() => fake.close());

  it('demands credentials and project_id, with Mixpanel’s error body', async () => {
    assert.equal((await fetch(`${fake.url}/api/query/segmentation?project_id=1`)).status, 401);
    const missing = await fetch(`${fake.url}/api/query/segmentation?event=x`, { headers: { authorization: basic('svc', 'pw') } });
    assert.equal(missing.status, 400);
    assert.deepEqual(await missing.json(), { error: 'project_id is required when using service account authentication', status: 'error' });
    const noEvent = await fetch(`${fake.url}/api/query/segmentation?project_id=1&from_date=2026-10-01&to_date=2026-10-01`, {
      headers: { authorization: basic('old', '') },
    });
    assert.equal(noEvent.status, 400);
    assert.deepEqual(await noEvent.json(), { error: 'missing required parameter: event', status: 'error' });
  });

  it('answers a project of another region with the residency error', async () => {
    const response = await fetch(`${fake.url}/api/query/events/names?project_id=2&type=general`, { headers: { authorization: basic('svc', 'pw') } });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error: string }).error, /invalid project id for cluster/);
  });

  it('answers 429 with Retry-After once the hourly limit is used', async () => {
    const limited = await startFakeMixpanel({
      hourlyLimit: 2,
      retryAfterSeconds: 42,
      projects: { 1: { region: 'US', serviceAccounts: [{ username: 'svc', secret: 'pw' }] } },
    });
    try {
      const call = (): Promise<Response> =>
        fetch(`${limited.url}/api/query/events/names?project_id=1&type=general`, { headers: { authorization: basic('svc', 'pw') } });
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 3; i++) {
        last = await call();
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      assert.equal(last?.headers.get('retry-after'), '42');
      assert.match(((await last?.json()) as { error: string }).error, /Query rate limit exceeded for project_id: 1/);
    } finally {
      await limited.close();
    }
  });
});

describe('fake Piwik PRO', () => {
  let fake: FakePiwikPro;
  before(async () => {
    fake = await startFakePiwikPro({ clients: [{ clientId: 'id', clientSecret: 'sec' }] });
  });
  after(() => fake.close());

  it('issues tokens for valid client credentials only', async () => {
    const post = (body: unknown): Promise<Response> =>
      fetch(`${fake.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post({ grant_type: 'client_credentials', client_id: 'id', client_secret: 'nope' })).status, 401);
    assert.equal((await post({ grant_type: 'password', client_id: 'id', client_secret: 'sec' })).status, 400);
    const ok = (await (await post({ grant_type: 'client_credentials', client_id: 'id', client_secret: 'sec' })).json()) as {
      access_token: string;
      token_type: string;
      expires_in: number;
    };
    assert.equal(ok.token_type, 'Bearer');
    const debuggerUrl = `${fake.url}/api/tracker/v1/debugger?app_id=${PIWIK_APP_ID}`;
    assert.equal((await fetch(debuggerUrl)).status, 401);
    const sessions = await fetch(debuggerUrl, { headers: { authorization: `Bearer ${ok.access_token}` } });
    assert.equal(sessions.headers.get('content-type'), 'application/x-ndjson');
    assert.equal((await sessions.text()).trim().split('\n').length, 3);
    assert.equal(
      (await fetch(`${fake.url}/api/tracker/v1/debugger?app_id=${PIWIK_APP_ID}&lookup_window=301`, { headers: { authorization: `Bearer ${ok.access_token}` } }))
        .status,
      400,
    );
  });
});

describe('fake Piwik PRO Analytics Query API', () => {
  let fake: FakePiwikPro;
  let bearer: string;
  before(async () => {
    fake = await startFakePiwikPro({ clients: [{ clientId: 'id', clientSecret: 'sec' }] });
    const token = await fetch(`${fake.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'id', client_secret: 'sec' }),
    });
    bearer = `Bearer ${((await token.json()) as { access_token: string }).access_token}`;
  });
  after(() => fake.close());

  const query = (body: unknown, authorization?: string): Promise<Response> =>
    fetch(`${fake.url}/api/analytics/v1/query/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify(body),
    });
  const valid = {
    website_id: PIWIK_WEBSITE_ID,
    columns: [{ column_id: 'device_type' }, { column_id: 'sessions' }],
    date_from: '2026-11-01',
    date_to: '2026-11-30',
  };

  it('answers the documented 401 without a token', async () => {
    const response = await query(valid);
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { errors: [{ status: '401', detail: 'No valid credentials provided.' }] });
  });

  it('answers rows with enumerated values as [id, name] and the total in meta.count', async () => {
    const response = await query(valid, bearer);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { data: unknown[][]; meta: { count: number } };
    assert.equal(body.meta.count, 3);
    assert.deepEqual(body.data.map((row) => row[0]).sort(), [
      [0, 'Desktop'],
      [1, 'Smartphone'],
      [2, 'Tablet'],
    ]);
  });

  it('rejects bodies the API documents as invalid, naming the parameter', async () => {
    const rejected = async (body: unknown): Promise<{ detail: string; parameter?: string }> => {
      const response = await query(body, bearer);
      assert.equal(response.status, 400, JSON.stringify(body));
      const error = ((await response.json()) as { errors: Array<{ detail: string; source?: { parameter: string } }> }).errors[0];
      return { detail: error.detail, parameter: error.source?.parameter };
    };
    assert.deepEqual(await rejected({ ...valid, columns: [{ column_id: 'example' }] }), {
      detail: 'Dimension "example" does not exist.',
      parameter: 'columns.0.column_id',
    });
    assert.equal((await rejected({ ...valid, relative_date: 'today' })).parameter, 'relative_date');
    assert.equal((await rejected({ ...valid, date_from: undefined })).parameter, 'date_from');
    assert.equal((await rejected({ ...valid, limit: 100_001 })).parameter, 'limit');
    assert.equal((await rejected({ ...valid, order_by: [[2, 'desc']] })).parameter, 'order_by.0');
    assert.equal(
      (await rejected({ ...valid, filters: { operator: 'and', conditions: [{ column_id: 'sessions', condition: { operator: 'gt', value: 1 } }] } })).parameter,
      'filters.conditions.0.column_id',
    );
    assert.equal(
      (await rejected({ ...valid, filters: { operator: 'and', conditions: [{ column_id: 'device_type', condition: { operator: 'contains', value: 'x' } }] } }))
        .parameter,
      'filters.conditions.0.condition.operator',
    );
    assert.equal((await rejected({ ...valid, metric_filters: { operator: 'xor', conditions: [] } })).parameter, 'metric_filters');
    assert.equal(
      (await rejected({ ...valid, metric_filters: { operator: 'and', conditions: [{ column_id: 'sessions', condition: { operator: 'gt', value: '10' } }] } }))
        .parameter,
      'metric_filters.conditions.0.condition.value',
    );
  });
});
