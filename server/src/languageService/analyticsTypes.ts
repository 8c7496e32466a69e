/**
 * The public contract of the pure language core: the normalised schema it is given, and the
 * diagnostics, completions, hovers and fixes it returns. Positions are character offsets
 * (`TextSpan`); the LSP layer converts them to line/character ranges.
 */
import type { QuickFix, TextSpan } from './parser/textSpan';

export type { QuickFix, TextEdit, TextSpan } from './parser/textSpan';
export type { AnalyticsSchema, EventSchema, PropertySchema, PropertyType, SchemaOrigin } from '../queryContract/schemaTypes';

export type DiagnosticSeverity = 'error' | 'warning' | 'information' | 'hint';

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
