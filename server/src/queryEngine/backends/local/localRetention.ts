/**
 * Retention over local events (rules in docs/local-engine.md). Birth: a user's cohort is the
 * bucket of their first born event in the range (matching `born_where`). Compounded: a user joins
 * the cohort of every bucket in which they did the born event. retained[i] counts the cohort's
 * users who did the return event (any event when none is named) i buckets after the cohort's
 * bucket; interval 0 is the cohort's own bucket, counting only returns after the cohort event.
 */
import { segmentKey } from './evaluateExpression';
import type { RetentionSpec } from '../../../queryContract/querySpec';
import type { RetentionData } from '../../../protocol/resultModel';
import { isNoiseSegment } from '../../../results/cleanSegments';
import { indexOf } from './datasetIndex';
import { columnsReadBy } from './queryColumns';
import type { LocalDataset } from './localEvent';
import type { LocalQueryOptions } from './localSegmentation';
import { rangeInstants } from './timeBuckets';

/** A user's entry into one cohort. */
interface Birth {
  bucket: number;
  /** The cohort event's row in the dataset. */
  rowId: number;
  time: number;
  segment: string | null;
  /** returned[i]: the user came back in interval i. */
  returned: Uint8Array;
}

/** Longest bucket of each unit, to bound the return events worth reading. */
const MAX_UNIT_MS = { day: 86_400_000, week: 7 * 86_400_000, month: 31 * 86_400_000 } as const;

export function runLocalRetention(dataset: LocalDataset, spec: RetentionSpec, options: LocalQueryOptions = {}): RetentionData {
  const index = indexOf(dataset);
  index.prepare(columnsReadBy(spec));
  const bucketer = index.bucketer(spec.unit, options.timezone);
  const { start, end } = rangeInstants(spec.range, bucketer.clock);
  const intervals = spec.intervalCount + 1;

  const born = index.table(spec.bornEvent);
  const bornWhere = spec.bornWhere ? born.compilePredicate(spec.bornWhere) : undefined;
  const on = spec.on ? born.compile(spec.on) : undefined;
  const bornBuckets = born.bucketsFor(bucketer);
  const births: Array<Birth[] | undefined> = new Array(index.userIds.length);
  const bornRows = born.rowsBetween(start, end);
  for (let row = bornRows.from; row < bornRows.to; row++) {
    if (bornWhere && !bornWhere(row)) continue;
    const bucket = bornBuckets[row];
    const user = born.users[row];
    const userBirths = births[user];
    if (userBirths && (spec.retentionType === 'birth' || userBirths[userBirths.length - 1].bucket === bucket)) continue;
    const birth: Birth = { bucket, rowId: born.rowIds[row], time: born.times[row], segment: on ? segmentKey(on(row)) : null, returned: new Uint8Array(intervals) };
    if (userBirths) userBirths.push(birth);
    else births[user] = [birth];
  }

  const returns = spec.returnEvent === undefined ? index.all : index.table(spec.returnEvent);
  const where = spec.where ? returns.compilePredicate(spec.where) : undefined;
  const returnBuckets = returns.bucketsFor(bucketer);
  const returnRows = returns.rowsBetween(start, end + intervals * MAX_UNIT_MS[spec.unit]);
  for (let row = returnRows.from; row < returnRows.to; row++) {
    const userBirths = births[returns.users[row]];
    if (!userBirths) continue;
    if (where && !where(row)) continue;
    const bucket = returnBuckets[row];
    const time = returns.times[row];
    for (const birth of userBirths) {
      const interval = bucket - birth.bucket;
      if (interval < 0 || interval >= intervals || time < birth.time || returns.rowIds[row] === birth.rowId) continue;
      birth.returned[interval] = 1;
    }
  }

  const cohorts = new Map<string, RetentionData['cohorts'][number]>();
  const segmentSizes = new Map<string | null, number>();
  for (const userBirths of births) {
    for (const birth of userBirths ?? []) {
      const key = `${birth.bucket}\u0000${birth.segment}`;
      let cohort = cohorts.get(key);
      if (!cohort) {
        cohort = { date: bucketer.labelOf(birth.bucket), size: 0, retained: new Array<number>(intervals).fill(0), segment: birth.segment };
        cohorts.set(key, cohort);
      }
      cohort.size++;
      for (let interval = 0; interval < intervals; interval++) cohort.retained[interval] += birth.returned[interval];
      segmentSizes.set(birth.segment, (segmentSizes.get(birth.segment) ?? 0) + 1);
    }
  }

  let kept = [...cohorts.values()];
  if (on) {
    const topSegments = [...segmentSizes]
      .filter(([segment]) => !(spec.clean && isNoiseSegment(segment)))
      .sort(([a, sizeA], [b, sizeB]) => sizeB - sizeA || ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0))
      .slice(0, spec.limit)
      .map(([segment]) => segment);
    const rank = new Map(topSegments.map((segment, position) => [segment, position]));
    kept = kept.filter((cohort) => rank.has(cohort.segment)).sort((a, b) => compareText(a.date, b.date) || rank.get(a.segment)! - rank.get(b.segment)!);
  } else {
    kept.sort((a, b) => compareText(a.date, b.date));
  }
  return { kind: 'retention', unit: spec.unit, retentionType: spec.retentionType, cohorts: kept };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
