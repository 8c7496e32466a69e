/**
 * The per-source request queue on its own: concurrency, the sliding-hour budget, Retry-After,
 * backoff only for retryable requests, cancellation while queued, change events, the per-second
 * limit and the onRetry hook.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendError } from '../../../server/src/queryEngine/backendErrors';
import { parseRetryAfter, RequestQueue } from '../../../server/src/queryEngine/requestQueue';
import { backendErrorOf } from './backends/backendTestKit';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

const signal = new AbortController().signal;

describe('RequestQueue', () => {
  it('runs at most 5 requests at once and starts the rest as slots free up', async () => {
    const queue = new RequestQueue({ hourlyBudget: 100 });
    const gate = deferred();
    let running = 0;
    let peak = 0;
    const tasks = Array.from({ length: 8 }, () =>
      queue.run(
        async () => {
          running++;
          peak = Math.max(peak, running);
          await gate.promise;
          running--;
        },
        { signal, retryable: true },
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(queue.status(), { queued: 3, running: 5, budgetRemaining: 95 });
    gate.resolve();
    await Promise.all(tasks);
    assert.equal(peak, 5);
    assert.deepEqual(queue.status(), { queued: 0, running: 0, budgetRemaining: 92 });
  });

  it('counts requests in a sliding hour and refuses beyond the budget without sending', async () => {
    let now = 0;
    const queue = new RequestQueue({ hourlyBudget: 2, now: () => now });
    let sent = 0;
    const send = async (): Promise<void> => void sent++;
    await queue.run(send, { signal, retryable: true });
    now = 10 * 60_000;
    await queue.run(send, { signal, retryable: true });
    assert.equal(queue.remaining(), 0);
    const error = await backendErrorOf(queue.run(send, { signal, retryable: true }));
    assert.equal(error.kind, 'rateLimited');
    assert.equal(error.details.retryAfterMs, 50 * 60_000, 'the first request leaves the window an hour after it was sent');
    assert.equal(sent, 2);
    now = 60 * 60_000 + 1;
    assert.equal(queue.remaining(), 1);
    await queue.run(send, { signal, retryable: true });
    assert.equal(sent, 3);
  });

  it('retries 5xx only when the request is retryable, at most 3 tries', async () => {
    const queue = new RequestQueue({ baseBackoffMs: 1 });
    let attempts = 0;
    const failing = async (): Promise<void> => {
      attempts++;
      throw new BackendError('server', 'HTTP 502', { status: 502 });
    };
    assert.equal((await backendErrorOf(queue.run(failing, { signal, retryable: false }))).kind, 'server');
    assert.equal(attempts, 1, 'a non-idempotent request is never sent twice blindly');
    attempts = 0;
    assert.equal((await backendErrorOf(queue.run(failing, { signal, retryable: true }))).kind, 'server');
    assert.equal(attempts, 3);
  });

  it('does not retry errors a retry cannot fix', async () => {
    const queue = new RequestQueue({ baseBackoffMs: 1 });
    let attempts = 0;
    const error = await backendErrorOf(
      queue.run(
        async () => {
          attempts++;
          throw new BackendError('auth', 'HTTP 401', { status: 401 });
        },
        { signal, retryable: true },
      ),
    );
    assert.equal(error.kind, 'auth');
    assert.equal(attempts, 1);
  });

  it('backs off exponentially with jitter', async () => {
    const delays: number[] = [];
    let last = Date.now();
    const queue = new RequestQueue({ baseBackoffMs: 40, random: () => 1 });
    await backendErrorOf(
      queue.run(
        async () => {
          const now = Date.now();
          delays.push(now - last);
          last = now;
          throw new BackendError('network', 'reset');
        },
        { signal, retryable: true },
      ),
    );
    // With random() = 1 the waits are the full steps, 40 and 80 ms (lower bounds).
    assert.ok(delays[1] >= 38 && delays[2] >= 78, `waits ${delays.join(', ')}`);
  });

  it('a cancelled waiter leaves the queue without running', async () => {
    const queue = new RequestQueue({ maxConcurrent: 1 });
    const gate = deferred();
    const first = queue.run(() => gate.promise, { signal, retryable: true });
    const controller = new AbortController();
    let ran = false;
    const second = queue.run(async () => void (ran = true), { signal: controller.signal, retryable: true });
    assert.equal(queue.status().queued, 1);
    controller.abort();
    assert.equal((await backendErrorOf(second)).kind, 'cancelled');
    assert.equal(queue.status().queued, 0);
    gate.resolve();
    await first;
    assert.equal(ran, false);
  });

  it('tells listeners when the queue or budget changes', async () => {
    const queue = new RequestQueue({ hourlyBudget: 10 });
    const seen: number[] = [];
    const subscription = queue.onDidChange((status) => seen.push(status.budgetRemaining));
    await queue.run(async () => undefined, { signal, retryable: true });
    subscription.dispose();
    await queue.run(async () => undefined, { signal, retryable: true });
    assert.ok(seen.includes(9));
    assert.ok(!seen.includes(8), 'no events after dispose');
  });

  it('starts at most perSecond requests in any second, also when they are queued together', async () => {
    const queue = new RequestQueue({ maxConcurrent: 100, hourlyBudget: Infinity, perSecond: 3 });
    const started: number[] = [];
    await Promise.all(Array.from({ length: 7 }, () => queue.run(async () => void started.push(Date.now()), { signal, retryable: true })));
    assert.equal(started.length, 7);
    for (let i = 3; i < started.length; i++)
      assert.ok(started[i] - started[i - 3] >= 990, `request ${i + 1} started ${started[i] - started[i - 3]} ms after request ${i - 2}`);
  });

  it('tells onRetry about each wait before it happens', async () => {
    const queue = new RequestQueue({ baseBackoffMs: 10, random: () => 0 });
    const retries: Array<[string, number, number]> = [];
    let attempts = 0;
    await queue.run(
      async () => {
        if (++attempts < 3) throw new BackendError('server', `HTTP 503 (${attempts})`);
      },
      { signal, retryable: true, onRetry: (failure, delayMs, attempt) => retries.push([failure.message, delayMs, attempt]) },
    );
    assert.deepEqual(retries, [
      ['HTTP 503 (1)', 5, 1],
      ['HTTP 503 (2)', 10, 2],
    ]);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-10-04T12:00:00Z');
    assert.equal(parseRetryAfter('30', now), 30_000);
    assert.equal(parseRetryAfter('Sun, 04 Oct 2026 12:01:30 GMT', now), 90_000);
    assert.equal(parseRetryAfter('Sun, 04 Oct 2026 11:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('1e12', now), undefined, 'not delay-seconds and not an HTTP date');
    assert.equal(parseRetryAfter('-5', now), undefined);
    const huge = parseRetryAfter('9'.repeat(400), now);
    assert.ok(huge !== undefined && Number.isSafeInteger(huge) && huge > 1e15, 'a huge value stays huge but finite');
  });
});
