/**
 * Mixpanel's `POST /import` (docs/api-notes.md) on 127.0.0.1. Contract:
 * - Basic auth: a service account (`username:secret`) with the right `project_id`, else 401.
 * - Body: NDJSON or a JSON array, optionally `Content-Encoding: gzip`. More than 10 MB uncompressed
 *   → 413; more than 2,000 events → 400 (whole request refused, nothing stored).
 * - `strict=1`: each event needs `event`, `properties.time` (s or ms, not over an hour ahead),
 *   `properties.distinct_id` and a valid `properties.$insert_id`; invalid ones come back in
 *   `failed_records` (index, $insert_id, field, message) with HTTP 400, the valid ones are stored.
 * - The store de-duplicates as Mixpanel does, on (event, distinct_id, time, $insert_id).
 * - Faults (`setFaults`): seeded random drops before or after storing, 429 with Retry-After, 5xx.
 */
import { gunzipSync } from 'node:zlib';
import { RawFakeServer, type IngestFaults, type RawAnswer, type RawRequest } from './ingestFaults';

export interface FakeMixpanelImportOptions {
  projectId: number;
  username: string;
  secret: string;
  /** "Now" for the future-time check; default the real clock. */
  now?: () => number;
}

export interface StoredMixpanelEvent {
  event: string;
  properties: Record<string, unknown>;
}

export interface FakeMixpanelImport {
  url: string;
  /** Distinct stored events, keyed by (event, distinct_id, time, $insert_id). */
  store: Map<string, StoredMixpanelEvent>;
  /** Every event received, duplicates included (to prove retries really happened). */
  received(): number;
  requests(): number;
  injected: RawFakeServer['injected'];
  /** Content-Encoding and query of each request that reached the handler. */
  seen: Array<{ encoding: string | undefined; query: string }>;
  setFaults(faults: IngestFaults | undefined): void;
  close(): Promise<void>;
}

const INSERT_ID = /^[A-Za-z0-9-]{1,36}$/;

export async function startFakeMixpanelImport(options: FakeMixpanelImportOptions): Promise<FakeMixpanelImport> {
  const store = new Map<string, StoredMixpanelEvent>();
  const seen: FakeMixpanelImport['seen'] = [];
  let received = 0;
  const now = options.now ?? Date.now;
  const server = new RawFakeServer(handle);

  function handle(request: RawRequest): RawAnswer {
    if (request.method !== 'POST' || request.path !== '/import') return answer(404, { error: 'not found' });
    const auth = request.headers.authorization ?? '';
    const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
    if (decoded !== `${options.username}:${options.secret}` || request.query.get('project_id') !== String(options.projectId)) {
      return answer(401, { code: 401, error: 'Invalid credentials', status: 'Unauthorized' });
    }
    seen.push({ encoding: request.headers['content-encoding'], query: request.query.toString() });
    let raw: Buffer;
    try {
      raw = request.headers['content-encoding'] === 'gzip' ? gunzipSync(request.body) : request.body;
    } catch {
      return answer(400, { code: 400, error: 'unable to decompress the body', status: 'Bad Request' });
    }
    if (raw.length > 10 * 1024 * 1024)
      return answer(413, { code: 413, error: 'request exceeds max limit of 10485760 bytes', status: 'Request Entity Too Large' });
    let events: unknown[];
    try {
      const text = raw.toString('utf8');
      events = text.trimStart().startsWith('[')
        ? (JSON.parse(text) as unknown[])
        : text
            .split('\n')
            .filter((line) => line.trim())
            .map((line) => JSON.parse(line) as unknown);
    } catch {
      return answer(400, { code: 400, error: 'unable to parse the body as JSON', status: 'Bad Request' });
    }
    if (events.length > 2000) return answer(400, { code: 400, error: 'too many events: at most 2000 per request', status: 'Bad Request' });
    const strict = request.query.get('strict') !== '0';
    const failed: Array<Record<string, unknown>> = [];
    let imported = 0;
    events.forEach((value, index) => {
      received++;
      const problem = strict ? validate(value) : undefined;
      const properties = ((value as StoredMixpanelEvent)?.properties ?? {}) as Record<string, unknown>;
      if (problem) {
        failed.push({ index, $insert_id: properties.$insert_id, field: problem.field, message: problem.message });
        return;
      }
      const event = value as StoredMixpanelEvent;
      store.set(JSON.stringify([event.event, properties.distinct_id, properties.time, properties.$insert_id]), event);
      imported++;
    });
    if (failed.length > 0)
      return answer(400, {
        code: 400,
        error: 'some data points in the request failed validation',
        num_records_imported: imported,
        status: 'Bad Request',
        failed_records: failed,
      });
    return answer(200, { code: 200, num_records_imported: imported, status: 'OK' });
  }

  function validate(value: unknown): { field: string; message: string } | undefined {
    const event = value as { event?: unknown; properties?: Record<string, unknown> };
    if (!event || typeof event !== 'object') return { field: 'event', message: 'event must be an object' };
    if (typeof event.event !== 'string' || event.event === '') return { field: 'event', message: "'event' must be a non-empty string" };
    const properties = event.properties;
    if (!properties || typeof properties !== 'object') return { field: 'properties', message: "'properties' must be an object" };
    const time = properties.time;
    if (typeof time !== 'number') return { field: 'properties.time', message: "'properties.time' is invalid: must be specified as seconds since epoch" };
    const seconds = time > 1e11 ? time / 1000 : time;
    if (seconds < Date.parse('1971-01-01T00:00:00Z') / 1000 || seconds > now() / 1000 + 3600)
      return { field: 'properties.time', message: "'properties.time' is invalid: must be after 1971 and at most 1 hour in the future" };
    if (typeof properties.distinct_id !== 'string') return { field: 'properties.distinct_id', message: "'properties.distinct_id' must be a string" };
    const insertId = properties.$insert_id;
    if (typeof insertId !== 'string' || !INSERT_ID.test(insertId))
      return { field: 'properties.$insert_id', message: "'properties.$insert_id' is invalid: at most 36 alphanumeric characters or '-'" };
    return undefined;
  }

  await server.start();
  return {
    url: server.url,
    store,
    received: () => received,
    requests: () => server.requestCount,
    injected: server.injected,
    seen,
    setFaults: (faults) => server.setFaults(faults),
    close: () => server.close(),
  };
}

function answer(status: number, value: unknown): RawAnswer {
  return { status, body: JSON.stringify(value) };
}
