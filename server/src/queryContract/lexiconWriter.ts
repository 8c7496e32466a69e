/**
 * Writes an `AnalyticsSchema` as a Lexicon file: the body Mixpanel's Lexicon Schemas API returns
 * (`{ "results": [{ "entityType", "name", "schemaJson": { "description", "properties" } }] }`),
 * which lexiconSchema.ts reads back. Everything is sorted (entries by kind then name, properties by
 * name, keys in one fixed order) and nothing that changes with the data's volume is written, so
 * the file of an unchanged source is byte-identical from one pull to the next and a review diff
 * shows only what changed.
 */
import { USER_PROFILE_SCHEMA_NAME } from './lexiconSchema';
import type { AnalyticsSchema, EventSchema, PropertySchema, PropertyType } from './schemaTypes';

/** One property as Lexicon writes it: a JSON Schema node. */
export interface LexiconProperty {
  type?: string;
  format?: string;
  description?: string;
  examples?: Array<string | number | boolean>;
  metadata?: { 'com.mixpanel': LexiconMetadata };
}

interface LexiconMetadata {
  displayName?: string;
  tags?: string[];
  hidden?: boolean;
  dropped?: boolean;
}

export interface LexiconEntry {
  entityType: 'event' | 'profile';
  name: string;
  schemaJson: {
    description: string;
    properties: Record<string, LexiconProperty>;
    metadata?: { 'com.mixpanel': LexiconMetadata };
  };
}

export interface LexiconFile {
  results: LexiconEntry[];
}

/**
 * The JSON Schema `type` (and `format`) Lexicon uses for each of our types. A type we could not
 * tell (a property whose values were all null, or one only listed by name) gets no `type`, which
 * JSON Schema reads as "any" and our reader as unknown, so it round-trips.
 */
const LEXICON_TYPES: Record<Exclude<PropertyType, 'unknown'>, { type: string; format?: string }> = {
  string: { type: 'string' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  datetime: { type: 'string', format: 'date-time' },
  list: { type: 'array' },
  object: { type: 'object' },
};

/**
 * The word a drift report uses for a type: the JSON Schema `type` a Lexicon file holds, except that
 * a date is named by its `format` (`date-time`), as Mixpanel counts dates as a type of their own.
 */
export function lexiconTypeName(type: PropertyType): string | undefined {
  if (type === 'unknown') return undefined;
  return type === 'datetime' ? 'date-time' : LEXICON_TYPES[type].type;
}

/** Code-point order, so the file sorts the same on every machine whatever its locale. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function metadataOf(item: Pick<EventSchema, 'displayName' | 'hidden' | 'dropped'> & { tags?: string[] }): { 'com.mixpanel': LexiconMetadata } | undefined {
  const metadata: LexiconMetadata = {};
  if (item.displayName) metadata.displayName = item.displayName;
  if (item.tags && item.tags.length > 0) metadata.tags = [...item.tags];
  if (item.hidden) metadata.hidden = true;
  if (item.dropped) metadata.dropped = true;
  return Object.keys(metadata).length > 0 ? { 'com.mixpanel': metadata } : undefined;
}

function lexiconProperty(property: PropertySchema): LexiconProperty {
  const node: LexiconProperty = {};
  if (property.type !== 'unknown') {
    const { type, format } = LEXICON_TYPES[property.type];
    node.type = type;
    if (format) node.format = format;
  }
  if (property.description) node.description = property.description;
  if (property.examples && property.examples.length > 0) node.examples = [...property.examples];
  const metadata = metadataOf(property);
  if (metadata) node.metadata = metadata;
  return node;
}

function lexiconProperties(properties: Record<string, PropertySchema>): Record<string, LexiconProperty> {
  const written: Record<string, LexiconProperty> = {};
  for (const name of Object.keys(properties).sort(byCodePoint)) {
    Object.defineProperty(written, name, { value: lexiconProperty(properties[name]), enumerable: true, writable: true, configurable: true });
  }
  return written;
}

/** The schema as a Lexicon list body, sorted: events by name, then the `$user` profile when it has properties. */
export function schemaToLexicon(schema: AnalyticsSchema): LexiconFile {
  const results: LexiconEntry[] = [];
  for (const name of Object.keys(schema.events).sort(byCodePoint)) {
    const event = schema.events[name];
    const entry: LexiconEntry = {
      entityType: 'event',
      name,
      schemaJson: { description: event.description ?? '', properties: lexiconProperties(event.properties) },
    };
    const metadata = metadataOf(event);
    if (metadata) entry.schemaJson.metadata = metadata;
    results.push(entry);
  }
  if (Object.keys(schema.userProperties).length > 0) {
    results.push({
      entityType: 'profile',
      name: USER_PROFILE_SCHEMA_NAME,
      schemaJson: { description: '', properties: lexiconProperties(schema.userProperties) },
    });
  }
  return { results };
}

/** The Lexicon file's text: two-space indented JSON with a final newline, as editors and formatters leave it. */
export function lexiconFileText(schema: AnalyticsSchema): string {
  return `${JSON.stringify(schemaToLexicon(schema), null, 2)}\n`;
}
