/**
 * Segmentation over local events as Mixpanel documents it (rules in docs/local-engine.md):
 * general = events per bucket, unique = distinct users per bucket, average = events per user per
 * bucket; `on` splits into one series per value, `limit` keeps the top N by total; `measure`
 * sums, averages or histograms the numeric `on` value instead of counting.
 */
import { segmentKey, type CompiledExpressionOf } from './evaluateExpression';
import type { SegmentationSpec } from '../../../queryContract/querySpec';
import type { SeriesData } from '../../../protocol/resultModel';
import { isNoiseSegment } from '../../../results/cleanSegments';
import { BackendError } from '../../backendErrors';
import { indexOf } from './datasetIndex';
import { columnsReadBy } from './queryColumns';
import type { LocalDataset } from './localEvent';
import { rangeInstants } from './timeBuckets';

export interface LocalQueryOptions {
  /** IANA zone of bucket boundaries and date ranges; default UTC. */
  timezone?: string;
  /** Told how many segments there were before `limit` kept the top ones, so the result can say what it left out. */
  onSegmentCount?: (total: number) => void;
}

interface Accumulator {
  counts: Float64Array;
  /** Distinct users per bucket (unique/average only). */
  usersPerBucket: Array<Set<number>> | undefined;
  users: Set<number> | undefined;
  events: number;
}

export function runLocalSegmentation(dataset: LocalDataset, spec: SegmentationSpec, options: LocalQueryOptions = {}): SeriesData {
  const index = indexOf(dataset);
  index.prepare(columnsReadBy(spec));
  const bucketer = index.bucketer(spec.unit, options.timezone);
  const buckets = bucketer.bucketsOfRange(spec.range);
  const firstBucket = buckets[0];
  const dates = buckets.map((bucket) => bucketer.labelOf(bucket));
  const { start, end } = rangeInstants(spec.range, bucketer.clock);
  const table = index.table(spec.event);
  const { from, to } = table.rowsBetween(start, end);
  const where = spec.where ? table.compilePredicate(spec.where) : undefined;
  const on = spec.on ? table.compile(spec.on) : undefined;
  const bucketOf = table.bucketReader(bucketer);
  const positionOf = (row: number): number => bucketOf(row) - firstBucket;
  // The measures walk the rows that pass `where` in a typed array (not a growing JS array: a warm
  // query should leave little garbage, because a major GC over a million loaded events costs more
  // than the query itself); counting tests each row as it goes, without one.
  const matchedRows = (): Int32Array => {
    const matched = new Int32Array(to - from);
    let matchedCount = 0;
    for (let row = from; row < to; row++) if (!where || where(row)) matched[matchedCount++] = row;
    return matched.subarray(0, matchedCount);
  };

  if (spec.measure !== 'count') {
    if (!on)
      throw new BackendError(
        'config',
        `\`measure ${spec.measure}\` needs an \`on\` expression giving the number to ${spec.measure === 'numeric' ? 'bucket' : spec.measure === 'sum' ? 'sum' : 'average'}.`,
      );
    if (spec.measure === 'numeric') return numericBuckets(matchedRows(), on, positionOf, dates, spec);
    return sumOrAverage(matchedRows(), on, positionOf, dates, spec, spec.measure);
  }

  const tracksUsers = spec.type !== 'general';
  // Only unique and average read users: from the dataset cache, a general count never reads them.
  const users = tracksUsers ? table.users : new Int32Array(0);
  const accumulators = new Map<string | null, Accumulator>();
  const accumulatorFor = (segment: string | null): Accumulator => {
    let accumulator = accumulators.get(segment);
    if (!accumulator) {
      accumulator = {
        counts: new Float64Array(dates.length),
        usersPerBucket: tracksUsers ? dates.map(() => new Set<number>()) : undefined,
        users: tracksUsers ? new Set<number>() : undefined,
        events: 0,
      };
      accumulators.set(segment, accumulator);
    }
    return accumulator;
  };
  const add = (accumulator: Accumulator, row: number, position: number): void => {
    accumulator.counts[position]++;
    accumulator.events++;
    if (accumulator.usersPerBucket) {
      accumulator.usersPerBucket[position].add(users[row]);
      accumulator.users!.add(users[row]);
    }
  };

  const overall = on ? undefined : accumulatorFor(null);
  // Read once: a module export is a getter when this file runs unbundled (tsx, tests, bench).
  const keyOf = segmentKey;
  // `on` a property whose values are texts (and missing, true, false, null): a number per segment
  // (see `EventTable.segmentIdsOf`), each number's counter found once, not a key made per row.
  const segmentIds = spec.on ? table.segmentIdsOf(spec.on) : undefined;
  if (segmentIds) {
    const { idOf, keys } = segmentIds;
    const byId = new Array<Accumulator | undefined>(keys.length).fill(undefined);
    for (let row = from; row < to; row++) {
      if (where && !where(row)) continue;
      const id = idOf(row);
      add((byId[id] ??= accumulatorFor(keys[id])), row, positionOf(row));
    }
  } else {
    // A list value puts the event in each of its distinct elements.
    for (let row = from; row < to; row++) {
      if (where && !where(row)) continue;
      const position = positionOf(row);
      if (overall) {
        add(overall, row, position);
        continue;
      }
      const value = on!(row);
      if (!Array.isArray(value)) add(accumulatorFor(keyOf(value)), row, position);
      else for (const segment of new Set(value.map(keyOf))) add(accumulatorFor(segment), row, position);
    }
  }

  const series = [...accumulators].map(([segment, accumulator]) => {
    if (spec.type === 'general') {
      return { segment, values: Array.from(accumulator.counts), total: accumulator.events };
    }
    const uniques = accumulator.usersPerBucket!.map((bucketUsers) => bucketUsers.size);
    if (spec.type === 'unique') return { segment, values: uniques, total: accumulator.users!.size };
    const values = uniques.map((count, position) => (count === 0 ? 0 : accumulator.counts[position] / count));
    return { segment, values, total: accumulator.users!.size === 0 ? 0 : accumulator.events / accumulator.users!.size };
  });
  const kept = spec.clean && on ? series.filter((entry) => !isNoiseSegment(entry.segment)) : series;
  kept.sort(byTotalThenName);
  if (on) options.onSegmentCount?.(kept.length);
  return { kind: 'series', unit: spec.unit, dates, series: on ? kept.slice(0, spec.limit) : kept, measure: spec.type };
}

function byTotalThenName(a: { segment: string | null; total: number }, b: { segment: string | null; total: number }): number {
  if (b.total !== a.total) return b.total - a.total;
  return (a.segment ?? '') < (b.segment ?? '') ? -1 : (a.segment ?? '') > (b.segment ?? '') ? 1 : 0;
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

function sumOrAverage(
  rows: Int32Array,
  on: CompiledExpressionOf<number>,
  positionOf: (row: number) => number,
  dates: string[],
  spec: SegmentationSpec,
  measure: 'sum' | 'average',
): SeriesData {
  const sums = new Float64Array(dates.length);
  const counts = new Float64Array(dates.length);
  let sum = 0;
  let count = 0;
  for (const row of rows) {
    // Mixpanel's /segmentation/sum and /average: "If the expression is not numeric, a value of
    // 0.0 is assumed", so such an event adds nothing to a sum but does count towards an average.
    const value = numberOf(on(row)) ?? 0;
    const position = positionOf(row);
    sums[position] += value;
    counts[position]++;
    sum += value;
    count++;
  }
  const values = measure === 'sum' ? Array.from(sums) : Array.from(sums, (total, position) => (counts[position] === 0 ? 0 : total / counts[position]));
  const total = measure === 'sum' ? sum : count === 0 ? 0 : sum / count;
  return { kind: 'series', unit: spec.unit, dates, series: [{ segment: null, values, total }], measure };
}

function numericBuckets(
  rows: Int32Array,
  on: CompiledExpressionOf<number>,
  positionOf: (row: number) => number,
  dates: string[],
  spec: SegmentationSpec,
): SeriesData {
  const values: number[] = [];
  const positions: number[] = [];
  let min = Infinity;
  let max = -Infinity;
  for (const row of rows) {
    const value = numberOf(on(row));
    if (value === undefined) continue;
    values.push(value);
    positions.push(positionOf(row));
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (values.length === 0) return { kind: 'series', unit: spec.unit, dates, series: [], measure: 'numeric' };
  const width = niceWidth(min, max, spec.buckets ?? 10);
  const origin = Math.floor(min / width) * width;
  const binCount = Math.floor((max - origin) / width) + 1;
  const bins = Array.from({ length: binCount }, () => new Float64Array(dates.length));
  for (let i = 0; i < values.length; i++) {
    const bin = Math.min(binCount - 1, Math.max(0, Math.floor((values[i] - origin) / width)));
    bins[bin][positions[i]]++;
  }
  const series = bins
    .map((counts, bin) => {
      const low = tidy(origin + bin * width);
      const high = tidy(origin + (bin + 1) * width);
      const total = counts.reduce((a, b) => a + b, 0);
      return { segment: `${formatNumber(low)} - ${formatNumber(high)}`, values: Array.from(counts), total };
    })
    .filter((entry) => entry.total > 0);
  // Histogram bins read best in value order, not by size.
  return { kind: 'series', unit: spec.unit, dates, series, measure: 'numeric' };
}

/** A round bin width (1, 2, 2.5 or 5 times a power of ten) giving about `count` bins. */
function niceWidth(min: number, max: number, count: number): number {
  const raw = (max - min) / count;
  if (raw <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= raw) return step * magnitude;
  return 10 * magnitude;
}

function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

function formatNumber(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 6 });
}
