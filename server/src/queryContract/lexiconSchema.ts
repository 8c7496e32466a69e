/**
 * Converts Mixpanel Lexicon Schemas API JSON (the body of `GET /api/app/projects/{id}/schemas`,
 * docs/api-notes.md) into the backend-independent `AnalyticsSchema`. The same JSON is the on-disk
 * tracking-plan format, so it must be read tolerantly: a hand-edited file with a few broken
 * entries still yields every entry that could be read.
 */
import { setOwn, type AnalyticsSchema, type EventSchema, type PropertySchema, type PropertyType, type SchemaOrigin } from './schemaTypes';

/** The `name` Lexicon gives the user-profile schema (`entityType: "profile"`). */
export const USER_PROFILE_SCHEMA_NAME = '$user';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The list of schema entries, from a list response, an upload body or a bare array. */
function entriesOf(json: unknown): unknown[] {
  if (Array.isArray(json)) return json;
  if (!isObject(json)) return [];
  if (Array.isArray(json.results)) return json.results;
  if (Array.isArray(json.entries)) return json.entries;
  // A single entry (`GET /schemas/{entityType}/{name}` returns one) is a list of one.
  if (isObject(json.results)) return [json.results];
  if (typeof json.entityType === 'string') return [json];
  return [];
}

function mixpanelMetadata(node: JsonObject): JsonObject {
  const metadata = node.metadata;
  if (!isObject(metadata)) return {};
  const mixpanel = metadata['com.mixpanel'];
  return isObject(mixpanel) ? mixpanel : {};
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** JSON Schema types to ours. `type` may be a list (`["string", "null"]`): the first non-null one wins. */
export function propertyTypeOf(node: JsonObject): PropertyType {
  const declared = Array.isArray(node.type) ? node.type.find((t) => t !== 'null') : node.type;
  switch (declared) {
    case 'integer':
    case 'number':
      return 'number';
    case 'string':
      return node.format === 'date-time' || node.format === 'date' ? 'datetime' : 'string';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'list';
    case 'object':
      return 'object';
    default:
      return 'unknown';
  }
}

function examplesOf(node: JsonObject): Array<string | number | boolean> | undefined {
  const raw = Array.isArray(node.examples) ? node.examples : Array.isArray(node.enum) ? node.enum : undefined;
  if (!raw) return undefined;
  const examples = raw.filter((v): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v));
  return examples.length > 0 ? examples : undefined;
}

function propertyFrom(name: string, node: unknown): PropertySchema {
  const schema: PropertySchema = { name, type: 'unknown' };
  if (!isObject(node)) return schema;
  schema.type = propertyTypeOf(node);
  const metadata = mixpanelMetadata(node);
  const description = optionalString(node.description);
  if (description) schema.description = description;
  const displayName = optionalString(metadata.displayName);
  if (displayName) schema.displayName = displayName;
  const examples = examplesOf(node);
  if (examples) schema.examples = examples;
  if (metadata.hidden === true) schema.hidden = true;
  if (metadata.dropped === true) schema.dropped = true;
  return schema;
}

function propertiesFrom(schemaJson: JsonObject): Record<string, PropertySchema> {
  const properties: Record<string, PropertySchema> = {};
  if (!isObject(schemaJson.properties)) return properties;
  for (const [name, node] of Object.entries(schemaJson.properties)) {
    setOwn(properties, name, propertyFrom(name, node));
  }
  return properties;
}

function eventFrom(name: string, schemaJson: JsonObject): EventSchema {
  const metadata = mixpanelMetadata(schemaJson);
  const event: EventSchema = { name, properties: propertiesFrom(schemaJson) };
  const description = optionalString(schemaJson.description);
  if (description) event.description = description;
  const displayName = optionalString(metadata.displayName);
  if (displayName) event.displayName = displayName;
  if (Array.isArray(metadata.tags)) {
    const tags = metadata.tags.filter((t): t is string => typeof t === 'string');
    if (tags.length > 0) event.tags = tags;
  }
  if (metadata.hidden === true) event.hidden = true;
  if (metadata.dropped === true) event.dropped = true;
  // Not part of Lexicon; tools that know a volume (derived schemas, exports) may write it here.
  const volume = metadata.volume ?? schemaJson['x-volume'];
  if (typeof volume === 'number' && Number.isFinite(volume)) event.volume = volume;
  return event;
}

/**
 * Reads a Lexicon Schemas API body (`{status, results: [SchemaEntry]}`), an upload body
 * (`{entries: [...]}`) or a bare array of entries. Never throws: entries that cannot be read are
 * skipped (`validateLexiconFile` reports them). Event entries become `events`; the `profile`
 * entry named `$user` becomes `userProperties`.
 */
export function schemaFromLexicon(json: unknown, origin?: SchemaOrigin): AnalyticsSchema {
  const schema: AnalyticsSchema = { events: {}, userProperties: {} };
  if (origin) schema.origin = origin;
  for (const entry of entriesOf(json)) {
    if (!isObject(entry) || typeof entry.name !== 'string' || entry.name.length === 0) continue;
    const schemaJson = isObject(entry.schemaJson) ? entry.schemaJson : {};
    if (entry.entityType === 'event') {
      setOwn(schema.events, entry.name, eventFrom(entry.name, schemaJson));
    } else if (entry.entityType === 'profile' && entry.name === USER_PROFILE_SCHEMA_NAME) {
      for (const [name, property] of Object.entries(propertiesFrom(schemaJson))) setOwn(schema.userProperties, name, property);
    }
  }
  return schema;
}

/** A problem in a Lexicon file, for `aq lint` on schema files and the "schema status" view. */
export interface LexiconProblem {
  /** Where in the parsed JSON, e.g. `results[3].schemaJson.properties.price.type`. */
  path: string;
  message: string;
}

const KNOWN_TYPES = new Set(['array', 'boolean', 'integer', 'null', 'number', 'object', 'string']);

/**
 * Lists what `schemaFromLexicon` had to skip or could not understand in `json`. An empty list
 * means every entry was read in full.
 */
export function validateLexiconFile(json: unknown): LexiconProblem[] {
  const problems: LexiconProblem[] = [];
  const listKey = Array.isArray(json) ? '' : isObject(json) && Array.isArray(json.entries) ? 'entries' : 'results';
  const entries = entriesOf(json);
  if (entries.length === 0) {
    const empty = Array.isArray(json) || (isObject(json) && (Array.isArray(json.results) || Array.isArray(json.entries)));
    if (!empty) problems.push({ path: '', message: 'Not a Lexicon schema file: expected {"results": [...]} or an array of schema entries.' });
    return problems;
  }
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const at = listKey ? `${listKey}[${index}]` : `[${index}]`;
    if (!isObject(entry)) {
      problems.push({ path: at, message: 'A schema entry must be an object.' });
      return;
    }
    if (typeof entry.name !== 'string' || entry.name.length === 0) {
      problems.push({ path: `${at}.name`, message: 'A schema entry needs a non-empty "name".' });
      return;
    }
    if (entry.entityType !== 'event' && entry.entityType !== 'profile') {
      problems.push({
        path: `${at}.entityType`,
        message: `Unknown entityType ${JSON.stringify(entry.entityType)} for "${entry.name}": expected "event" or "profile".`,
      });
      return;
    }
    const key = `${entry.entityType}:${entry.name}`;
    if (seen.has(key)) problems.push({ path: at, message: `The ${entry.entityType} "${entry.name}" is defined twice; the last one wins.` });
    seen.add(key);
    if (entry.schemaJson === undefined) return;
    if (!isObject(entry.schemaJson)) {
      problems.push({ path: `${at}.schemaJson`, message: `The schemaJson of "${entry.name}" must be an object.` });
      return;
    }
    const properties = entry.schemaJson.properties;
    if (properties === undefined) return;
    if (!isObject(properties)) {
      problems.push({ path: `${at}.schemaJson.properties`, message: `The properties of "${entry.name}" must be an object.` });
      return;
    }
    for (const [name, node] of Object.entries(properties)) {
      const propertyPath = `${at}.schemaJson.properties.${name}`;
      if (!isObject(node)) {
        problems.push({ path: propertyPath, message: `Property "${name}" of "${entry.name}" must be an object.` });
        continue;
      }
      const types = Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type];
      for (const type of types) {
        if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
          problems.push({ path: `${propertyPath}.type`, message: `Property "${name}" of "${entry.name}" has an unknown type ${JSON.stringify(type)}.` });
        }
      }
    }
  });
  return problems;
}
