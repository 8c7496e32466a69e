/**
 * A fake of Mixpanel's Raw Export API (`GET /api/2.0/export`) and of the Engage API's paging
 * (`POST /api/query/engage`) on 127.0.0.1, for `aq pull`. It checks what the real API checks —
 * Basic auth, `project_id`, the project's region, `from_date`/`to_date` — and answers NDJSON lines
 * built from its events, gzipped when the client accepts gzip and the body is over 1400 bytes, as
 * Mixpanel does. Faults per request: 429 with Retry-After, a status, a dropped connection, a
 * stream cut mid-body; and days of any size generated line by line as they are sent.
 */
import { createGzip } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basicAuth, LoopbackServer } from './fakeServerKit';

export interface ExportEvent {
  event: string;
  properties: Record<string, unknown> & { time: number; distinct_id: string };
}

export type ExportFault =
  | { kind: 'rateLimited'; retryAfterSeconds: number }
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'drop' }
  /** Sends the headers and about `afterBytes` of the (gzipped) body, then cuts the connection. */
  | { kind: 'cut'; afterBytes: number };

export interface FakeExportOptions {
  projectId: number;
  region?: 'US' | 'EU' | 'IN';
  /** The region this host serves; default US. */
  hostRegion?: 'US' | 'EU' | 'IN';
  username: string;
  secret: string;
  /** The events of the project, each exported on the UTC day of its `time`. */
  events: readonly ExportEvent[];
  /** Days answered with `lines` generated lines (about 230 bytes each, a block of 256 repeated), sent as they are made. */
  largeDays?: Record<string, { lines: number }>;
  /** Profiles served by /engage, `pageSize` a page. */
  profiles?: ReadonlyArray<{ distinctId: string; properties: Record<string, unknown> }>;
  pageSize?: number;
}

export interface ExportRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  receivedAt: number;
}

export interface FakeExport {
  url: string;
  requests: ExportRequestRecord[];
  exportRequests(): ExportRequestRecord[];
  /** The next `times` export requests (for `day`, when given) get this fault. */
  setFault(fault: ExportFault, options?: { times?: number; day?: string }): void;
  clearFaults(): void;
  /** Bytes of the generated large days actually written to sockets. */
  generatedBytes: () => number;
  close(): Promise<void>;
}

/** The export's line for an event: Mixpanel's key order, `time` in seconds. */
export function exportLine(event: ExportEvent): string {
  return JSON.stringify({ event: event.event, properties: event.properties });
}

export async function startFakeExport(options: FakeExportOptions): Promise<FakeExport> {
  const requests: ExportRequestRecord[] = [];
  const faults: Array<{ fault: ExportFault; remaining: number; day?: string }> = [];
  let generated = 0;

  const server = new LoopbackServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const record: ExportRequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      form: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
      headers: req.headers,
      receivedAt: Date.now(),
    };
    requests.push(record);
    const auth = basicAuth(req.headers);
    const params = { ...record.query, ...record.form };
    if (!auth || auth.username !== options.username || auth.password !== options.secret)
      return sendJson(res, 401, { error: 'Invalid credentials', status: 'error' });
    if (!params.project_id) return sendJson(res, 400, { error: 'project_id is required when using service account authentication', status: 'error' });
    if (Number(params.project_id) !== options.projectId)
      return sendJson(res, 403, { error: `user does not have access to project ${params.project_id}`, status: 'error' });
    if ((options.region ?? 'US') !== (options.hostRegion ?? 'US'))
      return sendJson(res, 400, { request: url.pathname, error: 'request failed with error: invalid project id for cluster.' });
    if (url.pathname === '/api/2.0/export' && req.method === 'GET') return exportDay(req, res, params);
    if (url.pathname === '/api/query/engage' && req.method === 'POST') return engage(res, params);
    return sendJson(res, 404, { error: `unknown endpoint ${url.pathname}`, status: 'error' });
  }

  async function exportDay(req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> {
    if (!params.from_date || !params.to_date) return sendJson(res, 400, { error: 'from_date and to_date are required', status: 'error' });
    const entry = faults.find((candidate) => candidate.remaining > 0 && (!candidate.day || candidate.day === params.from_date));
    const fault = entry?.fault;
    if (entry) entry.remaining--;
    if (fault?.kind === 'rateLimited') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(fault.retryAfterSeconds) });
      res.end(JSON.stringify({ error: 'Query rate limit exceeded', status: 'error' }));
      return;
    }
    if (fault?.kind === 'status') return void sendText(res, fault.status, fault.body ?? JSON.stringify({ error: `HTTP ${fault.status}`, status: 'error' }));
    if (fault?.kind === 'drop') return void req.socket.destroy();
    let eventNames: string[] | undefined;
    if (params.event) {
      try {
        eventNames = JSON.parse(params.event) as string[];
      } catch {
        return sendJson(res, 400, { error: 'event must be a JSON array of names', status: 'error' });
      }
    }
    const where = whereFilter(params.where);
    if (!where) return sendJson(res, 400, { error: `invalid where expression: ${params.where}`, status: 'error' });
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const large = params.from_date === params.to_date ? options.largeDays?.[params.from_date] : undefined;
    if (large) return streamLarge(req, res, params.from_date, large.lines, fault);
    const body = options.events
      .filter((event) => {
        const day = new Date(event.properties.time * 1000).toISOString().slice(0, 10);
        return day >= params.from_date && day <= params.to_date && (!eventNames || eventNames.includes(event.event)) && where(event);
      })
      .map((event) => `${exportLine(event)}\n`)
      .join('');
    const plain = Buffer.from(body);
    const compressed = gzip && plain.length > 1400;
    const payload = compressed ? await gzipped(plain) : plain;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (compressed) headers['content-encoding'] = 'gzip';
    if (fault?.kind === 'cut') {
      res.writeHead(200, { ...headers, 'content-length': String(payload.length) });
      res.write(payload.subarray(0, Math.min(fault.afterBytes, payload.length - 1)));
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(payload.length) });
    res.end(payload);
  }

  /** A day generated line by line and gzipped on the fly, honouring backpressure. */
  async function streamLarge(req: IncomingMessage, res: ServerResponse, day: string, lines: number, fault: ExportFault | undefined): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip' });
    const zip = createGzip({ level: 1 });
    let sentCompressed = 0;
    zip.on('data', (chunk: Buffer) => {
      sentCompressed += chunk.length;
      if (!res.write(chunk)) zip.pause();
      if (fault?.kind === 'cut' && sentCompressed >= fault.afterBytes) {
        zip.destroy();
        req.socket.destroy();
      }
    });
    res.on('drain', () => zip.resume());
    res.on('close', () => zip.destroy());
    zip.on('end', () => res.end());
    // One block of lines sent over and over: the fake itself makes no garbage, so a test can measure
    // the client's memory alone.
    const start = Date.parse(`${day}T00:00:00Z`) / 1000;
    const padding = 'x'.repeat(80);
    const blockLines = Math.min(256, lines);
    const lineTexts = Array.from(
      { length: blockLines },
      (_, i) =>
        `{"event":"Generated","properties":{"time":${start + i * 60},"distinct_id":"g${i}","$insert_id":"gen-${day}-${i}","mp_processing_time_ms":${(start + 86_400) * 1000},"padding":"${padding}"}}\n`,
    );
    const block = Buffer.from(lineTexts.join(''));
    for (let sent = 0; sent < lines && !zip.destroyed; sent += blockLines) {
      const piece = lines - sent >= blockLines ? block : Buffer.from(lineTexts.slice(0, lines - sent).join(''));
      generated += piece.length;
      if (!zip.write(piece)) await new Promise<void>((resolve) => (zip.destroyed ? resolve() : zip.once('drain', resolve)));
    }
    if (!zip.destroyed) zip.end();
  }

  function engage(res: ServerResponse, params: Record<string, string>): void {
    const profiles = options.profiles ?? [];
    const pageSize = options.pageSize ?? 1000;
    const page = Number(params.page ?? 0);
    if (page > 0 && params.session_id !== 'fake-session-1')
      return sendJson(res, 400, { error: 'request for page in uncached query for params', status: 'error' });
    const results = profiles
      .slice(page * pageSize, (page + 1) * pageSize)
      .map((profile) => ({ $distinct_id: profile.distinctId, $properties: profile.properties }));
    sendJson(res, 200, { page, page_size: pageSize, session_id: 'fake-session-1', status: 'ok', total: profiles.length, results });
  }

  const url = await server.listen();
  return {
    url,
    requests,
    exportRequests: () => requests.filter((request) => request.path === '/api/2.0/export'),
    setFault: (fault, faultOptions = {}) => void faults.push({ fault, remaining: faultOptions.times ?? 1, day: faultOptions.day }),
    clearFaults: () => void (faults.length = 0),
    generatedBytes: () => generated,
    close: () => server.close(),
  };
}

/** `properties["x"] == "v"` / `== 3`, the only expressions the fake understands. */
function whereFilter(expression: string | undefined): ((event: ExportEvent) => boolean) | undefined {
  if (expression === undefined) return () => true;
  const match = /^properties\["([^"]+)"\] == (?:"([^"]*)"|(-?\d+(?:\.\d+)?))$/.exec(expression.trim());
  if (!match) return undefined;
  const expected = match[2] ?? Number(match[3]);
  return (event) => event.properties[match[1]] === expected;
}

function gzipped(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = createGzip();
    const out: Buffer[] = [];
    zip.on('data', (chunk: Buffer) => out.push(chunk));
    zip.on('end', () => resolve(Buffer.concat(out)));
    zip.on('error', reject);
    zip.end(data);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendText(res, status, JSON.stringify(value));
}

function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}
