/**
 * Sends prepared batches one after another with the retry rules both ingestion APIs ask for:
 * 429 and 5xx and dropped connections are retried with exponential backoff and jitter (honouring
 * Retry-After), a rejected batch (400) is never retried, an auth failure stops the whole send.
 * Re-sending a batch is safe because every record carries a stable de-duplication id, so a
 * connection dropped after the server stored the batch costs a retry, never a duplicate.
 */
import { BackendError, isBackendError } from '../../queryEngine/backendErrors';
import { describeWait, MAX_RETRY_AFTER_WAIT_MS, parseRetryAfter, timerSafeDelay } from '../../queryEngine/retryAfter';

/** A record the API refused, by the line of the input file it came from. */
export interface RecordFailure {
  line: number;
  message: string;
  /** The field the API named, when it did. */
  field?: string;
}

/** What one attempt at a batch came to. */
export type BatchOutcome =
  /** Accepted (records the API refused individually are in `failures`; they are not retried). */
  | { kind: 'done'; accepted: number; failures: RecordFailure[] }
  /** Worth another try later (429, 5xx, network). */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** The batch is refused as a whole and retrying will not help (400, 413). */
  | { kind: 'rejected'; reason: string; failures: RecordFailure[] }
  /** Nothing else can succeed either (401/403): stop the send. */
  | { kind: 'fatal'; error: BackendError };

export interface PreparedBatch {
  index: number;
  /** Records in the batch (events for Mixpanel, batches for mParticle). */
  size: number;
}

export interface RetryPolicy {
  /** First backoff step; default 2 s (Mixpanel's recommendation). */
  baseDelayMs?: number;
  /** Cap of a backoff step; default 60 s. */
  maxDelayMs?: number;
  /** Random extra wait, [min, max]; default 1–5 s. */
  jitterMs?: [number, number];
  /** The longest Retry-After waited out; a longer one stops the send (resume later). Default and upper bound MAX_RETRY_AFTER_WAIT_MS (10 min). */
  maxRetryAfterMs?: number;
  /** Attempts per batch, the first included; default 10. */
  maxAttempts?: number;
  random?: () => number;
  /** Waits `ms`; must reject when `signal` aborts. Injectable so tests do not really wait. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface SendProgress {
  done: number;
  total: number;
  message: string;
}

export interface SendBatchesOptions {
  signal: AbortSignal;
  /** Batch indices sent by an earlier, interrupted run; they are skipped. */
  alreadySent?: ReadonlySet<number>;
  /** Called after each batch the API accepted (also with the records it rejected), e.g. to save progress. */
  onBatchDone?: (index: number, failures: readonly RecordFailure[]) => void;
  onProgress?: (progress: SendProgress) => void;
  retry?: RetryPolicy;
}

export interface SendReport {
  batches: number;
  sentBatches: number;
  /** Skipped because an earlier run had sent them. */
  skippedBatches: number;
  /** Records accepted by the API in this run. */
  accepted: number;
  recordFailures: RecordFailure[];
  /** How many of `recordFailures` were rejected by earlier, interrupted runs of a resumed send. */
  earlierRecordFailures?: number;
  /** Batches that could not be sent (rejected, or retries exhausted), with why. */
  failedBatches: Array<{ index: number; reason: string }>;
  /** Set when the send stopped early: cancelled, or a fatal error. */
  stoppedBy?: 'cancelled' | BackendError;
}

export async function sendBatches<B extends PreparedBatch>(
  batches: B[],
  sendOne: (batch: B, signal: AbortSignal) => Promise<BatchOutcome>,
  options: SendBatchesOptions,
): Promise<SendReport> {
  const report: SendReport = { batches: batches.length, sentBatches: 0, skippedBatches: 0, accepted: 0, recordFailures: [], failedBatches: [] };
  const policy = options.retry ?? {};
  const maxAttempts = Math.max(1, policy.maxAttempts ?? 10);
  const sleep = policy.sleep ?? rejectingSleep;
  const maxRetryAfterMs = Math.min(policy.maxRetryAfterMs ?? MAX_RETRY_AFTER_WAIT_MS, MAX_RETRY_AFTER_WAIT_MS);
  for (const batch of batches) {
    if (options.signal.aborted) {
      report.stoppedBy = 'cancelled';
      return report;
    }
    if (options.alreadySent?.has(batch.index)) {
      report.skippedBatches++;
      continue;
    }
    let lastReason = '';
    let finished = false;
    for (let attempt = 1; attempt <= maxAttempts && !finished; attempt++) {
      let outcome: BatchOutcome;
      try {
        outcome = await sendOne(batch, options.signal);
      } catch (error) {
        if (options.signal.aborted || (isBackendError(error) && error.kind === 'cancelled')) {
          report.stoppedBy = 'cancelled';
          return report;
        }
        outcome =
          isBackendError(error) && ['network', 'timeout', 'badResponse', 'server', 'rateLimited'].includes(error.kind)
            ? { kind: 'retry', reason: error.message, retryAfterMs: error.details.retryAfterMs }
            : {
                kind: 'fatal',
                error: isBackendError(error) ? error : new BackendError('badResponse', `internal error: ${(error as Error)?.message ?? String(error)}`),
              };
      }
      switch (outcome.kind) {
        case 'done':
          report.sentBatches++;
          report.accepted += outcome.accepted;
          for (const failure of outcome.failures) report.recordFailures.push(failure);
          options.onBatchDone?.(batch.index, outcome.failures);
          finished = true;
          break;
        case 'rejected':
          report.failedBatches.push({ index: batch.index, reason: outcome.reason });
          for (const failure of outcome.failures) report.recordFailures.push(failure);
          finished = true;
          break;
        case 'fatal':
          report.stoppedBy = outcome.error;
          return report;
        case 'retry':
          lastReason = outcome.reason;
          if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > maxRetryAfterMs) {
            report.stoppedBy = new BackendError(
              'rateLimited',
              `${outcome.reason} and asks to wait ${describeWait(outcome.retryAfterMs)} before the next request; aq waits at most ${describeWait(maxRetryAfterMs)}. Resume later with --resume.`,
              { retryAfterMs: outcome.retryAfterMs },
            );
            return report;
          }
          if (attempt < maxAttempts) {
            try {
              await sleep(backoffDelay(attempt, policy, outcome.retryAfterMs), options.signal);
            } catch {
              report.stoppedBy = 'cancelled';
              return report;
            }
          }
          break;
      }
    }
    if (!finished) report.failedBatches.push({ index: batch.index, reason: `gave up after ${maxAttempts} attempts: ${lastReason}` });
    options.onProgress?.({
      done: report.sentBatches + report.skippedBatches + report.failedBatches.length,
      total: batches.length,
      message: `batch ${batch.index + 1} of ${batches.length}`,
    });
  }
  return report;
}

/** Exponential backoff from `baseDelayMs`, capped, plus jitter; never shorter than Retry-After. */
export function backoffDelay(attempt: number, policy: RetryPolicy, retryAfterMs?: number): number {
  const base = policy.baseDelayMs ?? 2000;
  const cap = policy.maxDelayMs ?? 60_000;
  const [jitterMin, jitterMax] = policy.jitterMs ?? [1000, 5000];
  const random = policy.random ?? Math.random;
  const step = Math.min(cap, base * 2 ** (attempt - 1));
  const jitter = jitterMin + random() * (jitterMax - jitterMin);
  return Math.max(retryAfterMs ?? 0, Math.round(step + jitter));
}

function rejectingSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new BackendError('cancelled', 'The send was cancelled.'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, timerSafeDelay(ms));
    function onAbort(): void {
      clearTimeout(timer);
      reject(new BackendError('cancelled', 'The send was cancelled.'));
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Reads Retry-After (seconds or an HTTP date) as milliseconds; bounded and finite (see retryAfter.ts). */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  return parseRetryAfter(header, now);
}
