/**
 * A Mixpanel project's schema for completion and lint: the Lexicon Schemas API when the service
 * account may read it (docs/api-notes.md), else the listing endpoints `/events/names` and
 * `/events/properties/top`. The listing costs one request per event against the hourly
 * budget, so only the top events get their properties; values are looked up on demand.
 */
import type { AnalyticsSchema, EventSchema, PropertySchema } from '../../../queryContract/schemaTypes';
import type { MixpanelSourceConfig } from '../../analyticsBackend';
import { isBackendError } from '../../backendErrors';
import { schemaFromLexicon } from '../../../queryContract/lexiconSchema';
import { projectParams, type MixpanelCall } from './mixpanelQueryCompiler';

/** Sends one call and returns its parsed JSON body (errors already mapped to BackendErrors). */
export type CallMixpanel = (call: MixpanelCall) => Promise<unknown>;

export interface SchemaFetchOptions {
  /** Events whose properties are listed in the fallback; default 15. */
  propertyEvents?: number;
  /**
   * Lexicon or nothing: no fallback to the listing, which costs a request per event. Background
   * checks use it so they never spend more than one request of the hourly budget.
   */
  lexiconOnly?: boolean;
  now: () => Date;
}

export async function fetchMixpanelSchema(source: MixpanelSourceConfig, callMixpanel: CallMixpanel, options: SchemaFetchOptions): Promise<AnalyticsSchema> {
  const fetchedAt = options.now().toISOString();
  try {
    const lexicon = await callMixpanel({ method: 'GET', path: `/api/app/projects/${source.projectId}/schemas`, query: workspaceOnly(source), retryable: true });
    const schema = schemaFromLexicon(lexicon, { kind: 'lexicon', label: `Lexicon (project ${source.projectId})`, fetchedAt });
    if (options.lexiconOnly || Object.keys(schema.events).length > 0) return schema;
  } catch (error) {
    // 403/404: the service account may not read Lexicon (or the project has none); the listing still works.
    if (options.lexiconOnly || !isBackendError(error) || !(error.kind === 'notFound' || (error.kind === 'auth' && error.details.status === 403))) throw error;
  }
  return fetchListingSchema(source, callMixpanel, options, fetchedAt);
}

async function fetchListingSchema(
  source: MixpanelSourceConfig,
  callMixpanel: CallMixpanel,
  options: SchemaFetchOptions,
  fetchedAt: string,
): Promise<AnalyticsSchema> {
  const base = projectParams(source);
  const names = await callMixpanel({ method: 'GET', path: '/api/query/events/names', query: { ...base, type: 'general', limit: '255' }, retryable: true });
  const events: Record<string, EventSchema> = {};
  const eventNames = Array.isArray(names) ? names.filter((name): name is string => typeof name === 'string') : [];
  for (const name of eventNames) events[name] = { name, properties: {} };
  for (const name of eventNames.slice(0, options.propertyEvents ?? 15)) {
    const top = await callMixpanel({ method: 'GET', path: '/api/query/events/properties/top', query: { ...base, event: name, limit: '50' }, retryable: true });
    if (typeof top !== 'object' || top === null) continue;
    for (const [property, info] of Object.entries(top as Record<string, unknown>)) {
      const count = typeof (info as { count?: unknown })?.count === 'number' ? (info as { count: number }).count : undefined;
      const schema: PropertySchema = { name: property, type: 'unknown' };
      if (count !== undefined) schema.description = `Seen on ${count} events in the last 31 days.`;
      events[name].properties[property] = schema;
    }
  }
  return { events, userProperties: {}, origin: { kind: 'listing', label: `Mixpanel event listing (project ${source.projectId})`, fetchedAt } };
}

/** `/events/properties/values`: known values of one property, as strings, for completion. */
export async function fetchPropertyValues(
  source: MixpanelSourceConfig,
  callMixpanel: CallMixpanel,
  event: string,
  property: string,
  limit = 50,
): Promise<string[]> {
  const values = await callMixpanel({
    method: 'GET',
    path: '/api/query/events/properties/values',
    query: { ...projectParams(source), event, name: property, limit: String(limit) },
    retryable: true,
  });
  return Array.isArray(values) ? values.map(String) : [];
}

function workspaceOnly(source: MixpanelSourceConfig): Record<string, string> {
  return source.workspaceId !== undefined ? { workspace_id: String(source.workspaceId) } : {};
}
