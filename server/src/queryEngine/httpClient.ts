/**
 * The only door to the network: every remote backend sends its requests through `HttpClient`.
 * It applies the per-request timeout and the caller's AbortSignal, reads the body as a stream with
 * a byte cap so a huge response cannot exhaust memory, and turns transport failures into
 * `BackendError`s. Credentials travel in `HttpRequest.auth` and are turned into a header only at
 * the moment of sending, so no error, log line or curl preview built from a request can leak them.
 */
import { gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Agent, request as undiciRequestType } from 'undici';
import { BackendError } from './backendErrors';
import { credentialForms, maskCredentialForms, type SecretMaterial } from './credentialMasking';

export type HttpAuth = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

/** One HTTP request, described as plain data. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Absolute URL, already carrying its query string. */
  url: string;
  headers?: Record<string, string>;
  /** Text, or bytes for bodies that are not UTF-8 (a gzipped upload). */
  body?: string | Uint8Array;
  auth?: HttpAuth;
  /**
   * The caller's other secrets (those of the source, a token request's client secret, a secret
   * URL). They and every form of `auth` are masked in the response body before anyone reads it,
   * so a server echoing a header or the request back cannot make aq print a credential.
   */
  secrets?: SecretMaterial;
}

/** A response whose body was read completely (or up to the cap, see `truncated`). */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
  /** True when the body hit `maxBytes` and was cut at the last complete line (`oversize: 'truncate'`). */
  truncated: boolean;
}

export interface SendOptions {
  signal: AbortSignal;
  /** Time allowed for the whole exchange: connect, headers and body. */
  timeoutMs: number;
  /** Largest body kept in memory; default 32 MiB. */
  maxBytes?: number;
  /** What a body above `maxBytes` becomes: an error (JSON) or a truncated body (NDJSON). */
  oversize?: 'error' | 'truncate';
}

/** A response whose body is left to the caller to read as it arrives (a raw export of any size). */
export interface HttpStreamResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** The body as sent (still gzipped when `content-encoding` says so). Reading it may fail mid-way. */
  body: Readable;
}

export interface StreamOptions {
  signal: AbortSignal;
  /** Longest silence allowed: before the headers, and between two pieces of the body. */
  idleTimeoutMs: number;
}

export interface HttpClient {
  send(request: HttpRequest, options: SendOptions): Promise<HttpResponse>;
  /**
   * Sends a request and hands back the body unread, for answers too large to hold in memory.
   * Failures before the headers become BackendErrors; the caller owns (and must consume or
   * destroy) the body.
   */
  openStream(request: HttpRequest, options: StreamOptions): Promise<HttpStreamResponse>;
  close(): Promise<void>;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** A connection pool and the function that sends through it. */
interface Connection {
  agent: Agent;
  undiciRequest: typeof undiciRequestType;
}

let undici: Promise<typeof import('undici')> | undefined;

/**
 * Creates a client with its own connection pool; `close()` it when the engine is disposed. The HTTP
 * library is loaded with the first request: loading it takes longer than a whole offline query,
 * and most CLI runs and editor sessions on local sources never send one.
 */
export function createHttpClient(options: { connectTimeoutMs?: number } = {}): HttpClient {
  let connection: Promise<Connection> | undefined;
  const connected = (): Promise<Connection> =>
    (connection ??= (undici ??= import('undici')).then((library) => ({
      agent: new library.Agent({ connect: { timeout: options.connectTimeoutMs ?? 10_000 }, keepAliveTimeout: 4_000 }),
      undiciRequest: library.request,
    })));
  return {
    send: async (request, sendOptions) => sendRequest(await connected(), request, sendOptions),
    openStream: async (request, streamOptions) => openStream(await connected(), request, streamOptions),
    close: async () => {
      if (connection) await (await connection).agent.close();
    },
  };
}

async function sendRequest({ agent, undiciRequest }: Connection, request: HttpRequest, options: SendOptions): Promise<HttpResponse> {
  const where = describeTarget(request.url);
  if (options.signal.aborted) throw new BackendError('cancelled', `The request to ${where} was cancelled.`);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  // One controller aborts the exchange for both reasons; `timedOut` tells them apart afterwards.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onCallerAbort = (): void => controller.abort();
  options.signal.addEventListener('abort', onCallerAbort, { once: true });
  let phase: 'headers' | 'body' = 'headers';
  try {
    const response = await undiciRequest(request.url, {
      method: request.method,
      headers: { ...request.headers, ...authorizationHeader(request.auth) },
      body: request.body,
      signal: controller.signal,
      dispatcher: agent,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    phase = 'body';
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of response.body) {
      const buffer = chunk as Buffer;
      if (size + buffer.length > maxBytes) {
        if (options.oversize !== 'truncate') {
          response.body.destroy();
          throw new BackendError(
            'tooLarge',
            `The response from ${where} is larger than ${formatBytes(maxBytes)}; narrow the query (a shorter date range, a lower limit).`,
          );
        }
        chunks.push(buffer.subarray(0, maxBytes - size));
        truncated = true;
        response.body.destroy();
        break;
      }
      chunks.push(buffer);
      size += buffer.length;
    }
    let body: Buffer = Buffer.concat(chunks);
    if (truncated) {
      // Cut at the last newline so a partial line (and a split UTF-8 sequence) never reaches the parser.
      const lastNewline = body.lastIndexOf(0x0a);
      body = body.subarray(0, lastNewline + 1);
    }
    const headers = flattenHeaders(response.headers);
    // A request that sent `Accept-Encoding: gzip` may get a compressed body; it is inflated under the same byte cap.
    if (headers['content-encoding'] === 'gzip' && !truncated) body = inflate(body, maxBytes, where);
    const text = maskCredentialForms(body.toString('utf8'), credentialForms(secretsOfRequest(request)));
    return { status: response.statusCode, headers, body: text, truncated };
  } catch (error) {
    throw toBackendError(error, { where, phase, timedOut, cancelled: options.signal.aborted, timeoutMs: options.timeoutMs });
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onCallerAbort);
  }
}

/** What a request carries that must never come back out: its auth plus the caller's secrets. */
export function secretsOfRequest(request: Pick<HttpRequest, 'auth' | 'secrets'>): SecretMaterial {
  const material: SecretMaterial = { ...request.secrets };
  if (request.auth?.kind === 'basic') material.basicPairs = [...(material.basicPairs ?? []), [request.auth.username, request.auth.password]];
  if (request.auth?.kind === 'bearer') material.tokens = [...(material.tokens ?? []), request.auth.token];
  return material;
}

function inflate(body: Buffer, maxBytes: number, where: string): Buffer {
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new BackendError(
        'tooLarge',
        `The response from ${where} is larger than ${formatBytes(maxBytes)} once decompressed; narrow the query (a shorter date range, a lower limit).`,
      );
    }
    throw new BackendError('badResponse', `The compressed response from ${where} could not be decompressed: ${(error as Error).message}.`);
  }
}

async function openStream({ agent, undiciRequest }: Connection, request: HttpRequest, options: StreamOptions): Promise<HttpStreamResponse> {
  const where = describeTarget(request.url);
  if (options.signal.aborted) throw new BackendError('cancelled', `The request to ${where} was cancelled.`);
  try {
    const response = await undiciRequest(request.url, {
      method: request.method,
      headers: { ...request.headers, ...authorizationHeader(request.auth) },
      body: request.body,
      signal: options.signal,
      dispatcher: agent,
      headersTimeout: options.idleTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
    });
    return { status: response.statusCode, headers: flattenHeaders(response.headers), body: response.body };
  } catch (error) {
    throw toBackendError(error, { where, phase: 'headers', timedOut: false, cancelled: options.signal.aborted, timeoutMs: options.idleTimeoutMs });
  }
}

function authorizationHeader(auth: HttpAuth | undefined): Record<string, string> {
  if (!auth) return {};
  if (auth.kind === 'bearer') return { authorization: `Bearer ${auth.token}` };
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

interface FailureContext {
  where: string;
  phase: 'headers' | 'body';
  timedOut: boolean;
  cancelled: boolean;
  timeoutMs: number;
}

function toBackendError(error: unknown, context: FailureContext): BackendError {
  if (error instanceof BackendError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  if (context.cancelled) return new BackendError('cancelled', `The request to ${context.where} was cancelled.`);
  if (context.timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new BackendError('timeout', `${context.where} did not answer within ${Math.round(context.timeoutMs / 1000)} s.`);
  }
  if (context.phase === 'body') {
    return new BackendError('badResponse', `The response from ${context.where} was cut off before it was complete.`);
  }
  const reason = NETWORK_REASONS[code] ?? 'the connection failed';
  return new BackendError('network', `Could not reach ${context.where}: ${reason}.`);
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'the host name could not be resolved',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_SOCKET: 'the server closed the connection',
  UND_ERR_CLOSED: 'the connection was closed',
};

/** `https://mixpanel.com` from a URL, for messages: never the path (it may name an app) or credentials. */
export function describeTarget(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

/**
 * Replaces the scheme and host of `url` by those of `override` (which may add a path prefix),
 * keeping the documented path and query. Only machine settings and AQ_<NAME>_BASE_URL set it.
 */
export function applyBaseUrlOverride(url: string, override: string | undefined): string {
  if (!override) return url;
  const target = new URL(url);
  const base = new URL(override);
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.protocol}//${base.host}${prefix}${target.pathname}${target.search}`;
}

/** Builds a URL from a base, a path and query parameters (undefined values are left out). */
export function buildUrl(base: string, path: string, query: Record<string, string | number | undefined> = {}): string {
  const url = new URL(path, base);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.toString();
}

/** The request as a curl command with every secret masked, for "Show Generated Request". */
export function describeAsCurl(request: HttpRequest): string {
  const parts = ['curl'];
  if (request.method !== 'GET') parts.push('-X', request.method);
  parts.push(shellQuote(request.url));
  if (request.auth?.kind === 'basic') parts.push('-u', shellQuote(maskBasicAuth(request.auth.username, request.auth.password)));
  if (request.auth?.kind === 'bearer') parts.push('-H', shellQuote('Authorization: Bearer ****'));
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    const masked = /^(authorization|cookie|x-api-key)$/i.test(name) ? '****' : value;
    parts.push('-H', shellQuote(`${name}: ${masked}`));
  }
  if (typeof request.body === 'string') parts.push('--data', shellQuote(request.body));
  else if (request.body !== undefined) parts.push('--data-binary', `@<${request.body.byteLength} bytes>`);
  return parts.join(' ');
}

/**
 * A service-account username names the account and is shown; a legacy project secret travels in
 * the username slot with an empty password, so then the username itself is the secret.
 */
function maskBasicAuth(username: string, password: string): string {
  return password ? `${username}:****` : '****:';
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

let sharedClient: HttpClient | undefined;

/** The process-wide client backends use when none is injected. */
export function defaultHttpClient(): HttpClient {
  sharedClient ??= createHttpClient();
  return sharedClient;
}
