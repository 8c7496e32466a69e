/**
 * A result as plain text for the terminal (`aq run`): a header line (title, source, range, duration,
 * cache age), one line per warning, then the result table with aligned columns and numbers with
 * thousands separators. Control characters in data are shown escaped, so an event name cannot
 * move the cursor or recolour the terminal.
 */
import type { QueryResult } from '../protocol/resultModel';
import { resultToTable, type ResultTableColumn, type TableCell } from './resultTable';

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export function formatResultAsText(result: QueryResult): string {
  const lines = [headerLine(result)];
  for (const warning of result.meta.warnings) lines.push(`warning: ${safeText(warning.message)}`);
  const table = resultToTable(result);
  if (table.rows.length === 0) {
    lines.push('', '(no rows)');
  } else {
    lines.push('');
    // A loop, not push(...rows): spreading hundreds of thousands of rows as arguments overflows the stack.
    for (const line of alignTable(table.columns, table.rows)) lines.push(line);
  }
  return lines.join('\n') + '\n';
}

function headerLine(result: QueryResult): string {
  const parts = [safeText(result.title), `${result.source.kind}:${safeText(result.source.name)}`];
  if (result.range) parts.push(`${result.range.from} → ${result.range.to}`);
  parts.push(formatDuration(result.meta.durationMs));
  if (result.meta.cachedAgeMs !== undefined) parts.push(`cached ${formatAge(result.meta.cachedAgeMs)} ago`);
  if (result.cleaned) parts.push('clean');
  return parts.join(' · ');
}

/** `850` → `0.85 s`, `12_400` → `12.4 s`, `95_000` → `1 min 35 s`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** A coarse age for "cached … ago": seconds, minutes, hours or days. */
export function formatAge(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

export function formatNumber(value: number): string {
  return Number.isFinite(value) ? numberFormat.format(value) : String(value);
}

function alignTable(columns: ResultTableColumn[], rows: TableCell[][]): string[] {
  const header = columns.map((column) => safeText(column.name));
  const body = rows.map((row) => columns.map((_column, index) => cellText(row[index] ?? null)));
  // Widths grow row by row: Math.max(...column) would overflow the stack on a table of ~125,000 rows.
  const widths = header.map(textWidth);
  for (const row of body) {
    for (let index = 0; index < widths.length; index++) widths[index] = Math.max(widths[index], textWidth(row[index]));
  }
  const rightAligned = columns.map((column) => column.type === 'number');
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (rightAligned[index] ? pad(cell, widths[index], 'left') : pad(cell, widths[index], 'right')))
      .join('  ')
      .trimEnd();
  const lines = [line(header), widths.map((width) => '-'.repeat(width)).join('  ')];
  for (const row of body) lines.push(line(row));
  return lines;
}

function cellText(cell: TableCell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return formatNumber(cell);
  return safeText(String(cell));
}

/** Escapes C0/C1 control characters (ESC, CR, BEL…) as `\xNN` and newlines as `\n`. */
export function safeText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) =>
    char === '\n' ? '\\n' : char === '\t' ? '\\t' : `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

function textWidth(text: string): number {
  return [...text].length;
}

function pad(text: string, width: number, side: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - textWidth(text)));
  return side === 'left' ? fill + text : text + fill;
}
