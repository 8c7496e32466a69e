/**
 * Schema drift: how a source's live schema differs from the Lexicon file committed for it
 * (`schemaFile`). Events and event properties only; types are compared only where both sides know
 * one, so a snapshot written from a listing that gives no types never reports a change of type.
 */
import { lexiconTypeName } from './lexiconWriter';
import { getOwn, type AnalyticsSchema } from './schemaTypes';

export interface PropertyRef {
  event: string;
  property: string;
}

/** The JSON `aq schema diff --format json` prints; arrays sorted by event, then property. */
export interface SchemaDrift {
  source: string;
  addedEvents: string[];
  removedEvents: string[];
  addedProperties: PropertyRef[];
  removedProperties: PropertyRef[];
  changedTypes: Array<PropertyRef & { from: string; to: string }>;
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares the committed schema with the live one. When the live schema came from Mixpanel's event
 * listing, only the events whose properties were listed are compared property by property (the
 * listing lists properties of the top events only).
 */
export function schemaDrift(source: string, committed: AnalyticsSchema, live: AnalyticsSchema): SchemaDrift {
  const drift: SchemaDrift = { source, addedEvents: [], removedEvents: [], addedProperties: [], removedProperties: [], changedTypes: [] };
  const liveListsAllProperties = live.origin?.kind !== 'listing';
  const names = [...new Set([...Object.keys(committed.events), ...Object.keys(live.events)])].sort(byCodePoint);
  for (const event of names) {
    const before = getOwn(committed.events, event);
    const after = getOwn(live.events, event);
    if (!before) {
      drift.addedEvents.push(event);
      continue;
    }
    if (!after) {
      drift.removedEvents.push(event);
      continue;
    }
    if (!liveListsAllProperties && Object.keys(after.properties).length === 0) continue;
    const properties = [...new Set([...Object.keys(before.properties), ...Object.keys(after.properties)])].sort(byCodePoint);
    for (const property of properties) {
      const was = getOwn(before.properties, property);
      const is = getOwn(after.properties, property);
      if (!was) drift.addedProperties.push({ event, property });
      else if (!is) drift.removedProperties.push({ event, property });
      else {
        const from = lexiconTypeName(was.type);
        const to = lexiconTypeName(is.type);
        if (from && to && from !== to) drift.changedTypes.push({ event, property, from, to });
      }
    }
  }
  return drift;
}

export function hasDrift(drift: SchemaDrift): boolean {
  return drift.addedEvents.length + drift.removedEvents.length + drift.addedProperties.length + drift.removedProperties.length + drift.changedTypes.length > 0;
}

/** How many events and properties differ, for a one-line summary ("2 events, 3 properties"). */
export function driftCounts(drift: SchemaDrift): { events: number; properties: number } {
  return {
    events: drift.addedEvents.length + drift.removedEvents.length,
    properties: drift.addedProperties.length + drift.removedProperties.length + drift.changedTypes.length,
  };
}

/**
 * The drift as a person reads it, grouped by event: `+ "Event"` arrived, `- "Event"` is gone,
 * `~ "Event"` kept with property lines under it (`+` arrived, `-` gone, `~` changed type), each
 * sorted by name. Empty when nothing drifted.
 */
export function formatDriftText(drift: SchemaDrift): string {
  const changed = new Map<string, Array<[property: string, line: string]>>();
  const linesOf = (event: string) => {
    let lines = changed.get(event);
    if (!lines) changed.set(event, (lines = []));
    return lines;
  };
  for (const { event, property } of drift.addedProperties) linesOf(event).push([property, `    + ${JSON.stringify(property)}`]);
  for (const { event, property } of drift.removedProperties) linesOf(event).push([property, `    - ${JSON.stringify(property)}`]);
  for (const { event, property, from, to } of drift.changedTypes) linesOf(event).push([property, `    ~ ${JSON.stringify(property)}: ${from} → ${to}`]);
  const heads: Array<[event: string, text: string]> = [
    ...drift.addedEvents.map((event): [string, string] => [event, `+ ${JSON.stringify(event)}`]),
    ...drift.removedEvents.map((event): [string, string] => [event, `- ${JSON.stringify(event)}`]),
    ...[...changed].map(([event, lines]): [string, string] => [
      event,
      [`~ ${JSON.stringify(event)}`, ...lines.sort((a, b) => byCodePoint(a[0], b[0])).map(([, line]) => line)].join('\n'),
    ]),
  ];
  return heads
    .sort((a, b) => byCodePoint(a[0], b[0]))
    .map(([, text]) => text)
    .join('\n');
}
