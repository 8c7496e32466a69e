/**
 * CSV export in two layouts. `plain` is the result table (resultTable.ts) as RFC 4180 CSV.
 * `cyfe` is what dashboard "private URL" widgets read (the Mixpanel–Cyfe connector's format): a
 * `Date` column as YYYYMMDD and one column per segment; for pie charts one header row of segments
 * and one row of totals.
 */
import type { QueryResult, SeriesData } from '../protocol/resultModel';
import { resultToTable, seriesLabel, type TableCell } from './resultTable';

export type CsvLayout = 'plain' | 'cyfe';

const LINE_END = '\r\n';

export function formatResultCsv(result: QueryResult, layout: CsvLayout): string {
  if (layout === 'cyfe' && result.data.kind === 'series') {
    return result.chart === 'pie' ? cyfePie(result.data) : cyfeSeries(result.data);
  }
  const table = resultToTable(result);
  return toCsv([table.columns.map((column) => column.name), ...table.rows]);
}

function cyfeSeries(data: SeriesData): string {
  const header = ['Date', ...data.series.map((entry) => seriesLabel(data, entry.segment))];
  const rows = data.dates.map((date, index) => [toCyfeDate(date), ...data.series.map((entry) => entry.values[index] ?? null)]);
  return toCsv([header, ...rows]);
}

function cyfePie(data: SeriesData): string {
  return toCsv([data.series.map((entry) => seriesLabel(data, entry.segment)), data.series.map((entry) => entry.total)]);
}

/** `2024-03-05` → `20240305`; below a day the time stays: `2024-03-05T14:00` → `20240305 14:00`. */
export function toCyfeDate(date: string): string {
  const [day, time] = date.split('T');
  const compact = day.replace(/-/g, '');
  return time ? `${compact} ${time}` : compact;
}

function toCsv(rows: TableCell[][]): string {
  return rows.map((row) => row.map(csvField).join(',') + LINE_END).join('');
}

/** A text that a spreadsheet would run as a formula (`=HYPERLINK(…)`, `+1+cmd|…`) is prefixed with `'`. */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(cell: TableCell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : '';
  if (typeof cell === 'boolean') return cell ? 'true' : 'false';
  const text = FORMULA_START.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
