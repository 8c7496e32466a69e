/**
 * Activation: builds the shared state, registers commands and the CodeLens, and starts the
 * language server. Activation happens on aq/jql files or an aq command only.
 */
import * as vscode from 'vscode';
import { ListSourcesRequest, SchemaDriftRequest } from '../../server/src/protocol/customRequests';
import { QueryCodeLensProvider } from './codeLens';
import { RaiseLimitCodeActions, raiseLimit } from './commands/raiseLimitCommand';
import { exportResult, savePng } from './commands/exportResultsCommand';
import { registerCommands } from './commands/registerCommands';
import { cancelQueries, rerunPanelQuery } from './commands/runQueryCommand';
import { ExtensionConfig, SettingId } from './config';
import { ExpectationTests } from './expectationTests';
import { ExtensionState } from './extensionState';
import { registerMcpServerProvider } from './mcpServerProvider';
import { EVENT_FILE_PATTERN } from './eventFiles';
import { WorkflowCodeLensProvider } from './workflowCodeLens';

let state: ExtensionState | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const extensionState = new ExtensionState(context, (shared) => ({
    rerun: (panel) => void rerunPanelQuery(shared, panel.title, panel.source),
    cancel: (panel) => cancelQueries(shared, panel.title),
    raiseLimit: (panel) => {
      if (panel.source) void raiseLimit(shared, panel.source.uri, panel.source.queryIndex);
    },
    exportResult: (result, format, clean) => exportResult(shared, result, format, clean),
    savePng,
    log: (message) => shared.output.warn(message),
  }));
  state = extensionState;
  const codeLens = new QueryCodeLensProvider(extensionState.outcomes);
  const workflowLens = new WorkflowCodeLensProvider(extensionState.watched);
  context.subscriptions.push(
    ...registerCommands(extensionState),
    vscode.languages.registerCodeLensProvider([{ language: 'aq' }, { language: 'jql' }], codeLens),
    vscode.languages.registerCodeActionsProvider({ language: 'aq' }, new RaiseLimitCodeActions(extensionState), {
      providedCodeActionKinds: RaiseLimitCodeActions.kinds,
    }),
    vscode.languages.registerCodeLensProvider([{ language: 'aq' }, { scheme: 'file', pattern: EVENT_FILE_PATTERN }], workflowLens),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!ExtensionConfig.affects(event, SettingId.codeLensEnabled)) return;
      codeLens.refresh();
      workflowLens.refresh();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void extensionState.restartClient()),
    ...registerMcpServerProvider(context, (message) => extensionState.output.info(message)),
    new ExpectationTests(extensionState),
  );
  void extensionState.languageClient().then(async (client) => {
    if (!client) return;
    // Lenses drawn before the server answered came from the line scan; symbols are exact.
    codeLens.refresh();
    workflowLens.refresh();
    extensionState.statusBar.connect(async (uri) => (await extensionState.languageClient())?.sendRequest(ListSourcesRequest, { uri }));
    extensionState.driftBar.connect(async (uri) => (await extensionState.languageClient())?.sendRequest(SchemaDriftRequest, { uri }));
  });
}

export async function deactivate(): Promise<void> {
  await state?.dispose();
  state = undefined;
}
