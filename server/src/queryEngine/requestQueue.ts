/**
 * One queue per remote source. Mixpanel allows about 5 concurrent queries and 60 per hour per
 * project, so the queue runs at most `maxConcurrent` requests at once, counts every request sent in
 * a sliding hour, waits out `Retry-After` on 429 and backs off on 5xx and network failures — the
 * latter only for requests that are safe to repeat. The status bar listens to `onDidChange`.
 */
import { BackendError, isBackendError } from './backendErrors';
import { MAX_RETRY_AFTER_WAIT_MS, timerSafeDelay } from './retryAfter';

export interface RequestQueueOptions {
  /** Default 5 (Mixpanel's concurrent-query limit). */
  maxConcurrent?: number;
  /** Requests allowed per sliding hour; default 60. `Infinity` for sources without a budget. */
  hourlyBudget?: number;
  /** Attempts per task for retryable failures, the first included; default 3. */
  maxTries?: number;
  /** First backoff step; doubled per attempt, with jitter. Default 1000 ms. */
  baseBackoffMs?: number;
  /** A longer `Retry-After` than this fails the task instead of waiting; default 60 s, never above MAX_RETRY_AFTER_WAIT_MS. */
  maxRetryAfterWaitMs?: number;
  /** Requests started in any one second at most (the Raw Export API allows 3); default no limit. */
  perSecond?: number;
  now?: () => number;
  random?: () => number;
}

export interface TaskOptions {
  signal: AbortSignal;
  /**
   * Whether a failed attempt may be sent again after a 5xx or a network error (GETs, and read-only
   * POSTs such as /jql). A 429 is always retried: the server did not run the request.
   */
  retryable: boolean;
  /** Told before each wait for another attempt, so a long wait (an hour's budget) can be explained. */
  onRetry?: (failure: BackendError, delayMs: number, attempt: number) => void;
}

export interface QueueStatus {
  queued: number;
  running: number;
  budgetRemaining: number;
}

const HOUR_MS = 3_600_000;

interface Waiter {
  resolve: () => void;
  reject: (error: BackendError) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

export class RequestQueue {
  private readonly maxConcurrent: number;
  private readonly hourlyBudget: number;
  private readonly maxTries: number;
  private readonly baseBackoffMs: number;
  private readonly maxRetryAfterWaitMs: number;
  private readonly perSecond: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sentAt: number[] = [];
  private readonly waiting: Waiter[] = [];
  private readonly listeners = new Set<(status: QueueStatus) => void>();
  private running = 0;
  /** Set by a 429: nothing is sent before this time. */
  private pausedUntil = 0;

  constructor(options: RequestQueueOptions = {}) {
    this.maxConcurrent = options.maxConcurrent ?? 5;
    this.hourlyBudget = options.hourlyBudget ?? 60;
    this.maxTries = options.maxTries ?? 3;
    this.baseBackoffMs = options.baseBackoffMs ?? 1000;
    this.maxRetryAfterWaitMs = Math.min(options.maxRetryAfterWaitMs ?? 60_000, MAX_RETRY_AFTER_WAIT_MS);
    this.perSecond = options.perSecond ?? Infinity;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Requests left in the current sliding hour. */
  remaining(): number {
    this.forgetOldRequests();
    return Math.max(0, this.hourlyBudget - this.sentAt.length);
  }

  status(): QueueStatus {
    return { queued: this.waiting.length, running: this.running, budgetRemaining: this.remaining() };
  }

  onDidChange(listener: (status: QueueStatus) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /**
   * Runs `send` (one HTTP exchange that throws a BackendError on failure) when a slot is free,
   * retrying as the options allow. `attempt` is 1-based.
   */
  async run<T>(send: (attempt: number) => Promise<T>, options: TaskOptions): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await this.acquireSlot(options.signal);
      let failure: unknown;
      try {
        // The check and the take happen in one step (no await between them), so tasks that start
        // together cannot all pass the per-second limit at once.
        for (let waitMs = this.perSecondWait(); waitMs > 0; waitMs = this.perSecondWait()) await sleep(waitMs, options.signal);
        this.takeFromBudget();
        return await send(attempt);
      } catch (error) {
        failure = error;
      } finally {
        this.releaseSlot();
      }
      const delayMs = this.retryDelay(failure, attempt, options);
      if (delayMs === undefined) throw failure;
      options.onRetry?.(failure as BackendError, delayMs, attempt);
      await sleep(delayMs, options.signal);
    }
  }

  /** How long to wait before the next attempt, or undefined to give up and rethrow. */
  private retryDelay(failure: unknown, attempt: number, options: TaskOptions): number | undefined {
    if (!isBackendError(failure) || attempt >= this.maxTries || options.signal.aborted) return undefined;
    if (failure.kind === 'rateLimited') {
      const retryAfterMs = failure.details.retryAfterMs ?? this.backoff(attempt);
      if (!Number.isFinite(retryAfterMs) || retryAfterMs > this.maxRetryAfterWaitMs) return undefined;
      this.pausedUntil = Math.max(this.pausedUntil, this.now() + retryAfterMs);
      return retryAfterMs;
    }
    if ((failure.kind === 'server' || failure.kind === 'network') && options.retryable) return this.backoff(attempt);
    return undefined;
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, so clients spread out. */
  private backoff(attempt: number): number {
    const step = this.baseBackoffMs * 2 ** (attempt - 1);
    return Math.round(step / 2 + (this.random() * step) / 2);
  }

  /** How long until fewer than `perSecond` requests were sent in the last second; 0 when now. */
  private perSecondWait(): number {
    if (this.perSecond === Infinity) return 0;
    const now = this.now();
    const recent = this.sentAt.filter((time) => time > now - 1000);
    return recent.length < this.perSecond ? 0 : recent[recent.length - this.perSecond] + 1000 - now;
  }

  private takeFromBudget(): void {
    if (this.remaining() <= 0) {
      const retryAfterMs = this.sentAt[0] + HOUR_MS - this.now();
      throw new BackendError(
        'rateLimited',
        `The hourly query budget of ${this.hourlyBudget} requests for this source is used up; the next request can be sent in ${Math.ceil(retryAfterMs / 60_000)} min. Cached results are still available.`,
        { retryAfterMs },
      );
    }
    this.sentAt.push(this.now());
    this.changed();
  }

  private forgetOldRequests(): void {
    const horizon = this.now() - HOUR_MS;
    while (this.sentAt.length > 0 && this.sentAt[0] <= horizon) this.sentAt.shift();
  }

  private async acquireSlot(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw cancelled();
    const pauseMs = this.pausedUntil - this.now();
    if (pauseMs > 0) await sleep(pauseMs, signal);
    if (this.running < this.maxConcurrent && this.waiting.length === 0) {
      this.running++;
      this.changed();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.waiting.indexOf(waiter);
          if (index >= 0) this.waiting.splice(index, 1);
          this.changed();
          reject(cancelled());
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.push(waiter);
      this.changed();
    });
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) {
      // The slot passes straight to the next waiter, so `running` stays the same.
      next.signal.removeEventListener('abort', next.onAbort);
      next.resolve();
    } else {
      this.running--;
    }
    this.changed();
  }

  private changed(): void {
    const status = this.status();
    for (const listener of this.listeners) listener(status);
  }
}

function cancelled(): BackendError {
  return new BackendError('cancelled', 'The query was cancelled.');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(cancelled());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, timerSafeDelay(ms));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export { parseRetryAfter } from './retryAfter';
