/**
 * `Retry-After` comes from the server, so it is untrusted input: a value of days must not block a
 * run silently, and a huge or garbled one must never reach `setTimeout` (which fires after 1 ms for
 * anything above 2^31-1 ms, turning "wait" into "hammer"). Every wait aq takes on a server's word
 * is bounded by `MAX_RETRY_AFTER_WAIT_MS`; above it the caller stops and says how long was asked.
 */

/** The longest `Retry-After` aq waits out; a longer one stops the run with a message. */
export const MAX_RETRY_AFTER_WAIT_MS = 10 * 60_000;

/** The longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `Retry-After` (delay-seconds or an HTTP date) as milliseconds from `now`; undefined when absent
 * or unparsable. Always a finite, non-negative, safe integer.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return clampMs(Number(trimmed) * 1000);
  // Only an HTTP date; Date.parse would also take "5" or "1e9" as a year.
  if (!/^[A-Za-z]{3},\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}:\d{2}\s+GMT$/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return clampMs(date - now);
}

function clampMs(ms: number): number {
  if (!Number.isFinite(ms)) return Number.MAX_SAFE_INTEGER;
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.round(ms)));
}

/** A delay that is safe to hand to `setTimeout`. */
export function timerSafeDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** `34 days`, `3 h`, `12 min`, `40 s`: how long a server asked to wait, for messages. */
export function describeWait(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  const days = Math.round(hours / 24);
  if (days < 3650) return `${days} days`;
  return 'more than 10 years';
}
