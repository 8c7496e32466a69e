/**
 * The manifest `aq pull` keeps beside the day files (`aq-pull.json`): per day the events, bytes
 * and checksum of its file and the parameters of the request that produced it. A day is complete
 * only when the manifest says so and its file is still there with the recorded size, so a file
 * renamed into place by a run that died before it updated the manifest is pulled again.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PULL_MANIFEST_FILE } from '../../queryEngine/backends/local/eventStore';

export { PULL_MANIFEST_FILE };

export interface PulledDay {
  /** The file's name in the folder: `YYYY-MM-DD.ndjson.gz`. */
  file: string;
  /** Lines (events) in the file, as the export returned them. */
  events: number;
  /** Uncompressed size of those lines. */
  bytes: number;
  /** Size of the gzip file on disk. */
  fileBytes: number;
  /** SHA-256 of the gzip file on disk, hex (`sha256sum` prints the same). */
  sha256: string;
  pulledAt: string;
  /** False when the day was not over yet (in any time zone) when it was pulled: a re-run pulls it again. */
  dayWasOver: boolean;
  /** The query parameters sent (no credentials). */
  request: Record<string, string>;
}

export interface PulledProfiles {
  file: string;
  profiles: number;
  bytes: number;
  fileBytes: number;
  sha256: string;
  pulledAt: string;
}

export interface PullManifest {
  version: 1;
  source: string;
  projectId: number;
  region: string;
  days: Record<string, PulledDay>;
  profiles?: PulledProfiles;
}

/** The manifest of `dir`, a fresh one when there is none, or a sentence when it cannot be used. */
export async function readPullManifest(dir: string, source: { name: string; projectId: number; region: string }): Promise<PullManifest | string> {
  const fresh: PullManifest = { version: 1, source: source.name, projectId: source.projectId, region: source.region, days: {} };
  let text: string;
  try {
    text = await readFile(join(dir, PULL_MANIFEST_FILE), 'utf8');
  } catch {
    return fresh;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `${join(dir, PULL_MANIFEST_FILE)} is not valid JSON (${(error as Error).message}); move it away to pull into this folder again.`;
  }
  const manifest = json as Partial<PullManifest>;
  if (typeof manifest !== 'object' || manifest === null || typeof manifest.days !== 'object' || manifest.days === null) {
    return `${join(dir, PULL_MANIFEST_FILE)} is not a pull manifest; move it away or choose another --output folder.`;
  }
  if (manifest.projectId !== source.projectId) {
    return `${dir} holds events of Mixpanel project ${String(manifest.projectId)} (source "${String(manifest.source)}"), not of project ${source.projectId}; choose another --output folder.`;
  }
  return { ...fresh, days: manifest.days, profiles: manifest.profiles };
}

/** Whether `day` is in the manifest and its file is still the one recorded. */
export async function isDayComplete(dir: string, manifest: PullManifest, day: string, request: Record<string, string>): Promise<boolean> {
  const entry = manifest.days[day];
  if (!entry || !entry.dayWasOver || !sameRequest(entry.request, request)) return false;
  const info = await stat(join(dir, entry.file)).catch(() => undefined);
  return info !== undefined && info.isFile() && info.size === entry.fileBytes;
}

/** Whether a recorded day was pulled with another --event or --where than asked for now. */
export function filterChanged(manifest: PullManifest, day: string, request: Record<string, string>): boolean {
  const entry = manifest.days[day];
  return entry !== undefined && !sameRequest(entry.request, request);
}

function sameRequest(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}

/** Writes the manifest under a temporary name and renames it, so a crash never leaves half of it. */
export async function writePullManifest(dir: string, manifest: PullManifest): Promise<void> {
  const sortedDays = Object.fromEntries(Object.entries(manifest.days).sort(([a], [b]) => a.localeCompare(b)));
  const temporary = join(dir, `.${PULL_MANIFEST_FILE}.${randomBytes(4).toString('hex')}.partial`);
  try {
    await writeFile(temporary, `${JSON.stringify({ ...manifest, days: sortedDays }, null, 2)}\n`);
    await rename(temporary, join(dir, PULL_MANIFEST_FILE));
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
