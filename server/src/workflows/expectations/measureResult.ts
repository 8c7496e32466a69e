/**
 * What an expectation's measure reads off a query result, and how a measure and a check are said
 * to a person. Pure: the runner (runExpectations.ts) decides which results to pass in.
 */
import type { ExpectBound, ExpectCheck, ExpectMeasure } from '../../queryContract/expectations';
import type { FunnelData, QueryResult, RetentionData, SeriesData } from '../../protocol/resultModel';
import { resultToTable, seriesLabel } from '../../results/resultTable';

export type MeasureOutcome = { ok: true; value: number } | { ok: false; message: string };

const integers = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const percents = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** The measure as the user wrote it, names included: `step "Purchase" count`. */
export function measureLabel(measure: ExpectMeasure): string {
  switch (measure.kind) {
    case 'total':
    case 'rows':
    case 'conversion':
      return measure.kind;
    case 'seriesTotal':
      return `series ${JSON.stringify(measure.series)} total`;
    case 'stepCount':
      return `step ${JSON.stringify(measure.step)} count`;
    case 'stepConversion':
      return `step ${JSON.stringify(measure.step)} conversion`;
    case 'retainedShare':
      return `retained ${measure.interval}`;
    case 'retainedCount':
      return `retained ${measure.interval} count`;
  }
}

/** A measured value for a message: a share as a percentage, a count with thousands separators. */
export function formatMeasured(value: number, share: boolean): string {
  return share ? `${percents.format(value * 100)}%` : integers.format(value);
}

/** A bound as written when it is a percentage or a share; a count with thousands separators. */
function formatBound(bound: ExpectBound, share: boolean): string {
  return bound.percent || share ? bound.written : integers.format(bound.value);
}

/** The check as a person reads it: `> 1,000`, `between 20% and 45%`, `within 10% of previous`. */
export function checkLabel(check: ExpectCheck, share: boolean): string {
  switch (check.kind) {
    case 'compare':
      return `${check.operator} ${formatBound(check.bound, share)}`;
    case 'between':
      return `between ${formatBound(check.low, share)} and ${formatBound(check.high, share)}`;
    case 'withinPrevious':
      return `within ${check.tolerance.written} of previous`;
  }
}

/** Whether `actual` satisfies a compare or between check. */
export function holds(check: Exclude<ExpectCheck, { kind: 'withinPrevious' }>, actual: number): boolean {
  if (check.kind === 'between') return actual >= check.low.value && actual <= check.high.value;
  const expected = check.bound.value;
  switch (check.operator) {
    case '==':
      return nearlyEqual(actual, expected);
    case '!=':
      return !nearlyEqual(actual, expected);
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected || nearlyEqual(actual, expected);
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected || nearlyEqual(actual, expected);
  }
}

/** Shares are ratios: 1/3 written as 33.33% must still compare equal at the precision written. */
function nearlyEqual(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * The measure's value on `result`. `whole` is the same query without its `on` clause, where the
 * measure counts every segment together (a segmented unique count or retention cohort does not add
 * up across segments); the runner passes it for those measures and `result` otherwise.
 */
export function measureResult(measure: ExpectMeasure, result: QueryResult, whole: QueryResult = result, now?: Date): MeasureOutcome {
  switch (measure.kind) {
    case 'rows':
      return { ok: true, value: resultToTable(result).rows.length };
    case 'total': {
      if (whole.data.kind !== 'series') return wrongKind(measure, whole);
      return seriesTotal(whole.data);
    }
    case 'seriesTotal': {
      if (result.data.kind !== 'series') return wrongKind(measure, result);
      const data = result.data;
      const series = data.series.find((entry) => entry.segment === measure.series || seriesLabel(data, entry.segment) === measure.series);
      if (!series) {
        const names = data.series.map((entry) => JSON.stringify(seriesLabel(data, entry.segment)));
        const listed = names.length === 0 ? 'the result has no series' : `series: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}`;
        return { ok: false, message: `No series ${JSON.stringify(measure.series)} in the result (${listed}).` };
      }
      return { ok: true, value: series.total };
    }
    case 'conversion':
    case 'stepCount':
    case 'stepConversion': {
      if (result.data.kind !== 'funnel') return wrongKind(measure, result);
      return funnelMeasure(measure, result.data);
    }
    case 'retainedShare':
    case 'retainedCount': {
      if (whole.data.kind !== 'retention') return wrongKind(measure, whole);
      return retainedMeasure(measure.interval, measure.kind === 'retainedCount', whole.data, now);
    }
  }
}

function wrongKind(measure: ExpectMeasure, result: QueryResult): MeasureOutcome {
  return { ok: false, message: `'${measureLabel(measure)}' cannot be measured on a ${result.queryKind} result.` };
}

function seriesTotal(data: SeriesData): MeasureOutcome {
  if (data.series.length === 0) return { ok: true, value: 0 };
  if (data.series.length === 1) return { ok: true, value: data.series[0].total };
  // Events, sums and numeric buckets add up across series; users and averages do not.
  if (data.measure === 'general' || data.measure === 'sum' || data.measure === 'numeric') {
    return { ok: true, value: data.series.reduce((sum, entry) => sum + entry.total, 0) };
  }
  return {
    ok: false,
    message: `The result has ${data.series.length} series of ${data.measure === 'unique' ? 'unique users' : 'averages'}, which do not add up to a total: expect series "NAME" total.`,
  };
}

function funnelMeasure(measure: Extract<ExpectMeasure, { kind: 'conversion' | 'stepCount' | 'stepConversion' }>, data: FunnelData): MeasureOutcome {
  const overall = data.segments.find((entry) => entry.segment === null);
  if (!overall || overall.counts.length === 0) return { ok: false, message: 'The funnel result has no overall row.' };
  if (measure.kind === 'conversion') {
    const last = overall.counts.length - 1;
    return { ok: true, value: overall.counts[0] === 0 ? 0 : overall.counts[last] / overall.counts[0] };
  }
  const index = data.steps.indexOf(measure.step);
  if (index === -1) {
    return {
      ok: false,
      message: `${JSON.stringify(measure.step)} is not a step of the funnel (${data.steps.map((step) => JSON.stringify(step)).join(' -> ')}).`,
    };
  }
  if (measure.kind === 'stepCount') return { ok: true, value: overall.counts[index] };
  return { ok: true, value: overall.counts[0] === 0 ? 0 : overall.counts[index] / overall.counts[0] };
}

const UNIT_DAYS: Record<RetentionData['unit'], number> = { day: 1, week: 7, month: 30 };

/**
 * Whether interval N has ended for every member of the cohort by `now`: the last of them was born
 * at the end of the cohort's own bucket, and their interval N ends N+1 units after that. A backend
 * that computes intervals still running (the local engine does) would otherwise sandbag the average.
 */
function intervalEnded(unit: RetentionData['unit'], cohortDate: string, interval: number, now: Date): boolean {
  const start = Date.parse(`${cohortDate.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(start)) return true;
  return start + (interval + 2) * UNIT_DAYS[unit] * 86_400_000 <= now.getTime();
}

/**
 * Mixpanel's "Average" row of a retention report: each cohort that has completed interval N is weighted by its
 * size over the size of all such cohorts; the share is the weighted retained count over the weighted
 * cohort size, the count the weighted retained count.
 */
export function retainedMeasure(interval: number, asCount: boolean, data: RetentionData, now?: Date): MeasureOutcome {
  const cohorts = data.cohorts.filter(
    (cohort) => cohort.size > 0 && cohort.retained.length > interval && (!now || intervalEnded(data.unit, cohort.date, interval, now)),
  );
  if (cohorts.length === 0) {
    return {
      ok: false,
      message: `No cohort of the result has completed interval ${interval}: the range is too recent or too short, or no user was born in it.`,
    };
  }
  const born = cohorts.reduce((sum, cohort) => sum + cohort.size, 0);
  let weightedRetained = 0;
  let weightedSize = 0;
  for (const cohort of cohorts) {
    const weight = cohort.size / born;
    weightedRetained += cohort.retained[interval] * weight;
    weightedSize += cohort.size * weight;
  }
  return { ok: true, value: asCount ? weightedRetained : weightedRetained / weightedSize };
}
