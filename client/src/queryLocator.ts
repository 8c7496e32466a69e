/**
 * Where the queries of an `.aq` text start, for when the language server offers no document
 * symbols (still starting, or crashed). Mirrors the parser's blocks: an optional `### Title` line
 * followed by a head line. No `vscode` import: unit-tested.
 */

export interface QueryStart {
  /** 0-based index among the file's queries (the RunQueryParams.queryIndex). */
  index: number;
  /** 0-based line of the title line, or of the head when untitled. */
  line: number;
  title: string | undefined;
}

const TITLE_LINE = /^\s*###(.*)$/;
const HEAD_LINE = /^\s*(segmentation|funnel|insights|retention|jql|debugger)\b/;

export function findQueryStarts(text: string): QueryStart[] {
  const starts: QueryStart[] = [];
  let titleWaitingForHead = false;
  text.split(/\r?\n/).forEach((line, lineNumber) => {
    const title = TITLE_LINE.exec(line);
    if (title) {
      starts.push({ index: starts.length, line: lineNumber, title: title[1].trim() || undefined });
      titleWaitingForHead = true;
    } else if (HEAD_LINE.test(line)) {
      if (!titleWaitingForHead) starts.push({ index: starts.length, line: lineNumber, title: undefined });
      titleWaitingForHead = false;
    }
  });
  return starts;
}
