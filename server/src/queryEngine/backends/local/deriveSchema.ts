/**
 * The schema of a local source without a schema file, read off its data: event names with their
 * volumes, each property's type (the most common JSON type among its values) and its most common
 * values, and the profiles' properties. Completion and lint then work on any export.
 */
import type { AnalyticsSchema, EventSchema, PropertySchema, PropertyType } from '../../../queryContract/schemaTypes';
import type { LocalDataset } from './localEvent';

/** Distinct values tracked per property; past this a property is treated as free text (ids, timestamps). */
const MAX_TRACKED_VALUES = 200;
const EXAMPLE_COUNT = 5;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

class PropertyStats {
  private readonly types = new Map<PropertyType, number>();
  private values: Map<string | number | boolean, number> | undefined = new Map();

  add(value: unknown): void {
    const type = typeOfValue(value);
    this.types.set(type, (this.types.get(type) ?? 0) + 1);
    if (!this.values || (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')) return;
    const count = this.values.get(value);
    if (count !== undefined) this.values.set(value, count + 1);
    else if (this.values.size < MAX_TRACKED_VALUES) this.values.set(value, 1);
    else this.values = undefined;
  }

  toSchema(name: string): PropertySchema {
    let type: PropertyType = 'unknown';
    let best = 0;
    for (const [candidate, count] of this.types) {
      if (candidate !== 'unknown' && count > best) {
        type = candidate;
        best = count;
      }
    }
    const schema: PropertySchema = { name, type };
    if (this.values && this.values.size > 0 && type !== 'datetime') {
      schema.examples = [...this.values]
        .sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])))
        .slice(0, EXAMPLE_COUNT)
        .map(([value]) => value);
    }
    return schema;
  }
}

function typeOfValue(value: unknown): PropertyType {
  if (value === null || value === undefined) return 'unknown';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'string':
      return ISO_DATE.test(value) ? 'datetime' : 'string';
    case 'object':
      return 'object';
    default:
      return 'unknown';
  }
}

/** Derives an `AnalyticsSchema` (origin kind 'derived') from a loaded dataset. */
export function deriveSchema(dataset: LocalDataset, label: string, fetchedAt: string): AnalyticsSchema {
  const volumes = new Map<string, number>();
  const eventStats = new Map<string, Map<string, PropertyStats>>();
  for (const event of dataset.events) {
    volumes.set(event.name, (volumes.get(event.name) ?? 0) + 1);
    let stats = eventStats.get(event.name);
    if (!stats) eventStats.set(event.name, (stats = new Map()));
    collect(stats, event.properties);
  }
  const userStats = new Map<string, PropertyStats>();
  for (const profile of dataset.profiles) collect(userStats, profile.properties);

  const events: Record<string, EventSchema> = {};
  for (const name of [...volumes.keys()].sort()) {
    events[name] = { name, volume: volumes.get(name), properties: toProperties(eventStats.get(name)!) };
  }
  return { events, userProperties: toProperties(userStats), origin: { kind: 'derived', label, fetchedAt } };
}

function collect(stats: Map<string, PropertyStats>, properties: Record<string, unknown>): void {
  for (const key in properties) {
    let property = stats.get(key);
    if (!property) stats.set(key, (property = new PropertyStats()));
    property.add(properties[key]);
  }
}

function toProperties(stats: Map<string, PropertyStats>): Record<string, PropertySchema> {
  const properties: Record<string, PropertySchema> = {};
  for (const name of [...stats.keys()].sort()) properties[name] = stats.get(name)!.toSchema(name);
  return properties;
}
