/**
 * A hostile API for security tests: it answers whatever the test plans, and its favourite answer
 * is the request itself — headers, body, URL and any strings the test plants (every form of a
 * secret it received: user:secret, its base64, URL-encoded copies…) — inside an error body, a
 * per-record rejection or a 200. It also answers with absurd Retry-After values, bodies that never
 * end or arrive a byte at a time, and redirects to another host.
 */
import type { ServerResponse } from 'node:http';
import { FakeServer, LoopbackServer, type FakeResponse, type RecordedRequest } from './fakeServerKit';

/** Everything a request carried, as one line a hostile server can paste anywhere. */
export function echoOf(request: RecordedRequest, planted: readonly string[] = []): string {
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : value}`)
    .join('; ');
  const query = new URLSearchParams(request.query).toString();
  return `you sent ${request.method} ${request.path}${query ? `?${query}` : ''} with ${headers}; body ${request.body}; planted ${planted.join(' | ')}`;
}

export type HostileAnswer = (request: RecordedRequest, echo: string) => FakeResponse;

export interface HostileRoute {
  path: RegExp;
  answer: HostileAnswer;
}

/**
 * A server whose answers come from `routes` (first match wins; unmatched paths get a 404 echoing
 * the request). `planted` is added to every echo; change it between tests with `plant`.
 */
export class HostileServer extends FakeServer {
  private planted: string[] = [];
  private routes: HostileRoute[] = [];

  constructor() {
    super((request) => this.answer(request));
  }

  plant(forms: readonly string[]): this {
    this.planted = [...forms];
    return this;
  }

  /** Replaces the routes. */
  route(...routes: HostileRoute[]): this {
    this.routes = routes;
    return this;
  }

  private answer(request: RecordedRequest): FakeResponse {
    const echo = echoOf(request, this.planted);
    const route = this.routes.find((candidate) => candidate.path.test(request.path));
    return route ? route.answer(request, echo) : { status: 404, body: JSON.stringify({ error: echo }) };
  }
}

export async function startHostileServer(): Promise<HostileServer> {
  return new HostileServer().start();
}

/** Answers `status` with the echo as Mixpanel's and Piwik PRO's error fields and as plain text. */
export function echoError(status: number, headers: Record<string, string> = {}): HostileAnswer {
  return (_request, echo) => ({
    status,
    headers,
    body: JSON.stringify({ error: echo, message: echo, error_description: echo, errors: [{ message: echo }], status: 'error' }),
  });
}

/** A 429 with the given Retry-After. */
export function rateLimited(retryAfter: string): HostileAnswer {
  return (_request, echo) => ({ status: 429, headers: { 'retry-after': retryAfter }, body: JSON.stringify({ error: echo }) });
}

/** Answers 302 to the same path on `target` (another host), to see whether credentials follow. */
export function redirectTo(target: string): HostileAnswer {
  return (request) => ({ status: 302, headers: { location: `${target}${request.path}` }, body: '' });
}

/** A server whose every answer is a 200 body that never ends (until the client hangs up). */
export async function startEndlessBodyServer(): Promise<{ url: string; clientHungUp: () => boolean; close: () => Promise<void> }> {
  let hungUp = false;
  const server = new LoopbackServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.on('close', () => (hungUp = true));
    pump(res, Buffer.from(`${'{"x":1},'.repeat(8192)}`));
  });
  const url = await server.listen();
  return { url, clientHungUp: () => hungUp, close: () => server.close() };
}

function pump(res: ServerResponse, chunk: Buffer): void {
  const write = (): void => {
    while (!res.destroyed) {
      if (!res.write(chunk)) {
        res.once('drain', write);
        return;
      }
    }
  };
  res.write('[');
  write();
}

/** A server that sends a 200 and then one byte every `intervalMs`, forever. */
export async function startSlowBodyServer(intervalMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  const timers = new Set<NodeJS.Timeout>();
  const server = new LoopbackServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), intervalMs);
    timers.add(timer);
    res.on('close', () => clearInterval(timer));
  });
  const url = await server.listen();
  return {
    url,
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      await server.close();
    },
  };
}
