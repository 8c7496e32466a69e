/** How schema entries, query kinds and sources are described to the user (completion details and hovers alike). */
import type { AnalyticsSchema, EventSchema, PropertySchema } from './analyticsTypes';
import { isMixpanelDefaultEventProperty } from './mixpanelDefaultProperties';
import type { QueryKind, SourceKind } from './parser/queryAst';
import { eventPropertyScope, findEvent, userPropertyScope } from './schemaNames';

/** One line per query kind, for completion and hover. */
export const QUERY_KIND_DESCRIPTIONS: Record<QueryKind, string> = {
  segmentation: 'Count an event over time, optionally segmented: `segmentation "Sign Up"`.',
  funnel: 'Conversion through steps: `funnel "A" -> "B"`, or a saved funnel: `funnel id 7125032`.',
  insights: 'A saved Insights report: `insights id 44012`.',
  retention: 'Users who came back: `retention "Sign Up" -> "Purchase"`.',
  jql: 'Run a JQL script: `jql "queries/top-browsers.jql"`.',
  debugger: 'Piwik PRO Tracker Debugger sessions: `debugger "<app id>"`.',
  report: 'A Piwik PRO custom report (Analytics Query API): `report "<website id>"` with `dimensions` and `metrics`.',
};

/** One line per source kind, for completion and hover. */
export const SOURCE_DESCRIPTIONS: Record<SourceKind, string> = {
  mixpanel: 'A Mixpanel project configured in aq.json or settings: `use mixpanel "shop"`.',
  piwik: 'A Piwik PRO account configured in aq.json or settings: `use piwik "site"`.',
  local: 'An exported events file (JSON/NDJSON) read offline: `use local "data/events.ndjson"`.',
};

/** `12345` → `12,345`. Hand-rolled: `toLocaleString` costs too much across 10,000 events. */
export function formatCount(value: number): string {
  const [whole, fraction] = String(Math.abs(value)).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${value < 0 ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`;
}

export function eventDocumentation(event: EventSchema): string {
  const lines: string[] = [];
  if (event.displayName && event.displayName !== event.name) lines.push(`*${event.displayName}*`);
  if (event.description) lines.push(event.description);
  const facts: string[] = [];
  if (event.volume !== undefined) facts.push(`${formatCount(event.volume)} events`);
  facts.push(`${Object.keys(event.properties ?? {}).length} properties`);
  if (event.tags && event.tags.length > 0) facts.push(`tags: ${event.tags.join(', ')}`);
  lines.push(facts.join(' · '));
  if (event.dropped) lines.push('**Dropped** at ingestion: queries on it return nothing.');
  else if (event.hidden) lines.push('**Hidden** in Lexicon: it may be deprecated.');
  return lines.join('\n\n');
}

export function propertyDocumentation(property: PropertySchema, isDefault: boolean): string {
  const lines: string[] = [];
  if (property.displayName && property.displayName !== property.name) lines.push(`*${property.displayName}*`);
  if (property.description) lines.push(property.description);
  lines.push(`Type: ${property.type}${isDefault ? ' · Mixpanel default property' : ''}`);
  if (property.examples && property.examples.length > 0)
    lines.push(
      `Examples: ${property.examples
        .slice(0, 5)
        .map((v) => `\`${JSON.stringify(v)}\``)
        .join(', ')}`,
    );
  if (property.dropped) lines.push('**Dropped** at ingestion: it has no values.');
  else if (property.hidden) lines.push('**Hidden** in Lexicon: it may be deprecated.');
  return lines.join('\n\n');
}

/** Markdown for an event of `schema` (or a note that it is unknown). */
export function eventHoverMarkdown(name: string, schema: AnalyticsSchema): string {
  const event = findEvent(schema, name);
  if (!event) return `**${name}** — event not in the schema${schema.origin ? ` (${schema.origin.label})` : ''}.`;
  return `**${event.name}** (event)\n\n${eventDocumentation(event)}`;
}

/** Markdown for an event property (`user` false) or a profile property, or undefined when unknown. */
export function propertyHoverMarkdown(name: string, isUser: boolean, schema: AnalyticsSchema, events: readonly string[]): string | undefined {
  const scope = isUser ? userPropertyScope(schema) : eventPropertyScope(schema, events);
  const property = scope.lookup(name);
  if (!property) return undefined;
  const isDefault = !isUser && !scope.own.some((p) => p.name === name) && isMixpanelDefaultEventProperty(name);
  const on = !isUser && events.length > 0 ? ` on ${events.map((e) => JSON.stringify(e)).join(', ')}` : '';
  return `**${name}** (${isUser ? 'user property' : 'event property'}${on})\n\n${propertyDocumentation(property, isDefault)}`;
}
