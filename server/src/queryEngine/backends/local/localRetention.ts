/**
 * Retention over local events, following Mixpanel's retention report and /retention Query API
 * (rules and the readings taken in docs/local-engine.md).
 *
 * - Cohort events. birth: each user's first born event (matching `born_where`) in the whole data;
 *   a user whose first one falls before the range is in no cohort. compounded: the born event is
 *   ignored; a user joins the cohort of every bucket in which they did the return event (any event
 *   when none is named), counted from their first such event in that bucket.
 * - Windows. rolling (default): interval N holds returns between N and N+1 units after the cohort
 *   event, in elapsed time (a day is 24 hours even across a daylight-saving change, a week 7 days,
 *   a month 30 days). calendar: interval N is the Nth calendar bucket after the cohort's own.
 * - unbounded ("on or after"): interval N counts users who came back in interval N or any later one.
 * - `on` segments by the return event's value: a cohort row per date and value, its size the whole
 *   cohort, retained[i] the cohort's users whose return in interval i had that value.
 */
import { segmentKey, type CompiledExpressionOf } from './evaluateExpression';
import type { RetentionSpec } from '../../../queryContract/querySpec';
import type { RetentionData } from '../../../protocol/resultModel';
import { isNoiseSegment } from '../../../results/cleanSegments';
import { indexOf, type EventTable } from './datasetIndex';
import { columnsReadBy } from './queryColumns';
import type { LocalDataset } from './localEvent';
import type { LocalQueryOptions } from './localSegmentation';
import { rangeInstants, type TimeBucketer } from './timeBuckets';

/** A user's entry into one cohort. */
interface Birth {
  bucket: number;
  /** The cohort event's row in the dataset. */
  rowId: number;
  time: number;
  /**
   * Per segment (null without `on`): returned[i] = 1 when the user came back in interval i, and the
   * latest interval they came back in (for "on or after"). Created on the first return, since most
   * cohort members of a large dataset never come back.
   */
  returns: Map<string | null, SegmentReturns> | undefined;
}

interface SegmentReturns {
  returned: Uint8Array;
  latest: number;
}

const DAY_MS = 86_400_000;
/** Rolling window lengths: "Day 1 = 24-48 hrs, Week 1 = 7-14 days, Month 1 = 30-60 days" since birth. */
const ROLLING_UNIT_MS = { day: DAY_MS, week: 7 * DAY_MS, month: 30 * DAY_MS } as const;
/** Longest calendar bucket of each unit, to bound the return events worth reading. */
const MAX_CALENDAR_UNIT_MS = { day: 25 * 3_600_000, week: 7 * DAY_MS + 3_600_000, month: 31 * DAY_MS + 3_600_000 } as const;

export function runLocalRetention(dataset: LocalDataset, spec: RetentionSpec, options: LocalQueryOptions = {}): RetentionData {
  const index = indexOf(dataset);
  index.prepare(columnsReadBy(spec));
  const bucketer = index.bucketer(spec.unit, options.timezone);
  const { start, end } = rangeInstants(spec.range, bucketer.clock);
  const intervals = spec.intervalCount + 1;
  const returns = spec.returnEvent === undefined ? index.all : index.table(spec.returnEvent);
  const where = spec.where ? returns.compilePredicate(spec.where) : undefined;

  const births =
    spec.retentionType === 'birth'
      ? firstBirths(index.table(spec.bornEvent), spec, bucketer, start, end, index.userIds.length)
      : recurringBirths(returns, where, bucketer, start, end, index.userIds.length);

  const intervalOf = spec.windows === 'rolling' ? rollingInterval(ROLLING_UNIT_MS[spec.unit]) : calendarInterval(returns.bucketsFor(bucketer));
  const on: CompiledExpressionOf<number> | undefined = spec.on ? returns.compile(spec.on) : undefined;
  const readUntil = spec.unbounded ? Infinity : end + intervals * (spec.windows === 'rolling' ? ROLLING_UNIT_MS[spec.unit] : MAX_CALENDAR_UNIT_MS[spec.unit]);
  const returnRows = returns.rowsBetween(start, readUntil);
  for (let row = returnRows.from; row < returnRows.to; row++) {
    const userBirths = births[returns.users[row]];
    if (!userBirths) continue;
    if (where && !where(row)) continue;
    const time = returns.times[row];
    const rowId = returns.rowIds[row];
    let segment: string | null | undefined;
    for (const birth of userBirths) {
      if (time < birth.time || rowId === birth.rowId) continue;
      const interval = intervalOf(row, time, birth);
      if (interval < 0 || (!spec.unbounded && interval >= intervals)) continue;
      if (segment === undefined) segment = on ? segmentKey(on(row)) : null;
      const returns = (birth.returns ??= new Map());
      let segmentReturns = returns.get(segment);
      if (!segmentReturns) returns.set(segment, (segmentReturns = { returned: new Uint8Array(spec.unbounded ? 0 : intervals), latest: -1 }));
      if (spec.unbounded) segmentReturns.latest = Math.max(segmentReturns.latest, interval);
      else segmentReturns.returned[interval] = 1;
    }
  }
  if (spec.unbounded) {
    // "On or after": counted in every interval up to the latest one the user came back in.
    for (const userBirths of births) {
      for (const birth of userBirths ?? []) {
        for (const segmentReturns of birth.returns?.values() ?? []) {
          segmentReturns.returned = Uint8Array.from({ length: intervals }, (_, interval) => (interval <= segmentReturns.latest ? 1 : 0));
        }
      }
    }
  }
  return summarise(births, spec, bucketer, intervals, options.onSegmentCount);
}

/** birth: each user's first born event in the data; only those inside the range start a cohort. */
function firstBirths(born: EventTable, spec: RetentionSpec, bucketer: TimeBucketer, start: number, end: number, userCount: number): Array<Birth[] | undefined> {
  const bornWhere = spec.bornWhere ? born.compilePredicate(spec.bornWhere) : undefined;
  const bornBuckets = born.bucketsFor(bucketer);
  const seen = new Uint8Array(userCount);
  const births: Array<Birth[] | undefined> = new Array(userCount);
  // From the first event in the data, not the range's start: a user born earlier is no newcomer.
  const rows = born.rowsBetween(-Infinity, end);
  for (let row = rows.from; row < rows.to; row++) {
    const user = born.users[row];
    if (seen[user]) continue;
    if (bornWhere && !bornWhere(row)) continue;
    seen[user] = 1;
    if (born.times[row] < start) continue;
    births[user] = [newBirth(bornBuckets[row], born.rowIds[row], born.times[row])];
  }
  return births;
}

/** compounded: the first return event of each user in each bucket of the range starts a cohort entry. */
function recurringBirths(
  returns: EventTable,
  where: ((row: number) => boolean) | undefined,
  bucketer: TimeBucketer,
  start: number,
  end: number,
  userCount: number,
): Array<Birth[] | undefined> {
  const buckets = returns.bucketsFor(bucketer);
  const births: Array<Birth[] | undefined> = new Array(userCount);
  const rows = returns.rowsBetween(start, end);
  for (let row = rows.from; row < rows.to; row++) {
    if (where && !where(row)) continue;
    const user = returns.users[row];
    const userBirths = births[user];
    if (userBirths && userBirths[userBirths.length - 1].bucket === buckets[row]) continue;
    const birth = newBirth(buckets[row], returns.rowIds[row], returns.times[row]);
    if (userBirths) userBirths.push(birth);
    else births[user] = [birth];
  }
  return births;
}

function newBirth(bucket: number, rowId: number, time: number): Birth {
  return { bucket, rowId, time, returns: undefined };
}

type IntervalOf = (row: number, time: number, birth: Birth) => number;

function rollingInterval(unitMs: number): IntervalOf {
  return (_row, time, birth) => Math.floor((time - birth.time) / unitMs);
}

function calendarInterval(returnBuckets: Int32Array): IntervalOf {
  return (row, _time, birth) => returnBuckets[row] - birth.bucket;
}

function summarise(
  births: Array<Birth[] | undefined>,
  spec: RetentionSpec,
  bucketer: TimeBucketer,
  intervals: number,
  onSegmentCount?: (total: number) => void,
): RetentionData {
  const cohortSizes = new Map<number, number>();
  for (const userBirths of births) for (const birth of userBirths ?? []) cohortSizes.set(birth.bucket, (cohortSizes.get(birth.bucket) ?? 0) + 1);
  const emptyRow = (bucket: number, segment: string | null): RetentionData['cohorts'][number] => ({
    date: bucketer.labelOf(bucket),
    size: cohortSizes.get(bucket) ?? 0,
    retained: new Array<number>(intervals).fill(0),
    segment,
  });

  if (!spec.on) {
    const cohorts = new Map<number, RetentionData['cohorts'][number]>();
    for (const bucket of cohortSizes.keys()) cohorts.set(bucket, emptyRow(bucket, null));
    for (const userBirths of births) {
      for (const birth of userBirths ?? []) {
        const returned = birth.returns?.get(null)?.returned;
        if (!returned) continue;
        const cohort = cohorts.get(birth.bucket)!;
        for (let interval = 0; interval < intervals; interval++) cohort.retained[interval] += returned[interval];
      }
    }
    return {
      kind: 'retention',
      unit: spec.unit,
      retentionType: spec.retentionType,
      cohorts: [...cohorts.values()].sort((a, b) => compareText(a.date, b.date)),
    };
  }

  // A row per cohort and segment value that someone of the cohort came back with.
  const rows = new Map<string, RetentionData['cohorts'][number]>();
  const segmentUsers = new Map<string, number>();
  for (const userBirths of births) {
    for (const birth of userBirths ?? []) {
      for (const [segment, { returned }] of birth.returns ?? []) {
        const key = `${birth.bucket}\u0000${segment}`;
        let row = rows.get(key);
        if (!row) rows.set(key, (row = emptyRow(birth.bucket, segment)));
        for (let interval = 0; interval < intervals; interval++) row.retained[interval] += returned[interval];
        segmentUsers.set(segment as string, (segmentUsers.get(segment as string) ?? 0) + 1);
      }
    }
  }
  const countedSegments = [...segmentUsers].filter(([segment]) => !(spec.clean && isNoiseSegment(segment)));
  onSegmentCount?.(countedSegments.length);
  const topSegments = countedSegments
    .sort(([a, usersA], [b, usersB]) => usersB - usersA || compareText(a, b))
    .slice(0, spec.limit)
    .map(([segment]) => segment);
  const rank = new Map(topSegments.map((segment, position) => [segment, position]));
  const cohorts = [...rows.values()]
    .filter((row) => rank.has(row.segment as string))
    .sort((a, b) => compareText(a.date, b.date) || rank.get(a.segment as string)! - rank.get(b.segment as string)!);
  return { kind: 'retention', unit: spec.unit, retentionType: spec.retentionType, cohorts };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
