/**
 * Parses each document version once: diagnostics, completion, hover, symbols and folding that
 * follow the same keystroke share one parse. Keyed by uri and version, like VS Code's own
 * language servers; old entries are evicted by count and age.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';

export interface DocumentModelCache<T> {
  get(document: TextDocument): T;
  onDocumentRemoved(uri: string): void;
  dispose(): void;
}

interface Entry<T> {
  version: number;
  languageId: string;
  model: T;
  lastUsed: number;
}

export function createDocumentModelCache<T>(
  parse: (document: TextDocument) => T,
  maxEntries = 20,
  cleanupIntervalSeconds = 60,
): DocumentModelCache<T> {
  const entries = new Map<string, Entry<T>>();
  const timer = setInterval(() => {
    const cutoff = Date.now() - cleanupIntervalSeconds * 1000;
    for (const [uri, entry] of entries) {
      if (entry.lastUsed < cutoff) entries.delete(uri);
    }
  }, cleanupIntervalSeconds * 1000);
  // The cache must never keep the process (a CLI, a test) alive on its own.
  timer.unref();

  return {
    get(document) {
      const entry = entries.get(document.uri);
      // Re-inserting keeps the Map in least-recently-used-first order.
      entries.delete(document.uri);
      if (entry && entry.version === document.version && entry.languageId === document.languageId) {
        entry.lastUsed = Date.now();
        entries.set(document.uri, entry);
        return entry.model;
      }
      const model = parse(document);
      entries.set(document.uri, { version: document.version, languageId: document.languageId, model, lastUsed: Date.now() });
      if (entries.size > maxEntries) {
        const leastRecentlyUsed = entries.keys().next().value;
        if (leastRecentlyUsed !== undefined) entries.delete(leastRecentlyUsed);
      }
      return model;
    },
    onDocumentRemoved(uri) {
      entries.delete(uri);
    },
    dispose() {
      clearInterval(timer);
      entries.clear();
    },
  };
}
