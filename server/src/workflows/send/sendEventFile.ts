/**
 * Sends one event file to Mixpanel or mParticle: reads it, cuts it into requests, skips the
 * requests an interrupted earlier run already delivered (`resume`), sends the rest with retries and
 * records progress after every accepted request. Used by `aq send` and the editor's "Send Events".
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Credentials, MixpanelSourceConfig, MparticleSourceConfig } from '../../queryEngine/analyticsBackend';
import type { HttpClient } from '../../queryEngine/httpClient';
import { defaultCacheDir } from '../../queryEngine/cacheDir';
import { eventFileKindOf, lineOfOffset, lineStarts, readEventFile, type EventFileKind } from './eventFileFormat';
import { mixpanelBatchSender, planMixpanelBatches, type MixpanelImportTarget } from './mixpanelImport';
import { mparticleChunkSender, planMparticleChunks, type MparticleTarget } from './mparticleBulk';
import { sendBatches, type PreparedBatch, type RetryPolicy, type SendProgress, type SendReport, type BatchOutcome } from './sendBatches';
import { clearProgress, inputHashOf, loadProgress, progressPathFor, saveProgress } from './sendProgress';

export type SendDestination = { kind: 'mixpanel'; name: string; target: MixpanelImportTarget } | { kind: 'mparticle'; name: string; target: MparticleTarget };

/**
 * Where events go for a source and its secrets (from the editor or the environment); undefined when
 * the secrets it needs are missing: an mParticle input's key and secret, a Mixpanel service account
 * (or legacy secret).
 */
export function sendDestination(
  source: MixpanelSourceConfig | MparticleSourceConfig,
  credentials: Credentials | undefined,
  baseUrlOverride: string | undefined,
): SendDestination | undefined {
  if (source.kind === 'mparticle') {
    if (!credentials?.apiKey || !credentials.apiSecret) return undefined;
    return { kind: 'mparticle', name: source.name, target: { pod: source.pod, apiKey: credentials.apiKey, apiSecret: credentials.apiSecret, baseUrlOverride } };
  }
  if (!credentials?.secret) return undefined;
  return { kind: 'mixpanel', name: source.name, target: { projectId: source.projectId, region: source.region, baseUrlOverride, credentials } };
}

export interface SendEventFileOptions {
  /** Absolute path of the input; names the progress file and the file kind. */
  path: string;
  /** The file's text when already read (the editor's buffer); read from `path` otherwise. */
  text?: string;
  destination: SendDestination;
  http: HttpClient;
  signal: AbortSignal;
  /** Skip the requests an earlier run of the same file to the same destination delivered. */
  resume?: boolean;
  /** Plan and report, send nothing. */
  dryRun?: boolean;
  retry?: RetryPolicy;
  /** Smaller requests than the APIs allow (tests); never larger. */
  limits?: { maxRecordsPerRequest?: number; maxBytesPerRequest?: number };
  timeoutMs?: number;
  /** Where progress is kept; default a file under `<cacheDir>/send/`. */
  progressPath?: string;
  /** The cache folder (AQ_CACHE_DIR, else ~/.cache/aq by default). */
  cacheDir?: string;
  onProgress?: (progress: SendProgress) => void;
}

export interface SendEventFileResult {
  kind: EventFileKind;
  /** Events (Mixpanel) or batches (mParticle) in the file. */
  records: number;
  requests: number;
  /** JSON errors that stopped the send before anything went out, with their lines. */
  syntaxErrors: Array<{ line: number; message: string }>;
  /** Set when the file's kind does not fit the destination. */
  problem?: string;
  report?: SendReport;
  progressPath: string;
}

export async function sendEventFile(options: SendEventFileOptions): Promise<SendEventFileResult> {
  const progressPath = options.progressPath ?? progressPathFor(options.path, options.cacheDir ?? defaultCacheDir());
  const kind = eventFileKindOf(options.path);
  const empty = { records: 0, requests: 0, syntaxErrors: [], progressPath };
  if (!kind)
    return {
      ...empty,
      kind: 'mixpanel-ndjson',
      problem: `${basename(options.path)} is not an event file: name it *.events.ndjson or *.events.json (Mixpanel) or *.mparticle.json (mParticle).`,
    };
  const wantsMparticle = kind === 'mparticle';
  if (wantsMparticle !== (options.destination.kind === 'mparticle')) {
    return {
      ...empty,
      kind,
      problem: `${basename(options.path)} holds ${wantsMparticle ? 'mParticle batches' : 'Mixpanel events'}, but "${options.destination.name}" is a ${options.destination.kind} source.`,
    };
  }
  const text = options.text ?? readFileSync(options.path, 'utf8');
  const content = readEventFile(text, kind);
  if (content.syntaxErrors.length > 0) {
    const starts = lineStarts(text);
    return { ...empty, kind, syntaxErrors: content.syntaxErrors.map((error) => ({ line: lineOfOffset(starts, error.span.start), message: error.message })) };
  }
  const inputs = content.records.map((record) => ({ line: record.line, value: record.value }));
  const limits = options.limits ?? {};
  let batches: PreparedBatch[];
  let sendOne: (batch: PreparedBatch, signal: AbortSignal) => Promise<BatchOutcome>;
  if (options.destination.kind === 'mixpanel') {
    const planned = planMixpanelBatches(inputs, { maxEvents: limits.maxRecordsPerRequest, maxBytes: limits.maxBytesPerRequest });
    const sender = options.dryRun ? undefined : mixpanelBatchSender(options.destination.target, { http: options.http, timeoutMs: options.timeoutMs });
    batches = planned;
    sendOne = (batch, signal) => sender!(planned[batch.index], signal);
  } else {
    const planned = planMparticleChunks(inputs, { maxBatches: limits.maxRecordsPerRequest, maxBytes: limits.maxBytesPerRequest });
    const sender = options.dryRun ? undefined : mparticleChunkSender(options.destination.target, { http: options.http, timeoutMs: options.timeoutMs });
    batches = planned;
    sendOne = (batch, signal) => sender!(planned[batch.index], signal);
  }
  const result: SendEventFileResult = { kind, records: inputs.length, requests: batches.length, syntaxErrors: [], progressPath };
  if (options.dryRun) return result;

  const destinationKey = destinationKeyOf(options.destination);
  const inputHash = inputHashOf(text, JSON.stringify({ kind, limits }));
  const saved = options.resume ? loadProgress(progressPath, inputHash, destinationKey) : { completed: new Set<number>(), recordFailures: [] };
  const completed = saved.completed;
  // Rejections of the batches earlier runs delivered are carried along: those batches are skipped now.
  const keptFailures = [...saved.recordFailures];
  const report = await sendBatches(batches, sendOne, {
    signal: options.signal,
    alreadySent: new Set(completed),
    retry: options.retry,
    onProgress: options.onProgress,
    onBatchDone: (index, failures) => {
      completed.add(index);
      keptFailures.push(...failures);
      saveProgress(progressPath, inputHash, destinationKey, completed, keptFailures);
    },
  });
  if (saved.recordFailures.length > 0) {
    report.recordFailures = [...saved.recordFailures, ...report.recordFailures].sort((a, b) => a.line - b.line);
    report.earlierRecordFailures = saved.recordFailures.length;
  }
  result.report = report;
  if (!result.report.stoppedBy && result.report.failedBatches.length === 0) clearProgress(progressPath);
  return result;
}

/** Where the events go, without secrets: progress for one project never skips batches for another. */
function destinationKeyOf(destination: SendDestination): string {
  if (destination.kind === 'mixpanel')
    return `mixpanel:${destination.target.region}:${destination.target.projectId}:${destination.target.baseUrlOverride ?? ''}`;
  const keyHash = createHash('sha256').update(destination.target.apiKey).digest('hex').slice(0, 12);
  return `mparticle:${destination.target.pod}:${keyHash}:${destination.target.baseUrlOverride ?? ''}`;
}
