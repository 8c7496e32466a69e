/**
 * Facts about a parsed query that several features need: its source reference, its events, the
 * time units its kind takes, and the quick fixes that replace a name.
 */
import type { AnalyticsSchema, QuickFix, TextSpan } from './analyticsTypes';
import type { AqDocument, QueryBlock, QueryKind, StringNode, UseDirective } from './parser/queryAst';
import type { SourceRef } from '../queryContract/querySpec';

export type SchemaLookup = (source: SourceRef | undefined) => AnalyticsSchema | undefined;

/** Units each query kind accepts in `unit`; the rest accept the catalog's full list. */
export const UNITS_BY_KIND: Partial<Record<QueryKind, readonly string[]>> = {
  retention: ['day', 'week', 'month'],
  funnel: ['day', 'week', 'month'],
  report: ['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'],
};

/** The `{kind, name}` of a `use` line, or undefined when there is none or it is broken. */
export function sourceRefOf(source: UseDirective | undefined): SourceRef | undefined {
  if (!source?.sourceKind || !source.target) return undefined;
  return { kind: source.sourceKind, name: source.target.value };
}

/** The event names a query reads, as written in its head. */
export function queryEvents(block: QueryBlock): StringNode[] {
  const head = block.head;
  if (!head) return [];
  switch (head.kind) {
    case 'segmentation':
      return head.event ? [head.event] : [];
    case 'funnel':
      return head.steps;
    case 'retention':
      return [head.bornEvent, head.returnEvent].filter((e): e is StringNode => e !== undefined);
    default:
      return [];
  }
}

/** A host's lookup that throws is treated as "no schema" rather than failing the whole lint. */
export function lookupSafely(schemas: SchemaLookup, ref: SourceRef | undefined): AnalyticsSchema | undefined {
  try {
    return schemas(ref);
  } catch {
    return undefined;
  }
}

export function replacementFixes(span: TextSpan, suggestions: readonly string[], render: (s: string) => string = (s) => s): QuickFix[] {
  return suggestions.map((suggestion, i) => {
    const fix: QuickFix = { title: `Change to ${render(suggestion)}`, edits: [{ span, newText: render(suggestion) }] };
    if (i === 0) fix.isPreferred = true;
    return fix;
  });
}

/** Whether `offset` is inside `span` (end inclusive). */
export function spanContains(span: TextSpan, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}

/** The query whose span contains `offset` (end inclusive, so a cursor after the last character counts). */
export function queryAt(document: AqDocument, offset: number): QueryBlock | undefined {
  return document.queries.find((block) => spanContains(block.span, offset));
}
