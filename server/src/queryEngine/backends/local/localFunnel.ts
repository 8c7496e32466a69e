/**
 * Ad-hoc funnels over local events (rules in docs/local-engine.md). Per user, an attempt starts at
 * an entry event inside the date range and takes, for each next step, the earliest later event of
 * that step within the window measured from the entry event. Taking the earliest match is optimal:
 * it leaves the most room for the remaining steps. A user counts once, with the attempt that gets
 * furthest (the earliest such attempt on a tie), and is segmented by `on` on that attempt's entry.
 */
import { segmentKey } from './evaluateExpression';
import type { FunnelSpec } from '../../../queryContract/querySpec';
import type { FunnelData } from '../../../protocol/resultModel';
import { isNoiseSegment } from '../../../results/cleanSegments';
import { BackendError } from '../../backendErrors';
import { indexOf } from './datasetIndex';
import { columnsReadBy } from './queryColumns';
import type { LocalDataset } from './localEvent';
import type { LocalQueryOptions } from './localSegmentation';
import { rangeInstants, ZoneClock } from './timeBuckets';

/** Mixpanel's default conversion window. */
export const DEFAULT_FUNNEL_WINDOW = { count: 30, unit: 'day' as const };

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

interface Completion {
  /** Row (in time order over all events) of the attempt's first step. */
  entryRow: number;
  /** Times of the steps reached, in order. */
  times: number[];
}

interface FunnelAccumulator {
  counts: number[];
  /** Sum of ms from the previous step, per step. */
  durations: number[];
}

export function runLocalFunnel(dataset: LocalDataset, spec: FunnelSpec, options: LocalQueryOptions = {}): FunnelData {
  if (spec.steps.length === 0) {
    throw new BackendError('config', `"${spec.title}" is a saved funnel (funnel id ${spec.savedId ?? '?'}): saved funnels live in Mixpanel. On a local source, write the steps: funnel "A" -> "B" -> "C".`);
  }
  const window = spec.window ?? DEFAULT_FUNNEL_WINDOW;
  const windowMs = window.count * UNIT_MS[window.unit];
  const { start, end } = rangeInstants(spec.range, new ZoneClock(options.timezone));
  const index = indexOf(dataset);
  index.prepare(columnsReadBy(spec));
  const all = index.all;
  const where = spec.where ? all.compilePredicate(spec.where) : undefined;
  const on = spec.on ? all.compile(spec.on) : undefined;
  const stepIds = spec.steps.map((name) => index.nameId(name));
  const isStep = new Uint8Array(index.names.length);
  for (const id of stepIds) if (id >= 0) isStep[id] = 1;

  // Later steps may happen after the range ends, as long as they are inside the window.
  const { from, to } = all.rowsBetween(start, end + windowMs + 1);
  const matched = new Int32Array(to - from);
  let matchedCount = 0;
  for (let row = from; row < to; row++) {
    if (isStep[index.nameIds[row]] === 1 && (!where || where(row))) matched[matchedCount++] = row;
  }
  const rows = matched.subarray(0, matchedCount);

  // Group the rows by user, keeping time order within a user (a counting sort on user numbers).
  const users = all.users;
  const offsets = new Int32Array(index.userIds.length + 1);
  for (const row of rows) offsets[users[row] + 1]++;
  for (let user = 0; user < index.userIds.length; user++) offsets[user + 1] += offsets[user];
  const cursor = offsets.slice(0, index.userIds.length);
  const grouped = new Int32Array(rows.length);
  for (const row of rows) grouped[cursor[users[row]]++] = row;

  const overall = newAccumulator(spec.steps.length);
  const segments = new Map<string, FunnelAccumulator>();
  const context = { grouped, nameIds: index.nameIds, times: all.times, stepIds, start, end, windowMs, scratch: new Float64Array(spec.steps.length) };
  for (let user = 0; user < index.userIds.length; user++) {
    if (offsets[user] === offsets[user + 1]) continue;
    const completion = bestCompletion(context, offsets[user], offsets[user + 1]);
    if (!completion) continue;
    record(overall, completion);
    if (on) {
      const segment = segmentKey(on(completion.entryRow));
      let accumulator = segments.get(segment);
      if (!accumulator) segments.set(segment, (accumulator = newAccumulator(spec.steps.length)));
      record(accumulator, completion);
    }
  }

  const segmentRows = [...segments]
    .filter(([segment]) => !(spec.clean && isNoiseSegment(segment)))
    .sort(([nameA, a], [nameB, b]) => b.counts[0] - a.counts[0] || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0))
    .slice(0, spec.limit)
    .map(([segment, accumulator]) => toRow(segment, accumulator));
  return { kind: 'funnel', steps: [...spec.steps], segments: [toRow(null, overall), ...segmentRows], window };
}

interface MatchContext {
  grouped: Int32Array;
  nameIds: Int32Array;
  times: Float64Array;
  stepIds: number[];
  start: number;
  end: number;
  windowMs: number;
  /** Step times of the attempt being tried; copied only when it becomes the best one. */
  scratch: Float64Array;
}

/** The furthest-reaching attempt among one user's rows `grouped[first..last)`, or undefined if none starts in range. */
function bestCompletion(context: MatchContext, first: number, last: number): Completion | undefined {
  const { grouped, nameIds, times, stepIds, start, end, windowMs, scratch } = context;
  let best: Completion | undefined;
  for (let entry = first; entry < last; entry++) {
    const entryRow = grouped[entry];
    const entryTime = times[entryRow];
    if (nameIds[entryRow] !== stepIds[0] || entryTime < start || entryTime >= end) continue;
    const deadline = entryTime + windowMs;
    scratch[0] = entryTime;
    let reached = 1;
    let position = entry;
    for (let step = 1; step < stepIds.length; step++) {
      let next = position + 1;
      while (next < last && times[grouped[next]] <= deadline && nameIds[grouped[next]] !== stepIds[step]) next++;
      if (next >= last || times[grouped[next]] > deadline) break;
      scratch[reached++] = times[grouped[next]];
      position = next;
    }
    if (!best || reached > best.times.length) best = { entryRow, times: Array.from(scratch.subarray(0, reached)) };
    if (reached === stepIds.length) break;
  }
  return best;
}

function newAccumulator(stepCount: number): FunnelAccumulator {
  return { counts: new Array<number>(stepCount).fill(0), durations: new Array<number>(stepCount).fill(0) };
}

function record(accumulator: FunnelAccumulator, completion: Completion): void {
  for (let step = 0; step < completion.times.length; step++) {
    accumulator.counts[step]++;
    if (step > 0) accumulator.durations[step] += completion.times[step] - completion.times[step - 1];
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
