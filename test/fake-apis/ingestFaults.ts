/**
 * Shared by the fake ingestion APIs (fakeMixpanelImport.ts, fakeMparticle.ts): a raw node:http
 * server that keeps request bodies as bytes (gzip), and seeded random faults so a test that sends
 * through drops and 429/5xx is still deterministic.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mulberry32 } from '../../server/src/sample/generateSample';
import { LoopbackServer } from './fakeServerKit';

/** Probabilities per request, drawn from a PRNG seeded with `seed`. */
export interface IngestFaults {
  seed: number;
  /** Destroy the socket before looking at the request (nothing stored). */
  dropBefore?: number;
  /** Store the request, then destroy the socket without answering: the client must retry, the store must not double. */
  dropAfterStore?: number;
  /** Answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit?: number;
  retryAfterSeconds?: number;
  /** Answer 500/502/503 at random. */
  serverError?: number;
}

/** A seeded PRNG for fault injection: the sample generator's, so runs are repeatable. */
export const seededRandom = mulberry32;

export interface RawRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface RawAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export type FaultDecision = 'dropBefore' | 'dropAfterStore' | 'rateLimit' | 'serverError' | undefined;

export class RawFakeServer {
  private readonly server = new LoopbackServer((req, res) => void this.handle(req, res));
  private random: () => number = () => 1;
  private faults: IngestFaults | undefined;
  url = '';
  /** Counts of each fault injected so far. */
  readonly injected = { dropBefore: 0, dropAfterStore: 0, rateLimit: 0, serverError: 0 };
  requestCount = 0;

  constructor(private readonly handler: (request: RawRequest) => RawAnswer) {}

  async start(): Promise<this> {
    this.url = await this.server.listen();
    return this;
  }

  setFaults(faults: IngestFaults | undefined): void {
    this.faults = faults;
    this.random = faults ? seededRandom(faults.seed) : () => 1;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private decide(): FaultDecision {
    const faults = this.faults;
    if (!faults) return undefined;
    const roll = this.random();
    let edge = 0;
    for (const kind of ['dropBefore', 'dropAfterStore', 'rateLimit', 'serverError'] as const) {
      edge += faults[kind] ?? 0;
      if (roll < edge) return kind;
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.requestCount++;
    const url = new URL(req.url ?? '/', 'http://fake');
    const request: RawRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
    const fault = this.decide();
    if (fault) this.injected[fault]++;
    if (fault === 'dropBefore') return void req.socket.destroy();
    if (fault === 'rateLimit')
      return this.answer(res, {
        status: 429,
        headers: { 'retry-after': String(this.faults?.retryAfterSeconds ?? 1) },
        body: JSON.stringify({
          code: 429,
          error: 'Project exceeded rate limits. Please retry the request with exponential backoff.',
          status: 'Too Many Requests',
        }),
      });
    if (fault === 'serverError') {
      const status = [500, 502, 503][Math.floor(this.random() * 3)];
      return this.answer(res, { status, body: JSON.stringify({ error: 'fake server error' }) });
    }
    let answer: RawAnswer;
    try {
      answer = this.handler(request);
    } catch (error) {
      answer = { status: 500, body: JSON.stringify({ error: `fake server bug: ${(error as Error).message}` }) };
    }
    if (fault === 'dropAfterStore') return void req.socket.destroy();
    this.answer(res, answer);
  }

  private answer(res: ServerResponse, answer: RawAnswer): void {
    const body = Buffer.from(answer.body, 'utf8');
    res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': String(body.length), ...answer.headers });
    res.end(body);
  }
}
