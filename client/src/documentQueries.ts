/**
 * The queries of an open document with their ranges and titles. The server's document symbols are
 * one per query, in order; while the server cannot answer, a line scan finds the same starts.
 */
import * as vscode from 'vscode';
import { queryTitle } from '../../server/src/protocol/queryTitle';
import { findQueryStarts } from './queryLocator';

export interface DocumentQuery {
  index: number;
  title: string;
  /** The whole query (title line to last clause). */
  range: vscode.Range;
}

export async function documentQueries(document: vscode.TextDocument): Promise<DocumentQuery[]> {
  if (document.languageId === 'jql') {
    return [{ index: 0, title: baseName(document.uri), range: new vscode.Range(0, 0, Math.max(0, document.lineCount - 1), 0) }];
  }
  const symbols = await vscode.commands
    .executeCommand<Array<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined>('vscode.executeDocumentSymbolProvider', document.uri)
    .then(
      (value) => value ?? [],
      () => [],
    );
  if (symbols.length > 0) {
    return symbols.map((symbol, index) => ({ index, title: symbol.name, range: 'range' in symbol ? symbol.range : symbol.location.range }));
  }
  const starts = findQueryStarts(document.getText());
  return starts.map((start, position) => {
    const endLine = position + 1 < starts.length ? Math.max(start.line, starts[position + 1].line - 1) : document.lineCount - 1;
    return { index: start.index, title: queryTitle(start), range: new vscode.Range(start.line, 0, endLine, 0) };
  });
}

/** The query under the cursor, or the nearest one above it, or the first. */
export async function queryAt(document: vscode.TextDocument, position: vscode.Position): Promise<DocumentQuery | undefined> {
  const queries = await documentQueries(document);
  const containing = queries.find((query) => query.range.contains(position));
  if (containing) return containing;
  const above = queries.filter((query) => query.range.start.isBeforeOrEqual(position));
  return above[above.length - 1] ?? queries[0];
}

export function baseName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() ?? uri.path;
}
