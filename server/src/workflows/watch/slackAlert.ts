/**
 * Watch alerts as Slack messages, posted to an incoming webhook (docs/api-notes.md, "Slack incoming webhooks"). Text that came from
 * the tracked site (URLs, error messages, raw requests) is escaped for Slack's mrkdwn, where `<`,
 * `>` and `&` are control characters: unescaped, `<!channel>` in a tracked URL would ping everyone.
 * The webhook URL is a secret (whoever has it can post): it never appears in an error or a log.
 */
import { BackendError, isBackendError } from '../../queryEngine/backendErrors';
import type { HttpClient } from '../../queryEngine/httpClient';
import { describeAlert, type EventAlert, type WatchAlert } from './brokenEventWatcher';

/** The CLI reads the webhook from here; the editor keeps it in its secret storage. */
export const SLACK_WEBHOOK_ENV = 'AQ_SLACK_WEBHOOK_URL';

export interface SlackMessage {
  text: string;
}

/** What the message says the alert is about. */
export interface SlackAlertContext {
  queryTitle: string;
  sourceName: string;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inside a ``` block a backtick run would end the block early; a look-alike keeps the text readable. */
function escapeCodeBlock(text: string): string {
  return escapeSlackText(text).replace(/`/g, 'ˋ');
}

export function formatSlackMessage(alert: WatchAlert, context: SlackAlertContext): SlackMessage {
  const where = `${escapeSlackText(context.queryTitle)} (Piwik PRO source ${escapeSlackText(context.sourceName)})`;
  switch (alert.kind) {
    case 'event':
      return { text: `*aq watch alert*: ${escapeSlackText(alert.eventType.label)} found in ${where}.\n${eventLines(alert)}` };
    case 'summary': {
      const types = Object.entries(alert.byType)
        .map(([label, count]) => `${count} ${escapeSlackText(label)}`)
        .join(', ');
      const examples = alert.examples.map((example) => `• ${eventLines(example).replace(/\n/g, '\n   ')}`).join('\n');
      return { text: `*aq watch alert*: ${alert.count} new events in ${where} (${types}). First ${alert.examples.length}:\n${examples}` };
    }
    case 'pollFailed':
    case 'recovered':
      return { text: `*aq watch*: ${where}: ${escapeSlackText(describeAlert(alert))}` };
  }
}

function eventLines(alert: EventAlert): string {
  const lines = [
    `_Message_: ${escapeSlackText(alert.message ?? 'no error message')}`,
    `_Event_: ${escapeSlackText(alert.eventId)} at ${escapeSlackText(alert.serverTime)} UTC, session ${escapeSlackText(alert.sessionId)}`,
  ];
  if (alert.entryUrl) lines.push(`_Entry URL_: ${escapeSlackText(alert.entryUrl)}`);
  if (alert.logExcerpt) lines.push(`\`\`\`${escapeCodeBlock(alert.logExcerpt)}\`\`\``);
  return lines.join('\n');
}

export interface PostSlackOptions {
  http: HttpClient;
  signal: AbortSignal;
  timeoutMs?: number;
}

/**
 * Posts one message. Rejects with a BackendError whose message names Slack's error string
 * (`channel_not_found`, …) but never the webhook URL.
 */
/**
 * Why a webhook URL cannot be used, or undefined. The path is the secret, so it goes over https
 * only; plain http is accepted for a loopback address alone (a local relay), where it never
 * crosses a network.
 */
export function slackWebhookProblem(webhookUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(webhookUrl);
  } catch {
    return `${SLACK_WEBHOOK_ENV} must be an https:// incoming-webhook URL.`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return undefined;
  return `${SLACK_WEBHOOK_ENV} must be an https:// incoming-webhook URL (plain http would send the webhook's secret path over the network in the clear; only a loopback address may use http).`;
}

export async function postSlackMessage(webhookUrl: string, message: SlackMessage, options: PostSlackOptions): Promise<void> {
  const problem = slackWebhookProblem(webhookUrl);
  if (problem) throw new BackendError('config', problem);
  let status: number;
  let body: string;
  try {
    const response = await options.http.send(
      {
        method: 'POST',
        url: webhookUrl,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
        secrets: { secretUrls: [webhookUrl] },
      },
      { signal: options.signal, timeoutMs: options.timeoutMs ?? 15_000, maxBytes: 64 * 1024 },
    );
    status = response.status;
    body = response.body;
  } catch (error) {
    // httpClient names only the host; the path is the secret part of a webhook URL.
    throw isBackendError(error) ? new BackendError(error.kind, `Posting the Slack alert failed: ${error.message}`) : error;
  }
  if (status >= 200 && status < 300) return;
  const reason = /^[a-z_]{1,60}$/.test(body.trim()) ? body.trim() : 'no reason given';
  const kind = status === 429 ? 'rateLimited' : status >= 500 ? 'server' : status === 403 || status === 404 || status === 410 ? 'auth' : 'badRequest';
  throw new BackendError(kind, `Slack rejected the alert (HTTP ${status}: ${reason}).`, { status });
}
