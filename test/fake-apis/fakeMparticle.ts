/**
 * mParticle's Events API `POST /v2/bulkevents` (docs/api-notes.md) on 127.0.0.1. Contract:
 * - Basic auth with the input's API key and secret: none → 401, wrong → 403.
 * - Body: a JSON array of at most 100 batches (more → 400 with `{"errors":[…]}`); each batch
 *   needs `environment` (production|development|unknown) and an `events` array; each event an
 *   `event_type`. A bad batch refuses the whole request with 400 (nothing stored).
 * - Answers 202 with an empty body. Batches with a `source_request_id` already seen are ignored,
 *   as mParticle de-duplicates requests by it.
 * - Faults (`setFaults`): seeded random drops before or after storing, 429 with Retry-After, 5xx.
 */
import { RawFakeServer, type IngestFaults, type RawAnswer, type RawRequest } from './ingestFaults';

export interface StoredBatch {
  environment: string;
  events: Array<{ event_type: string; data?: Record<string, unknown> }>;
  source_request_id?: string;
  [key: string]: unknown;
}

export interface FakeMparticle {
  url: string;
  /** Distinct batches stored, in arrival order. */
  batches: StoredBatch[];
  requests(): number;
  injected: RawFakeServer['injected'];
  setFaults(faults: IngestFaults | undefined): void;
  close(): Promise<void>;
}

const ENVIRONMENTS = new Set(['production', 'development', 'unknown']);

export async function startFakeMparticle(options: { apiKey: string; apiSecret: string }): Promise<FakeMparticle> {
  const batches: StoredBatch[] = [];
  const requestIds = new Set<string>();
  const server = new RawFakeServer(handle);

  function handle(request: RawRequest): RawAnswer {
    if (request.method !== 'POST' || request.path !== '/v2/bulkevents') return errors(404, 'Not found.');
    const auth = request.headers.authorization;
    if (!auth) return errors(401, 'Authorization header missing.');
    const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
    if (decoded !== `${options.apiKey}:${options.apiSecret}`) return errors(403, 'Invalid API key or secret.');
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      return errors(400, 'Malformed JSON.');
    }
    if (!Array.isArray(body)) return errors(400, 'The body of /v2/bulkevents must be an array of batches.');
    if (body.length > 100) return errors(400, 'At most 100 batches per request.');
    for (const batch of body as StoredBatch[]) {
      if (!batch || typeof batch !== 'object' || !ENVIRONMENTS.has(batch.environment))
        return errors(400, 'Required batch field "environment" is missing or invalid.');
      if (!Array.isArray(batch.events)) return errors(400, 'Required batch field "events" is missing.');
      if (batch.events.some((event) => !event || typeof event.event_type !== 'string' || event.event_type === ''))
        return errors(400, 'Required event field "event_type" is missing or empty.');
    }
    for (const batch of body as StoredBatch[]) {
      if (typeof batch.source_request_id === 'string') {
        if (requestIds.has(batch.source_request_id)) continue;
        requestIds.add(batch.source_request_id);
      }
      batches.push(batch);
    }
    return { status: 202, body: '' };
  }

  await server.start();
  return {
    url: server.url,
    batches,
    requests: () => server.requestCount,
    injected: server.injected,
    setFaults: (faults) => server.setFaults(faults),
    close: () => server.close(),
  };
}

function errors(status: number, message: string): RawAnswer {
  return { status, body: JSON.stringify({ errors: [{ code: status === 400 ? 'BAD_REQUEST' : 'UNAUTHORIZED', message }] }) };
}
