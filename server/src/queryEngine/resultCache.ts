/**
 * Keeps exploring cheap: identical queries started while one is in flight share its request, and
 * a repeated query within the TTL is answered from memory with `meta.cachedAgeMs` set, so it does
 * not spend Mixpanel's hourly budget. Keys are the source name plus the canonical request (the
 * backend's compiled request, credentials excluded).
 */
import type { QueryResult } from '../protocol/resultModel';
import { BackendError } from './backendErrors';

export interface ResultCacheOptions {
  /** Default 10 minutes. */
  ttlMs?: number;
  /** Oldest entries are dropped beyond this; default 200. */
  maxEntries?: number;
  now?: () => number;
}

interface StoredResult {
  result: QueryResult;
  storedAt: number;
}

interface InFlight {
  promise: Promise<QueryResult>;
  controller: AbortController;
  /** Callers still waiting; when the last one cancels, the shared request is aborted. */
  callers: number;
}

export class ResultCache {
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly stored = new Map<string, StoredResult>();
  private readonly inFlight = new Map<string, InFlight>();

  constructor(options: ResultCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 600_000;
    this.maxEntries = options.maxEntries ?? 200;
    this.now = options.now ?? Date.now;
  }

  /**
   * The cached answer for `key`, the in-flight one, or a new run of `compute`. Each caller may
   * cancel with its own signal without cancelling the others.
   */
  async getOrCompute(
    key: string,
    compute: (signal: AbortSignal) => Promise<QueryResult>,
    options: { signal: AbortSignal; bypassCache?: boolean },
  ): Promise<QueryResult> {
    if (options.signal.aborted) throw cancelled();
    if (!options.bypassCache) {
      const hit = this.lookup(key);
      if (hit) return hit;
    }
    let flight = this.inFlight.get(key);
    if (!flight) {
      const controller = new AbortController();
      const started: InFlight = { controller, callers: 0, promise: Promise.resolve(undefined as unknown as QueryResult) };
      started.promise = compute(controller.signal).then(
        (result) => {
          this.inFlight.delete(key);
          this.store(key, result);
          return result;
        },
        (error: unknown) => {
          this.inFlight.delete(key);
          throw error;
        },
      );
      // A rejection with no caller left must not surface as an unhandled rejection.
      started.promise.catch(() => undefined);
      this.inFlight.set(key, started);
      flight = started;
    }
    return this.follow(flight, options.signal);
  }

  /** A copy of the stored answer with its age, or undefined when absent or expired. */
  lookup(key: string): QueryResult | undefined {
    const entry = this.stored.get(key);
    if (!entry) return undefined;
    const ageMs = this.now() - entry.storedAt;
    if (ageMs > this.ttlMs) {
      this.stored.delete(key);
      return undefined;
    }
    const copy = structuredClone(entry.result);
    copy.meta.cachedAgeMs = ageMs;
    return copy;
  }

  clear(): void {
    this.stored.clear();
  }

  private store(key: string, result: QueryResult): void {
    this.stored.delete(key);
    this.stored.set(key, { result: structuredClone(result), storedAt: this.now() });
    while (this.stored.size > this.maxEntries) {
      const oldest = this.stored.keys().next().value as string;
      this.stored.delete(oldest);
    }
  }

  private follow(flight: InFlight, signal: AbortSignal): Promise<QueryResult> {
    flight.callers++;
    return new Promise<QueryResult>((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        flight.callers--;
        if (flight.callers === 0) flight.controller.abort();
        reject(cancelled());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (result) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          // Each caller gets its own copy: consumers may annotate results.
          resolve(flight.callers > 1 ? structuredClone(result) : result);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }
}

function cancelled(): BackendError {
  return new BackendError('cancelled', 'The query was cancelled.');
}
