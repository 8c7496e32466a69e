/**
 * A result as a GitHub-flavoured Markdown table, for pull requests and chat: a bold title line with
 * the range and the headline, then the table with numbers right-aligned and thousands separators.
 * Cells are data: pipes, backslashes, HTML and Markdown markup are escaped so a segment name cannot
 * break the table or turn into a link.
 */
import { limitNoticeText } from '../protocol/limitNotice';
import type { QueryResult } from '../protocol/resultModel';
import { formatNumber } from './formatText';
import { resultToTable, type TableCell } from './resultTable';

export function formatResultMarkdown(result: QueryResult): string {
  const table = resultToTable(result);
  const facts = [
    result.range ? `${result.range.from} → ${result.range.to}` : undefined,
    result.meta.headline,
    result.meta.limited ? limitNoticeText(result.meta.limited).replace(/ — raise limit$/, '') : undefined,
  ].filter((fact): fact is string => fact !== undefined);
  const lines = [`**${escapeMarkdown(result.title)}**${facts.length > 0 ? ` · ${facts.map(escapeMarkdown).join(' · ')}` : ''}`, ''];
  if (table.columns.length === 0) return `${lines.join('\n')}(no rows)\n`;
  lines.push(`| ${table.columns.map((column) => escapeMarkdown(column.name) || ' ').join(' | ')} |`);
  lines.push(`| ${table.columns.map((column) => (column.type === 'number' ? '---:' : '---')).join(' | ')} |`);
  for (const row of table.rows) lines.push(`| ${table.columns.map((_column, index) => markdownCell(row[index] ?? null)).join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

function markdownCell(cell: TableCell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return formatNumber(cell);
  return escapeMarkdown(String(cell));
}

/** Escapes what would end a cell, start markup or become HTML; line breaks become spaces. */
export function escapeMarkdown(text: string): string {
  return (
    text
      .replace(/[\r\n\t]+/g, ' ')
      // eslint-disable-next-line no-control-regex -- control characters in data are dropped on purpose
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
      .replace(/([\\`*_{}[\]()#+!|~>-])/g, '\\$1')
      .replace(/</g, '&lt;')
  );
}
