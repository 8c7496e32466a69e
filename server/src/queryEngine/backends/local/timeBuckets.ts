/**
 * Calendar arithmetic in an IANA time zone for the local engine: which bucket (minute, hour, day,
 * Monday-based week, month) an event falls in, the bucket's label, and the UTC instants a date
 * range covers. Zone offsets are looked up once per UTC hour and cached, because `Intl` is far too
 * slow to call per event over a million events.
 */
import { BackendError } from '../../backendErrors';

export type BucketUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Offsets (ms to add to UTC) of one zone, cached per UTC hour. */
export class ZoneClock {
  private readonly offsets = new Map<number, number>();
  private readonly format: Intl.DateTimeFormat | undefined;

  constructor(readonly timezone: string = 'UTC') {
    if (timezone === 'UTC' || timezone === 'Etc/UTC') return;
    try {
      this.format = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new BackendError('config', `"${timezone}" is not a known time zone; use an IANA name such as "Europe/Berlin" or "UTC".`);
    }
  }

  /** Whether wall-clock time is UTC itself (no offset ever). */
  get isUtc(): boolean {
    return this.format === undefined;
  }

  /** Milliseconds to add to a UTC instant to get the wall-clock time in this zone. */
  offsetAt(utcMs: number): number {
    if (!this.format) return 0;
    const hour = Math.floor(utcMs / HOUR_MS);
    let offset = this.offsets.get(hour);
    if (offset === undefined) {
      offset = this.computeOffset(hour * HOUR_MS);
      this.offsets.set(hour, offset);
    }
    return offset;
  }

  /** Wall-clock milliseconds ("local epoch") of a UTC instant. */
  toLocal(utcMs: number): number {
    return utcMs + this.offsetAt(utcMs);
  }

  /** The UTC instant of a wall-clock time; in a DST gap the later offset wins. */
  toUtc(localMs: number): number {
    const guess = localMs - this.offsetAt(localMs);
    const offset = this.offsetAt(guess);
    return localMs - offset;
  }

  private computeOffset(utcMs: number): number {
    const parts = this.format!.formatToParts(new Date(utcMs));
    const field = (type: string): number => Number(parts.find((part) => part.type === type)?.value ?? 0);
    const wall = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
    return wall - utcMs;
  }
}

/** Days since 1970-01-01 of a `YYYY-MM-DD` date (or the date part of `YYYY-MM-DDTHH:MM`). */
export function dayNumberOf(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!match) throw new BackendError('config', `"${date}" is not a date of the form YYYY-MM-DD.`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY_MS;
}

/** `YYYY-MM-DD` of a day number. */
export function dateOfDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The UTC instants `[start, end)` covered by an inclusive date range in a zone. */
export function rangeInstants(range: { from: string; to: string }, clock: ZoneClock): { start: number; end: number } {
  return {
    start: clock.toUtc(localMsOf(range.from)),
    end: clock.toUtc(/T\d{2}:\d{2}/.test(range.to) ? localMsOf(range.to) + MINUTE_MS : (dayNumberOf(range.to) + 1) * DAY_MS),
  };
}

function localMsOf(text: string): number {
  const time = /T(\d{2}):(\d{2})/.exec(text);
  return dayNumberOf(text) * DAY_MS + (time ? Number(time[1]) * HOUR_MS + Number(time[2]) * MINUTE_MS : 0);
}

/**
 * Maps events to numbered buckets of one unit in one zone. Bucket numbers are consecutive
 * integers, so "interval i after the birth bucket" is plain subtraction.
 */
export class TimeBucketer {
  private readonly labels = new Map<number, string>();

  constructor(
    readonly unit: BucketUnit,
    readonly clock: ZoneClock,
  ) {}

  /** The bucket number of a UTC instant. */
  bucketOf(utcMs: number): number {
    const local = this.clock.toLocal(utcMs);
    switch (this.unit) {
      case 'minute':
        return Math.floor(local / MINUTE_MS);
      case 'hour':
        return Math.floor(local / HOUR_MS);
      case 'day':
        return Math.floor(local / DAY_MS);
      case 'week':
        // 1970-01-01 was a Thursday; shifting by 3 days makes weeks start on Monday.
        return Math.floor((Math.floor(local / DAY_MS) + 3) / 7);
      case 'month': {
        const date = new Date(local);
        return date.getUTCFullYear() * 12 + date.getUTCMonth();
      }
    }
  }

  /**
   * `bucketOf` as plain arithmetic on the time, in UTC below a month (no zone lookup, no calendar):
   * cheaper to compute again than to keep in a column. Undefined in other zones and for months.
   */
  plainBucketOf(): ((utcMs: number) => number) | undefined {
    if (!this.clock.isUtc || this.unit === 'month') return undefined;
    if (this.unit === 'week') return (utcMs) => Math.floor((Math.floor(utcMs / DAY_MS) + 3) / 7);
    const unitMs = this.unit === 'minute' ? MINUTE_MS : this.unit === 'hour' ? HOUR_MS : DAY_MS;
    return (utcMs) => Math.floor(utcMs / unitMs);
  }

  /** `bucketOf` of every time, into `buckets` (by `plainBucketOf` where there is one). */
  fillBuckets(times: Float64Array, buckets: Int32Array): void {
    const bucketOf = this.plainBucketOf() ?? ((utcMs: number): number => this.bucketOf(utcMs));
    for (let row = 0; row < times.length; row++) buckets[row] = bucketOf(times[row]);
  }

  /** The bucket's label: `YYYY-MM-DD` of its first day, or `YYYY-MM-DDTHH:MM` below a day. */
  labelOf(bucket: number): string {
    let label = this.labels.get(bucket);
    if (label === undefined) {
      label = this.computeLabel(bucket);
      this.labels.set(bucket, label);
    }
    return label;
  }

  /** Every bucket touched by an inclusive date range, in order. */
  bucketsOfRange(range: { from: string; to: string }): number[] {
    const { start, end } = rangeInstants(range, this.clock);
    const first = this.bucketOf(start);
    const last = this.bucketOf(end - 1);
    const buckets: number[] = [];
    for (let bucket = first; bucket <= last; bucket++) buckets.push(bucket);
    return buckets;
  }

  private computeLabel(bucket: number): string {
    switch (this.unit) {
      case 'minute':
        return new Date(bucket * MINUTE_MS).toISOString().slice(0, 16);
      case 'hour':
        return new Date(bucket * HOUR_MS).toISOString().slice(0, 16);
      case 'day':
        return dateOfDayNumber(bucket);
      case 'week':
        return dateOfDayNumber(bucket * 7 - 3);
      case 'month': {
        const year = Math.floor(bucket / 12);
        const month = (bucket % 12) + 1;
        return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-01`;
      }
    }
  }
}
