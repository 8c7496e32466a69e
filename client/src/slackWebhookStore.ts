/** The Slack incoming webhook watch alerts also go to, kept in the editor's secret storage only. */
import type * as vscode from 'vscode';

export const SLACK_WEBHOOK_SECRET_KEY = 'aq.slackWebhookUrl';

/** What an incoming-webhook URL looks like. */
export const SLACK_WEBHOOK_PATTERN = /^https:\/\/hooks\.slack\.com\/services\/\S+$/;

/** What the server's `aq/slackWebhook` request is answered with. */
export async function slackWebhookAnswer(secrets: vscode.SecretStorage): Promise<{ url: string } | null> {
  const url = await secrets.get(SLACK_WEBHOOK_SECRET_KEY);
  return url ? { url } : null;
}
