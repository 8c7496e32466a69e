/** Outline entries (one per query, named by its title) and folding ranges (one per multi-line query). */
import type { FoldingSpan, QuerySymbol } from '../analyticsTypes';
import type { AqDocument, QueryBlock } from '../parser/queryAst';
import { queryTitle } from '../parser/queryTitle';
import { queryEvents } from '../queryFacts';

function headSummary(block: QueryBlock): string {
  const head = block.head;
  if (!head) return '';
  switch (head.kind) {
    case 'funnel':
      return head.savedId
        ? `funnel id ${head.savedId.text}`
        : `funnel ${queryEvents(block)
            .map((e) => e.value)
            .join(' → ')}`;
    case 'insights':
      return head.bookmarkId ? `insights id ${head.bookmarkId.text}` : 'insights';
    case 'jql':
      return `jql ${head.scriptPath?.value ?? ''}`.trim();
    case 'debugger':
      return `debugger ${head.appId?.value ?? ''}`.trim();
    default:
      return `${head.kind} ${queryEvents(block)
        .map((e) => e.value)
        .join(' → ')}`.trim();
  }
}

/** One symbol per query: the `### Title` (or `Query N`), with the head as detail. */
export function documentSymbols(document: AqDocument): QuerySymbol[] {
  return document.queries.map((block) => ({
    name: queryTitle(block),
    detail: headSummary(block),
    span: block.span,
    selectionSpan: block.titleSpan ?? block.head?.span ?? block.span,
  }));
}

/** A fold per query that spans more than one line, and per run of two or more comment lines. */
export function foldingRanges(document: AqDocument, text: string): FoldingSpan[] {
  const spans: FoldingSpan[] = [];
  for (const block of document.queries) {
    if (text.slice(block.span.start, block.span.end).includes('\n')) spans.push({ span: block.span });
  }
  let run: { start: number; end: number; lines: number } | undefined;
  const flush = () => {
    if (run && run.lines > 1) spans.push({ span: { start: run.start, end: run.end } });
    run = undefined;
  };
  for (const comment of document.comments) {
    const lineStart = text.lastIndexOf('\n', comment.start - 1) + 1;
    const wholeLine = text.slice(lineStart, comment.start).trim() === '' && !text.startsWith('###', lineStart);
    if (!wholeLine) {
      flush();
      continue;
    }
    const between = run ? text.slice(run.end, lineStart) : '';
    if (run && /^\r?\n$/.test(between)) {
      run.end = comment.end;
      run.lines++;
    } else {
      flush();
      run = { start: comment.start, end: comment.end, lines: 1 };
    }
  }
  flush();
  return spans.sort((a, b) => a.span.start - b.span.start);
}
