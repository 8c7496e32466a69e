/**
 * A source's schema in a few thousand characters, for the "write an aq query" prompt: the busiest
 * events with their descriptions and main properties, and how many more there are. Bounded, so a
 * project with 10,000 events still fits in a prompt; get_schema pages through the rest.
 */
import { sortedEvents } from '../languageService/schemaNames';
import type { AnalyticsSchema } from '../queryContract/schemaTypes';

const MAX_EVENTS = 40;
const MAX_PROPERTIES_PER_EVENT = 8;
export const MAX_SUMMARY_CHARS = 8000;

export function schemaSummary(sourceName: string, sourceKind: string, schema: AnalyticsSchema): string {
  const events = sortedEvents(schema).filter((event) => !event.hidden && !event.dropped);
  const lines = [`Schema of source "${sourceName}" (${sourceKind}; use it as \`use ${sourceKind} "${sourceName}"\` or rely on the default source):`];
  let length = lines[0].length;
  let shown = 0;
  for (const event of events.slice(0, MAX_EVENTS)) {
    const properties = Object.values(event.properties ?? {})
      .filter((property) => !property.hidden && !property.dropped)
      .slice(0, MAX_PROPERTIES_PER_EVENT)
      .map((property) => `${property.name} (${property.type})`);
    const line = `- "${event.name}"${event.volume !== undefined ? ` · ${event.volume.toLocaleString('en-US')} events` : ''}${event.description ? ` · ${event.description.slice(0, 160)}` : ''}${properties.length > 0 ? `\n  properties: ${properties.join(', ')}` : ''}`;
    if (length + line.length + 1 > MAX_SUMMARY_CHARS - 200) break;
    lines.push(line);
    length += line.length + 1;
    shown++;
  }
  const total = Object.keys(schema.events).length;
  if (shown < total) lines.push(`… ${total - shown} more events: find them with get_schema (search).`);
  const userProperties = Object.keys(schema.userProperties).length;
  if (userProperties > 0) lines.push(`${userProperties} profile properties (user["name"]): get_schema with userProperties: true.`);
  return lines.join('\n');
}
