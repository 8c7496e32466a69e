/**
 * Delivers diagnostics the way the client prefers: pulled (`textDocument/diagnostic`) when it
 * supports that, otherwise pushed after a short debounce so a burst of keystrokes is linted once.
 * Either way `requestRefresh()` re-lints every open document, e.g. when a schema arrives.
 */
import {
  CancellationToken,
  Connection,
  Diagnostic,
  DocumentDiagnosticReportKind,
  type DiagnosticServerCancellationData,
  TextDocuments,
  type DocumentDiagnosticReport,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { runSafe, type ErrorLog } from './runSafe';

export type DocumentValidator = (document: TextDocument) => Diagnostic[];

export interface DiagnosticsSupport {
  requestRefresh(): void;
  dispose(): void;
}

/** Push-mode debounce: long enough to swallow a typing burst, short enough to feel immediate. */
export const PUSH_DIAGNOSTICS_DELAY_MS = 300;

export function registerDiagnosticsPullSupport(
  documents: TextDocuments<TextDocument>,
  connection: Connection,
  log: ErrorLog,
  validate: DocumentValidator,
  canRequestRefresh: boolean,
): DiagnosticsSupport {
  const emptyReport: DocumentDiagnosticReport = { kind: DocumentDiagnosticReportKind.Full, items: [] };
  const registration = connection.languages.diagnostics.on(async (params, token) => {
    const document = documents.get(params.textDocument.uri);
    if (!document) return emptyReport;
    return runSafe<DocumentDiagnosticReport, DiagnosticServerCancellationData>(
      log,
      () => ({ kind: DocumentDiagnosticReportKind.Full, items: validate(document) }),
      emptyReport,
      `diagnostics for ${document.uri}`,
      token,
    );
  });
  return {
    requestRefresh() {
      // Without refresh support the client pulls again on its own schedule (edits, focus).
      if (!canRequestRefresh) return;
      connection.languages.diagnostics.refresh().catch((error: unknown) => log.error(`aq: diagnostics refresh failed: ${String(error)}`));
    },
    dispose() {
      registration.dispose();
    },
  };
}

export function registerDiagnosticsPushSupport(
  documents: TextDocuments<TextDocument>,
  connection: Connection,
  log: ErrorLog,
  validate: DocumentValidator,
  delayMs = PUSH_DIAGNOSTICS_DELAY_MS,
): DiagnosticsSupport {
  const pending = new Map<string, NodeJS.Timeout>();
  // TextDocuments reports an open as a content change too; only real edits are debounced.
  const justOpened = new Set<string>();

  function publish(uri: string): void {
    pending.delete(uri);
    const document = documents.get(uri);
    if (!document) return;
    const version = document.version;
    void runSafe(log, () => validate(document), [], `diagnostics for ${uri}`, CancellationToken.None).then((result) => {
      const current = documents.get(uri);
      // A newer version is already scheduled; publishing these would flash stale problems.
      if (!current || current.version !== version || !Array.isArray(result)) return;
      void connection.sendDiagnostics({ uri, version, diagnostics: result });
    });
  }

  function schedule(uri: string, delay: number): void {
    const existing = pending.get(uri);
    if (existing) clearTimeout(existing);
    pending.set(
      uri,
      setTimeout(() => publish(uri), delay),
    );
  }

  const subscriptions = [
    documents.onDidOpen((event) => {
      justOpened.add(event.document.uri);
      schedule(event.document.uri, 0);
    }),
    documents.onDidChangeContent((event) => {
      if (!justOpened.delete(event.document.uri)) schedule(event.document.uri, delayMs);
    }),
    documents.onDidClose((event) => {
      justOpened.delete(event.document.uri);
      const existing = pending.get(event.document.uri);
      if (existing) clearTimeout(existing);
      pending.delete(event.document.uri);
      void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
    }),
  ];

  return {
    requestRefresh() {
      for (const document of documents.all()) schedule(document.uri, 0);
    },
    dispose() {
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
      for (const subscription of subscriptions) subscription.dispose();
    },
  };
}
