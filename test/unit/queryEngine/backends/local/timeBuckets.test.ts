import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackendError } from '../../../../../server/src/queryEngine/backendErrors';
import { rangeInstants, TimeBucketer, ZoneClock } from '../../../../../server/src/queryEngine/backends/local/timeBuckets';

const utc = (iso: string): number => Date.parse(iso);

test('a date range covers whole local days, including the 25-hour day when DST ends', () => {
  const berlin = new ZoneClock('Europe/Berlin');
  // Summer time (UTC+2) ends at 03:00 local on 2026-10-25; the next midnight is UTC+1.
  assert.deepEqual(rangeInstants({ from: '2026-10-25', to: '2026-10-25' }, berlin), { start: utc('2026-10-24T22:00:00Z'), end: utc('2026-10-25T23:00:00Z') });
  assert.deepEqual(rangeInstants({ from: '2026-10-01', to: '2026-10-31' }, new ZoneClock()), {
    start: utc('2026-10-01T00:00:00Z'),
    end: utc('2026-11-01T00:00:00Z'),
  });
  assert.deepEqual(rangeInstants({ from: '2026-10-01T10:00', to: '2026-10-01T10:30' }, new ZoneClock()), {
    start: utc('2026-10-01T10:00:00Z'),
    end: utc('2026-10-01T10:31:00Z'),
  });
});

test('day buckets follow the zone: 23:30 UTC is the next day in Berlin and the same day in New York', () => {
  const event = utc('2026-10-02T23:30:00Z');
  const inBerlin = new TimeBucketer('day', new ZoneClock('Europe/Berlin'));
  const inNewYork = new TimeBucketer('day', new ZoneClock('America/New_York'));
  assert.equal(inBerlin.labelOf(inBerlin.bucketOf(event)), '2026-10-03');
  assert.equal(inNewYork.labelOf(inNewYork.bucketOf(event)), '2026-10-02');
});

test('weeks start on Monday, months on the 1st, hours are labelled YYYY-MM-DDTHH:MM local time', () => {
  const week = new TimeBucketer('week', new ZoneClock());
  // 2026-10-04 is a Sunday, 2026-10-05 a Monday.
  assert.equal(week.labelOf(week.bucketOf(utc('2026-10-04T23:59:59Z'))), '2026-09-28');
  assert.equal(week.labelOf(week.bucketOf(utc('2026-10-05T00:00:00Z'))), '2026-10-05');
  const month = new TimeBucketer('month', new ZoneClock('Europe/Berlin'));
  assert.equal(month.labelOf(month.bucketOf(utc('2026-09-30T22:30:00Z'))), '2026-10-01');
  const hour = new TimeBucketer('hour', new ZoneClock('Europe/Berlin'));
  assert.equal(hour.labelOf(hour.bucketOf(utc('2026-10-01T10:15:00Z'))), '2026-10-01T12:00');
  assert.deepEqual(
    week.bucketsOfRange({ from: '2026-10-01', to: '2026-10-12' }).map((b) => week.labelOf(b)),
    ['2026-09-28', '2026-10-05', '2026-10-12'],
  );
});

test('an unknown time zone is a configuration error', () => {
  assert.throws(
    () => new ZoneClock('Mars/Olympus'),
    (error: unknown) => error instanceof BackendError && error.kind === 'config' && /Mars\/Olympus/.test(error.message),
  );
});

test('fillBuckets (plain arithmetic in UTC below a month) gives bucketOf of every time, in every unit and zone', () => {
  // Times around the epoch, day and week edges, a daylight-saving change, and fractions of a millisecond.
  const times = Float64Array.from([
    0,
    -1,
    1,
    86_399_999,
    86_400_000,
    -86_400_001,
    1_790_000_000_000,
    1_790_000_000_000.5,
    Date.parse('2026-03-29T00:59:59.999Z'),
    Date.parse('2026-03-29T01:00:00Z'),
    ...Array.from({ length: 200 }, (_, i) => 1_785_000_000_000 + i * 37_123_457),
  ]);
  for (const zone of ['UTC', 'Europe/Berlin', 'America/Los_Angeles']) {
    for (const unit of ['minute', 'hour', 'day', 'week', 'month'] as const) {
      const bucketer = new TimeBucketer(unit, new ZoneClock(zone));
      const filled = new Int32Array(times.length);
      bucketer.fillBuckets(times, filled);
      assert.deepEqual(
        [...filled],
        [...times].map((time) => bucketer.bucketOf(time)),
        `${unit} in ${zone}`,
      );
    }
  }
});
