/**
 * The Raw Export API (`GET /api/2.0/export` on the region's data host, docs/api-notes.md "Mixpanel
 * raw event export"): the request for one day, and the error an answer other than 200 becomes,
 * with the fix a user can apply (credentials, project id, region, the filter).
 */
import type { Credentials, MixpanelRegion, MixpanelSourceConfig } from '../../sourceConfig';
import { BackendError } from '../../backendErrors';
import { envPrefixFor } from '../../credentialsFromEnv';
import { applyBaseUrlOverride, buildUrl, type HttpRequest } from '../../httpClient';
import { parseRetryAfter } from '../../requestQueue';
import { mixpanelHosts } from './mixpanelHosts';
import { maskCredentials } from '../../credentialMasking';

export const EXPORT_PATH = '/api/2.0/export';

/** What narrows an export: event names and a segmentation expression, as Mixpanel takes them. */
export interface ExportFilter {
  events?: readonly string[];
  where?: string;
}

/** The query parameters of the export of one day, in the order they are sent (and recorded). */
export function exportParameters(source: MixpanelSourceConfig, day: string, filter: ExportFilter): Record<string, string> {
  const parameters: Record<string, string> = { project_id: String(source.projectId), from_date: day, to_date: day };
  if (filter.events && filter.events.length > 0) parameters.event = JSON.stringify(filter.events);
  if (filter.where) parameters.where = filter.where;
  return parameters;
}

export function exportRequest(
  source: MixpanelSourceConfig,
  parameters: Record<string, string>,
  credentials: Credentials,
  baseUrlOverride: string | undefined,
): HttpRequest {
  const url = applyBaseUrlOverride(buildUrl(mixpanelHosts(source.region).export, EXPORT_PATH, parameters), baseUrlOverride);
  return {
    method: 'GET',
    url,
    headers: { accept: 'text/plain', 'accept-encoding': 'gzip' },
    auth: credentials.username
      ? { kind: 'basic', username: credentials.username, password: credentials.secret ?? '' }
      : { kind: 'basic', username: credentials.secret ?? '', password: '' },
  };
}

const OTHER_REGIONS: Record<MixpanelRegion, string> = { US: 'EU or IN', EU: 'US or IN', IN: 'US or EU' };

/** The error an export answer with a status other than 200 becomes; `body` is its first few KB. */
export function exportError(
  source: MixpanelSourceConfig,
  status: number,
  body: string,
  retryAfter: string | undefined,
  credentials: Credentials,
): BackendError {
  const detail = errorText(maskCredentials(body, { credentials }));
  const { name, projectId, region } = source;
  const project = `project ${projectId}`;
  const said = detail ? ` Mixpanel said: "${detail}"` : '';
  const prefix = envPrefixFor(name);
  const credentialsHint = `Run "aq: Set Credentials" in the editor, or set ${prefix}USERNAME and ${prefix}SECRET (a Mixpanel service account) for the CLI.`;
  if (status >= 400 && status < 500 && /cluster/i.test(detail)) {
    return new BackendError(
      'region',
      `Mixpanel's ${region} export servers do not hold ${project}: it may live in the ${OTHER_REGIONS[region]} region. Set "region" of source "${name}" in aq.json (US, EU or IN).${said}`,
      {
        status,
        hint: `Project Settings → Data Residency in Mixpanel shows the region.`,
      },
    );
  }
  switch (status) {
    case 401:
      return new BackendError(
        'auth',
        `Mixpanel rejected the credentials of source "${name}" (HTTP 401). Check the service account's username and secret, that it has not expired, and that it belongs to ${project}.${said}`,
        { status, hint: credentialsHint },
      );
    case 403:
      return new BackendError(
        'auth',
        `The service account of source "${name}" may not export ${project}'s events (HTTP 403). Give it the Analyst role or higher on the project, and check "projectId" in aq.json.${said}`,
        {
          status,
          hint: credentialsHint,
        },
      );
    case 402:
      return new BackendError('plan', `Mixpanel answered 402 Payment Required for ${project}: its plan does not include the raw export.${said}`, { status });
    case 404:
      return new BackendError('notFound', `Mixpanel does not know ${project} (HTTP 404). Check "projectId" of source "${name}" in aq.json.${said}`, { status });
    case 429: {
      const retryAfterMs = parseRetryAfter(retryAfter);
      return new BackendError('rateLimited', `Mixpanel's export limit for ${project} was reached (60 requests an hour, 3 a second).${said}`, {
        status,
        retryAfterMs,
      });
    }
  }
  if (status >= 500) return new BackendError('server', `Mixpanel's export answered HTTP ${status}.${said}`, { status });
  return new BackendError(
    'badRequest',
    `Mixpanel rejected the export request (HTTP ${status}). Check --event and --where, and "projectId" of source "${name}" in aq.json.${said}`,
    { status },
  );
}

function errorText(body: string): string {
  const trimmed = body.trim();
  if (!trimmed) return '';
  try {
    const json = JSON.parse(trimmed) as { error?: unknown; message?: unknown };
    const text = typeof json?.error === 'string' ? json.error : typeof json?.message === 'string' ? json.message : undefined;
    if (text) return clip(text);
  } catch {
    // Plain text below.
  }
  return clip(trimmed);
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
}
