/**
 * Turns a failed request into one notification with the action that fixes it, per
 * BackendErrorData.kind: auth → Set Credentials, region → Switch Region, a bad request →
 * Refresh Schema, rate limits and network trouble → Retry.
 */
import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';
import { AqErrorCode, type BackendErrorData } from '../../server/src/protocol/customRequests';
import { CommandId } from './commands/commandIds';
import { ExtensionConfig } from './config';

export interface FailureContext {
  /** What was being done, for the message: "Running 'Signups'". */
  action: string;
  retry?: () => void;
}

/** The error's message and backend data, whatever was thrown. */
export function describeFailure(error: unknown): { message: string; data: BackendErrorData | undefined; cancelled: boolean } {
  if (error instanceof ResponseError) {
    const data = error.code === AqErrorCode.backend && isBackendErrorData(error.data) ? error.data : undefined;
    const cancelled = error.code === LSPErrorCodes.RequestCancelled || data?.kind === 'cancelled';
    return { message: data?.hint ? `${error.message} ${data.hint}` : error.message, data, cancelled };
  }
  return { message: error instanceof Error ? error.message : String(error), data: undefined, cancelled: false };
}

function isBackendErrorData(value: unknown): value is BackendErrorData {
  return typeof value === 'object' && value !== null && typeof (value as BackendErrorData).kind === 'string';
}

export async function showFailure(error: unknown, context: FailureContext): Promise<void> {
  const { message, data } = describeFailure(error);
  const actions = new Map<string, () => unknown>();
  switch (data?.kind) {
    case 'auth':
      actions.set('Set Credentials', () => vscode.commands.executeCommand(CommandId.setCredentials, data.sourceName));
      break;
    case 'region':
      if (data.sourceName) {
        const sourceName = data.sourceName;
        actions.set('Switch Region', () => switchRegion(sourceName));
      }
      break;
    case 'badRequest':
      actions.set('Refresh Schema', () => vscode.commands.executeCommand(CommandId.refreshSchema, data.sourceName));
      break;
    case 'rateLimited':
    case 'network':
    case 'timeout':
    case 'server':
      if (context.retry) actions.set('Retry', context.retry);
      break;
    case 'config':
      actions.set('Add Source', () => vscode.commands.executeCommand(CommandId.selectSource));
      break;
  }
  const wait = data?.kind === 'rateLimited' && data.retryAfterMs ? ` Mixpanel allows the next query in ${Math.ceil(data.retryAfterMs / 1000)} s.` : '';
  const choice = await vscode.window.showErrorMessage(`${context.action} failed: ${message}${wait}`, ...actions.keys());
  if (choice) await actions.get(choice)?.();
}

/** Sets the region of a Mixpanel source defined in user settings; aq.json sources are edited by hand. */
async function switchRegion(sourceName: string): Promise<void> {
  const userSources = ExtensionConfig.userSources();
  const source = userSources[sourceName];
  if (typeof source !== 'object' || source === null) {
    const open = await vscode.window.showInformationMessage(
      `'${sourceName}' is not defined in your user settings. Set its "region" (US, EU or IN) where it is defined, usually the workspace's aq.json.`,
      'Open aq.json',
    );
    if (open) {
      const [file] = await vscode.workspace.findFiles('**/aq.json', '**/node_modules/**', 1);
      if (file) await vscode.window.showTextDocument(file);
    }
    return;
  }
  const current = (source as { region?: unknown }).region;
  const region = await vscode.window.showQuickPick(
    ['US', 'EU', 'IN'].map((label) => ({ label, description: label === current ? 'current' : undefined })),
    { title: `Data residency region of '${sourceName}'`, placeHolder: 'The region your Mixpanel project stores its data in' },
  );
  if (!region) return;
  await ExtensionConfig.updateUserSources({ ...userSources, [sourceName]: { ...(source as object), region: region.label } });
  void vscode.window.showInformationMessage(`'${sourceName}' now uses the ${region.label} region. Run the query again.`);
}
