/**
 * Ad-hoc funnels over local events, counted the way Mixpanel's funnel documentation describes
 * (docs/local-engine.md, "Funnels", gives every rule and the reading taken where the pages are
 * ambiguous). funnelToJql.ts implements the same rules as a JQL script; a property test keeps
 * the two in step, so change both together.
 *
 * Per user (events in time order), an attempt starts at a first-step event inside the period and
 * takes, for each next step, the first unused event of that step no earlier than two seconds
 * before the previous step and no later than one window after the entry.
 * - Default mode: the user enters at their first first-step event; later first-step events never
 *   restart the window. With `on`, the user may enter again only after leaving the attempt
 *   (converted or timed out), and only with a segment value they have not entered with yet.
 * - Optimized re-entry: every first-step event is an entry; entries that would reach step 2 at
 *   the same event are one entry, the most recent of them; a user's entries count up to and
 *   including their first converted one (per segment with `on`).
 * With `unit`, the same funnel runs once per date bucket, with entries in that bucket.
 */
import { DEFAULT_FUNNEL_WINDOW } from '../../../languageService/clauseCatalog';
import { segmentKey } from './evaluateExpression';
import type { FunnelSpec } from '../../../queryContract/querySpec';
import type { FunnelData } from '../../../protocol/resultModel';
import { isNoiseSegment } from '../../../results/cleanSegments';
import { BackendError } from '../../backendErrors';
import { indexOf } from './datasetIndex';
import { columnsReadBy } from './queryColumns';
import type { LocalDataset } from './localEvent';
import type { LocalQueryOptions } from './localSegmentation';
import { rangeInstants, TimeBucketer, ZoneClock } from './timeBuckets';

export { DEFAULT_FUNNEL_WINDOW };

/** Consecutive steps this close together count in either order (Mixpanel's two-second grace period). */
export const FUNNEL_GRACE_MS = 2000;

export const FUNNEL_UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** A stretch of time whose entries make one funnel: the whole range, or one `unit` bucket of it. */
export interface FunnelPeriod {
  /** `YYYY-MM-DD` of the bucket's first day; null for the whole range. */
  date: string | null;
  start: number;
  end: number;
}

/** The whole range, then (with `unit`) one period per bucket, clipped to the range. */
export function funnelPeriods(spec: Pick<FunnelSpec, 'range' | 'unit'>, clock: ZoneClock): FunnelPeriod[] {
  const { start, end } = rangeInstants(spec.range, clock);
  const periods: FunnelPeriod[] = [{ date: null, start, end }];
  if (spec.unit !== 'day' && spec.unit !== 'week' && spec.unit !== 'month') return periods;
  const bucketer = new TimeBucketer(spec.unit, clock);
  const buckets = bucketer.bucketsOfRange(spec.range);
  buckets.forEach((bucket, i) => {
    const bucketStart = Math.max(start, rangeInstants({ from: bucketer.labelOf(bucket), to: bucketer.labelOf(bucket) }, clock).start);
    const next = buckets[i + 1];
    const bucketEnd = next === undefined ? end : Math.min(end, rangeInstants({ from: bucketer.labelOf(next), to: bucketer.labelOf(next) }, clock).start);
    periods.push({ date: bucketer.labelOf(bucket), start: bucketStart, end: bucketEnd });
  });
  return periods;
}

/** One funnel attempt: its segment (null without `on`) and the times of the steps it reached. */
interface Attempt {
  segment: string | null;
  times: number[];
  /** Position (in the user's events) of the step-2 event, or -1: entries sharing it are one in optimized mode. */
  stepTwo: number;
}

interface FunnelAccumulator {
  counts: number[];
  /** Sum of ms from the previous step, per step. */
  durations: number[];
}

interface PeriodTotals {
  overall: FunnelAccumulator;
  segments: Map<string, FunnelAccumulator>;
}

export function runLocalFunnel(dataset: LocalDataset, spec: FunnelSpec, options: LocalQueryOptions = {}): FunnelData {
  return countFunnel(dataset, spec, options, 'by user');
}

/**
 * How an attempt finds each next step. `scan` walks the user's events from the grace period before
 * the previous step: a walk through the window, which optimized re-entry repeats for every entry,
 * quadratic in a user's entries. `step index` builds, per user, the position of the next event of
 * each step, so the step is a lookup. `by user` (what queries use) builds the index only for users
 * with at least STEP_INDEX_MIN_EVENTS step events in optimized re-entry, where walking could cost
 * more than building; a property test checks that `scan` and `step index` count alike.
 */
export type StepSearch = 'scan' | 'step index' | 'by user';

/** `runLocalFunnel` with every user's next steps found one way: what the test of the step index compares. */
export function runLocalFunnelBy(search: StepSearch, dataset: LocalDataset, spec: FunnelSpec, options: LocalQueryOptions = {}): FunnelData {
  return countFunnel(dataset, spec, options, search);
}

/** Fewer step events than this, and walking them is cheaper than indexing them. */
const STEP_INDEX_MIN_EVENTS = 64;

/** The number of step events from which a user's next steps are found through the step index. */
function stepIndexFrom(search: StepSearch, optimized: boolean): number {
  if (search === 'scan') return Infinity;
  if (search === 'step index') return 0;
  return optimized ? STEP_INDEX_MIN_EVENTS : Infinity;
}

function countFunnel(dataset: LocalDataset, spec: FunnelSpec, options: LocalQueryOptions, search: StepSearch): FunnelData {
  if (spec.steps.length === 0) {
    throw new BackendError(
      'config',
      `"${spec.title}" is a saved funnel (funnel id ${spec.savedId ?? '?'}): saved funnels live in Mixpanel. On a local source, write the steps: funnel "A" -> "B" -> "C".`,
    );
  }
  const window = spec.window ?? DEFAULT_FUNNEL_WINDOW;
  const windowMs = window.count * FUNNEL_UNIT_MS[window.unit];
  const periods = funnelPeriods(spec, new ZoneClock(options.timezone));
  const { start, end } = periods[0];
  const index = indexOf(dataset);
  index.prepare(columnsReadBy(spec));
  const all = index.all;
  const where = spec.where ? all.compilePredicate(spec.where) : undefined;
  const on = spec.on ? all.compile(spec.on) : undefined;
  const stepIds = spec.steps.map((name) => index.nameId(name));
  const isStep = new Uint8Array(index.names.length);
  for (const id of stepIds) if (id >= 0) isStep[id] = 1;

  // Later steps may happen after the range ends, as long as they are inside the window, and up to
  // the grace period before an entry.
  const { from, to } = all.rowsBetween(start - FUNNEL_GRACE_MS, end + windowMs + 1);
  const matched = new Int32Array(to - from);
  let matchedCount = 0;
  // Read once: from the dataset cache, `nameIds` is read from the entry on first use, behind a getter.
  const nameIds = index.nameIds;
  for (let row = from; row < to; row++) {
    if (isStep[nameIds[row]] === 1 && (!where || where(row))) matched[matchedCount++] = row;
  }
  const rows = matched.subarray(0, matchedCount);

  // Group the rows by user, keeping time order within a user (a counting sort on user numbers).
  // Indexed loops: iterating a typed array with for…of allocated a result object per row here.
  const users = all.users;
  const allTimes = all.times;
  const offsets = new Int32Array(index.userCount + 1);
  for (let i = 0; i < rows.length; i++) offsets[users[rows[i]] + 1]++;
  for (let user = 0; user < index.userCount; user++) offsets[user + 1] += offsets[user];
  const cursor = offsets.slice(0, index.userCount);
  const grouped = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) grouped[cursor[users[rows[i]]]++] = rows[i];

  const totals: PeriodTotals[] = periods.map(() => ({ overall: newAccumulator(spec.steps.length), segments: new Map() }));
  const segmentOf = on ? (row: number): string => segmentKey(on(row)) : (): null => null;
  const rules: FunnelRules = { stepIds, windowMs, optimized: spec.reentry === 'optimized', segmented: on !== undefined };
  const indexFrom = stepIndexFrom(search, rules.optimized);
  for (let user = 0; user < index.userCount; user++) {
    if (offsets[user] === offsets[user + 1]) continue;
    const userRows = grouped.subarray(offsets[user], offsets[user + 1]);
    const nextOfStep = userRows.length >= indexFrom ? nextOccurrences(userRows, nameIds, stepIds) : undefined;
    const events: UserEvents = { rows: userRows, times: allTimes, nameIds, segmentOf, nextOfStep };
    for (let p = 0; p < periods.length; p++) {
      const attempts = userAttempts(events, rules, periods[p]);
      for (let a = 0; a < attempts.length; a++) {
        const attempt = attempts[a];
        record(totals[p].overall, attempt.times);
        if (attempt.segment === null) continue;
        let accumulator = totals[p].segments.get(attempt.segment);
        if (!accumulator) totals[p].segments.set(attempt.segment, (accumulator = newAccumulator(spec.steps.length)));
        record(accumulator, attempt.times);
      }
    }
  }

  const rowsOf = (period: PeriodTotals): FunnelData['segments'] => [toRow(null, period.overall), ...segmentRows(period.segments, spec)];
  const data: FunnelData = { kind: 'funnel', steps: [...spec.steps], segments: rowsOf(totals[0]), window };
  if (on !== undefined) options.onSegmentCount?.([...totals[0].segments.keys()].filter((segment) => !(spec.clean && isNoiseSegment(segment))).length);
  if (periods.length > 1) {
    data.unit = spec.unit as 'day' | 'week' | 'month';
    data.byDate = periods.slice(1).map((period, p) => ({ date: period.date!, segments: rowsOf(totals[p + 1]) }));
  }
  return data;
}

function segmentRows(segments: Map<string, FunnelAccumulator>, spec: FunnelSpec): FunnelData['segments'] {
  return [...segments]
    .filter(([segment]) => !(spec.clean && isNoiseSegment(segment)))
    .sort(([nameA, a], [nameB, b]) => b.counts[0] - a.counts[0] || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0))
    .slice(0, spec.limit)
    .map(([segment, accumulator]) => toRow(segment, accumulator));
}

interface FunnelRules {
  stepIds: number[];
  windowMs: number;
  optimized: boolean;
  segmented: boolean;
}

/** One user's step events in time order: `rows` index the dataset's columns. */
interface UserEvents {
  rows: Int32Array;
  times: Float64Array;
  nameIds: Int32Array;
  segmentOf: (row: number) => string | null;
  /** Per step, with the step index: at each position, the position of the next event of that step (`rows.length` when none). */
  nextOfStep: Int32Array[] | undefined;
}

/**
 * The step index of one user: per step, at each position of the user's events, the position of
 * their first event of that step at or after it (`rows.length` when there is none). One backward
 * pass per distinct step event.
 */
function nextOccurrences(rows: Int32Array, nameIds: Int32Array, stepIds: number[]): Int32Array[] {
  const byName = new Map<number, Int32Array>();
  for (const id of stepIds) {
    if (byName.has(id)) continue;
    const next = new Int32Array(rows.length);
    let following = rows.length;
    for (let position = rows.length - 1; position >= 0; position--) {
      if (nameIds[rows[position]] === id) following = position;
      next[position] = following;
    }
    byName.set(id, next);
  }
  return stepIds.map((id) => byName.get(id)!);
}

/** The attempts one user contributes to one period's funnel. */
function userAttempts(events: UserEvents, rules: FunnelRules, period: FunnelPeriod): Attempt[] {
  const { rows, times, nameIds, segmentOf } = events;
  const attempts: Attempt[] = [];
  // Default mode: the time the current attempt ends, and the segments already entered.
  let busyUntil = -Infinity;
  // The collections below are made on first use: most users of an unsegmented funnel need none.
  let entered: Set<string | null> | undefined;
  // Optimized mode, per segment: the latest entry (and where it is in `attempts`), and whether a converted entry has been closed.
  let latest: Map<string | null, { attempt: Attempt; at: number }> | undefined;
  let finished: Set<string | null> | undefined;
  for (let position = lowerBound(events, period.start); position < rows.length; position++) {
    const row = rows[position];
    const time = times[row];
    if (time >= period.end) break;
    if (nameIds[row] !== rules.stepIds[0]) continue;
    if (!rules.optimized) {
      if (time <= busyUntil) continue;
      const segment = segmentOf(row);
      if (entered?.has(segment)) continue;
      const attempt = attemptFrom(events, rules, position, segment);
      attempts.push(attempt);
      if (!rules.segmented) break;
      (entered ??= new Set()).add(segment);
      const converted = attempt.times.length === rules.stepIds.length;
      busyUntil = converted ? Math.max(time, attempt.times[attempt.times.length - 1]) : time + rules.windowMs;
      continue;
    }
    const segment = segmentOf(row);
    if (finished?.has(segment)) continue;
    const attempt = attemptFrom(events, rules, position, segment);
    latest ??= new Map();
    const previous = latest.get(segment);
    let at = attempts.length;
    if (previous && attempt.stepTwo >= 0 && attempt.stepTwo === previous.attempt.stepTwo) {
      // Several entries before the same step 2: the most recent one is the funnel.
      at = previous.at;
      attempts[at] = attempt;
    } else if (previous && previous.attempt.times.length === rules.stepIds.length) {
      // Only the first converted funnel counts; later entries of this segment are not considered.
      (finished ??= new Set()).add(segment);
      continue;
    } else {
      attempts.push(attempt);
    }
    latest.set(segment, { attempt, at });
  }
  return attempts;
}

/** The steps reached from the entry at `entry`: each next step is the first unused event in [previous − grace, entry + window]. */
function attemptFrom(events: UserEvents, rules: FunnelRules, entry: number, segment: string | null): Attempt {
  const { rows, times } = events;
  const entryTime = times[rows[entry]];
  const deadline = entryTime + rules.windowMs;
  const used = [entry];
  const reached = [entryTime];
  let previous = entryTime;
  let stepTwo = -1;
  for (let step = 1; step < rules.stepIds.length; step++) {
    const from = lowerBound(events, previous - FUNNEL_GRACE_MS);
    const found = events.nextOfStep
      ? nextFromIndex(events, events.nextOfStep[step], from, deadline, used)
      : nextByScanning(events, rules.stepIds[step], from, deadline, used);
    if (found < 0) break;
    used.push(found);
    previous = times[rows[found]];
    reached.push(previous);
    if (step === 1) stepTwo = found;
  }
  return { segment, times: reached, stepTwo };
}

/** The first position from `from` with an unused event of step `stepId`, no later than `deadline`; -1 if none. */
function nextByScanning(events: UserEvents, stepId: number, from: number, deadline: number, used: number[]): number {
  const { rows, times, nameIds } = events;
  for (let position = from; position < rows.length; position++) {
    if (times[rows[position]] > deadline) break;
    if (nameIds[rows[position]] === stepId && !used.includes(position)) return position;
  }
  return -1;
}

/**
 * `nextByScanning` through the step index: the step's next event at or after `from`, skipping the
 * few the attempt has used already (a step repeating an earlier step's event), then the deadline
 * test: the events are in time order, so the scan would have stopped before a later one.
 */
function nextFromIndex(events: UserEvents, next: Int32Array, from: number, deadline: number, used: number[]): number {
  const count = events.rows.length;
  let position = from < count ? next[from] : count;
  while (position < count && used.includes(position)) position = position + 1 < count ? next[position + 1] : count;
  return position < count && events.times[events.rows[position]] <= deadline ? position : -1;
}

/** The first position whose time is at least `time`. */
function lowerBound(events: UserEvents, time: number): number {
  let low = 0;
  let high = events.rows.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (events.times[events.rows[middle]] < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

function newAccumulator(stepCount: number): FunnelAccumulator {
  return { counts: new Array<number>(stepCount).fill(0), durations: new Array<number>(stepCount).fill(0) };
}

/** Adds one attempt; a step that came up to two seconds before the previous one took no time. */
function record(accumulator: FunnelAccumulator, times: number[]): void {
  for (let step = 0; step < times.length; step++) {
    accumulator.counts[step]++;
    if (step > 0) accumulator.durations[step] += Math.max(0, times[step] - times[step - 1]);
  }
}

function toRow(segment: string | null, accumulator: FunnelAccumulator): FunnelData['segments'][number] {
  const { counts, durations } = accumulator;
  return {
    segment,
    counts: [...counts],
    overallConversion: counts.map((count, step) => (step === 0 ? (counts[0] === 0 ? 0 : 1) : counts[0] === 0 ? 0 : count / counts[0])),
    stepConversion: counts.map((count, step) => (step === 0 ? 1 : counts[step - 1] === 0 ? 0 : count / counts[step - 1])),
    avgTimeSeconds: counts.map((count, step) => (step === 0 || count === 0 ? null : durations[step] / count / 1000)),
  };
}
