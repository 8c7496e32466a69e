/**
 * Problems a remote API found in a query when it ran (a report column Piwik PRO does not know),
 * kept per document and query so they show as diagnostics on the clause they concern until the
 * query's text changes or it runs again.
 */
import type { QueryDiagnostic, TextSpan } from '../languageService/analyticsTypes';
import { DiagnosticCode } from '../languageService/diagnosticCodes';
import type { AqDocument } from '../languageService/parser/queryAst';

interface StoredProblem {
  /** The query's text when it ran; a different text means the problem may be fixed. */
  queryText: string;
  /** Offsets relative to the query's start. */
  span: TextSpan;
  message: string;
}

export class RunProblems {
  private readonly byDocument = new Map<string, Map<number, StoredProblem>>();

  /** Records (or, with `problem` undefined, clears) what the last run of a query found. Returns whether anything changed. */
  record(uri: string, document: AqDocument, text: string, queryIndex: number, problem: { span: TextSpan; message: string } | undefined): boolean {
    const block = document.queries[queryIndex];
    let problems = this.byDocument.get(uri);
    if (!problem || !block) {
      const had = problems?.delete(queryIndex) ?? false;
      if (problems?.size === 0) this.byDocument.delete(uri);
      return had;
    }
    if (!problems) {
      problems = new Map();
      this.byDocument.set(uri, problems);
    }
    const start = block.span.start;
    problems.set(queryIndex, {
      queryText: text.slice(start, block.span.end),
      span: { start: problem.span.start - start, end: problem.span.end - start },
      message: problem.message,
    });
    return true;
  }

  /** Whether any problem is recorded for the document. */
  has(uri: string): boolean {
    return this.byDocument.has(uri);
  }

  /** The recorded problems of queries whose text is unchanged, as diagnostics on the current text. */
  diagnostics(uri: string, document: AqDocument, text: string): QueryDiagnostic[] {
    const problems = this.byDocument.get(uri);
    if (!problems) return [];
    const found: QueryDiagnostic[] = [];
    for (const [index, problem] of problems) {
      const block = document.queries[index];
      if (!block || text.slice(block.span.start, block.span.end) !== problem.queryText) {
        problems.delete(index);
        continue;
      }
      const span = { start: block.span.start + problem.span.start, end: block.span.start + problem.span.end };
      found.push({ span, severity: 'error', code: DiagnosticCode.apiRejected, message: problem.message });
    }
    return found;
  }

  forget(uri: string): void {
    this.byDocument.delete(uri);
  }
}
