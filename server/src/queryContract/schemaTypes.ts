/**
 * The schema the language core checks queries against and the engine fetches or derives: events,
 * their properties and profile properties, normalised from Lexicon or a backend's own listing.
 */

import type { PiwikColumnCatalog } from './piwikColumns';

/** Value types a property can have, normalised from Lexicon's JSON Schema types. */
export type PropertyType = 'string' | 'number' | 'boolean' | 'datetime' | 'list' | 'object' | 'unknown';

/** One event or profile property. */
export interface PropertySchema {
  name: string;
  type: PropertyType;
  description?: string;
  displayName?: string;
  /** A few known values, most common first (from Lexicon `examples` or derived from data). */
  examples?: Array<string | number | boolean>;
  hidden?: boolean;
  dropped?: boolean;
}

/** One event and the properties it carries. */
export interface EventSchema {
  name: string;
  description?: string;
  displayName?: string;
  tags?: string[];
  /** Hidden from Mixpanel's menus but still ingested. */
  hidden?: boolean;
  /** Dropped (blocked) at ingestion: queries on it return nothing. */
  dropped?: boolean;
  /** Events seen in the period the schema was built from, where known. */
  volume?: number;
  properties: Record<string, PropertySchema>;
}

/** Where a schema came from, for the "schema age" shown to the user. */
export interface SchemaOrigin {
  kind: 'file' | 'lexicon' | 'listing' | 'derived';
  /** A human-readable label: a file path, "Lexicon (project 123)", … */
  label: string;
  /** ISO timestamp of when it was fetched or derived. */
  fetchedAt?: string;
}

/**
 * A backend-independent schema. Event and property names are exact (case-sensitive), as in
 * Mixpanel. Build one with `schemaFromLexicon` (lexiconSchema.ts) or a backend's own converter.
 */
export interface AnalyticsSchema {
  events: Record<string, EventSchema>;
  /** Profile (`user["…"]`) properties. */
  userProperties: Record<string, PropertySchema>;
  origin?: SchemaOrigin;
  /** Piwik PRO sources: the report columns (dimensions and metrics) listed for the source's website. */
  piwikColumns?: PiwikColumnCatalog;
}

/** `record[key]` for own keys only, so names like "constructor" are not found on the prototype. */
export function getOwn<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** `record[key] = value`, safe for the key "__proto__". */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
