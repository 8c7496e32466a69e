/**
 * The standard LSP language features of `.aq` and `.jql` documents (and the diagnostics of event
 * files): each handler looks up the document, takes the cached parse, calls the language core and
 * converts its answer to LSP. No language logic lives here.
 */
import {
  CancellationToken,
  CodeActionKind,
  type CodeActionParams,
  type CompletionItem,
  type Diagnostic,
  MarkupKind,
  type Position,
  type SemanticTokens,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import {
  getAqLanguageService,
  narrowCompletions,
  type CompletionOptions,
  type NarrowedCompletions,
  type PropertyValueTarget,
  type SchemaLookup,
} from '../languageService/analyticsLanguageService';
import type { CompletionCandidate } from '../languageService/analyticsTypes';
import { lintEventFile } from '../workflows/send/eventFileLint';
import { documentPathOf, isAqDocument, isEventFileDocument, isJqlDocument } from './documentPath';
import { abortSignalFor, formatError, runSafe } from './runSafe';
import type { LanguageFeatureContext } from './serverContext';
import {
  codeActionsFromDiagnostics,
  encodeSemanticTokens,
  toLspCompletionList,
  toLspDiagnostic,
  toLspDocumentSymbol,
  toLspFoldingRange,
  toLspHover,
  type CompletionResolveData,
  type PositionSource,
} from './toLsp';

interface PositionParams {
  textDocument: { uri: string };
  position: Position;
}

interface DocumentParams {
  textDocument: { uri: string };
}

/** What completion found before it ran: live values to offer, or (with no value to look up) the answer itself, for one version and offset. */
interface PreparedCompletion {
  propertyValues?: string[];
  version?: number;
  offset?: number;
  answer?: NarrowedCompletions;
}

/** How many recent completion answers keep their documentation for `completionItem/resolve`. */
const RESOLVABLE_LISTS = 4;

export class LanguageFeatureHandlers {
  private readonly service = getAqLanguageService();
  /** The candidates of the latest completion answers, newest last, by answer number. */
  private readonly recentLists: Array<{ list: number; candidates: readonly CompletionCandidate[] }> = [];
  private nextList = 1;

  constructor(private readonly context: LanguageFeatureContext) {}

  /** The diagnostics of one document: event-file lint, JQL checks or the aq analyser. */
  diagnostics(document: TextDocument): Diagnostic[] {
    const path = documentPathOf(document.uri);
    const context = this.context;
    // An aq document is checked chunk by chunk: its whole text is not needed (nor built).
    const problems = isEventFileDocument(document)
      ? lintEventFile(document.uri, document.getText(), { schema: context.jqlSchema(path) })
      : isJqlDocument(document)
        ? this.service.validateJql(document.getText(), context.jqlSchema(path))
        : [
            ...this.service.validateChunked(context.chunks(document), context.schemaLookup(path), context.validationOptions(path)),
            ...(context.runDiagnostics?.(document) ?? []),
          ];
    return problems.map((problem) => toLspDiagnostic(document, problem));
  }

  /**
   * Completion; at the value of an event property it first asks the source for the values it
   * holds (cached, and given up when the user types on: the cancelled request aborts the lookup).
   */
  completion(params: PositionParams, token: CancellationToken) {
    return this.atPosition<ReturnType<typeof toLspCompletionList>, PreparedCompletion>(
      params,
      token,
      'completion',
      (document, offset, path, prepared) => {
        let narrowed: NarrowedCompletions;
        let positions: PositionSource;
        if (isJqlDocument(document)) {
          const text = document.getText();
          narrowed = narrowCompletions(this.service.completeJql(text, offset, this.context.jqlSchema(path)), text, offset);
          positions = document;
        } else {
          const around = this.aroundCursor(document, offset);
          const answered = prepared?.version === document.version && prepared.offset === offset ? prepared.answer : undefined;
          narrowed = answered ?? around.complete(this.context.schemaLookup(path), { propertyValues: prepared?.propertyValues });
          positions = around.positions;
        }
        const list = this.nextList++;
        this.recentLists.push({ list, candidates: narrowed.candidates });
        if (this.recentLists.length > RESOLVABLE_LISTS) this.recentLists.shift();
        return toLspCompletionList(positions, narrowed.candidates, this.context.canDefaultEditRange(), {
          isIncomplete: narrowed.isIncomplete,
          resolveList: list,
        });
      },
      (document, offset, path) => this.prepareCompletion(document, offset, path, token),
    );
  }

  /**
   * Completion and hover in an aq document, run on the chunks around the cursor (their text and
   * the cursor's offset in it), with the document's positions of offsets in that text. A
   * keystroke in a large file so never builds the file's whole text.
   */
  private aroundCursor(document: TextDocument, offset: number) {
    const window = this.service.windowAround(this.context.chunks(document), offset);
    const at = offset - window.start;
    const positions: PositionSource = window.start === 0 ? document : { positionAt: (windowOffset) => document.positionAt(window.start + windowOffset) };
    return {
      positions,
      complete: (schemas: SchemaLookup, options: CompletionOptions) => this.service.completeNarrowed(window.document, window.text, at, schemas, options),
      hover: (schemas: SchemaLookup) => this.service.hover(window.document, window.text, at, schemas),
    };
  }

  /**
   * Completes once without live values; only when that finds the cursor at the value of an event
   * property are the source's values looked up (and completion runs again, with them). Otherwise
   * — nearly always — the answer is kept for the version and offset it was computed at, instead
   * of being computed a second time.
   */
  private async prepareCompletion(document: TextDocument, offset: number, path: string | undefined, token: CancellationToken): Promise<PreparedCompletion> {
    if (!isAqDocument(document)) return {};
    let target: PropertyValueTarget | undefined;
    const answer = this.aroundCursor(document, offset).complete(this.context.schemaLookup(path), { onValueTarget: (found) => (target = found) });
    if (!target || !this.context.propertyValues) return { version: document.version, offset, answer };
    const found: PropertyValueTarget = target;
    const abort = abortSignalFor(token);
    try {
      return { propertyValues: await this.context.propertyValues(path, found, abort.signal) };
    } catch (error) {
      // No values is an answer too: the schema's examples are still offered.
      if (!abort.signal.aborted) this.context.log.info(formatError(`aq: looking up values of "${found.property}" failed`, error));
      return {};
    } finally {
      abort.dispose();
    }
  }

  /** Adds the documentation left out of a completion item, from the answer it came in. */
  resolveCompletion(item: CompletionItem): CompletionItem {
    const data = item.data as Partial<CompletionResolveData> | undefined;
    const documentation = this.recentLists.find((recent) => recent.list === data?.list)?.candidates[data?.index ?? -1]?.documentation;
    // An item of an answer too old to remember simply stays without documentation.
    return documentation === undefined ? item : { ...item, documentation: { kind: MarkupKind.Markdown, value: documentation } };
  }

  hover(params: PositionParams, token: CancellationToken) {
    return this.atPosition(params, token, 'hover', (document, offset, path) => {
      if (isJqlDocument(document)) {
        const hover = this.service.hoverJql(document.getText(), offset, this.context.jqlSchema(path));
        return hover ? toLspHover(document, hover) : null;
      }
      const around = this.aroundCursor(document, offset);
      const hover = around.hover(this.context.schemaLookup(path));
      return hover ? toLspHover(around.positions, hover) : null;
    });
  }

  codeActions(params: CodeActionParams, token: CancellationToken) {
    return runSafe(
      this.context.log,
      () => {
        const only = params.context.only;
        if (only && !only.some((kind) => kind === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${kind}.`))) return [];
        const ours = params.context.diagnostics.filter((diagnostic) => diagnostic.source === 'aq');
        return codeActionsFromDiagnostics(params.textDocument.uri, ours);
      },
      [],
      'code actions',
      token,
    );
  }

  documentSymbols(params: DocumentParams, token: CancellationToken) {
    return runSafe(
      this.context.log,
      () => {
        const document = this.context.document(params.textDocument.uri);
        if (!document || !isAqDocument(document)) return [];
        return this.service.symbols(this.context.model(document)).map((symbol) => toLspDocumentSymbol(document, symbol));
      },
      [],
      'document symbols',
      token,
    );
  }

  foldingRanges(params: DocumentParams, token: CancellationToken) {
    return runSafe(
      this.context.log,
      () => {
        const document = this.context.document(params.textDocument.uri);
        // null lets the editor fall back to indentation folding in .jql files.
        if (!document || !isAqDocument(document)) return null;
        return this.service
          .folding(this.context.model(document), document.getText())
          .map((folding) => toLspFoldingRange(document, folding))
          .filter((range) => range !== undefined);
      },
      null,
      'folding ranges',
      token,
    );
  }

  semanticTokens(params: DocumentParams, token: CancellationToken) {
    return runSafe<SemanticTokens>(
      this.context.log,
      () => {
        const document = this.context.document(params.textDocument.uri);
        if (!document || !isAqDocument(document)) return { data: [] };
        return { data: encodeSemanticTokens(document, this.service.semanticTokens(this.context.model(document), document.getText())) };
      },
      { data: [] },
      'semantic tokens',
      token,
    );
  }

  /**
   * Runs a position-based feature (completion, hover) once the schema of the query under the
   * cursor is loaded; event files to send have neither.
   */
  private async atPosition<T, Extra = undefined>(
    params: PositionParams,
    token: CancellationToken,
    label: string,
    compute: (document: TextDocument, offset: number, path: string | undefined, extra: Extra | undefined) => T | null,
    prepare?: (document: TextDocument, offset: number, path: string | undefined) => Promise<Extra | undefined>,
  ) {
    await this.context.schemaReadyAt(params.textDocument.uri, params.position);
    const prepared = this.context.document(params.textDocument.uri);
    const extra = prepared && prepare ? await prepare(prepared, prepared.offsetAt(params.position), documentPathOf(prepared.uri)) : undefined;
    return runSafe<T | null>(
      this.context.log,
      () => {
        const document = this.context.document(params.textDocument.uri);
        if (!document || isEventFileDocument(document)) return null;
        return compute(document, document.offsetAt(params.position), documentPathOf(document.uri), extra);
      },
      null,
      label,
      token,
    );
  }
}
