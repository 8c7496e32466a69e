/**
 * A schema as an agent reads it through `get_schema`: pages of events (or of one event's
 * properties, or of profile properties), searched by name and description. A Mixpanel project can
 * have 10,000 events; a page is bounded so one answer never floods the agent's context, and says
 * where the next page starts.
 */
import { normalizeName, suggestNames } from '../languageService/nameMatching';
import { findEvent, sortedEvents } from '../languageService/schemaNames';
import type { AnalyticsSchema, EventSchema, PropertySchema } from '../queryContract/schemaTypes';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** Top values shown per property: enough to write a `where`, not a data dump. */
const MAX_TOP_VALUES = 10;
/** A description longer than this is cut: a page of 200 events must stay readable. */
const MAX_DESCRIPTION = 300;

export interface PageRequest {
  search?: string;
  offset?: number;
  limit?: number;
}

export interface Page<T> {
  /** How many entries match the search (all of them without one). */
  matched: number;
  offset: number;
  items: T[];
  /** Where the next page starts; absent on the last page. */
  nextOffset?: number;
}

export interface EventSummary {
  name: string;
  description?: string;
  /** Events seen in the period the schema was built from, where the source knows it. */
  volume?: number;
  propertyCount: number;
  hidden?: boolean;
  dropped?: boolean;
}

export interface PropertySummary {
  name: string;
  type: PropertySchema['type'];
  description?: string;
  /** Known values, most common first. */
  topValues?: Array<string | number | boolean>;
  hidden?: boolean;
  dropped?: boolean;
}

export interface EventDetail {
  name: string;
  description?: string;
  volume?: number;
  tags?: string[];
  hidden?: boolean;
  dropped?: boolean;
}

/** A page of the schema's events, best first (visible, then by volume, then by name), or those matching `search` best match first. */
export function eventPage(schema: AnalyticsSchema, request: PageRequest): Page<EventSummary> {
  const events = sortedEvents(schema);
  const matching = request.search ? searchEntries(events, request.search) : events;
  return page(matching, request, summarizeEvent);
}

/** A page of one event's properties; undefined when the schema has no such event. */
export function eventPropertyPage(
  schema: AnalyticsSchema,
  eventName: string,
  request: PageRequest,
): { event: EventDetail; properties: Page<PropertySummary> } | undefined {
  const event = findEvent(schema, eventName);
  if (!event) return undefined;
  return { event: eventDetail(event), properties: propertyPage(Object.values(event.properties ?? {}), request) };
}

/** A page of the profile (`user["…"]`) properties. */
export function userPropertyPage(schema: AnalyticsSchema, request: PageRequest): Page<PropertySummary> {
  return propertyPage(Object.values(schema.userProperties), request);
}

/** Event names close to a misspelt one, for "no event named X; did you mean …". */
export function similarEventNames(schema: AnalyticsSchema, name: string): string[] {
  return suggestNames(name, Object.keys(schema.events), 3);
}

function propertyPage(properties: readonly PropertySchema[], request: PageRequest): Page<PropertySummary> {
  const sorted = [...properties].sort((a, b) => rank(a) - rank(b) || compareNames(a.name, b.name));
  const matching = request.search ? searchEntries(sorted, request.search) : sorted;
  return page(matching, request, summarizeProperty);
}

/** Visible names before hidden and dropped ones, which a query rarely wants. */
function rank(entry: { hidden?: boolean; dropped?: boolean }): number {
  return entry.hidden || entry.dropped ? 1 : 0;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function page<E, T>(entries: readonly E[], request: PageRequest, summarize: (entry: E) => T): Page<T> {
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(request.limit ?? DEFAULT_PAGE_SIZE)));
  const offset = Math.max(0, Math.floor(request.offset ?? 0));
  const items = entries.slice(offset, offset + limit).map(summarize);
  const next = offset + limit;
  return { matched: entries.length, offset, items, ...(next < entries.length ? { nextOffset: next } : {}) };
}

/**
 * The entries that match `search`, best first: the name itself, names starting with it, names
 * containing it, names containing every word of it, descriptions containing it (all ignoring case,
 * spaces, `_`, `-` and `.`); when none does, the names a typo away.
 */
function searchEntries<E extends { name: string; displayName?: string; description?: string }>(entries: readonly E[], search: string): E[] {
  const wanted = normalizeName(search);
  const words = search
    .toLowerCase()
    .split(/[\s_\-.]+/)
    .filter((word) => word !== '');
  if (wanted === '') return [...entries];
  const scored: Array<{ entry: E; score: number; order: number }> = [];
  entries.forEach((entry, order) => {
    const name = normalizeName(entry.name);
    const display = entry.displayName ? normalizeName(entry.displayName) : '';
    const text = `${entry.name} ${entry.displayName ?? ''}`.toLowerCase();
    const description = (entry.description ?? '').toLowerCase();
    let score: number | undefined;
    if (name === wanted || display === wanted) score = 0;
    else if (name.startsWith(wanted) || display.startsWith(wanted)) score = 1;
    else if (name.includes(wanted) || display.includes(wanted)) score = 2;
    else if (words.length > 1 && words.every((word) => text.includes(word))) score = 3;
    else if (description.includes(search.toLowerCase()) || (words.length > 0 && words.every((word) => description.includes(word)))) score = 4;
    if (score !== undefined) scored.push({ entry, score, order });
  });
  if (scored.length === 0) {
    // Nothing contains the words: the names a typo away, as "did you mean" would offer them.
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    suggestNames(search, byName.keys(), 5).forEach((suggestion, order) => scored.push({ entry: byName.get(suggestion)!, score: 5, order }));
  }
  return scored.sort((a, b) => a.score - b.score || a.order - b.order).map((hit) => hit.entry);
}

function summarizeEvent(event: EventSchema): EventSummary {
  return {
    name: event.name,
    ...optional('description', clip(event.description)),
    ...optional('volume', event.volume),
    propertyCount: Object.keys(event.properties ?? {}).length,
    ...(event.hidden ? { hidden: true } : {}),
    ...(event.dropped ? { dropped: true } : {}),
  };
}

function eventDetail(event: EventSchema): EventDetail {
  return {
    name: event.name,
    ...optional('description', event.description),
    ...optional('volume', event.volume),
    ...(event.tags && event.tags.length > 0 ? { tags: event.tags } : {}),
    ...(event.hidden ? { hidden: true } : {}),
    ...(event.dropped ? { dropped: true } : {}),
  };
}

function summarizeProperty(property: PropertySchema): PropertySummary {
  return {
    name: property.name,
    type: property.type,
    ...optional('description', clip(property.description)),
    ...(property.examples && property.examples.length > 0 ? { topValues: property.examples.slice(0, MAX_TOP_VALUES) } : {}),
    ...(property.hidden ? { hidden: true } : {}),
    ...(property.dropped ? { dropped: true } : {}),
  };
}

function clip(text: string | undefined): string | undefined {
  if (text === undefined || text.length <= MAX_DESCRIPTION) return text;
  return `${text.slice(0, MAX_DESCRIPTION - 1)}…`;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
