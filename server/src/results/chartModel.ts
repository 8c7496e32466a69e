/**
 * What to draw for a result, independent of the chart library: the webview turns a ChartSpec
 * into ECharts options, and anything else (a PNG renderer, a test) can read it as data.
 */
import type { FunnelData, QueryResult, RetentionData, RowsData, SeriesData } from '../protocol/resultModel';
import { segmentLabel, seriesLabel, toPercent } from './resultTable';

/** Lines or bars over time (series), or bars per category (rows with numeric columns). */
export interface TimeChartSpec {
  type: 'line' | 'bar';
  xLabels: string[];
  /** `previousOf`: the index of the series this one is the previous period of (drawn dashed, in its colour). */
  series: Array<{ name: string; values: Array<number | null>; previousOf?: number }>;
  /** Shown after every value (axis and tooltip), e.g. '%' for conversion over time. */
  valueSuffix?: string;
}

/** One slice per segment, sized by its total. */
export interface PieChartSpec {
  type: 'pie';
  slices: Array<{ name: string; value: number }>;
}

/** Bars per step and segment, with the conversion from the previous step and from the first. */
export interface FunnelChartSpec {
  type: 'funnel';
  steps: string[];
  series: Array<{ name: string; counts: number[]; overallPercent: number[]; stepPercent: number[]; avgSeconds?: Array<number | null> }>;
}

/** The retention triangle: one row per cohort, one column per interval, cells as % of the cohort. */
export interface HeatmapChartSpec {
  type: 'heatmap';
  rowLabels: string[];
  columnLabels: string[];
  /** [column, row, percent retained, users retained]; missing cells (the triangle's gap) are absent. */
  cells: Array<[number, number, number, number]>;
  /** The retention curve: per interval, the share of users retained over every cohort that has reached it. */
  curve: TimeChartSpec;
}

/** Nothing sensible to draw; `reason` says why, for the Chart tab. */
export interface NoChartSpec {
  type: 'none';
  reason: string;
}

export type ChartSpec = TimeChartSpec | PieChartSpec | FunnelChartSpec | HeatmapChartSpec | NoChartSpec;

/** Categories beyond this make a bar chart unreadable; the table is the better view. */
const MAX_CATEGORY_BARS = 200;

export function resultToChartSpec(result: QueryResult): ChartSpec {
  const data = result.data;
  switch (data.kind) {
    case 'series':
      return seriesChart(data, result.chart, result.comparison?.data);
    case 'funnel':
      return funnelChart(data);
    case 'retention':
      return retentionChart(data);
    case 'rows':
      return rowsChart(data);
    case 'debugger':
      return { type: 'none', reason: 'Debugger sessions have no chart; see the Table tab.' };
  }
}

function seriesChart(data: SeriesData, chart: QueryResult['chart'], previous: SeriesData | undefined): ChartSpec {
  if (data.series.length === 0) return { type: 'none', reason: 'The result has no series to draw.' };
  if (chart === 'pie') {
    return { type: 'pie', slices: data.series.map((entry) => ({ name: seriesLabel(data, entry.segment), value: entry.total })) };
  }
  const series: TimeChartSpec['series'] = data.series.map((entry) => ({
    name: seriesLabel(data, entry.segment),
    values: data.dates.map((_date, index) => entry.values[index] ?? null),
  }));
  if (previous) {
    // Bucket i of the previous period is drawn over bucket i of this one, as Mixpanel overlays it.
    data.series.forEach((entry, index) => {
      const before = previous.series.find((candidate) => candidate.segment === entry.segment);
      series.push({
        name: `${seriesLabel(data, entry.segment)} · previous period`,
        values: data.dates.map((_date, bucket) => before?.values[bucket] ?? (previous.dates[bucket] === undefined ? null : 0)),
        previousOf: index,
      });
    });
  }
  return { type: chart === 'bar' ? 'bar' : 'line', xLabels: data.dates, series };
}

function funnelChart(data: FunnelData): ChartSpec {
  if (data.steps.length === 0) return { type: 'none', reason: 'The funnel has no steps.' };
  if (data.byDate) return conversionOverTime(data, data.byDate);
  return {
    type: 'funnel',
    steps: data.steps,
    series: data.segments.map((entry) => ({
      name: segmentLabel(entry.segment, 'All users'),
      counts: entry.counts,
      overallPercent: entry.overallConversion.map(toPercent),
      stepPercent: entry.stepConversion.map(toPercent),
      avgSeconds: entry.avgTimeSeconds,
    })),
  };
}

/** Per-date funnels: a line per segment of the conversion from the first step to the last, by entry date. */
function conversionOverTime(data: FunnelData, byDate: NonNullable<FunnelData['byDate']>): ChartSpec {
  if (byDate.length === 0) return { type: 'none', reason: 'The range has no dates.' };
  const last = data.steps.length - 1;
  const segments: Array<string | null> = [];
  for (const entry of [...data.segments, ...byDate.flatMap((day) => day.segments)]) if (!segments.includes(entry.segment)) segments.push(entry.segment);
  return {
    type: 'line',
    xLabels: byDate.map((day) => day.date),
    valueSuffix: '%',
    series: segments.map((segment) => ({
      name: `${segmentLabel(segment, 'All users')} · ${data.steps[0]} → ${data.steps[last]}`,
      values: byDate.map((day) => {
        const entry = day.segments.find((candidate) => candidate.segment === segment);
        return entry ? toPercent(entry.overallConversion[last] ?? 0) : null;
      }),
    })),
  };
}

function retentionChart(data: RetentionData): ChartSpec {
  if (data.cohorts.length === 0) return { type: 'none', reason: 'No cohorts in the range.' };
  const intervals = data.cohorts.reduce((longest, cohort) => Math.max(longest, cohort.retained.length), 0);
  const unitName = data.unit[0].toUpperCase() + data.unit.slice(1);
  const cells: HeatmapChartSpec['cells'] = [];
  data.cohorts.forEach((cohort, row) => {
    cohort.retained.forEach((users, column) => {
      cells.push([column, row, cohort.size > 0 ? toPercent(users / cohort.size) : 0, users]);
    });
  });
  const columnLabels = Array.from({ length: intervals }, (_unused, index) => `${unitName} ${index}`);
  return {
    type: 'heatmap',
    rowLabels: data.cohorts.map((cohort) => (cohort.segment === null ? cohort.date : `${cohort.date} · ${segmentLabel(cohort.segment, '')}`)),
    columnLabels,
    cells,
    curve: retentionCurve(data, columnLabels),
  };
}

/**
 * Average retention per interval, as Mixpanel's retention curve: for interval i, the users retained
 * in i over the users of the cohorts old enough to have an interval i (a younger cohort's missing
 * cell is not a zero). One line per segment.
 */
export function retentionCurve(data: RetentionData, columnLabels: string[]): TimeChartSpec {
  const segments: Array<string | null> = [];
  for (const cohort of data.cohorts) if (!segments.includes(cohort.segment)) segments.push(cohort.segment);
  return {
    type: 'line',
    xLabels: columnLabels,
    valueSuffix: '%',
    series: segments.map((segment) => {
      const cohorts = data.cohorts.filter((cohort) => cohort.segment === segment);
      return {
        name: segmentLabel(segment, 'All users'),
        values: columnLabels.map((_label, interval) => {
          let born = 0;
          let retained = 0;
          for (const cohort of cohorts) {
            if (cohort.retained.length <= interval) continue;
            born += cohort.size;
            retained += cohort.retained[interval];
          }
          return born === 0 ? null : toPercent(retained / born);
        }),
      };
    }),
  };
}

/** Rows draw as bars when the first column names a category and some other column is numeric. */
function rowsChart(data: RowsData): ChartSpec {
  const numeric = data.columns.map((column, index) => ({ column, index })).filter(({ column, index }) => index > 0 && column.type === 'number');
  if (data.columns.length < 2 || numeric.length === 0) return { type: 'none', reason: 'These rows have no numeric column to draw; see the Table tab.' };
  if (data.rows.length > MAX_CATEGORY_BARS) return { type: 'none', reason: `${data.rows.length} rows are too many bars to read; see the Table tab.` };
  return {
    type: 'bar',
    xLabels: data.rows.map((row) => (row[0] === null ? '(none)' : typeof row[0] === 'string' ? row[0] : JSON.stringify(row[0]))),
    series: numeric.map(({ column, index }) => ({
      name: column.name,
      values: data.rows.map((row) => (typeof row[index] === 'number' ? (row[index] as number) : null)),
    })),
  };
}
