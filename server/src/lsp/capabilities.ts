/** What the aq server tells the editor it can do, given what the editor supports. */
import { CodeActionKind, type InitializeResult, TextDocumentSyncKind } from 'vscode-languageserver';
import type { ClientSupport } from './serverSession';
import { SEMANTIC_TOKENS_LEGEND } from './toLsp';

export function serverCapabilities(client: ClientSupport): InitializeResult {
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      completionProvider: { triggerCharacters: ['"', '[', ' ', '.'], resolveProvider: true },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      documentSymbolProvider: true,
      foldingRangeProvider: true,
      semanticTokensProvider: { legend: SEMANTIC_TOKENS_LEGEND, full: true },
      diagnosticProvider: client.pullDiagnostics ? { interFileDependencies: false, workspaceDiagnostics: false } : undefined,
      workspace: client.workspaceFolders ? { workspaceFolders: { supported: true, changeNotifications: true } } : undefined,
    },
    serverInfo: { name: 'aq-language-server' },
  };
}
