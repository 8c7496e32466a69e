/**
 * The HTTP plumbing the fake APIs share: a node:http server on 127.0.0.1 with an ephemeral port,
 * a record of every request (and whether the client hung up before the answer), and fault
 * switches that turn the next N answers into a delay, an error status, a dropped connection, a
 * truncated body or a huge body.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body: string;
  /** Send the body gzip-compressed, with `content-encoding: gzip`. */
  gzip?: boolean;
}

export type Fault =
  /** Waits before answering; a client that hangs up meanwhile is recorded in `closedEarly`. */
  | { kind: 'slow'; delayMs: number }
  /** Answers with this status (and body and headers) instead of the real answer. */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Destroys the socket without answering. */
  | { kind: 'drop' }
  /** Sends the headers of the real answer and half its body, then closes the connection. */
  | { kind: 'truncate' }
  /** Sends the first half of the real answer as a complete (chunked) body: malformed JSON. */
  | { kind: 'halfBody' }
  /** Streams `bytes` bytes of a JSON array; records whether the client stopped reading. */
  | { kind: 'huge'; bytes: number };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** True when the client closed the connection before the answer was complete. */
  closedEarly: boolean;
  /** `Date.now()` when the request arrived. */
  receivedAt: number;
}

interface FaultSwitch {
  fault: Fault;
  remaining: number;
  path: RegExp | undefined;
}

export type FakeHandler = (request: RecordedRequest) => FakeResponse | Promise<FakeResponse>;

/** A node:http server on an ephemeral 127.0.0.1 port that, when closed, drops every open connection. */
export class LoopbackServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(handle: (req: IncomingMessage, res: ServerResponse) => void) {
    this.server = createServer(handle);
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts listening and returns the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
  }
}

export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private readonly faults: FaultSwitch[] = [];
  private readonly server = new LoopbackServer((req, res) => void this.handle(req, res));
  url = '';

  constructor(private readonly handler: FakeHandler) {}

  async start(): Promise<this> {
    this.url = await this.server.listen();
    return this;
  }

  /** The next `times` requests (matching `path`, when given) get this fault. */
  setFault(fault: Fault, options: { times?: number; path?: RegExp } = {}): void {
    this.faults.push({ fault, remaining: options.times ?? Infinity, path: options.path });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  requestsTo(path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((request) => (typeof path === 'string' ? request.path === path : path.test(request.path)));
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private takeFault(path: string): Fault | undefined {
    const entry = this.faults.find((candidate) => candidate.remaining > 0 && (!candidate.path || candidate.path.test(path)));
    if (!entry) return undefined;
    entry.remaining--;
    return entry.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      closedEarly: false,
      receivedAt: Date.now(),
    };
    this.requests.push(recorded);
    res.on('close', () => {
      if (!res.writableFinished) recorded.closedEarly = true;
    });
    const fault = this.takeFault(url.pathname);
    if (fault?.kind === 'slow') {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (recorded.closedEarly || res.destroyed) return;
    }
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? '');
      return;
    }
    if (fault?.kind === 'huge') {
      await streamHuge(res, fault.bytes);
      return;
    }
    let answer: FakeResponse;
    try {
      answer = await this.handler(recorded);
    } catch (error) {
      answer = { status: 500, body: JSON.stringify({ error: `fake server bug: ${(error as Error).message}`, status: 'error' }) };
    }
    const body = answer.gzip ? gzipSync(Buffer.from(answer.body, 'utf8')) : Buffer.from(answer.body, 'utf8');
    const headers: Record<string, string> = { 'content-type': 'application/json', ...answer.headers, ...(answer.gzip ? { 'content-encoding': 'gzip' } : {}) };
    if (fault?.kind === 'truncate') {
      res.writeHead(answer.status, { ...headers, 'content-length': String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    if (fault?.kind === 'halfBody') {
      res.writeHead(answer.status, headers);
      res.end(body.subarray(0, Math.floor(body.length / 2)));
      return;
    }
    res.writeHead(answer.status, { ...headers, 'content-length': String(body.length) });
    res.end(body);
  }
}

async function streamHuge(res: ServerResponse, bytes: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.from(`${'1,'.repeat(32 * 1024)}`);
  let sent = 0;
  res.write('[');
  while (sent < bytes && !res.destroyed) {
    const ok = res.write(chunk);
    sent += chunk.length;
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end('1]');
}

/** Decodes an `Authorization: Basic` header into its two halves. */
export function basicAuth(headers: Record<string, string | string[] | undefined>): { username: string; password: string } | undefined {
  const header = headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers, body: JSON.stringify(value) };
}

/** Every calendar day from `from` to `to`, inclusive (`YYYY-MM-DD`, UTC). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = Date.parse(`${from}T00:00:00Z`); day <= Date.parse(`${to}T00:00:00Z`); day += 86_400_000) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}
