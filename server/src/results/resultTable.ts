/**
 * Flattens any result into one table (columns + rows): what the webview's Table tab, the CLI's
 * text output and the CSV exporter all show. Series are wide (Date, then one column per segment),
 * so a spreadsheet or dashboard draws one curve per column.
 */
import type { DebuggerData, FunnelData, QueryResult, ResultData, RetentionData, SeriesData } from '../protocol/resultModel';
import { cleanResult } from './cleanSegments';

export type TableCell = string | number | boolean | null;

/** One column of a flattened result. `date` cells are ISO-like strings, `json` cells JSON text. */
export interface ResultTableColumn {
  name: string;
  type: 'string' | 'number' | 'date' | 'json';
}

/** A result as a rectangular table; every row has one cell per column. */
export interface ResultTable {
  columns: ResultTableColumn[];
  rows: TableCell[][];
}

export interface ResultTableOptions {
  /** Drop "", "undefined" and null segments first (see cleanSegments.ts). */
  clean?: boolean;
}

const MEASURE_LABELS: Record<SeriesData['measure'], string> = {
  general: 'Count',
  unique: 'Unique users',
  average: 'Average',
  sum: 'Sum',
  numeric: 'Value',
};

/** How a segment value is shown as a column or legend name; `whenNull` names the unsegmented whole. */
export function segmentLabel(segment: string | null, whenNull: string): string {
  if (segment === null) return whenNull;
  if (segment === '') return '(empty)';
  return segment;
}

/** The label of a series' segment column (the measure's name for a query without `on`). */
export function seriesLabel(data: SeriesData, segment: string | null): string {
  return segmentLabel(segment, MEASURE_LABELS[data.measure]);
}

export function resultToTable(result: QueryResult, options: ResultTableOptions = {}): ResultTable {
  const shown = options.clean && !result.cleaned ? cleanResult(result) : result;
  if (shown.data.kind === 'series' && shown.comparison) return comparedSeriesTable(shown.data, shown.comparison.data);
  return dataToTable(shown.data);
}

/**
 * `compare previous`: beside each segment, its value in the previous period (bucket i against
 * bucket i), the change and the change in % (empty where the previous value is 0).
 */
function comparedSeriesTable(data: SeriesData, previous: SeriesData): ResultTable {
  const columns: ResultTableColumn[] = [
    { name: 'Date', type: 'date' },
    { name: 'Previous date', type: 'date' },
  ];
  for (const entry of data.series) {
    const label = seriesLabel(data, entry.segment);
    columns.push(
      { name: label, type: 'number' },
      { name: `${label} previous`, type: 'number' },
      { name: `${label} change`, type: 'number' },
      { name: `${label} change %`, type: 'number' },
    );
  }
  const rows = data.dates.map((date, index) => {
    const row: TableCell[] = [date, previous.dates[index] ?? null];
    for (const entry of data.series) {
      const current = entry.values[index] ?? null;
      const before =
        previous.series.find((candidate) => candidate.segment === entry.segment)?.values[index] ?? (previous.dates[index] === undefined ? null : 0);
      const change = current !== null && before !== null ? current - before : null;
      row.push(current, before, change, change !== null && before ? toPercent(change / before) : null);
    }
    return row;
  });
  return { columns, rows };
}

function dataToTable(data: ResultData): ResultTable {
  switch (data.kind) {
    case 'series':
      return seriesTable(data);
    case 'funnel':
      return funnelTable(data);
    case 'retention':
      return retentionTable(data);
    case 'rows':
      return {
        columns: data.columns.map((column) => ({ name: column.name, type: column.type === 'boolean' ? 'string' : column.type })),
        rows: data.rows,
      };
    case 'debugger':
      return debuggerTable(data);
  }
}

function seriesTable(data: SeriesData): ResultTable {
  const columns: ResultTableColumn[] = [{ name: 'Date', type: 'date' }];
  for (const entry of data.series) columns.push({ name: seriesLabel(data, entry.segment), type: 'number' });
  const rows = data.dates.map((date, index) => [date, ...data.series.map((entry) => entry.values[index] ?? null)]);
  return { columns, rows };
}

/** Conversion ratios become percentages with two decimals: 0.4567 → 45.67. */
export function toPercent(ratio: number): number {
  return Math.round(ratio * 10000) / 100;
}

function funnelTable(data: FunnelData): ResultTable {
  if (data.byDate) return datedFunnelTable(data, data.byDate);
  const columns: ResultTableColumn[] = [{ name: 'Step', type: 'string' }];
  const segmented = data.segments.length > 1;
  for (const entry of data.segments) {
    const prefix = segmented ? `${segmentLabel(entry.segment, 'All users')} ` : '';
    columns.push({ name: `${prefix}count`, type: 'number' }, { name: `${prefix}overall %`, type: 'number' }, { name: `${prefix}step %`, type: 'number' });
  }
  const rows = data.steps.map((step, index) => {
    const row: TableCell[] = [step];
    for (const entry of data.segments) {
      row.push(entry.counts[index] ?? null, percentOrNull(entry.overallConversion[index]), percentOrNull(entry.stepConversion[index]));
    }
    return row;
  });
  return { columns, rows };
}

/**
 * Per-date funnels (`unit`): one row per date and segment, with the count reaching each step and
 * the conversion from the first step to the last, as Mixpanel's line chart plots it.
 */
function datedFunnelTable(data: FunnelData, byDate: NonNullable<FunnelData['byDate']>): ResultTable {
  const segmented = data.segments.length > 1 || byDate.some((day) => day.segments.length > 1);
  const columns: ResultTableColumn[] = [{ name: 'Date', type: 'date' }];
  if (segmented) columns.push({ name: 'Segment', type: 'string' });
  for (const step of data.steps) columns.push({ name: step, type: 'number' });
  columns.push({ name: 'Overall %', type: 'number' });
  const rows: TableCell[][] = [];
  for (const day of byDate) {
    for (const entry of day.segments) {
      const row: TableCell[] = [day.date];
      if (segmented) row.push(segmentLabel(entry.segment, 'All users'));
      data.steps.forEach((_step, index) => row.push(entry.counts[index] ?? null));
      row.push(percentOrNull(entry.overallConversion[data.steps.length - 1]));
      rows.push(row);
    }
  }
  return { columns, rows };
}

function percentOrNull(ratio: number | undefined): number | null {
  return ratio === undefined ? null : toPercent(ratio);
}

function retentionTable(data: RetentionData): ResultTable {
  const segmented = data.cohorts.some((cohort) => cohort.segment !== null);
  const intervals = Math.max(0, ...data.cohorts.map((cohort) => cohort.retained.length));
  const unitName = data.unit[0].toUpperCase() + data.unit.slice(1);
  const columns: ResultTableColumn[] = [{ name: 'Cohort', type: 'date' }];
  if (segmented) columns.push({ name: 'Segment', type: 'string' });
  columns.push({ name: 'Size', type: 'number' });
  for (let interval = 0; interval < intervals; interval++) columns.push({ name: `${unitName} ${interval}`, type: 'number' });
  const rows = data.cohorts.map((cohort) => {
    const row: TableCell[] = [cohort.date];
    if (segmented) row.push(segmentLabel(cohort.segment, '(none)'));
    row.push(cohort.size);
    for (let interval = 0; interval < intervals; interval++) row.push(cohort.retained[interval] ?? null);
    return row;
  });
  return { columns, rows };
}

function debuggerTable(data: DebuggerData): ResultTable {
  const columns: ResultTableColumn[] = [
    { name: 'Session', type: 'string' },
    { name: 'Visitor', type: 'string' },
    { name: 'Session started', type: 'date' },
    { name: 'Event', type: 'number' },
    { name: 'Time', type: 'date' },
    { name: 'Type', type: 'string' },
    { name: 'URL', type: 'string' },
    { name: 'Title', type: 'string' },
    { name: 'Error', type: 'string' },
    { name: 'Excluded', type: 'string' },
  ];
  const rows: TableCell[][] = [];
  for (const session of data.sessions) {
    for (const event of session.events) {
      rows.push([
        session.sessionId,
        session.visitorId,
        session.serverTime,
        event.index,
        event.serverTime,
        event.type.label,
        event.url ?? null,
        event.title ?? null,
        event.errorMessage ?? null,
        event.exclusionReason ?? null,
      ]);
    }
  }
  return { columns, rows };
}
