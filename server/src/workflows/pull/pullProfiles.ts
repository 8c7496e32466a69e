/**
 * `aq pull --profiles`: every user profile of the project through the Engage API, paged as
 * Mixpanel documents it (the same `session_id`, `page + 1`, while a page is full), written one
 * `{"$distinct_id", "$properties"}` per line to `profiles.people.ndjson.gz`, which the local engine
 * reads for `user["…"]`. One page is in memory at a time; the file is renamed into place only when
 * the last page arrived.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { MixpanelBackend } from '../../queryEngine/backends/mixpanel/mixpanelBackend';
import { ResultCache } from '../../queryEngine/resultCache';
import type { Credentials, MixpanelSourceConfig } from '../../queryEngine/sourceConfig';
import type { HttpClient } from '../../queryEngine/httpClient';
import type { RequestQueue } from '../../queryEngine/requestQueue';
import type { PulledProfiles } from './pullManifest';

export interface ProfilePullOptions {
  source: MixpanelSourceConfig;
  credentials: Credentials | undefined;
  baseUrlOverride?: string;
  outputDir: string;
  http: HttpClient;
  /** The source's Query API queue: Engage counts against its hourly budget. */
  queryQueue: RequestQueue;
  signal: AbortSignal;
  now: () => Date;
  idleTimeoutMs?: number;
  onPage?: (profilesSoFar: number) => void;
}

export const PROFILES_FILE = 'profiles.people.ndjson.gz';
/** A guard against a server that never sends a short page. */
const MAX_PAGES = 100_000;

export async function pullProfiles(options: ProfilePullOptions): Promise<PulledProfiles> {
  const backend = new MixpanelBackend(options.source, {
    baseUrlOverride: options.baseUrlOverride,
    queue: options.queryQueue,
    cache: new ResultCache({ ttlMs: 0 }),
    timeoutMs: options.idleTimeoutMs ?? 300_000,
    http: options.http,
  });
  const context = { signal: options.signal, credentials: options.credentials, now: options.now, readTextFile: () => Promise.reject(new Error('no files')) };
  const temporary = join(options.outputDir, `.${PROFILES_FILE}.${randomBytes(4).toString('hex')}.partial`);
  const hash = createHash('sha256');
  let fileBytes = 0;
  let bytes = 0;
  let count = 0;
  const gzip = createGzip();
  const written = pipeline(
    gzip,
    new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        hash.update(chunk);
        fileBytes += chunk.length;
        callback(null, chunk);
      },
    }),
    createWriteStream(temporary, { flags: 'wx' }),
  );
  written.catch(() => undefined);
  try {
    let page = 0;
    let sessionId: string | undefined;
    for (; page < MAX_PAGES; page++) {
      const answer = await backend.queryProfiles({ page, sessionId }, context);
      sessionId = answer.sessionId ?? sessionId;
      const text = answer.profiles.map((profile) => `${JSON.stringify({ $distinct_id: profile.distinctId, $properties: profile.properties })}\n`).join('');
      bytes += Buffer.byteLength(text);
      count += answer.profiles.length;
      if (text && !gzip.write(text)) await new Promise<void>((resolve) => gzip.once('drain', resolve));
      options.onPage?.(count);
      if (answer.profiles.length === 0 || answer.profiles.length < answer.pageSize || !sessionId) break;
    }
    gzip.end();
    await written;
    await rename(temporary, join(options.outputDir, PROFILES_FILE));
  } catch (error) {
    gzip.destroy();
    await written.catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  return { file: PROFILES_FILE, profiles: count, bytes, fileBytes, sha256: hash.digest('hex'), pulledAt: options.now().toISOString() };
}
