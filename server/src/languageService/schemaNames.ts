/**
 * Name lookups on an `AnalyticsSchema` shared by validation, completion and hover. Schemas can
 * hold 10,000 events and are reused across keystrokes, so everything derived from one (sorted
 * name lists, property scopes) is computed once and cached per schema object.
 */
import { getOwn, type AnalyticsSchema, type EventSchema, type PropertySchema } from '../queryContract/schemaTypes';
import { MIXPANEL_DEFAULT_EVENT_PROPERTIES, MIXPANEL_DEFAULT_USER_PROPERTIES, isMixpanelDefaultEventProperty } from './mixpanelDefaultProperties';

/** Events best first: visible before hidden/dropped, then by volume (largest first), then by name. */
function compareEvents(a: EventSchema, b: EventSchema): number {
  const aRetired = a.hidden || a.dropped ? 1 : 0;
  const bRetired = b.hidden || b.dropped ? 1 : 0;
  if (aRetired !== bRetired) return aRetired - bRetired;
  const volumeOrder = (b.volume ?? -1) - (a.volume ?? -1);
  if (volumeOrder !== 0) return volumeOrder;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

interface SchemaIndex {
  sortedEvents: EventSchema[];
  eventNames: string[];
  /** Union of every event's properties: the scope when a query's events are not known (saved funnels). */
  allEventProperties: Map<string, PropertySchema>;
  scopes: Map<string, PropertyScope>;
}

const indexes = new WeakMap<AnalyticsSchema, SchemaIndex>();

function indexOf(schema: AnalyticsSchema): SchemaIndex {
  let index = indexes.get(schema);
  if (index) return index;
  const sortedEvents = Object.values(schema.events).sort(compareEvents);
  const allEventProperties = new Map<string, PropertySchema>();
  for (const event of sortedEvents) {
    for (const property of Object.values(event.properties ?? {})) {
      if (!allEventProperties.has(property.name)) allEventProperties.set(property.name, property);
    }
  }
  index = { sortedEvents, eventNames: sortedEvents.map((e) => e.name), allEventProperties, scopes: new Map() };
  indexes.set(schema, index);
  return index;
}

export function sortedEvents(schema: AnalyticsSchema): readonly EventSchema[] {
  return indexOf(schema).sortedEvents;
}

export function eventNames(schema: AnalyticsSchema): readonly string[] {
  return indexOf(schema).eventNames;
}

export function findEvent(schema: AnalyticsSchema, name: string): EventSchema | undefined {
  return getOwn(schema.events, name);
}

/** The properties a query may use: its events' own properties, then Mixpanel's defaults. */
export interface PropertyScope {
  /** The events' own properties, sorted by name. */
  own: readonly PropertySchema[];
  /** Mixpanel default properties not already in `own`. */
  defaults: readonly PropertySchema[];
  lookup(name: string): PropertySchema | undefined;
  /** Every name in the scope, for "did you mean". */
  names: readonly string[];
}

function byName(a: PropertySchema, b: PropertySchema): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function buildScope(own: Map<string, PropertySchema>, defaults: Readonly<Record<string, PropertySchema>>, isDefault: (name: string) => boolean): PropertyScope {
  const ownList = [...own.values()].sort(byName);
  const defaultList = Object.values(defaults).filter((p) => !own.has(p.name));
  const defaultByName = new Map(defaultList.map((p) => [p.name, p]));
  return {
    own: ownList,
    defaults: defaultList,
    names: [...ownList.map((p) => p.name), ...defaultList.map((p) => p.name)],
    lookup(name) {
      const found = own.get(name) ?? defaultByName.get(name);
      if (found) return found;
      return isDefault(name) ? { name, type: 'string' } : undefined;
    },
  };
}

/**
 * The event-property scope of a query on `events` (names as written). Unknown names are ignored;
 * an empty list (a saved funnel, an Insights report) means every event's properties.
 */
export function eventPropertyScope(schema: AnalyticsSchema, events: readonly string[]): PropertyScope {
  const index = indexOf(schema);
  const known = events.filter((name) => findEvent(schema, name) !== undefined);
  const key = known.length === 0 ? '' : JSON.stringify([...new Set(known)].sort());
  let scope = index.scopes.get(key);
  if (scope) return scope;
  let own: Map<string, PropertySchema>;
  if (known.length === 0) {
    own = index.allEventProperties;
  } else {
    own = new Map();
    for (const name of known) {
      for (const property of Object.values(findEvent(schema, name)?.properties ?? {})) {
        if (!own.has(property.name)) own.set(property.name, property);
      }
    }
  }
  scope = buildScope(own, MIXPANEL_DEFAULT_EVENT_PROPERTIES, isMixpanelDefaultEventProperty);
  index.scopes.set(key, scope);
  return scope;
}

const userScopes = new WeakMap<AnalyticsSchema, PropertyScope>();

/** Profile properties: the schema's `$user` properties, then Mixpanel's reserved ones. */
export function userPropertyScope(schema: AnalyticsSchema): PropertyScope {
  let scope = userScopes.get(schema);
  if (!scope) {
    scope = buildScope(new Map(Object.values(schema.userProperties ?? {}).map((p) => [p.name, p])), MIXPANEL_DEFAULT_USER_PROPERTIES, (name) =>
      Object.hasOwn(MIXPANEL_DEFAULT_USER_PROPERTIES, name),
    );
    userScopes.set(schema, scope);
  }
  return scope;
}

/** True when the schema describes profiles at all; without a `$user` schema, user names are not checked. */
export function hasUserSchema(schema: AnalyticsSchema): boolean {
  return Object.keys(schema.userProperties ?? {}).length > 0;
}
