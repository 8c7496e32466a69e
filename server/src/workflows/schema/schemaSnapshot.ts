/**
 * Schema snapshots: a source's live schema written to its committed Lexicon file (`schemaFile`),
 * and that file read back to compare it with the live schema. Shared by `aq schema` and the editor.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { schemaFromLexicon, validateLexiconFile, type LexiconProblem } from '../../queryContract/lexiconSchema';
import { lexiconFileText } from '../../queryContract/lexiconWriter';
import type { AnalyticsSchema } from '../../queryContract/schemaTypes';

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

/** Writes the schema as sorted Lexicon JSON through a temporary file, so an interrupted write never leaves half a file. */
export async function writeSchemaSnapshot(file: string, schema: AnalyticsSchema): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, lexiconFileText(schema));
  await rename(temporary, file);
}
