/**
 * Parses each document version once: diagnostics, completion, hover, symbols and folding that
 * follow the same keystroke share one parse. Keyed by uri and version, like VS Code's own
 * language servers; old entries are evicted by count, and by age unless their document is open in
 * the editor. Each open document also keeps an incremental parser, so a keystroke re-parses only
 * the query it touched — also the first keystroke after the user has read for a while (dropping an
 * idle 2,000-query file's parser cost that keystroke a whole parse and check: 0.2–0.45 s in the bench).
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { createIncrementalParser, type IncrementalParser } from '../languageService/parser/incrementalParser';

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
  /** Remembers the previous versions' chunks; dropped with the entry. */
  parser: IncrementalParser;
}

export function createDocumentModelCache<T>(
  /** `parser` belongs to this document's uri: `parser.parse(document.getText())` (or of the document itself, when it is an `EditedText`) is incremental. */
  parse: (document: TextDocument, parser: IncrementalParser) => T,
  options: {
    maxEntries?: number;
    cleanupIntervalSeconds?: number;
    /** Whether the document is open in the editor: such an entry is kept however long it is idle (until it is closed). */
    isOpen?: (uri: string) => boolean;
  } = {},
): DocumentModelCache<T> {
  const { maxEntries = 20, cleanupIntervalSeconds = 60, isOpen = () => false } = options;
  const entries = new Map<string, Entry<T>>();
  const timer = setInterval(() => {
    const cutoff = Date.now() - cleanupIntervalSeconds * 1000;
    for (const [uri, entry] of entries) {
      if (entry.lastUsed < cutoff && !isOpen(uri)) entries.delete(uri);
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
      const parser = entry?.parser ?? createIncrementalParser();
      const model = parse(document, parser);
      entries.set(document.uri, { version: document.version, languageId: document.languageId, model, lastUsed: Date.now(), parser });
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
