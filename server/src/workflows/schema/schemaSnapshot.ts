/**
 * Schema snapshots: a source's live schema written to its committed Lexicon file (`schemaFile`),
 * and that file read back to compare it with the live schema. Shared by `aq schema` and the editor.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { schemaFromLexicon, validateLexiconFile, type LexiconProblem } from '../../queryContract/lexiconSchema';
import { lexiconFileText } from '../../queryContract/lexiconWriter';
import { getOwn, setOwn, type AnalyticsSchema, type EventSchema, type PropertySchema } from '../../queryContract/schemaTypes';

/** The committed snapshot, or why it cannot be used (`problems` lists entries it had to skip). */
export type SnapshotRead = { ok: true; schema: AnalyticsSchema; problems: LexiconProblem[] } | { ok: false; reason: string };

export async function readSchemaSnapshot(file: string): Promise<SnapshotRead> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return { ok: false, reason: `the schema file ${file} cannot be read: ${reason}` };
  }
  const problems = validateLexiconFile(json);
  const unreadable = problems.find((problem) => problem.path === '');
  if (unreadable) return { ok: false, reason: `${file}: ${unreadable.message}` };
  return { ok: true, schema: schemaFromLexicon(json, { kind: 'file', label: file }), problems };
}

/**
 * Writes the schema as sorted Lexicon JSON through a temporary file, so an interrupted write never
 * leaves half a file. A schema read off data or an event listing knows no descriptions: what the
 * file being replaced says about the events and properties that remain is kept.
 */
export async function writeSchemaSnapshot(file: string, schema: AnalyticsSchema): Promise<void> {
  let written = schema;
  if (schema.origin?.kind === 'derived' || schema.origin?.kind === 'listing') {
    const previous = await readSchemaSnapshot(file);
    if (previous.ok) written = withDocumentationOf(schema, previous.schema);
  }
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, lexiconFileText(written));
  await rename(temporary, file);
}

/** `live` with the descriptions, display names and tags `documented` has for its events and properties, where `live` has none. */
export function withDocumentationOf(live: AnalyticsSchema, documented: AnalyticsSchema): AnalyticsSchema {
  const keepDocs = <T extends { description?: string; displayName?: string }>(item: T, from: { description?: string; displayName?: string } | undefined): T => {
    if (!from) return item;
    const kept = { ...item };
    if (!kept.description && from.description) kept.description = from.description;
    if (!kept.displayName && from.displayName) kept.displayName = from.displayName;
    return kept;
  };
  const properties = (own: Record<string, PropertySchema>, from: Record<string, PropertySchema> | undefined): Record<string, PropertySchema> => {
    const merged: Record<string, PropertySchema> = {};
    for (const [name, property] of Object.entries(own)) setOwn(merged, name, keepDocs(property, from ? getOwn(from, name) : undefined));
    return merged;
  };
  const events: Record<string, EventSchema> = {};
  for (const [name, event] of Object.entries(live.events)) {
    const before = getOwn(documented.events, name);
    const merged = keepDocs({ ...event, properties: properties(event.properties, before?.properties) }, before);
    if (!merged.tags && before?.tags) merged.tags = [...before.tags];
    setOwn(events, name, merged);
  }
  return { ...live, events, userProperties: properties(live.userProperties, documented.userProperties) };
}
