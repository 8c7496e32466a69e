/**
 * Stable `$insert_id`s. Mixpanel de-duplicates on (event, distinct_id, time, $insert_id)
 * (docs/api-notes.md, "Mixpanel import"), so an id derived from the event's content makes every re-send of the same
 * event — after a dropped connection, or a second `aq send` of the same file — a no-op.
 */
import { createHash } from 'node:crypto';

/** distinct_id values Mixpanel rejects; they are not valid `$insert_id`s either. */
export const BANNED_IDS = new Set([
  '00000000-0000-0000-0000-000000000000',
  'anon',
  'anonymous',
  'nil',
  'none',
  'null',
  'n/a',
  'na',
  'undefined',
  'unknown',
  '<nil>',
  '0',
  '-1',
  'true',
  'false',
  '[]',
  '{}',
]);

const INSERT_ID_PATTERN = /^[A-Za-z0-9-]{1,36}$/;

/** Why an `$insert_id` value is unusable, or undefined when it is fine. */
export function insertIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return '$insert_id must be a string.';
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > 36) return `$insert_id is ${bytes} bytes long; Mixpanel accepts at most 36.`;
  if (!INSERT_ID_PATTERN.test(value)) return '$insert_id may contain only letters, digits and "-".';
  if (BANNED_IDS.has(value.toLowerCase())) return `"${value}" is a placeholder Mixpanel rejects as an $insert_id.`;
  return undefined;
}

/**
 * The id for an event: the first 36 hex characters of the SHA-256 of the canonical JSON (keys
 * sorted) of its name, distinct_id, time and other properties.
 */
export function stableInsertId(event: string, properties: Record<string, unknown>): string {
  const { $insert_id: _ignored, ...rest } = properties;
  const canonical = canonicalJson([event, properties.distinct_id ?? null, properties.time ?? null, rest]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 36);
}

/** JSON with object keys sorted at every depth, so equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
