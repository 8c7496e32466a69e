/** Set and Clear the Slack webhook for watch alerts. */
import * as vscode from 'vscode';
import type { ExtensionState } from '../extensionState';
import { SLACK_WEBHOOK_PATTERN, SLACK_WEBHOOK_SECRET_KEY } from '../slackWebhookStore';

export async function setSlackWebhook(state: ExtensionState): Promise<void> {
  const url = await vscode.window.showInputBox({
    title: 'aq: Slack incoming webhook for watch alerts',
    prompt: "Stored in the editor's secret storage, never in settings or logs.",
    placeHolder: 'https://hooks.slack.com/services/T…/B…/…',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (SLACK_WEBHOOK_PATTERN.test(value.trim()) ? undefined : 'An incoming-webhook URL starts with https://hooks.slack.com/services/'),
  });
  if (!url) return;
  await state.context.secrets.store(SLACK_WEBHOOK_SECRET_KEY, url.trim());
  void vscode.window.setStatusBarMessage('aq: watch alerts will also go to Slack', 3000);
}

export async function clearSlackWebhook(state: ExtensionState): Promise<void> {
  await state.context.secrets.delete(SLACK_WEBHOOK_SECRET_KEY);
  void vscode.window.setStatusBarMessage('aq: the Slack webhook is removed', 3000);
}
