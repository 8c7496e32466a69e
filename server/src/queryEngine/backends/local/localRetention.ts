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
import { firstRowsOf, indexOf, type DatasetIndex, type EventTable } from './datasetIndex';
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

/** What every way of counting a retention query starts from. */
interface RetentionQuery {
  index: DatasetIndex;
  spec: RetentionSpec;
  bucketer: TimeBucketer;
  /** The range's instants: births (cohort events) happen in `[start, end)`. */
  start: number;
  end: number;
  /** Interval 0 and the `interval_count` after it. */
  intervals: number;
  returns: EventTable;
  where: ((row: number) => boolean) | undefined;
  /** Return events after this instant cannot fall in any counted interval. */
  readUntil: number;
}

/**
 * Counted over typed arrays (`retentionOverEntries`), or with a record per cohort entry
 * (`retentionByBirthRecords`) when a query is too large for the fast path's bits.
 */
export function runLocalRetention(dataset: LocalDataset, spec: RetentionSpec, options: LocalQueryOptions = {}): RetentionData {
  const query = retentionQuery(dataset, spec, options);
  return retentionOverEntries(query, options) ?? retentionByBirthRecords(query, options);
}

/**
 * The same answer as `runLocalRetention`, always by the general path (one record per cohort entry,
 * with its returns per segment), which counts every kind of retention query: the reference the fast
 * path is tested against.
 */
export function runLocalRetentionByBirthRecords(dataset: LocalDataset, spec: RetentionSpec, options: LocalQueryOptions = {}): RetentionData {
  return retentionByBirthRecords(retentionQuery(dataset, spec, options), options);
}

function retentionQuery(dataset: LocalDataset, spec: RetentionSpec, options: LocalQueryOptions): RetentionQuery {
  const index = indexOf(dataset);
  index.prepare(columnsReadBy(spec));
  const bucketer = index.bucketer(spec.unit, options.timezone);
  const { start, end } = rangeInstants(spec.range, bucketer.clock);
  const intervals = spec.intervalCount + 1;
  const returns = spec.returnEvent === undefined ? index.all : index.table(spec.returnEvent);
  const where = spec.where ? returns.compilePredicate(spec.where) : undefined;
  const readUntil = spec.unbounded ? Infinity : end + intervals * (spec.windows === 'rolling' ? ROLLING_UNIT_MS[spec.unit] : MAX_CALENDAR_UNIT_MS[spec.unit]);
  return { index, spec, bucketer, start, end, intervals, returns, where, readUntil };
}

/** A cohort entry per user (or per user and bucket, compounded), each with its returns per segment. */
function retentionByBirthRecords(query: RetentionQuery, options: LocalQueryOptions): RetentionData {
  const { index, spec, bucketer, start, end, intervals, returns, where, readUntil } = query;
  const births =
    spec.retentionType === 'birth'
      ? firstBirths(index.table(spec.bornEvent), spec, bucketer, start, end, index.userCount)
      : recurringBirths(returns, where, bucketer, start, end, index.userCount);

  const intervalOf = spec.windows === 'rolling' ? rollingInterval(ROLLING_UNIT_MS[spec.unit]) : calendarInterval(returns.bucketsFor(bucketer));
  const on: CompiledExpressionOf<number> | undefined = spec.on ? returns.compile(spec.on) : undefined;
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

/** Above this many words of "came back in interval i" bits (128 MB), the general path counts instead. */
const MAX_RETURN_MARK_WORDS = 1 << 25;
/** With `on`, an entry's intervals per segment are the bits of one number: up to this many intervals. */
const MAX_SEGMENTED_INTERVALS = 30;

/**
 * The fast path: cohort entries and their returns in typed arrays instead of a record per entry.
 * - Entries. birth: a user's first born event in the whole data (matching `born_where`) is kept by
 *   the index, built once per dataset (with `born_where`, one pass over the born events); the user
 *   is in a cohort when it lies in the range, exactly the general path's rule. compounded: the first
 *   return event of each user in each bucket of the range, in one pass. Entries are grouped by user
 *   in time order, so a return event finds its user's entries by two array reads.
 * - Returns: one tight loop over the return events in the range, a bit per entry and interval
 *   marking "came back", and the cohort's count for that interval raised the first time the bit is
 *   set. "On or after" keeps each entry's latest interval instead and counts it at the end. With
 *   `on`, the same per entry and segment, in a map keyed by both.
 * Gives the general path's numbers; a property test compares the two on random data. Returns
 * undefined when the bits would take too much memory (many entries and a very long `interval_count`).
 */
function retentionOverEntries(query: RetentionQuery, options: LocalQueryOptions): RetentionData | undefined {
  const { spec } = query;
  const entries = spec.retentionType === 'birth' ? firstEntries(query) : recurringEntries(query);
  const words = entries.times.length * ((query.intervals + 31) >>> 5);
  if (spec.on ? !spec.unbounded && query.intervals > MAX_SEGMENTED_INTERVALS : !spec.unbounded && words > MAX_RETURN_MARK_WORDS) return undefined;
  const cohorts = spec.on ? segmentedReturns(query, entries, query.returns.compile(spec.on), options) : unsegmentedReturns(query, entries);
  return { kind: 'retention', unit: spec.unit, retentionType: spec.retentionType, cohorts };
}

/** Cohort entries grouped by user, each user's in time order. */
interface CohortEntries {
  /** The entries of user u are `firstEntryOf[u]` up to (not including) `firstEntryOf[u + 1]`. */
  firstEntryOf: Int32Array;
  times: Float64Array;
  /** The entry event's row in the dataset (its own return does not count). */
  rowIds: Int32Array;
  buckets: Int32Array;
  /** The bucket of cohort 0. */
  lowestBucket: number;
  /** Entries per cohort (cohort c is bucket `lowestBucket + c`). */
  sizes: Float64Array;
}

/** birth: the users whose first born event in the data lies in the range. */
function firstEntries(query: RetentionQuery): CohortEntries {
  const { index, spec, bucketer, start, end } = query;
  const userCount = index.userCount;
  const born = index.table(spec.bornEvent);
  const firsts = spec.bornWhere ? firstRowsOf(born, userCount, born.compilePredicate(spec.bornWhere)) : born.firstRowsOfUsers();
  // The births in the range: a slice of the first rows, which are in time order.
  const from = firstAtOrAfter(firsts.rows, born.times, start);
  const to = firstAtOrAfter(firsts.rows, born.times, end);
  return groupedByUser(born, firsts.rows.subarray(from, to), born.bucketsFor(bucketer), userCount);
}

/** compounded: the first return event (matching `where`) of each user in each bucket of the range. */
function recurringEntries(query: RetentionQuery): CohortEntries {
  const { index, bucketer, start, end, returns, where } = query;
  const userCount = index.userCount;
  const buckets = returns.bucketsFor(bucketer);
  const { from, to } = returns.rowsBetween(start, end);
  const entryRows = new Int32Array(to - from);
  let count = 0;
  // The bucket of each user's latest entry, as the general path compares with its last record.
  const latestBucket = new Int32Array(userCount);
  const hasEntry = new Uint8Array(userCount);
  for (let row = from; row < to; row++) {
    if (where && !where(row)) continue;
    const user = returns.users[row];
    if (hasEntry[user] && latestBucket[user] === buckets[row]) continue;
    hasEntry[user] = 1;
    latestBucket[user] = buckets[row];
    entryRows[count++] = row;
  }
  return groupedByUser(returns, entryRows.subarray(0, count), buckets, userCount);
}

/** Entries at `rows` of `table` (in time order), grouped by user by a counting sort that keeps their order. */
function groupedByUser(table: EventTable, rows: Int32Array, tableBuckets: Int32Array, userCount: number): CohortEntries {
  const firstEntryOf = new Int32Array(userCount + 1);
  for (const row of rows) firstEntryOf[table.users[row] + 1]++;
  for (let user = 0; user < userCount; user++) firstEntryOf[user + 1] += firstEntryOf[user];
  const next = firstEntryOf.slice(0, userCount);
  const times = new Float64Array(rows.length);
  const rowIds = new Int32Array(rows.length);
  const buckets = new Int32Array(rows.length);
  let lowestBucket = 0;
  let highestBucket = -1;
  rows.forEach((row, k) => {
    const entry = next[table.users[row]]++;
    times[entry] = table.times[row];
    rowIds[entry] = table.rowIds[row];
    buckets[entry] = tableBuckets[row];
    if (k === 0 || buckets[entry] < lowestBucket) lowestBucket = buckets[entry];
    if (k === 0 || buckets[entry] > highestBucket) highestBucket = buckets[entry];
  });
  const sizes = new Float64Array(highestBucket - lowestBucket + 1);
  for (const bucket of buckets) sizes[bucket - lowestBucket]++;
  return { firstEntryOf, times, rowIds, buckets, lowestBucket, sizes };
}

/**
 * Calls `found` for each pair of a return event in the range and an entry of its user that it
 * counts for: at or after the entry, not the entry event itself, matching `where`, interval 0 or
 * later (and before `intervals`, unless unbounded).
 */
function forEachReturn(query: RetentionQuery, entries: CohortEntries, found: (row: number, entry: number, interval: number) => void): void {
  const { spec, bucketer, start, intervals, returns, where, readUntil } = query;
  const { firstEntryOf, times: entryTimes, rowIds: entryRowIds, buckets: entryBuckets } = entries;
  const unitMs = ROLLING_UNIT_MS[spec.unit];
  const returnBuckets = spec.windows === 'rolling' ? undefined : returns.bucketsFor(bucketer);
  const lastInterval = spec.unbounded ? Infinity : intervals - 1;
  const { users: returnUsers, times: returnTimes, rowIds: returnRowIds } = returns;
  const returnRows = returns.rowsBetween(start, readUntil);
  for (let row = returnRows.from; row < returnRows.to; row++) {
    const user = returnUsers[row];
    const first = firstEntryOf[user];
    const past = firstEntryOf[user + 1];
    const time = returnTimes[row];
    // The user's entries are in time order: none, or all later than this event, and it counts for none.
    if (first === past || time < entryTimes[first]) continue;
    if (where && !where(row)) continue;
    for (let entry = first; entry < past && entryTimes[entry] <= time; entry++) {
      if (returnRowIds[row] === entryRowIds[entry]) continue;
      const interval = returnBuckets ? returnBuckets[row] - entryBuckets[entry] : Math.floor((time - entryTimes[entry]) / unitMs);
      if (interval < 0 || interval > lastInterval) continue;
      found(row, entry, interval);
    }
  }
}

/** A row per cohort with entries, without segments. */
function unsegmentedReturns(query: RetentionQuery, entries: CohortEntries): RetentionData['cohorts'] {
  const { spec, bucketer, intervals } = query;
  const { buckets, lowestBucket, sizes } = entries;
  const entryCount = buckets.length;
  // retained[cohort * intervals + interval]
  const retained = new Float64Array(sizes.length * intervals);
  if (spec.unbounded) {
    const latest = new Int32Array(entryCount).fill(-1);
    forEachReturn(query, entries, (_row, entry, interval) => {
      if (interval > latest[entry]) latest[entry] = interval;
    });
    // "On or after": counted in every interval up to the latest one the user came back in.
    for (let entry = 0; entry < entryCount; entry++) {
      const through = Math.min(latest[entry], intervals - 1);
      const cohort = (buckets[entry] - lowestBucket) * intervals;
      for (let interval = 0; interval <= through; interval++) retained[cohort + interval]++;
    }
  } else {
    const wordsPerEntry = (intervals + 31) >>> 5;
    const marks = new Uint32Array(entryCount * wordsPerEntry);
    forEachReturn(query, entries, (_row, entry, interval) => {
      const word = entry * wordsPerEntry + (interval >>> 5);
      const bit = 1 << (interval & 31);
      if (marks[word] & bit) return;
      marks[word] |= bit;
      retained[(buckets[entry] - lowestBucket) * intervals + interval]++;
    });
  }
  const cohorts: RetentionData['cohorts'] = [];
  for (let cohort = 0; cohort < sizes.length; cohort++) {
    if (sizes[cohort] === 0) continue;
    const counts = Array.from(retained.subarray(cohort * intervals, (cohort + 1) * intervals));
    cohorts.push({ date: bucketer.labelOf(lowestBucket + cohort), size: sizes[cohort], retained: counts, segment: null });
  }
  return cohorts.sort((a, b) => compareText(a.date, b.date));
}

/**
 * A row per cohort and segment value that someone of the cohort came back with, the top `limit`
 * segments by the entries that came back with them, as the general path's summary ranks them.
 */
function segmentedReturns(
  query: RetentionQuery,
  entries: CohortEntries,
  on: CompiledExpressionOf<number>,
  options: LocalQueryOptions,
): RetentionData['cohorts'] {
  const { spec, bucketer, intervals } = query;
  const { buckets, lowestBucket, sizes } = entries;
  const entryCount = buckets.length;
  const segmentIds = new Map<string, number>();
  const segments: string[] = [];
  // Per segment: retained[cohort * intervals + interval], and the entries that came back with it.
  const retained: Float64Array[] = [];
  const entriesOf: number[] = [];
  // Per segment and entry (key segment × entryCount + entry): the bits of the intervals it came
  // back in with that segment, or (unbounded) the latest such interval.
  const marks = new Map<number, number>();
  let segmentRow = -1;
  let id = -1;
  forEachReturn(query, entries, (row, entry, interval) => {
    if (row !== segmentRow) {
      segmentRow = row;
      const segment = segmentKey(on(row));
      const known = segmentIds.get(segment);
      if (known !== undefined) id = known;
      else {
        id = segments.length;
        segmentIds.set(segment, id);
        segments.push(segment);
        retained.push(new Float64Array(sizes.length * intervals));
        entriesOf.push(0);
      }
    }
    const key = id * entryCount + entry;
    const mark = marks.get(key);
    if (mark === undefined) entriesOf[id]++;
    if (spec.unbounded) {
      if (mark === undefined || interval > mark) marks.set(key, interval);
      return;
    }
    const bit = 1 << interval;
    if (mark !== undefined && mark & bit) return;
    marks.set(key, (mark ?? 0) | bit);
    retained[id][(buckets[entry] - lowestBucket) * intervals + interval]++;
  });
  if (spec.unbounded) {
    // "On or after": counted in every interval up to the latest one the user came back in.
    for (const [key, latest] of marks) {
      const segment = Math.floor(key / entryCount);
      const cohort = (buckets[key - segment * entryCount] - lowestBucket) * intervals;
      for (let interval = 0; interval <= Math.min(latest, intervals - 1); interval++) retained[segment][cohort + interval]++;
    }
  }

  const counted = segments.map((segment, id) => ({ segment, entries: entriesOf[id], id })).filter(({ segment }) => !(spec.clean && isNoiseSegment(segment)));
  options.onSegmentCount?.(counted.length);
  const top = counted.sort((a, b) => b.entries - a.entries || compareText(a.segment, b.segment)).slice(0, spec.limit);
  const cohorts: RetentionData['cohorts'] = [];
  // By date, then by the segment's rank: cohorts outside, ranked segments inside.
  for (let cohort = 0; cohort < sizes.length; cohort++) {
    for (const { segment, id } of top) {
      const counts = retained[id].subarray(cohort * intervals, (cohort + 1) * intervals);
      // A segment's row exists where someone of the cohort came back with it, so counted something.
      if (!counts.some((count) => count > 0)) continue;
      cohorts.push({ date: bucketer.labelOf(lowestBucket + cohort), size: sizes[cohort], retained: Array.from(counts), segment });
    }
  }
  return cohorts.sort((a, b) => compareText(a.date, b.date));
}

/** The first position in `rows` (rows of a table, ascending) whose time is at least `time`. */
function firstAtOrAfter(rows: Int32Array, times: Float64Array, time: number): number {
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[rows[middle]] < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** birth: each user's first born event in the data; only those inside the range start a cohort. */
function firstBirths(born: EventTable, spec: RetentionSpec, bucketer: TimeBucketer, start: number, end: number, userCount: number): Array<Birth[] | undefined> {
  const bornWhere = spec.bornWhere ? born.compilePredicate(spec.bornWhere) : undefined;
  const bornBuckets = born.bucketsFor(bucketer);
  const seen = new Uint8Array(userCount);
  const births = emptyPerUser<Birth[]>(userCount);
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
  const births = emptyPerUser<Birth[]>(userCount);
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

/**
 * A slot per user, filled with undefined: `new Array(n)` would leave holes, and a large array with
 * holes is kept as a dictionary by V8, slow to fill and to walk.
 */
function emptyPerUser<T>(userCount: number): Array<T | undefined> {
  return Array.from<T | undefined>({ length: userCount });
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
