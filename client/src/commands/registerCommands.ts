/** The command table: every palette command of the extension, registered in one place. */
import * as vscode from 'vscode';
import type { ExtensionState } from '../extensionState';
import { CommandId, type CommandIdValue } from './commandIds';
import { clearCredentials, setCredentials } from './credentialCommands';
import { exportResultsCommand } from './exportResultsCommand';
import { showGenerated } from './generatedRequestCommand';
import { openSamples } from './openSamplesCommand';
import { openQueryHistory } from './queryHistoryCommand';
import { cancelQueries, runAllQueries, runQueryAtCursor, showLastResult } from './runQueryCommand';
import { addMixpanelSource, addPiwikSource } from './addSourceCommands';
import { raiseLimit } from './raiseLimitCommand';
import { refreshSchema } from './refreshSchemaCommand';
import { showSchemaDrift, updateSchemaSnapshot } from './schemaDriftCommands';
import { selectSource } from './selectSourceCommand';
import { pullEvents } from './pullEventsCommand';
import { sendEvents } from './sendEventsCommand';
import { clearSlackWebhook, setSlackWebhook } from './slackWebhookCommands';
import { showWatches, startWatching, stopWatching } from './watchCommands';

type CommandFactory = (state: ExtensionState) => (...args: unknown[]) => unknown;

const commands: Record<CommandIdValue, CommandFactory> = {
  [CommandId.runQueryAtCursor]: (state) => (uri, index) =>
    runQueryAtCursor(state, uri instanceof vscode.Uri ? uri : undefined, typeof index === 'number' ? index : undefined),
  [CommandId.runAllQueries]: (state) => () => runAllQueries(state),
  [CommandId.cancelQuery]: (state) => () => cancelQueries(state),
  [CommandId.selectSource]: (state) => () => selectSource(state),
  [CommandId.addMixpanelSource]: () => () => addMixpanelSource(),
  [CommandId.addPiwikSource]: () => () => addPiwikSource(),
  [CommandId.setCredentials]: (state) => (name, kind, host) => setCredentials(state, name, kind, host),
  [CommandId.clearCredentials]: (state) => () => clearCredentials(state),
  [CommandId.refreshSchema]: (state) => (name) => refreshSchema(state, typeof name === 'string' ? name : undefined),
  [CommandId.showSchemaDrift]: (state) => () => showSchemaDrift(state),
  [CommandId.updateSchemaSnapshot]: (state) => () => updateSchemaSnapshot(state),
  [CommandId.showGeneratedRequest]: (state) => () => showGenerated(state, 'curl'),
  [CommandId.showGeneratedJql]: (state) => () => showGenerated(state, 'jql'),
  [CommandId.exportResults]: (state) => () => exportResultsCommand(state),
  [CommandId.openQueryHistory]: (state) => () => openQueryHistory(state),
  [CommandId.openSamples]: (state) => () => openSamples(state),
  [CommandId.sendEvents]: (state) => (uri, source) => sendEvents(state, uri, source),
  [CommandId.pullEvents]: (state) => () => pullEvents(state),
  [CommandId.startWatching]: (state) => (uri, index) => startWatching(state, uri, index),
  [CommandId.stopWatching]: (state) => (uri, index) => stopWatching(state, uri, index),
  [CommandId.showWatches]: (state) => () => showWatches(state),
  [CommandId.setSlackWebhook]: (state) => () => setSlackWebhook(state),
  [CommandId.clearSlackWebhook]: (state) => () => clearSlackWebhook(state),
  [CommandId.restartServer]: (state) => async () => {
    await state.restartClient();
    void vscode.window.setStatusBarMessage('aq: the language server restarted', 3000);
  },
  [CommandId.showLastResult]: (state) => (uri, index) => {
    if (uri instanceof vscode.Uri && typeof index === 'number') showLastResult(state, uri, index);
  },
  [CommandId.raiseLimit]: (state) => (uri, index) => {
    return uri instanceof vscode.Uri && typeof index === 'number' ? raiseLimit(state, uri, index) : undefined;
  },
};

export function registerCommands(state: ExtensionState): vscode.Disposable[] {
  return Object.entries(commands).map(([id, factory]) => vscode.commands.registerCommand(id, factory(state)));
}
