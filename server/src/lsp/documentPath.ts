/** Maps document URIs to file paths; only `file:` documents have one (untitled buffers do not). */
import { fileURLToPath, pathToFileURL } from 'node:url';

export function documentPathOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export function fileUriOf(path: string): string {
  return pathToFileURL(path).href;
}

export function isJqlDocument(document: { uri: string; languageId: string }): boolean {
  return document.languageId === 'jql' || (document.languageId !== 'aq' && /\.jql$/i.test(document.uri));
}

/** Event files to send: Mixpanel import NDJSON/JSON and mParticle batches. */
export function isEventFileDocument(document: { uri: string }): boolean {
  return /\.(events\.ndjson|events\.json|mparticle\.json)$/i.test(document.uri);
}

/** Documents written in the aq language (as opposed to .jql scripts and event files). */
export function isAqDocument(document: { uri: string; languageId: string }): boolean {
  return !isJqlDocument(document) && !isEventFileDocument(document);
}
