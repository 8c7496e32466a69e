/**
 * The public contract of the pure language core: the normalised schema it is given, and the
 * diagnostics, completions, hovers and fixes it returns. Positions are character offsets
 * (`TextSpan`); the LSP layer converts them to line/character ranges.
 */
import type { TextSpan } from './parser/queryAst';

export type { TextSpan } from './parser/queryAst';

/** Value types a property can have, normalised from Lexicon's JSON Schema types. */
export type PropertyType = 'string' | 'number' | 'boolean' | 'datetime' | 'list' | 'object' | 'unknown';

/** One event or profile property. */
export interface PropertySchema {
  name: string;
  type: PropertyType;
  description?: string;
  displayName?: string;
  /** A few known values, most common first (from Lexicon `examples` or derived from data). */
  examples?: Array<string | number | boolean>;
  hidden?: boolean;
  dropped?: boolean;
}

/** One event and the properties it carries. */
export interface EventSchema {
  name: string;
  description?: string;
  displayName?: string;
  tags?: string[];
  /** Hidden from Mixpanel's menus but still ingested. */
  hidden?: boolean;
  /** Dropped (blocked) at ingestion: queries on it return nothing. */
  dropped?: boolean;
  /** Events seen in the period the schema was built from, where known. */
  volume?: number;
  properties: Record<string, PropertySchema>;
}

/** Where a schema came from, for the "schema age" shown to the user. */
export interface SchemaOrigin {
  kind: 'file' | 'lexicon' | 'listing' | 'derived';
  /** A human-readable label: a file path, "Lexicon (project 123)", … */
  label: string;
  /** ISO timestamp of when it was fetched or derived. */
  fetchedAt?: string;
}

/**
 * A backend-independent schema. Event and property names are exact (case-sensitive), as in
 * Mixpanel. Build one with `schemaFromLexicon` (lexiconSchema.ts) or a backend's own converter.
 */
export interface AnalyticsSchema {
  events: Record<string, EventSchema>;
  /** Profile (`user["…"]`) properties. */
  userProperties: Record<string, PropertySchema>;
  origin?: SchemaOrigin;
}

export type DiagnosticSeverity = 'error' | 'warning' | 'information' | 'hint';

/** A replacement of `span` by `newText` (an insertion when the span is empty). */
export interface TextEdit {
  span: TextSpan;
  newText: string;
}

/** A quick fix offered for a diagnostic. */
export interface QuickFix {
  title: string;
  edits: TextEdit[];
  /** The fix the editor applies on "Fix all" / the preferred one. */
  isPreferred?: boolean;
}

/** A problem in the user's text. */
export interface QueryDiagnostic {
  span: TextSpan;
  severity: DiagnosticSeverity;
  /** Stable kebab-case code from `diagnosticCodes.ts`; users filter and suppress by it. */
  code: string;
  message: string;
  fixes?: QuickFix[];
}

export type CompletionKind = 'keyword' | 'event' | 'property' | 'userProperty' | 'value' | 'enum' | 'function' | 'source';

export interface CompletionCandidate {
  label: string;
  kind: CompletionKind;
  /** Short text beside the label (type, volume). */
  detail?: string;
  /** Markdown shown in the details pane. */
  documentation?: string;
  /** The text to insert; the label when absent. */
  insertText?: string;
  /** The text range the insertion replaces; the word at the cursor when absent. */
  replaceSpan?: TextSpan;
  sortText?: string;
  /** True for hidden or dropped names, which completion shows struck through. */
  deprecated?: boolean;
}

export interface HoverInfo {
  span: TextSpan;
  markdown: string;
}

/** A document symbol: one per query. */
export interface QuerySymbol {
  name: string;
  detail: string;
  span: TextSpan;
  selectionSpan: TextSpan;
}

/** A foldable range, as offsets of its first and last character. */
export interface FoldingSpan {
  span: TextSpan;
}

/** Options the host (server or CLI) passes to validation. */
export interface ValidationOptions {
  /**
   * Checks that a `jql "path"` script exists. Injected so the core does no I/O; undefined skips
   * the check. Paths are as written in the file; the host resolves them.
   */
  fileExists?: (path: string) => boolean;
  /** Source names that are configured (aq.json / settings); undefined skips the check. */
  knownSources?: ReadonlySet<string>;
}
