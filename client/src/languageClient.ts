/**
 * Starts the aq language server (dist/server.js) over IPC and wires the server → client messages:
 * credentials come from SecretStorage, source status goes to the status bar.
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import {
  CredentialsRequest,
  SendProgressNotification,
  SlackWebhookRequest,
  SourceStatusNotification,
  WatchAlertNotification,
  type SourceStatus,
} from '../../server/src/protocol/customRequests';
import type { CredentialStore } from './credentials';
import { EVENT_FILE_PATTERN } from './eventFiles';

export interface LanguageClientHooks {
  credentials: CredentialStore;
  onSourceStatus(sources: SourceStatus[]): void;
  onSendProgress(progress: { uri: string; message: string; percent: number }): void;
  onWatchAlert(alert: { uri: string; queryIndex: number; title: string; text: string; kind: string }): void;
  /** The Slack webhook URL from SecretStorage, for watch alerts. */
  slackWebhook(): Promise<{ url: string } | null>;
  outputChannel: vscode.LogOutputChannel;
}

export function createLanguageClient(context: vscode.ExtensionContext, hooks: LanguageClientHooks): LanguageClient {
  const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath;
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const documentSelector = [
    ...['file', 'untitled'].flatMap((scheme) => [
      { scheme, language: 'aq' },
      { scheme, language: 'jql' },
    ]),
    // Event files to send are JSON; the server lints them against the source's schema.
    { scheme: 'file', pattern: EVENT_FILE_PATTERN },
  ];
  const clientOptions: LanguageClientOptions = {
    documentSelector,
    outputChannel: hooks.outputChannel,
    // The server runs no query in an untrusted workspace; it learns the trust state here and the
    // client restarts it when trust is granted.
    initializationOptions: { trusted: vscode.workspace.isTrusted },
    synchronize: { configurationSection: 'aq' },
  };
  const client = new LanguageClient('aq', 'aq language server', serverOptions, clientOptions);
  client.onRequest(CredentialsRequest, (params) => hooks.credentials.answer(params));
  client.onNotification(SourceStatusNotification, (params) => hooks.onSourceStatus(params.sources));
  client.onNotification(SendProgressNotification, (params) => hooks.onSendProgress(params));
  client.onNotification(WatchAlertNotification, (params) => hooks.onWatchAlert(params));
  client.onRequest(SlackWebhookRequest, () => hooks.slackWebhook());
  return client;
}
