/**
 * The one place where the core's offset-based results become LSP types. Positions are computed
 * with `TextDocument.positionAt`, so UTF-16 offsets, CRLF line ends and spans past the end of the
 * text all behave the same everywhere (server and CLI).
 */
import {
  CodeAction,
  CodeActionKind,
  CompletionItem,
  CompletionItemKind,
  CompletionItemTag,
  CompletionList,
  Diagnostic,
  DiagnosticSeverity,
  DocumentSymbol,
  FoldingRange,
  Hover,
  MarkupKind,
  Range,
  SemanticTokensLegend,
  SymbolKind,
  TextEdit,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type {
  CompletionCandidate,
  CompletionKind,
  DiagnosticSeverity as AqSeverity,
  FoldingSpan,
  HoverInfo,
  QueryDiagnostic,
  QuerySymbol,
  QuickFix,
  TextSpan,
} from '../languageService/analyticsTypes';

/** What `toLspDiagnostic` stores in `Diagnostic.data`, so a code action needs no recomputation. */
export interface AqDiagnosticData {
  fixes: Array<{ title: string; isPreferred?: boolean; edits: TextEdit[] }>;
}

/** The subset of TextDocument the converters need (the CLI builds one without a connection). */
export type PositionSource = Pick<TextDocument, 'positionAt'>;

export function spanToRange(document: PositionSource, span: TextSpan): Range {
  return Range.create(document.positionAt(span.start), document.positionAt(Math.max(span.start, span.end)));
}

const SEVERITIES: Record<AqSeverity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toLspSeverity(severity: AqSeverity): DiagnosticSeverity {
  return SEVERITIES[severity] ?? DiagnosticSeverity.Error;
}

function toLspFix(document: PositionSource, fix: QuickFix): AqDiagnosticData['fixes'][number] {
  return {
    title: fix.title,
    isPreferred: fix.isPreferred,
    edits: fix.edits.map((edit) => TextEdit.replace(spanToRange(document, edit.span), edit.newText)),
  };
}

export function toLspDiagnostic(document: PositionSource, diagnostic: QueryDiagnostic): Diagnostic {
  const result = Diagnostic.create(spanToRange(document, diagnostic.span), diagnostic.message, toLspSeverity(diagnostic.severity), diagnostic.code, 'aq');
  if (diagnostic.fixes && diagnostic.fixes.length > 0) {
    const data: AqDiagnosticData = { fixes: diagnostic.fixes.map((fix) => toLspFix(document, fix)) };
    result.data = data;
  }
  return result;
}

/** The quick fixes carried in the `data` of diagnostics this server produced. */
export function codeActionsFromDiagnostics(uri: string, diagnostics: readonly Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of diagnostics) {
    const data = diagnostic.data as Partial<AqDiagnosticData> | undefined;
    if (!data || !Array.isArray(data.fixes)) continue;
    for (const fix of data.fixes) {
      if (typeof fix?.title !== 'string' || !Array.isArray(fix.edits)) continue;
      const action = CodeAction.create(fix.title, { changes: { [uri]: fix.edits } }, CodeActionKind.QuickFix);
      action.diagnostics = [diagnostic];
      if (fix.isPreferred) action.isPreferred = true;
      actions.push(action);
    }
  }
  return actions;
}

const COMPLETION_KINDS: Record<CompletionKind, CompletionItemKind> = {
  keyword: CompletionItemKind.Keyword,
  event: CompletionItemKind.Event,
  property: CompletionItemKind.Property,
  userProperty: CompletionItemKind.Field,
  value: CompletionItemKind.Value,
  enum: CompletionItemKind.EnumMember,
  function: CompletionItemKind.Function,
  source: CompletionItemKind.Module,
};

export function toLspCompletionItem(document: PositionSource, candidate: CompletionCandidate, replaceRange?: Range): CompletionItem {
  const item: CompletionItem = { label: candidate.label, kind: COMPLETION_KINDS[candidate.kind] ?? CompletionItemKind.Text };
  if (candidate.detail) item.detail = candidate.detail;
  if (candidate.documentation) item.documentation = { kind: MarkupKind.Markdown, value: candidate.documentation };
  if (candidate.sortText) item.sortText = candidate.sortText;
  if (candidate.deprecated) item.tags = [CompletionItemTag.Deprecated];
  const newText = candidate.insertText ?? candidate.label;
  if (candidate.replaceSpan) {
    item.textEdit = TextEdit.replace(replaceRange ?? spanToRange(document, candidate.replaceSpan), newText);
    // The editor filters on the text the edit replaces; quoted names must still match what was typed.
    item.filterText = newText;
  } else if (candidate.insertText !== undefined) {
    item.insertText = candidate.insertText;
  }
  return item;
}

/** What a completion item carries for `completionItem/resolve` to find its documentation. */
export interface CompletionResolveData {
  /** The answer the item came in. */
  list: number;
  /** Its place in that answer. */
  index: number;
}

/** How a converted list is shaped beyond its items. */
export interface CompletionListShape {
  /** Candidates were left out; the editor must ask again as the user types. */
  isIncomplete?: boolean;
  /** Leave documentation out and give each item `{ list, index }` data to resolve it by. */
  resolveList?: number;
}

/**
 * Converts a completion list. When every candidate replaces the same span and the client accepts
 * list-level defaults, the range is sent once instead of once per item; with `resolveList`, the
 * documentation (the longest part of an item) is fetched only for the item the user looks at.
 * Text the editor would default to anyway (a filter text equal to the label) is not sent.
 */
export function toLspCompletionList(
  document: PositionSource,
  candidates: readonly CompletionCandidate[],
  canDefaultEditRange: boolean,
  shape: CompletionListShape = {},
): CompletionList {
  const isIncomplete = shape.isIncomplete === true;
  const withResolveData = (item: CompletionItem, index: number): CompletionItem => {
    if (shape.resolveList === undefined) return item;
    delete item.documentation;
    const data: CompletionResolveData = { list: shape.resolveList, index };
    item.data = data;
    return item;
  };
  const first = candidates[0]?.replaceSpan;
  const sharesOneSpan =
    first !== undefined && candidates.every((c) => c.replaceSpan !== undefined && c.replaceSpan.start === first.start && c.replaceSpan.end === first.end);
  if (canDefaultEditRange && sharesOneSpan) {
    const items = candidates.map((candidate, index) => {
      const item = toLspCompletionItem(document, { ...candidate, replaceSpan: undefined, insertText: undefined });
      const newText = candidate.insertText ?? candidate.label;
      if (newText !== candidate.label) {
        item.textEditText = newText;
        item.filterText = newText;
      }
      return withResolveData(item, index);
    });
    return { isIncomplete, itemDefaults: { editRange: spanToRange(document, first) }, items };
  }
  const range = first ? spanToRange(document, first) : undefined;
  return {
    isIncomplete,
    items: candidates.map((candidate, index) =>
      withResolveData(
        toLspCompletionItem(
          document,
          candidate,
          range && candidate.replaceSpan?.start === first?.start && candidate.replaceSpan?.end === first?.end ? range : undefined,
        ),
        index,
      ),
    ),
  };
}

export function toLspHover(document: PositionSource, hover: HoverInfo): Hover {
  return { contents: { kind: MarkupKind.Markdown, value: hover.markdown }, range: spanToRange(document, hover.span) };
}

export function toLspDocumentSymbol(document: PositionSource, symbol: QuerySymbol): DocumentSymbol {
  const range = spanToRange(document, symbol.span);
  let selectionRange = spanToRange(document, symbol.selectionSpan);
  // LSP requires the selection range inside the full range; a core slip must not make VS Code reject all symbols.
  if (!rangeContains(range, selectionRange)) selectionRange = Range.create(range.start, range.start);
  return DocumentSymbol.create(symbol.name || '(untitled query)', symbol.detail, SymbolKind.Function, range, selectionRange);
}

function rangeContains(outer: Range, inner: Range): boolean {
  const before = (a: Range['start'], b: Range['start']) => a.line < b.line || (a.line === b.line && a.character <= b.character);
  return before(outer.start, inner.start) && before(inner.end, outer.end);
}

export function toLspFoldingRange(document: PositionSource, folding: FoldingSpan): FoldingRange | undefined {
  const startLine = document.positionAt(folding.span.start).line;
  const endLine = document.positionAt(Math.max(folding.span.start, folding.span.end - 1)).line;
  return endLine > startLine ? FoldingRange.create(startLine, endLine) : undefined;
}

/**
 * Token types of the core mapped onto LSP's standard types, so every theme colours them. `title`
 * is deliberately absent: the TextMate grammar scopes `### Title` as a markup heading, which themes
 * style better than any semantic type would.
 */
const SEMANTIC_TYPE_NAMES = ['keyword', 'event', 'property', 'string', 'number', 'operator', 'function', 'comment', 'enumMember'] as const;

export const SEMANTIC_TOKENS_LEGEND: SemanticTokensLegend = { tokenTypes: [...SEMANTIC_TYPE_NAMES], tokenModifiers: [] };

const SEMANTIC_TYPE_INDEX: Readonly<Record<string, number>> = {
  keyword: 0,
  event: 1,
  property: 2,
  string: 3,
  number: 4,
  operator: 5,
  function: 6,
  comment: 7,
  enum: 8,
};

/** Encodes tokens in LSP's relative form; tokens spanning line breaks are split per line. */
export function encodeSemanticTokens(
  document: PositionSource & Pick<TextDocument, 'getText'>,
  tokens: ReadonlyArray<{ span: TextSpan; type: string }>,
): number[] {
  const text = document.getText();
  const sorted = tokens
    .filter((token) => SEMANTIC_TYPE_INDEX[token.type] !== undefined && token.span.end > token.span.start)
    .sort((a, b) => a.span.start - b.span.start);
  const data: number[] = [];
  let previousLine = 0;
  let previousChar = 0;
  let lastEnd = 0;
  for (const token of sorted) {
    // Overlapping tokens are not allowed by the protocol; the earlier one wins.
    let start = Math.max(token.span.start, lastEnd);
    const end = Math.min(token.span.end, text.length);
    while (start < end) {
      const lineBreak = text.indexOf('\n', start);
      const pieceEnd = lineBreak >= 0 && lineBreak < end ? lineBreak : end;
      const length = pieceEnd - start - (text[pieceEnd - 1] === '\r' ? 1 : 0);
      if (length > 0) {
        const position = document.positionAt(start);
        const deltaLine = position.line - previousLine;
        const deltaChar = deltaLine === 0 ? position.character - previousChar : position.character;
        data.push(deltaLine, deltaChar, length, SEMANTIC_TYPE_INDEX[token.type], 0);
        previousLine = position.line;
        previousChar = position.character;
      }
      start = pieceEnd + 1;
    }
    lastEnd = Math.max(lastEnd, end);
  }
  return data;
}
