/**
 * A Piwik PRO Tracker Debugger whose sessions change between polls, for the broken-event watcher
 * (the fixture fake in fakePiwikPro.ts has a fixed set). Contract, as docs/api-notes.md describes:
 * - `POST /auth/token` (client credentials, JSON or form) issues `fake-watch-token-N`;
 *   `expireTokens()` makes every token issued so far answer 401.
 * - `GET /api/tracker/v1/debugger?app_id&lookup_window&limit&event_type`: NDJSON, one session per
 *   line, newest first, ids as bare 64-bit numbers (plus `_str`); only sessions updated within
 *   `lookup_window` minutes of the test's clock; with `event_type`, only sessions holding one.
 *   400 for a missing app id or a window outside 1–300.
 * - `GET /api/tracker/v1/log?app_id&event_ids&server_time_min&server_time_max`: one raw request
 *   per listed event that has a log id.
 * Faults go through `setFault` (fakeServerKit); every request is recorded.
 */
import { FakeServer, json, type Fault, type FakeResponse, type RecordedRequest } from './fakeServerKit';

export const WATCH_APP_ID = '5e1c9a3b-2d4f-4b6a-9c8d-7e6f5a4b3c2d';

export interface WatchEvent {
  id: string;
  type: [number, string];
  /** `YYYY-MM-DDTHH:MM:SS`, UTC. */
  time: string;
  errorMessage?: string;
  url?: string;
  /** When set, the Tracker Log has a raw request for this event with these query parameters. */
  log?: Record<string, string>;
}

export interface WatchSession {
  id: string;
  entryUrl?: string;
  events: WatchEvent[];
}

export interface FakePiwikWatch {
  url: string;
  /** Adds (or, by id, replaces) a session; its times come from its events. */
  putSession(session: WatchSession): void;
  expireTokens(): void;
  setFault(fault: Fault, options?: { times?: number; path?: RegExp }): void;
  clearFaults(): void;
  requests: RecordedRequest[];
  debuggerRequests(): RecordedRequest[];
  tokensIssued(): number;
  close(): Promise<void>;
}

export async function startFakePiwikWatch(options: { clientId: string; clientSecret: string; now: () => number }): Promise<FakePiwikWatch> {
  const sessions = new Map<string, WatchSession>();
  const validTokens = new Set<string>();
  let issued = 0;
  const server = new FakeServer(route);

  function route(request: RecordedRequest): FakeResponse {
    if (request.path === '/auth/token') return token(request);
    const header = request.headers.authorization;
    const bearer = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (!bearer || !validTokens.has(bearer)) return text(401, '');
    if (request.path === '/api/tracker/v1/debugger') return debuggerAnswer(request.query);
    if (request.path === '/api/tracker/v1/log') return logAnswer(request.query);
    return text(404, '404 page not found');
  }

  function token(request: RecordedRequest): FakeResponse {
    const body = request.headers['content-type']?.includes('json')
      ? (JSON.parse(request.body) as Record<string, unknown>)
      : Object.fromEntries(new URLSearchParams(request.body));
    if (body.grant_type !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    if (body.client_id !== options.clientId || body.client_secret !== options.clientSecret) return json(401, { error: 'invalid_client' });
    issued++;
    const accessToken = `fake-watch-token-${issued}`;
    validTokens.add(accessToken);
    return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: 1800 });
  }

  function debuggerAnswer(query: Record<string, string>): FakeResponse {
    const lookup = Number(query.lookup_window ?? 30);
    if (query.app_id !== WATCH_APP_ID) return query.app_id ? text(404, '404 page not found') : text(400, 'Request parameters deserialization error.');
    if (!Number.isInteger(lookup) || lookup < 1 || lookup > 300) return text(400, 'Request parameters deserialization error.');
    const since = options.now() - lookup * 60_000;
    const type = query.event_type !== undefined ? Number(query.event_type) : undefined;
    const lines = [...sessions.values()]
      .filter((session) => Date.parse(`${updatedAt(session)}Z`) >= since)
      .filter((session) => type === undefined || session.events.some((event) => event.type[0] === type))
      .sort((a, b) => updatedAt(b).localeCompare(updatedAt(a)))
      .slice(0, Number(query.limit ?? 100))
      .map(sessionLine);
    return { status: 200, headers: { 'content-type': 'application/x-ndjson' }, body: lines.length > 0 ? `${lines.join('\n')}\n` : '' };
  }

  function logAnswer(query: Record<string, string>): FakeResponse {
    if (!query.app_id || !query.event_ids) return text(400, 'Request parameters deserialization error.');
    const wanted = new Set(query.event_ids.split(','));
    const lines: string[] = [];
    for (const session of sessions.values()) {
      for (const event of session.events) {
        if (!event.log || !wanted.has(event.id)) continue;
        lines.push(
          JSON.stringify({
            id: logIdOf(event.id),
            time: `${event.time}.000000000Z`,
            ip: '203.0.113.0',
            scheme: 'https',
            method: 'GET',
            headers: [['User-Agent', 'Mozilla/5.0']],
            query_params: event.log,
          }),
        );
      }
    }
    return { status: 200, headers: { 'content-type': 'application/x-ndjson' }, body: lines.length > 0 ? `${lines.join('\n')}\n` : '' };
  }

  await server.start();
  return {
    url: server.url,
    putSession: (session) => void sessions.set(session.id, session),
    expireTokens: () => validTokens.clear(),
    setFault: (fault, faultOptions) => server.setFault(fault, faultOptions),
    clearFaults: () => server.clearFaults(),
    requests: server.requests,
    debuggerRequests: () => server.requestsTo('/api/tracker/v1/debugger'),
    tokensIssued: () => issued,
    close: () => server.close(),
  };
}

function updatedAt(session: WatchSession): string {
  return (
    session.events
      .map((event) => event.time)
      .sort()
      .at(-1) ?? '1970-01-01T00:00:00'
  );
}

function logIdOf(eventId: string): string {
  const hex = BigInt(eventId).toString(16).padStart(32, '0').slice(-32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Ids are written as bare numbers beside their `_str` copies, as the real API does. */
function sessionLine(session: WatchSession): string {
  const events = session.events.map((event, index) => ({
    event_id: `#id#${event.id}`,
    event_id_str: event.id,
    log_uuids: event.log ? [logIdOf(event.id)] : [],
    session_id: `#id#${session.id}`,
    session_id_str: session.id,
    is_entry: index === 0,
    is_exit: index === session.events.length - 1,
    event_type: event.type,
    event_index: index,
    server_time: event.time,
    ...(event.url ? { event_url: event.url } : {}),
    ...(event.errorMessage ? { error_message: event.errorMessage } : {}),
  }));
  const line = {
    session_id: `#id#${session.id}`,
    session_id_str: session.id,
    server_time: session.events[0]?.time ?? '1970-01-01T00:00:00',
    updated_at: updatedAt(session),
    app_uuid: WATCH_APP_ID,
    visitor_returning: [0, 'New'],
    ...(session.entryUrl ? { session_entry_url: session.entryUrl } : {}),
    session_total_events: session.events.length,
    events,
  };
  return JSON.stringify(line).replace(/"#id#(\d+)"/g, '$1');
}

function text(status: number, body: string): FakeResponse {
  return { status, headers: { 'content-type': 'text/plain' }, body };
}
