/**
 * The facade of the pure language core: text and schemas in, diagnostics, completions, hovers,
 * symbols and tokens out, all with character offsets. The LSP server and the CLI drive `.aq` and
 * `.jql` files through exactly this interface; it has no I/O (the host injects `fileExists` and
 * the schema lookup) and never throws on user input.
 */
import type { AnalyticsSchema, CompletionCandidate, FoldingSpan, HoverInfo, QueryDiagnostic, QuerySymbol, ValidationOptions } from './analyticsTypes';
import { completeNarrowed, completeQuery, propertyValueTarget, type CompletionOptions, type PropertyValueTarget } from './features/completeQuery';
import type { NarrowedCompletions } from './completionNarrowing';
import { documentSymbols, foldingRanges } from './features/documentSymbols';
import { hoverQuery } from './features/hoverQuery';
import { queryAt } from './queryFacts';
import { semanticTokens, type SemanticToken } from './features/semanticTokens';
import { validateChunks, validateDocument } from './features/validateQuery';
import type { SchemaLookup } from './queryFacts';
import { completeJql, hoverJql, validateJql } from './jql/jqlAnalysis';
import type { AqDocument, QueryBlock } from './parser/queryAst';
import { parseAqDocument } from './parser/queryParser';
import { documentAround, windowAround, type ChunkedDocument, type ChunkWindow } from './parser/incrementalParser';

export type { SchemaLookup } from './queryFacts';
export type { CompletionOptions, PropertyValueTarget } from './features/completeQuery';
export type { SemanticToken, SemanticTokenType } from './features/semanticTokens';
export { SEMANTIC_TOKEN_TYPES } from './features/semanticTokens';
export { sourceRefOf } from './queryFacts';
export type { ChunkedDocument, ChunkWindow } from './parser/incrementalParser';
export { COMPLETION_LIST_LIMIT, narrowCompletions, type NarrowedCompletions } from './completionNarrowing';

export interface AqLanguageService {
  /** Parses an `.aq` text (tolerant; problems are in `problems`). */
  parse(text: string): AqDocument;
  /** Syntax problems and analysis findings, sorted by position. */
  validate(document: AqDocument, text: string, schemas: SchemaLookup, options?: ValidationOptions): QueryDiagnostic[];
  /** `validate` for the chunks of an incremental parse (the server's): the same findings, re-analysing only new chunks. */
  validateChunked(chunked: ChunkedDocument, schemas: SchemaLookup, options?: ValidationOptions): QueryDiagnostic[];
  /**
   * What `complete` and `hover` at `offset` read of a chunked parse, as a small document: they give
   * the same answers on it as on the whole document, without placing every chunk below an edit.
   */
  documentAround(chunked: ChunkedDocument, offset: number): AqDocument;
  /**
   * `documentAround` with the text it covers, spans counted from `start`: `complete`, `hover` and
   * `propertyValueTarget` at `offset - start` on it answer what they answer at `offset` on the
   * whole text (their spans moved by `-start`), without the whole text.
   */
  windowAround(chunked: ChunkedDocument, offset: number): ChunkWindow;
  /** `options.propertyValues`: values the host looked up live for the `propertyValueTarget` at the same offset. */
  complete(document: AqDocument, text: string, offset: number, schemas: SchemaLookup, options?: CompletionOptions): CompletionCandidate[];
  /**
   * `narrowCompletions(complete(…), text, offset, limit)` — what an editor is sent — building only
   * the candidates it keeps of the long lists (thousands of event names).
   */
  completeNarrowed(document: AqDocument, text: string, offset: number, schemas: SchemaLookup, options?: CompletionOptions, limit?: number): NarrowedCompletions;
  /** The event property whose value is being typed at `offset`, for the host to look up live values of. */
  propertyValueTarget(document: AqDocument, text: string, offset: number, schemas: SchemaLookup): PropertyValueTarget | undefined;
  hover(document: AqDocument, text: string, offset: number, schemas: SchemaLookup): HoverInfo | undefined;
  /** One symbol per query, named by its title. */
  symbols(document: AqDocument): QuerySymbol[];
  folding(document: AqDocument, text: string): FoldingSpan[];
  semanticTokens(document: AqDocument, text: string): SemanticToken[];
  /** The query whose span contains `offset`. */
  queryAt(document: AqDocument, offset: number): QueryBlock | undefined;
  /** `.jql` files (JavaScript), checked against one schema for the whole file. */
  validateJql(text: string, schema: AnalyticsSchema | undefined): QueryDiagnostic[];
  completeJql(text: string, offset: number, schema: AnalyticsSchema | undefined): CompletionCandidate[];
  hoverJql(text: string, offset: number, schema: AnalyticsSchema | undefined): HoverInfo | undefined;
}

/** Runs `action`, turning an unexpected exception into `fallback` so a bug never takes the host down. */
function guarded<T>(fallback: T, action: () => T): T {
  try {
    return action();
  } catch {
    return fallback;
  }
}

const service: AqLanguageService = {
  parse: (text) => parseAqDocument(text),
  validate: (document, text, schemas, options) => guarded<QueryDiagnostic[]>([], () => validateDocument(document, text, schemas, options)),
  validateChunked: (chunked, schemas, options) => guarded<QueryDiagnostic[]>([], () => validateChunks(chunked, schemas, options)),
  documentAround: (chunked, offset) => documentAround(chunked, offset),
  windowAround: (chunked, offset) => windowAround(chunked, offset),
  complete: (document, text, offset, schemas, options) => guarded<CompletionCandidate[]>([], () => completeQuery(document, text, offset, schemas, options)),
  completeNarrowed: (document, text, offset, schemas, options, limit) =>
    guarded<NarrowedCompletions>({ candidates: [], isIncomplete: false }, () => completeNarrowed(document, text, offset, schemas, options, limit)),
  propertyValueTarget: (document, text, offset, schemas) =>
    guarded<PropertyValueTarget | undefined>(undefined, () => propertyValueTarget(document, text, offset, schemas)),
  hover: (document, _text, offset, schemas) => guarded<HoverInfo | undefined>(undefined, () => hoverQuery(document, offset, schemas)),
  symbols: (document) => guarded<QuerySymbol[]>([], () => documentSymbols(document)),
  folding: (document, text) => guarded<FoldingSpan[]>([], () => foldingRanges(document, text)),
  semanticTokens: (document, text) => guarded<SemanticToken[]>([], () => semanticTokens(document, text)),
  queryAt: (document, offset) => queryAt(document, offset),
  validateJql: (text, schema) => guarded<QueryDiagnostic[]>([], () => validateJql(text, schema)),
  completeJql: (text, offset, schema) => guarded<CompletionCandidate[]>([], () => completeJql(text, offset, schema)),
  hoverJql: (text, offset, schema) => guarded<HoverInfo | undefined>(undefined, () => hoverJql(text, offset, schema)),
};

/** The language service. Stateless apart from caches keyed by schema objects, so one instance serves every document. */
export function getAqLanguageService(): AqLanguageService {
  return service;
}
