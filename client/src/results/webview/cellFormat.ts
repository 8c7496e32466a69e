// How table cells read in the webview: numbers in the user's locale, JSON-ish values as text.
import type { TableCell } from '../../../../server/src/results/resultTable';

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export function formatCell(cell: TableCell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return Number.isFinite(cell) ? numberFormat.format(cell) : String(cell);
  return String(cell);
}

/** A cell as TSV text: unformatted numbers (spreadsheets parse them), tabs and newlines flattened. */
export function tsvCell(cell: TableCell): string {
  if (cell === null) return '';
  return String(cell).replace(/[\t\r\n]+/g, ' ');
}

export function toTsv(header: string[] | undefined, rows: TableCell[][]): string {
  const lines = rows.map((row) => row.map(tsvCell).join('\t'));
  if (header) lines.unshift(header.map((name) => tsvCell(name)).join('\t'));
  return lines.join('\n');
}
