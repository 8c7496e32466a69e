/**
 * A fake of Piwik PRO's `/auth/token`, Tracker Debugger and Tracker Log (docs/api-notes.md) on
 * 127.0.0.1. Sessions are written as NDJSON text with their 64-bit ids as bare JSON numbers, as
 * the real API does, so a client that trusts `JSON.parse` for ids gets them wrong.
 * Extra faults: `badLine` (a broken NDJSON line after the first session) and `expireTokens()`.
 * The Analytics Query API and its column listing are in fakePiwikAnalytics.ts.
 */
import { analyticsQueryAnswer, appAnswer, listingAnswer } from './fakePiwikAnalytics';
import { FakeServer, json, type Fault, type FakeResponse, type RecordedRequest } from './fakeServerKit';

export const PIWIK_APP_ID = '01e7e7f7-8a34-4aca-b700-45f6a6aa3aba';

/** Ids beyond 2^53: `JSON.parse` rounds each of them to a different number. */
export const PIWIK_IDS = {
  session1: '5632530715433106129',
  session2: '9223372036854775807',
  session3: '12345678901234567891',
  visitor1: '6302510224405123457',
  visitor2: '7302510224405123451',
  visitor3: '8302510224405123453',
  event1: '6719694023305478881',
  event2: '6719694023305478883',
  event3: '6719694023305478885',
  event4: '9223372036854775001',
  event5: '9223372036854775003',
  event6: '12345678901234567001',
} as const;

export const PIWIK_LOG_IDS = {
  event2: '0d454742-0e95-4321-a200-fd9d1c4b8031',
  event3: '1d454742-0e95-4321-a200-fd9d1c4b8032',
  event5: '2d454742-0e95-4321-a200-fd9d1c4b8033',
} as const;

interface FixtureSession {
  id: string;
  visitor: string;
  serverTime: string;
  updatedAt: string;
  entryUrl: string;
  events: Array<{ id: string; index: number; type: [number, string]; time: string; url?: string; logId?: string; extra?: string }>;
}

/** Session 1 has a broken (17) and an excluded (18) event; session 2 an excluded one; session 3 page views only. */
const SESSIONS: FixtureSession[] = [
  {
    id: PIWIK_IDS.session1,
    visitor: PIWIK_IDS.visitor1,
    serverTime: '2026-10-03T09:58:00',
    updatedAt: '2026-10-03T10:01:00',
    entryUrl: 'https://shop.example/',
    events: [
      { id: PIWIK_IDS.event1, index: 0, type: [1, 'Page view'], time: '2026-10-03T09:58:00', url: 'https://shop.example/' },
      {
        id: PIWIK_IDS.event2,
        index: 1,
        type: [17, 'Broken event'],
        time: '2026-10-03T09:59:00',
        logId: PIWIK_LOG_IDS.event2,
        extra: '"error_message":"Resolving referrer failed due to internal error (timeout)"',
      },
      {
        id: PIWIK_IDS.event3,
        index: 2,
        type: [18, 'Excluded event'],
        time: '2026-10-03T10:01:00',
        logId: PIWIK_LOG_IDS.event3,
        extra: '"exclusion_reason":"IP is on the crawler list"',
      },
    ],
  },
  {
    id: PIWIK_IDS.session2,
    visitor: PIWIK_IDS.visitor2,
    serverTime: '2026-10-03T09:50:00',
    updatedAt: '2026-10-03T09:52:00',
    entryUrl: 'https://shop.example/pricing',
    events: [
      { id: PIWIK_IDS.event4, index: 0, type: [1, 'Page view'], time: '2026-10-03T09:50:00', url: 'https://shop.example/pricing' },
      {
        id: PIWIK_IDS.event5,
        index: 1,
        type: [18, 'Excluded event'],
        time: '2026-10-03T09:52:00',
        logId: PIWIK_LOG_IDS.event5,
        extra: '"exclusion_reason":"IP is on the crawler list"',
      },
    ],
  },
  {
    id: PIWIK_IDS.session3,
    visitor: PIWIK_IDS.visitor3,
    serverTime: '2026-10-03T09:40:00',
    updatedAt: '2026-10-03T09:40:00',
    entryUrl: 'https://shop.example/blog',
    events: [{ id: PIWIK_IDS.event6, index: 0, type: [1, 'Page view'], time: '2026-10-03T09:40:00', url: 'https://shop.example/blog' }],
  },
];

/** One NDJSON line per session, built as text so the ids stay bare 64-bit numbers. */
function sessionLine(session: FixtureSession): string {
  const events = session.events.map(
    (event) =>
      `{"event_id":${event.id},"event_id_str":"${event.id}","log_uuids":[${event.logId ? `"${event.logId}"` : ''}],"session_id":${session.id},"session_id_str":"${session.id}",` +
      `"is_entry":${event.index === 0},"is_exit":${event.index === session.events.length - 1},"event_type":[${event.type[0]},"${event.type[1]}"],"event_index":${event.index},"server_time":"${event.time}"` +
      `${event.url ? `,"event_url":"${event.url}"` : ''}${event.extra ? `,${event.extra}` : ''}}`,
  );
  return (
    `{"session_id":${session.id},"session_id_str":"${session.id}","server_time":"${session.serverTime}","updated_at":"${session.updatedAt}","app_uuid":"${PIWIK_APP_ID}",` +
    `"visitor_id":${session.visitor},"visitor_id_str":"${session.visitor}","visitor_returning":[0,"New"],"referrer_type":[1,"Direct entry"],"is_bounce":false,` +
    `"session_entry_url":"${session.entryUrl}","session_total_events":${session.events.length},"events":[${events.join(',')}]}`
  );
}

function logLine(logId: string, session: FixtureSession, eventIndex: number): string {
  const event = session.events[eventIndex];
  return JSON.stringify({
    id: logId,
    time: `${event.time}.000000000Z`,
    ip: '203.0.113.0',
    scheme: 'https',
    method: 'GET',
    headers: [['User-Agent', 'Mozilla/5.0']],
    query_params: { idsite: PIWIK_APP_ID, url: event.url ?? session.entryUrl, rec: '1', action_name: 'fixture' },
  });
}

export interface FakePiwikProOptions {
  clients: Array<{ clientId: string; clientSecret: string }>;
  /** Token lifetime reported in `expires_in`; default 1800 s. */
  tokenTtlSeconds?: number;
}

export interface FakePiwikPro {
  url: string;
  close(): Promise<void>;
  store: { requests: RecordedRequest[]; requestsTo(path: string | RegExp): RecordedRequest[]; tokensIssued(): number };
  setFault(fault: Fault | { kind: 'badLine' }, options?: { times?: number; path?: RegExp }): void;
  clearFaults(): void;
  /** Invalidates every token issued so far: the next API call answers 401. */
  expireTokens(): void;
}

export async function startFakePiwikPro(options: FakePiwikProOptions): Promise<FakePiwikPro> {
  const validTokens = new Set<string>();
  let issued = 0;
  let badLines = 0;

  const server = new FakeServer((request) => route(request));

  function route(request: RecordedRequest): FakeResponse {
    if (request.path === '/auth/token') return token(request);
    const header = request.headers.authorization;
    const bearer = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (!bearer || !validTokens.has(bearer)) {
      if (request.path.startsWith('/api/analytics/')) return json(401, { errors: [{ status: '401', detail: 'No valid credentials provided.' }] });
      return { status: 401, headers: { 'content-type': 'text/plain' }, body: '' };
    }
    if (request.path === '/api/analytics/v1/query/') return analyticsQueryAnswer(request);
    if (request.path === '/analytics/api/engine/dimensions/') return listingAnswer('dimension', request.query);
    if (request.path === '/analytics/api/engine/metrics/') return listingAnswer('metric', request.query);
    if (request.path.startsWith('/api/apps/v2/')) return appAnswer(request.path);
    if (request.path === '/api/tracker/v1/debugger') return debuggerAnswer(request.query);
    if (request.path === '/api/tracker/v1/log') return logAnswer(request.query);
    return text(404, '404 page not found');
  }

  function token(request: RecordedRequest): FakeResponse {
    if (request.method !== 'POST') return text(405, 'method not allowed');
    let body: Record<string, unknown>;
    try {
      body = request.headers['content-type']?.includes('json')
        ? (JSON.parse(request.body) as Record<string, unknown>)
        : Object.fromEntries(new URLSearchParams(request.body));
    } catch {
      return json(400, { error: 'invalid_request', error_description: 'The request body is not valid.', message: 'The request body is not valid.' });
    }
    if (body.grant_type !== 'client_credentials')
      return json(400, {
        error: 'unsupported_grant_type',
        error_description: 'The authorization grant type is not supported.',
        message: 'unsupported grant type',
      });
    if (!options.clients.some((client) => client.clientId === body.client_id && client.clientSecret === body.client_secret))
      return json(401, { error: 'invalid_client' });
    issued++;
    const accessToken = `fake-token-${issued}`;
    validTokens.add(accessToken);
    return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: options.tokenTtlSeconds ?? 1800 });
  }

  function debuggerAnswer(query: Record<string, string>): FakeResponse {
    if (!query.app_id) return text(400, 'Request parameters deserialization error.');
    const lookup = Number(query.lookup_window ?? 30);
    const limit = Number(query.limit ?? 100);
    if (!Number.isInteger(lookup) || lookup < 1 || lookup > 300 || !Number.isInteger(limit) || limit < 1)
      return text(400, 'Request parameters deserialization error.');
    if (query.app_id !== PIWIK_APP_ID) return text(404, '404 page not found');
    const type = query.event_type !== undefined ? Number(query.event_type) : undefined;
    const lines = SESSIONS.filter((session) => type === undefined || session.events.some((event) => event.type[0] === type))
      .slice(0, limit)
      .map(sessionLine);
    if (badLines > 0 && lines.length > 0) {
      badLines--;
      lines.splice(1, 0, '{"session_id":1,"broken');
    }
    return { status: 200, headers: { 'content-type': 'application/x-ndjson' }, body: lines.length > 0 ? `${lines.join('\n')}\n` : '' };
  }

  function logAnswer(query: Record<string, string>): FakeResponse {
    if (!query.app_id || !query.event_ids) return text(400, 'Request parameters deserialization error.');
    if ((query.server_time_min === undefined) !== (query.server_time_max === undefined)) return text(400, 'Request parameters deserialization error.');
    if (query.server_time_min !== undefined) {
      const span = Date.parse(`${query.server_time_max}Z`) - Date.parse(`${query.server_time_min}Z`);
      if (!(span >= 0 && span <= 720 * 60_000)) return text(400, 'Request parameters deserialization error.');
    }
    const wanted = new Set(query.event_ids.split(','));
    const lines: string[] = [];
    for (const session of SESSIONS) {
      session.events.forEach((event, i) => {
        if (event.logId && wanted.has(event.id)) lines.push(logLine(event.logId, session, i));
      });
    }
    return { status: 200, headers: { 'content-type': 'application/x-ndjson' }, body: lines.length > 0 ? `${lines.join('\n')}\n` : '' };
  }

  await server.start();
  return {
    url: server.url,
    close: () => server.close(),
    store: { requests: server.requests, requestsTo: (path) => server.requestsTo(path), tokensIssued: () => issued },
    setFault: (fault, faultOptions) => {
      if (fault.kind === 'badLine') badLines += faultOptions?.times ?? 1;
      else server.setFault(fault, faultOptions);
    },
    clearFaults: () => {
      badLines = 0;
      server.clearFaults();
    },
    expireTokens: () => validTokens.clear(),
  };
}

function text(status: number, body: string): FakeResponse {
  return { status, headers: { 'content-type': 'text/plain' }, body };
}
