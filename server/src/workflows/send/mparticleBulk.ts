/**
 * mParticle's Events API `POST /v2/bulkevents` (docs/api-notes.md, "mParticle Events API"): a JSON array of at most 100
 * batches, under 256 KB, to the pod's host, with the input's API key and secret as Basic auth.
 * Each batch gets a stable `source_request_id` when it has none: mParticle de-duplicates requests
 * by it, so a batch re-sent after a dropped connection is not counted twice.
 */
import { createHash } from 'node:crypto';
import { BackendError } from '../../queryEngine/backendErrors';
import type { MparticlePod } from '../../queryEngine/analyticsBackend';
import { maskCredentials } from '../../queryEngine/credentialMasking';
import { applyBaseUrlOverride, type HttpClient } from '../../queryEngine/httpClient';
import { mparticleHost } from '../../queryEngine/remoteBackends';
import { MPARTICLE_MAX_BATCHES_PER_REQUEST, MPARTICLE_MAX_REQUEST_BYTES } from './ingestLimits';
import { canonicalJson } from './insertIds';
import { retryAfterMs, type BatchOutcome, type PreparedBatch } from './sendBatches';

export interface MparticleBatchInput {
  line: number;
  value: unknown;
}

export interface MparticleChunk extends PreparedBatch {
  lines: number[];
  /** The JSON array sent. */
  body: string;
}

/** Groups batches into requests of at most `maxBatches` batches and `maxBytes` bytes, deterministically. */
export function planMparticleChunks(batches: MparticleBatchInput[], limits: { maxBatches?: number; maxBytes?: number } = {}): MparticleChunk[] {
  const maxBatches = Math.min(limits.maxBatches ?? MPARTICLE_MAX_BATCHES_PER_REQUEST, MPARTICLE_MAX_BATCHES_PER_REQUEST);
  const maxBytes = limits.maxBytes ?? MPARTICLE_MAX_REQUEST_BYTES;
  const chunks: MparticleChunk[] = [];
  let lines: number[] = [];
  let parts: string[] = [];
  let bytes = 2;
  const flush = (): void => {
    if (lines.length === 0) return;
    chunks.push({ index: chunks.length, size: lines.length, lines, body: `[${parts.join(',')}]` });
    lines = [];
    parts = [];
    bytes = 2;
  };
  for (const batch of batches) {
    const json = JSON.stringify(withSourceRequestId(batch.value));
    const size = Buffer.byteLength(json, 'utf8') + 1;
    if (lines.length >= maxBatches || (lines.length > 0 && bytes + size > maxBytes)) flush();
    lines.push(batch.line);
    parts.push(json);
    bytes += size;
  }
  flush();
  return chunks;
}

/** A UUID-shaped id from the batch's content, so the same batch always carries the same id. */
export function stableSourceRequestId(batch: Record<string, unknown>): string {
  const hex = createHash('sha256').update(canonicalJson(batch)).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function withSourceRequestId(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const batch = value as Record<string, unknown>;
  if (batch.source_request_id !== undefined) return batch;
  return { ...batch, source_request_id: stableSourceRequestId(batch) };
}

export interface MparticleTarget {
  pod: MparticlePod;
  apiKey: string;
  apiSecret: string;
  baseUrlOverride?: string;
}

export function mparticleChunkSender(
  target: MparticleTarget,
  options: { http: HttpClient; timeoutMs?: number },
): (chunk: MparticleChunk, signal: AbortSignal) => Promise<BatchOutcome> {
  const url = applyBaseUrlOverride(`${mparticleHost(target.pod)}/v2/bulkevents`, target.baseUrlOverride);
  const secrets = { credentials: { apiKey: target.apiKey, apiSecret: target.apiSecret } };
  return async (chunk, signal) => {
    const response = await options.http.send(
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', accept: 'text/html, application/json' },
        body: chunk.body,
        auth: { kind: 'basic', username: target.apiKey, password: target.apiSecret },
      },
      { signal, timeoutMs: options.timeoutMs ?? 120_000, maxBytes: 1024 * 1024 },
    );
    const status = response.status;
    if (status >= 200 && status < 300) return { kind: 'done', accepted: chunk.size, failures: [] };
    const said = maskCredentials(errorText(maskCredentials(response.body, secrets)), secrets);
    if (status === 401 || status === 403) {
      return {
        kind: 'fatal',
        error: new BackendError('auth', `mParticle did not accept the API key and secret (HTTP ${status})${said ? `: ${said}` : ''}.`, { status }),
      };
    }
    if (status === 429 || status >= 500)
      return { kind: 'retry', reason: `mParticle answered HTTP ${status}`, retryAfterMs: retryAfterMs(response.headers['retry-after']) };
    const reason = `mParticle rejected the request (HTTP ${status})${said ? `: ${said}` : ''}`;
    return { kind: 'rejected', reason, failures: chunk.lines.map((line) => ({ line, message: reason })) };
  };
}

/** `{"errors":[{"message": …}]}` → its messages; otherwise the start of the body. */
function errorText(body: string): string {
  try {
    const json = JSON.parse(body) as { errors?: Array<{ message?: unknown }> };
    const messages = (json.errors ?? []).map((error) => error.message).filter((message): message is string => typeof message === 'string');
    if (messages.length > 0) return messages.join('; ');
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.trim().slice(0, 200);
}
