/**
 * Mixpanel's `/import` (docs/api-notes.md, "Mixpanel import"): NDJSON, gzipped, `strict=1` so invalid events come back
 * one by one (the valid ones of the batch are still stored), at most 2,000 events and 10 MB
 * uncompressed per request. Every event gets a stable `$insert_id` when it has none, so retries
 * and re-sends de-duplicate.
 */
import { gzipSync } from 'node:zlib';
import type { Credentials, MixpanelRegion } from '../../queryEngine/analyticsBackend';
import { BackendError } from '../../queryEngine/backendErrors';
import { maskCredentials, type SecretMaterial } from '../../queryEngine/credentialMasking';
import { applyBaseUrlOverride, buildUrl, type HttpClient } from '../../queryEngine/httpClient';
import { MIXPANEL_MAX_EVENTS_PER_REQUEST, MIXPANEL_MAX_REQUEST_BYTES } from './ingestLimits';
import { stableInsertId } from './insertIds';
import { retryAfterMs, type BatchOutcome, type PreparedBatch, type RecordFailure } from './sendBatches';

const IMPORT_HOSTS: Record<MixpanelRegion, string> = {
  US: 'https://api.mixpanel.com',
  EU: 'https://api-eu.mixpanel.com',
  IN: 'https://api-in.mixpanel.com',
};

export function mixpanelImportHost(region: MixpanelRegion): string {
  return IMPORT_HOSTS[region] ?? IMPORT_HOSTS.US;
}

export interface MixpanelImportTarget {
  projectId: number;
  region: MixpanelRegion;
  /** Replaces scheme and host (tests, proxies); set only from machine settings or the environment. */
  baseUrlOverride?: string;
  /** A service account (`username` + `secret`) or a legacy project secret (`secret` alone). */
  credentials: Credentials;
}

/** One event of the input, with the line it came from. */
export interface ImportEventInput {
  line: number;
  value: unknown;
}

export interface MixpanelBatch extends PreparedBatch {
  /** Source line of each event, in request order: `failed_records[].index` points into it. */
  lines: number[];
  /** The NDJSON request body, uncompressed. */
  body: string;
}

/**
 * Splits events into requests of at most `maxEvents` events and `maxBytes` bytes, adding a stable
 * `$insert_id` where one is missing. The split depends only on the input, so batch N of a resumed
 * send is batch N of the first run.
 */
export function planMixpanelBatches(events: ImportEventInput[], limits: { maxEvents?: number; maxBytes?: number } = {}): MixpanelBatch[] {
  const maxEvents = Math.min(limits.maxEvents ?? MIXPANEL_MAX_EVENTS_PER_REQUEST, MIXPANEL_MAX_EVENTS_PER_REQUEST);
  const maxBytes = Math.min(limits.maxBytes ?? MIXPANEL_MAX_REQUEST_BYTES, MIXPANEL_MAX_REQUEST_BYTES);
  const batches: MixpanelBatch[] = [];
  let lines: number[] = [];
  let parts: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (lines.length === 0) return;
    batches.push({ index: batches.length, size: lines.length, lines, body: parts.join('') });
    lines = [];
    parts = [];
    bytes = 0;
  };
  for (const event of events) {
    const line = `${JSON.stringify(withInsertId(event.value))}\n`;
    const lineBytes = Buffer.byteLength(line, 'utf8');
    if (lines.length >= maxEvents || (lines.length > 0 && bytes + lineBytes > maxBytes)) flush();
    lines.push(event.line);
    parts.push(line);
    bytes += lineBytes;
  }
  flush();
  return batches;
}

function withInsertId(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const event = value as { event?: unknown; properties?: unknown };
  if (typeof event.event !== 'string' || !event.properties || typeof event.properties !== 'object' || Array.isArray(event.properties)) return value;
  const properties = event.properties as Record<string, unknown>;
  if (properties.$insert_id !== undefined) return value;
  return { ...event, properties: { ...properties, $insert_id: stableInsertId(event.event, properties) } };
}

export interface MixpanelSenderOptions {
  http: HttpClient;
  timeoutMs?: number;
  /** Default true; off only for servers that cannot inflate. */
  gzip?: boolean;
}

/** Returns the function `sendBatches` calls for each batch. */
export function mixpanelBatchSender(
  target: MixpanelImportTarget,
  options: MixpanelSenderOptions,
): (batch: MixpanelBatch, signal: AbortSignal) => Promise<BatchOutcome> {
  const { username, secret } = target.credentials;
  if (!secret) throw new BackendError('auth', 'Sending to Mixpanel needs a service account (username and secret) or a project secret.');
  const url = applyBaseUrlOverride(
    buildUrl(mixpanelImportHost(target.region), '/import', { strict: 1, project_id: username ? target.projectId : undefined }),
    target.baseUrlOverride,
  );
  const auth = username ? { kind: 'basic' as const, username, password: secret } : { kind: 'basic' as const, username: secret, password: '' };
  const gzip = options.gzip ?? true;
  return async (batch, signal) => {
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson', accept: 'application/json' };
    if (gzip) headers['content-encoding'] = 'gzip';
    const response = await options.http.send(
      { method: 'POST', url, headers, body: gzip ? gzipSync(batch.body) : batch.body, auth },
      { signal, timeoutMs: options.timeoutMs ?? 120_000, maxBytes: 4 * 1024 * 1024 },
    );
    return importOutcome(response.status, response.body, response.headers['retry-after'], batch, { credentials: target.credentials });
  };
}

function importOutcome(status: number, unmaskedBody: string, retryAfter: string | undefined, batch: MixpanelBatch, secrets: SecretMaterial): BatchOutcome {
  const body = maskCredentials(unmaskedBody, secrets);
  const json = parseJsonObject(body);
  const said = maskCredentials(typeof json?.error === 'string' ? json.error : body.trim().slice(0, 200), secrets);
  if (status >= 200 && status < 300) {
    return { kind: 'done', accepted: typeof json?.num_records_imported === 'number' ? json.num_records_imported : batch.size, failures: [] };
  }
  if (status === 400) {
    const records = Array.isArray(json?.failed_records) ? (json.failed_records as Array<Record<string, unknown>>) : undefined;
    if (records) {
      const failures: RecordFailure[] = records.map((record) => {
        const index = typeof record.index === 'number' ? record.index : -1;
        const failure: RecordFailure = {
          line: batch.lines[index] ?? 0,
          message: maskCredentials(typeof record.message === 'string' ? record.message : 'rejected by Mixpanel', secrets),
        };
        if (typeof record.field === 'string') failure.field = record.field;
        return failure;
      });
      return { kind: 'done', accepted: typeof json?.num_records_imported === 'number' ? json.num_records_imported : batch.size - failures.length, failures };
    }
    return {
      kind: 'rejected',
      reason: `Mixpanel rejected the batch (HTTP 400): ${said}`,
      failures: batch.lines.map((line) => ({ line, message: `the whole batch was rejected: ${said}` })),
    };
  }
  if (status === 401 || status === 403) {
    return {
      kind: 'fatal',
      error: new BackendError('auth', `Mixpanel did not accept the credentials for /import (HTTP ${status}): ${said}`, {
        status,
        hint: 'A service account needs the Owner or Admin role on the project.',
      }),
    };
  }
  if (status === 413) return { kind: 'rejected', reason: `Mixpanel says the batch is too large (HTTP 413): ${said}`, failures: [] };
  if (status === 429 || status >= 500) return { kind: 'retry', reason: `Mixpanel answered HTTP ${status}`, retryAfterMs: retryAfterMs(retryAfter) };
  return { kind: 'rejected', reason: `Mixpanel answered HTTP ${status}: ${said}`, failures: [] };
}

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(body) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
