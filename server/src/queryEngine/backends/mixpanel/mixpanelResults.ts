/**
 * Mixpanel responses → the one result model (resultModel.ts). Response shapes are those of
 * docs/api-notes.md; anything else is a `badResponse` error naming what was missing,
 * never a crash.
 */
import type { FunnelSpec, QuerySpec } from '../../../queryContract/querySpec';
import type { FunnelData, ResultData, RetentionData, RowsData, SeriesData } from '../../../protocol/resultModel';
import { BackendError } from '../../backendErrors';
import type { CompiledMixpanelQuery } from './mixpanelQueryCompiler';

export interface ResultConverters {
  /** JQL output → rows (shared with the local backend). */
  jqlOutputToRows: (output: unknown[]) => RowsData;
  /** Output of a generated funnel script → funnel steps (funnelToJql.ts). */
  funnelJqlOutputToData?: (output: unknown, spec: FunnelSpec) => FunnelData;
}

type Json = Record<string, unknown>;

/** Segment values `clean` removes. */
const EMPTY_SEGMENTS = new Set(['', 'undefined', 'null', '$undefined']);

export function mixpanelResponseToData(json: unknown, spec: QuerySpec, compiled: CompiledMixpanelQuery, converters: ResultConverters): ResultData {
  switch (compiled.shape) {
    case 'segmentation':
    case 'numeric':
      return segmentationToSeries(json, spec, compiled);
    case 'sum':
    case 'average':
      return aggregateToSeries(json, spec, compiled);
    case 'savedFunnel':
      return savedFunnelToData(json, spec as FunnelSpec);
    case 'retention':
      return retentionToData(json, spec);
    case 'insights':
      return insightsToSeries(json, spec);
    case 'jql':
      if (!Array.isArray(json)) throw unexpected('/jql', 'a JSON array');
      return converters.jqlOutputToRows(json);
    case 'jqlFunnel':
      if (!Array.isArray(json)) throw unexpected('/jql', 'a JSON array');
      if (!converters.funnelJqlOutputToData)
        throw new BackendError('config', 'Ad-hoc funnels need the funnel-to-JQL converter, which is not available in this build.');
      return converters.funnelJqlOutputToData(json, spec as FunnelSpec);
  }
}

function segmentationToSeries(json: unknown, spec: QuerySpec, compiled: CompiledMixpanelQuery): SeriesData {
  const data = isObject(json) ? json.data : undefined;
  if (!isObject(data) || !isObject(data.values)) throw unexpected('/segmentation', '"data.values"');
  const segmented = spec.kind === 'segmentation' && spec.on !== undefined;
  const rawDates = new Set<string>(Array.isArray(data.series) ? data.series.map(String) : []);
  const series: Array<{ segment: string | null; byDate: Map<string, number> }> = [];
  for (const [key, values] of Object.entries(data.values)) {
    if (!isObject(values)) continue;
    const byDate = new Map<string, number>();
    for (const [date, value] of Object.entries(values)) {
      rawDates.add(date);
      byDate.set(date, toNumber(value));
    }
    series.push({ segment: segmented || compiled.shape === 'numeric' ? key : null, byDate });
  }
  const measure = compiled.shape === 'numeric' ? 'numeric' : spec.kind === 'segmentation' ? spec.type : 'general';
  return buildSeries(spec, compiled, [...rawDates], series, measure);
}

function aggregateToSeries(json: unknown, spec: QuerySpec, compiled: CompiledMixpanelQuery): SeriesData {
  const results = isObject(json) ? json.results : undefined;
  if (!isObject(results)) throw unexpected(`/segmentation/${compiled.shape}`, '"results"');
  const byDate = new Map<string, number>();
  for (const [date, value] of Object.entries(results)) byDate.set(date, toNumber(value));
  return buildSeries(spec, compiled, [...byDate.keys()], [{ segment: null, byDate }], compiled.shape === 'sum' ? 'sum' : 'average');
}

/**
 * Sorts the dates (Mixpanel does not), fills missing buckets with 0, sums daily buckets into
 * weeks or months where Mixpanel lacks the unit, drops empty segments under `clean`, and orders
 * series by total, largest first.
 */
function buildSeries(
  spec: QuerySpec,
  compiled: CompiledMixpanelQuery,
  rawDates: string[],
  rawSeries: Array<{ segment: string | null; byDate: Map<string, number> }>,
  measure: SeriesData['measure'],
): SeriesData {
  const specUnit = 'unit' in spec && spec.unit ? spec.unit : 'day';
  const unit = (compiled.regroup ?? specUnit) as SeriesData['unit'];
  const labelOf = (raw: string): string => bucketLabel(normalizeDate(raw, unit), compiled.regroup);
  const dates = [...new Set(rawDates.map(labelOf))].sort();
  const index = new Map(dates.map((date, i) => [date, i]));
  const series = rawSeries
    .filter((entry) => !(spec.clean && entry.segment !== null && EMPTY_SEGMENTS.has(entry.segment)))
    .map((entry) => {
      const values = dates.map(() => 0);
      for (const [raw, value] of entry.byDate) values[index.get(labelOf(raw)) ?? 0] += value;
      return { segment: entry.segment, values, total: values.reduce((sum, value) => sum + value, 0) };
    })
    .sort((a, b) => b.total - a.total || String(a.segment).localeCompare(String(b.segment)));
  return { kind: 'series', unit, dates, series, measure };
}

/** `2026-10-01 13:00:00` → `2026-10-01T13:00` below a day, `2026-10-01` otherwise. */
function normalizeDate(raw: string, unit: SeriesData['unit']): string {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}))?/.exec(raw);
  if (!match) return raw;
  if ((unit === 'minute' || unit === 'hour') && match[2]) return `${match[1]}T${match[2]}`;
  return match[1];
}

/** The first day of the ISO week (Monday) or month holding `date`. */
function bucketLabel(date: string, regroup: 'week' | 'month' | undefined): string {
  if (!regroup || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return date;
  if (regroup === 'month') return `${date.slice(0, 7)}-01`;
  const day = new Date(`${date}T00:00:00Z`);
  const offset = (day.getUTCDay() + 6) % 7;
  day.setUTCDate(day.getUTCDate() - offset);
  return day.toISOString().slice(0, 10);
}

interface StepTotals {
  name: string;
  count: number;
  /** Sum of avg_time × count, to average over dates weighted by the users who reached the step. */
  weightedTime: number;
  timedCount: number;
}

/**
 * /funnels answers per date bucket; the result sums the buckets over the range (with `on`, each
 * date holds one step list per segment value plus `$overall`). With `unit`, each bucket is also
 * kept as its own funnel (`byDate`), as the local engine and the generated JQL give it.
 */
function savedFunnelToData(json: unknown, spec: FunnelSpec): FunnelData {
  const data = isObject(json) ? json.data : undefined;
  if (!isObject(data)) throw unexpected('/funnels', '"data"');
  const buckets = Object.entries(data).filter((entry): entry is [string, Json] => isObject(entry[1]));
  const { steps, segments } = funnelOfBuckets(
    buckets.map(([, bucket]) => bucket),
    spec,
  );
  const result: FunnelData = { kind: 'funnel', steps: steps.length > 0 ? steps : spec.steps, segments, window: spec.window };
  if (spec.unit === 'day' || spec.unit === 'week' || spec.unit === 'month') {
    result.unit = spec.unit;
    result.byDate = buckets
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([date, bucket]) => ({ date: date.slice(0, 10), segments: funnelOfBuckets([bucket], spec).segments }));
  }
  return result;
}

/** The steps of some date buckets added up, per segment, the overall row first. */
function funnelOfBuckets(buckets: Json[], spec: FunnelSpec): { steps: string[]; segments: FunnelData['segments'] } {
  const totals = new Map<string, StepTotals[]>();
  const add = (segment: string, steps: unknown): void => {
    if (!Array.isArray(steps)) return;
    const current = totals.get(segment) ?? [];
    steps.forEach((step, i) => {
      if (!isObject(step)) return;
      const entry = (current[i] ??= { name: stepName(step, i), count: 0, weightedTime: 0, timedCount: 0 });
      const count = toNumber(step.count);
      entry.count += count;
      if (typeof step.avg_time === 'number' && i > 0) {
        entry.weightedTime += step.avg_time * count;
        entry.timedCount += count;
      }
    });
    totals.set(segment, current);
  };
  for (const bucket of buckets) {
    if (Array.isArray(bucket.steps)) {
      add('$overall', bucket.steps);
      continue;
    }
    for (const [segment, value] of Object.entries(bucket)) add(segment, isObject(value) && Array.isArray(value.steps) ? value.steps : value);
  }
  const overall = totals.get('$overall') ?? [];
  const segments: FunnelData['segments'] = [];
  for (const [segment, stepTotals] of totals) {
    const label = segment === '$overall' ? null : segment;
    if (label !== null && spec.clean && EMPTY_SEGMENTS.has(label)) continue;
    segments.push(funnelSegment(label, stepTotals));
  }
  segments.sort((a, b) => (a.segment === null ? -1 : b.segment === null ? 1 : (b.counts[0] ?? 0) - (a.counts[0] ?? 0)));
  return { steps: overall.map((step) => step.name), segments };
}

function funnelSegment(segment: string | null, steps: StepTotals[]): FunnelData['segments'][number] {
  const counts = steps.map((step) => step.count);
  return {
    segment,
    counts,
    overallConversion: counts.map((count, i) => (i === 0 ? 1 : counts[0] > 0 ? count / counts[0] : 0)),
    stepConversion: counts.map((count, i) => (i === 0 ? 1 : counts[i - 1] > 0 ? count / counts[i - 1] : 0)),
    avgTimeSeconds: steps.map((step, i) => (i === 0 || step.timedCount === 0 ? null : step.weightedTime / step.timedCount)),
  };
}

function stepName(step: Json, index: number): string {
  for (const key of ['step_label', 'event', 'goal']) {
    if (typeof step[key] === 'string' && step[key]) return step[key] as string;
  }
  return `Step ${index + 1}`;
}

/** `{date: {counts, first}}`, or with `on` `{segment: {date: {counts, first}}}`. */
function retentionToData(json: unknown, spec: QuerySpec): RetentionData {
  if (!isObject(json)) throw unexpected('/retention', 'an object of cohorts');
  const cohorts: RetentionData['cohorts'] = [];
  const addCohorts = (byDate: Json, segment: string | null): void => {
    for (const [date, cohort] of Object.entries(byDate)) {
      if (!isObject(cohort) || !Array.isArray(cohort.counts)) continue;
      cohorts.push({ date: date.slice(0, 10), size: toNumber(cohort.first), retained: cohort.counts.map(toNumber), segment });
    }
  };
  const isCohort = (value: unknown): boolean => isObject(value) && Array.isArray(value.counts);
  const entries = Object.entries(json).filter(([key]) => key !== 'status' && key !== 'computed_at');
  if (entries.every(([, value]) => isCohort(value))) {
    addCohorts(Object.fromEntries(entries), null);
  } else {
    for (const [segment, byDate] of entries) {
      if (!isObject(byDate)) continue;
      if (spec.clean && EMPTY_SEGMENTS.has(segment)) continue;
      addCohorts(byDate, segment);
    }
  }
  cohorts.sort((a, b) => a.date.localeCompare(b.date) || String(a.segment).localeCompare(String(b.segment)));
  const unit = spec.kind === 'retention' ? spec.unit : 'day';
  const retentionType = spec.kind === 'retention' ? spec.retentionType : 'birth';
  return { kind: 'retention', unit, retentionType, cohorts };
}

/**
 * /insights nests `series` one level per entry of `headers` and ends in `{date: value}`. Each
 * path to a leaf becomes one series named by its keys (`$overall` levels left out).
 */
function insightsToSeries(json: unknown, spec: QuerySpec): SeriesData {
  const root = isObject(json) ? json.series : undefined;
  if (!isObject(root)) throw unexpected('/insights', '"series"');
  const leaves: Array<{ path: string[]; byDate: Map<string, number> }> = [];
  const walk = (node: Json, path: string[]): void => {
    const entries = Object.entries(node);
    const isLeaf = entries.length > 0 && entries.every(([key, value]) => /^\d{4}-\d{2}-\d{2}/.test(key) && (typeof value === 'number' || value === null));
    if (isLeaf) {
      leaves.push({ path, byDate: new Map(entries.map(([key, value]) => [key, toNumber(value)])) });
      return;
    }
    for (const [key, value] of entries) {
      if (isObject(value)) walk(value, key === '$overall' ? path : [...path, key]);
      else if (typeof value === 'number') leaves.push({ path: [...path, key], byDate: new Map([['total', value]]) });
    }
  };
  walk(root, []);
  const range = spec.kind === 'insights' ? spec.range : undefined;
  const allDates = [...new Set(leaves.flatMap((leaf) => [...leaf.byDate.keys()]))].filter(
    (raw) => raw === 'total' || !range || (raw.slice(0, 10) >= range.from && raw.slice(0, 10) <= range.to),
  );
  const hasTime = allDates.some((raw) => /T(?!00:00)\d{2}:\d{2}/.test(raw));
  const unit: SeriesData['unit'] = hasTime ? 'hour' : inferUnit(allDates.map((raw) => raw.slice(0, 10)));
  const label = (raw: string): string => (raw === 'total' ? raw : normalizeDate(raw, unit));
  const dates = [...new Set(allDates.map(label))].sort();
  const index = new Map(dates.map((date, i) => [date, i]));
  const series = leaves
    .map((leaf) => {
      const values = dates.map(() => 0);
      for (const [raw, value] of leaf.byDate) {
        const i = index.get(label(raw));
        if (i !== undefined) values[i] += value;
      }
      const segment = leaf.path.length > 0 ? leaf.path.join(' / ') : null;
      return { segment, values, total: values.reduce((sum, value) => sum + value, 0) };
    })
    .filter((entry) => !(spec.clean && entry.segment !== null && EMPTY_SEGMENTS.has(entry.segment)))
    .sort((a, b) => b.total - a.total);
  return { kind: 'series', unit, dates, series, measure: 'general' };
}

function inferUnit(days: string[]): SeriesData['unit'] {
  const sorted = [...new Set(days)].filter((day) => /^\d{4}-\d{2}-\d{2}$/.test(day)).sort();
  if (sorted.length < 2) return 'day';
  const gap = (Date.parse(sorted[1]) - Date.parse(sorted[0])) / 86_400_000;
  return gap >= 28 ? 'month' : gap >= 7 ? 'week' : 'day';
}

function toNumber(value: unknown): number {
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : 0;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unexpected(endpoint: string, what: string): BackendError {
  return new BackendError('badResponse', `Mixpanel's ${endpoint} answer is not in the documented shape (expected ${what}).`);
}
