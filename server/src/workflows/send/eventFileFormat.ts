/**
 * The files aq can send, told apart by name: Mixpanel import events as NDJSON (`*.events.ndjson`)
 * or a JSON array (`*.events.json`), and mParticle batches (`*.mparticle.json`: one batch or an
 * array of them). Reading keeps each record's node and line, for lint and for per-line failures.
 */
import { parseJsonWithSpans, toPlainValue, type JsonNode, type JsonSyntaxError } from './jsonWithSpans';

export type EventFileKind = 'mixpanel-ndjson' | 'mixpanel-json' | 'mparticle';

export function eventFileKindOf(fileName: string): EventFileKind | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.events.ndjson')) return 'mixpanel-ndjson';
  if (lower.endsWith('.events.json')) return 'mixpanel-json';
  if (lower.endsWith('.mparticle.json')) return 'mparticle';
  return undefined;
}

/** One event (Mixpanel) or batch (mParticle) of a file. */
export interface EventRecord {
  /** 0-based position in the file. */
  index: number;
  /** 1-based line where the record starts. */
  line: number;
  node: JsonNode;
  value: unknown;
}

export interface EventFileContent {
  records: EventRecord[];
  syntaxErrors: JsonSyntaxError[];
  /** True when the top level was one object, not an array or lines (a single mParticle batch). */
  singleObject: boolean;
}

export function readEventFile(text: string, kind: EventFileKind): EventFileContent {
  const lines = lineStarts(text);
  const lineAt = (offset: number): number => lineOfOffset(lines, offset);
  const content: EventFileContent = { records: [], syntaxErrors: [], singleObject: false };
  if (kind === 'mixpanel-ndjson') {
    for (let i = 0; i < lines.length; i++) {
      const start = lines[i];
      const end = i + 1 < lines.length ? lines[i + 1] - 1 : text.length;
      if (text.slice(start, end).trim() === '') continue;
      const parsed = parseJsonWithSpans(text, start, end);
      if (!parsed.ok) content.syntaxErrors.push(parsed.error);
      else content.records.push({ index: content.records.length, line: i + 1, node: parsed.node, value: toPlainValue(parsed.node) });
    }
    return content;
  }
  if (text.trim() === '') return content;
  const parsed = parseJsonWithSpans(text);
  if (!parsed.ok) {
    content.syntaxErrors.push(parsed.error);
    return content;
  }
  const items = parsed.node.type === 'array' ? parsed.node.items : [parsed.node];
  content.singleObject = parsed.node.type !== 'array';
  items.forEach((node, index) => content.records.push({ index, line: lineAt(node.span.start), node, value: toPlainValue(node) }));
  return content;
}

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line of an offset, by binary search over `lineStarts`. */
export function lineOfOffset(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}
