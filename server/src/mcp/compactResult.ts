/**
 * A query result as `run_query` answers it: the headline first (the number the analyst asked for),
 * then a table cut to a few rows with the cut said in words, and the warnings. The rows are the
 * ones `aq run` prints (the same flattening, resultToTable), so an agent quotes the same numbers a
 * person sees in the terminal or the editor.
 */
import { limitNoticeText } from '../protocol/limitNotice';
import type { QueryResult } from '../protocol/resultModel';
import { formatDuration, formatNumber } from '../results/formatText';
import { resultToTable, type ResultTableColumn, type TableCell } from '../results/resultTable';

export const DEFAULT_ROW_LIMIT = 50;
export const MAX_ROW_LIMIT = 1000;

export interface CompactResult {
  title: string;
  /** The query's 1-based number among the file's runnable queries, as `aq run --query N` takes it. */
  query: number;
  queryKind: QueryResult['queryKind'];
  source: QueryResult['source'];
  range?: QueryResult['range'];
  headline?: string;
  columns: ResultTableColumn[];
  rows: TableCell[][];
  totalRows: number;
  /** Set when `rows` holds fewer than `totalRows`: raise the `limit` input to see more. */
  truncated?: { shownRows: number; totalRows: number };
  /** What the query's own `limit` clause (or the backend's cap) left out, in words. */
  limitNotice?: string;
  warnings: string[];
  durationMs: number;
  /** Set when the answer came from aq's cache instead of a new request. */
  cachedAgeMs?: number;
}

export function compactResult(result: QueryResult, queryNumber: number, rowLimit: number): CompactResult {
  const table = resultToTable(result);
  const shown = table.rows.slice(0, rowLimit);
  return {
    title: result.title,
    query: queryNumber,
    queryKind: result.queryKind,
    source: result.source,
    ...(result.range ? { range: result.range } : {}),
    ...(result.meta.headline ? { headline: result.meta.headline } : {}),
    columns: table.columns,
    rows: shown,
    totalRows: table.rows.length,
    ...(shown.length < table.rows.length ? { truncated: { shownRows: shown.length, totalRows: table.rows.length } } : {}),
    ...(result.meta.limited ? { limitNotice: `${limitNoticeText(result.meta.limited)} (the query's \`limit\` clause)` } : {}),
    warnings: result.meta.warnings.map((warning) => warning.message),
    durationMs: result.meta.durationMs,
    ...(result.meta.cachedAgeMs !== undefined ? { cachedAgeMs: result.meta.cachedAgeMs } : {}),
  };
}

/** The compact result as Markdown: facts line, headline, warnings, table, and what was cut. */
export function compactResultText(compact: CompactResult): string {
  const facts = [
    `${compact.source.kind}:${compact.source.name}`,
    compact.range ? `${compact.range.from} → ${compact.range.to}` : undefined,
    formatDuration(compact.durationMs),
    compact.cachedAgeMs !== undefined ? 'from cache' : undefined,
  ].filter((fact): fact is string => fact !== undefined);
  const lines = [`${cellEscape(compact.title)} (query ${compact.query}) · ${facts.map(cellEscape).join(' · ')}`];
  if (compact.headline) lines.push(`Headline: ${compact.headline}`);
  for (const warning of compact.warnings) lines.push(`Warning: ${warning}`);
  if (compact.limitNotice) lines.push(`Note: ${compact.limitNotice}`);
  lines.push('');
  if (compact.columns.length === 0 || compact.totalRows === 0) {
    lines.push('(no rows)');
  } else {
    lines.push(`| ${compact.columns.map((column) => cellEscape(column.name) || ' ').join(' | ')} |`);
    lines.push(`| ${compact.columns.map((column) => (column.type === 'number' ? '---:' : '---')).join(' | ')} |`);
    for (const row of compact.rows) lines.push(`| ${compact.columns.map((_column, index) => cellText(row[index] ?? null)).join(' | ')} |`);
  }
  if (compact.truncated) {
    lines.push(
      '',
      `Showing ${formatNumber(compact.truncated.shownRows)} of ${formatNumber(compact.truncated.totalRows)} rows; pass a larger \`limit\` (up to ${MAX_ROW_LIMIT}) to see more.`,
    );
  }
  return lines.join('\n');
}

function cellText(cell: TableCell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return formatNumber(cell);
  return cellEscape(String(cell));
}

/**
 * Only what would break a table row: a pipe, a line break, a control character. Markdown markup is
 * left as it is: an agent reads the text, and `2026\-10\-01` would be a different string to quote.
 */
function cellEscape(text: string): string {
  return (
    text
      .replace(/[\r\n\t]+/g, ' ')
      // eslint-disable-next-line no-control-regex -- control characters in data are dropped on purpose
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
      .replace(/\|/g, '\\|')
  );
}
