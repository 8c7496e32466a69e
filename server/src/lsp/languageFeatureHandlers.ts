/**
 * The standard LSP language features of `.aq` and `.jql` documents (and the diagnostics of event
 * files): each handler looks up the document, takes the cached parse, calls the language core and
 * converts its answer to LSP. No language logic lives here.
 */
import { CancellationToken, CodeActionKind, type CodeActionParams, type Diagnostic, type Position, type SemanticTokens } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { getAqLanguageService } from '../languageService/analyticsLanguageService';
import { lintEventFile } from '../workflows/send/eventFileLint';
import { documentPathOf, isAqDocument, isEventFileDocument, isJqlDocument } from './documentPath';
import { runSafe } from './runSafe';
import type { LanguageFeatureContext } from './serverContext';
import {
  codeActionsFromDiagnostics,
  encodeSemanticTokens,
  toLspCompletionList,
  toLspDiagnostic,
  toLspDocumentSymbol,
  toLspFoldingRange,
  toLspHover,
} from './toLsp';

interface PositionParams {
  textDocument: { uri: string };
  position: Position;
}

interface DocumentParams {
  textDocument: { uri: string };
}

export class LanguageFeatureHandlers {
  private readonly service = getAqLanguageService();

  constructor(private readonly context: LanguageFeatureContext) {}

  /** The diagnostics of one document: event-file lint, JQL checks or the aq analyser. */
  diagnostics(document: TextDocument): Diagnostic[] {
    const path = documentPathOf(document.uri);
    const text = document.getText();
    const context = this.context;
    const problems = isEventFileDocument(document)
      ? lintEventFile(document.uri, text, { schema: context.jqlSchema(path) })
      : isJqlDocument(document)
        ? this.service.validateJql(text, context.jqlSchema(path))
        : [
            ...this.service.validate(context.model(document), text, context.schemaLookup(path), context.validationOptions(path)),
            ...(context.runDiagnostics?.(document) ?? []),
          ];
    return problems.map((problem) => toLspDiagnostic(document, problem));
  }

  completion(params: PositionParams, token: CancellationToken) {
    return this.atPosition(params, token, 'completion', (document, text, offset, path) => {
      const candidates = isJqlDocument(document)
        ? this.service.completeJql(text, offset, this.context.jqlSchema(path))
        : this.service.complete(this.context.model(document), text, offset, this.context.schemaLookup(path));
      return toLspCompletionList(document, candidates, this.context.canDefaultEditRange());
    });
  }

  hover(params: PositionParams, token: CancellationToken) {
    return this.atPosition(params, token, 'hover', (document, text, offset, path) => {
      const hover = isJqlDocument(document)
        ? this.service.hoverJql(text, offset, this.context.jqlSchema(path))
        : this.service.hover(this.context.model(document), text, offset, this.context.schemaLookup(path));
      return hover ? toLspHover(document, hover) : null;
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
  private async atPosition<T>(
    params: PositionParams,
    token: CancellationToken,
    label: string,
    compute: (document: TextDocument, text: string, offset: number, path: string | undefined) => T | null,
  ) {
    await this.context.schemaReadyAt(params.textDocument.uri, params.position);
    return runSafe<T | null>(
      this.context.log,
      () => {
        const document = this.context.document(params.textDocument.uri);
        if (!document || isEventFileDocument(document)) return null;
        return compute(document, document.getText(), document.offsetAt(params.position), documentPathOf(document.uri));
      },
      null,
      label,
      token,
    );
  }
}
