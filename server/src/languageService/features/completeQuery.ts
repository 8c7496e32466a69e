/**
 * Completion in `.aq` files. The context comes from the text around the cursor (the line being
 * typed is usually broken, so the syntax tree alone cannot say where the cursor is) and the
 * query it belongs to from the syntax tree. Every candidate carries the span it replaces, so
 * accepting it yields correct text: the whole partial word or string content is replaced and a
 * missing closing quote or bracket is added.
 */
import type { AnalyticsSchema, CompletionCandidate, PropertySchema, TextSpan } from '../analyticsTypes';
import {
  CLAUSES,
  CLAUSES_BY_NAME,
  DURATION_UNITS,
  EXPECT_MEASURES,
  EXPRESSION_FUNCTIONS,
  METRIC_FILTER_OPERATORS,
  PIWIK_EVENT_TYPES,
  QUERY_KINDS,
  REPORT_FILTER_OPERATORS,
  SOURCE_KINDS,
  clauseShape,
} from '../clauseCatalog';
import { findPiwikColumn, type PiwikColumn, type PiwikColumnCatalog } from '../../queryContract/piwikColumns';
import { columnDocumentation, reportCatalog, reportColumnUses } from '../reportColumns';
import type { AqDocument, QueryBlock, QueryKind } from '../parser/queryAst';
import type { SourceRef } from '../../queryContract/querySpec';
import { eventPropertyScope, sortedEvents, userPropertyScope, type PropertyScope } from '../schemaNames';
import { UNITS_BY_KIND, lookupSafely, queryEvents, sourceRefOf, type SchemaLookup } from '../queryFacts';
import { QUERY_KIND_DESCRIPTIONS, SOURCE_DESCRIPTIONS, eventDocumentation, formatCount, propertyDocumentation } from '../schemaDocs';
import { COMPLETION_LIST_LIMIT, narrowCompletions, narrowedIndices, type NarrowedCompletions } from '../completionNarrowing';

/** The value position of an event property (`properties["plan"] == "|"`), which live values can fill. */
export interface PropertyValueTarget {
  source: SourceRef | undefined;
  /** The query's event the values are asked for: the first that has the property in the schema, else the first. */
  event: string;
  property: string;
}

export interface CompletionOptions {
  /** Values the source holds now for the property at the cursor, most common first; offered before the schema's examples. */
  propertyValues?: readonly string[];
  /** Told where a value of an event property is being completed (the host then looks up live values). */
  onValueTarget?: (target: PropertyValueTarget) => void;
}

function sortKey(rank: number): string {
  return String(rank).padStart(6, '0');
}

/** The text of a string literal's content, JSON-escaped. */
function escapeContent(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36;
}

// ---------------------------------------------------------------------------------------------
// Candidate lists cached per schema / scope
// ---------------------------------------------------------------------------------------------

const eventCandidateCache = new WeakMap<AnalyticsSchema, CompletionCandidate[]>();

/** Event candidates with their escaped string content as `insertText`, built once per schema. */
function eventCandidates(schema: AnalyticsSchema): CompletionCandidate[] {
  let candidates = eventCandidateCache.get(schema);
  if (candidates) return candidates;
  candidates = sortedEvents(schema).map((event, rank) => {
    const candidate: CompletionCandidate = {
      label: event.name,
      kind: 'event',
      detail: event.volume !== undefined ? `${formatCount(event.volume)} events` : (event.displayName ?? 'event'),
      documentation: eventDocumentation(event),
      insertText: escapeContent(event.name),
      sortText: sortKey(rank),
    };
    if (event.hidden || event.dropped) candidate.deprecated = true;
    return candidate;
  });
  eventCandidateCache.set(schema, candidates);
  return candidates;
}

const eventInsertTextCache = new WeakMap<AnalyticsSchema, Map<string, string[]>>();

/** The schema's escaped event names wrapped in `before`/`after` (a handful of wrappings occur), built once per schema. */
function eventInsertTexts(schema: AnalyticsSchema, before: string, after: string): string[] {
  let byWrapping = eventInsertTextCache.get(schema);
  if (byWrapping === undefined) {
    byWrapping = new Map();
    eventInsertTextCache.set(schema, byWrapping);
  }
  const key = `${before}\u0000${after}`;
  let texts = byWrapping.get(key);
  if (texts === undefined) {
    texts = eventCandidates(schema).map((candidate) => before + candidate.insertText + after);
    byWrapping.set(key, texts);
  }
  return texts;
}

/**
 * The schema's event candidates replacing `replaceSpan`, their escaped names wrapped in
 * `before`/`after`. With `narrowing`, only those `narrowCompletions` would keep are built (it
 * says whether some were left out): a schema can hold 10,000 events, and building an item for
 * each on every keystroke, to send a hundred, is most of what completing an event name costs.
 * Both ways pick by the same function (`narrowedIndices`), and a test compares them.
 */
function eventItems(
  schema: AnalyticsSchema,
  replaceSpan: TextSpan,
  before: string,
  after: string,
  line: LineContext,
  narrowing?: Narrowing,
): CompletionCandidate[] {
  const candidates = eventCandidates(schema);
  const insertTexts = eventInsertTexts(schema, before, after);
  // Built field by field: with 10,000 events an object spread per candidate is the slow part.
  const item = (index: number): CompletionCandidate => {
    const c = candidates[index];
    const result: CompletionCandidate = {
      label: c.label,
      kind: c.kind,
      detail: c.detail,
      documentation: c.documentation,
      insertText: insertTexts[index],
      replaceSpan,
      sortText: c.sortText,
    };
    if (c.deprecated) result.deprecated = true;
    return result;
  };
  if (narrowing !== undefined) narrowing.applied = true;
  if (narrowing === undefined || candidates.length <= narrowing.limit) return candidates.map((_, index) => item(index));
  // Every item replaces the same span, so the typed text is the same for all; each is matched on its insert text.
  const typed = replaceSpan.start < line.offset ? line.text.slice(replaceSpan.start, line.offset) : '';
  narrowing.isIncomplete = true;
  return narrowedIndices(
    candidates.length,
    () => typed,
    (index) => insertTexts[index],
    narrowing.limit,
  ).map(item);
}

/**
 * Asks the completion below to narrow a long list itself: only event lists do (they are the long
 * ones). `isIncomplete` is set when one did and left candidates out.
 */
interface Narrowing {
  readonly limit: number;
  isIncomplete: boolean;
  /** Set when a list was narrowed where it was built. */
  applied: boolean;
}

const propertyCandidateCache = new WeakMap<PropertyScope, Array<{ candidate: CompletionCandidate; property: PropertySchema }>>();

function propertyCandidates(scope: PropertyScope, kind: 'property' | 'userProperty'): Array<{ candidate: CompletionCandidate; property: PropertySchema }> {
  let candidates = propertyCandidateCache.get(scope);
  if (candidates) return candidates;
  const all = [...scope.own.map((p) => ({ p, isDefault: false })), ...scope.defaults.map((p) => ({ p, isDefault: true }))];
  candidates = all.map(({ p, isDefault }, rank) => {
    const candidate: CompletionCandidate = {
      label: p.name,
      kind,
      detail: p.type,
      documentation: propertyDocumentation(p, isDefault),
      // Hidden and dropped names go after the usable ones.
      sortText: sortKey((p.hidden || p.dropped ? 100_000 : 0) + rank),
    };
    if (p.hidden || p.dropped) candidate.deprecated = true;
    return { candidate, property: p };
  });
  propertyCandidateCache.set(scope, candidates);
  return candidates;
}

// ---------------------------------------------------------------------------------------------
// Context
// ---------------------------------------------------------------------------------------------

interface LineContext {
  text: string;
  offset: number;
  lineStart: number;
  lineEnd: number;
  prefix: string;
  suffix: string;
}

/** Where a string opened on the line before the cursor is still open, or -1; -2 when the cursor is in a comment. */
function openStringStart(prefix: string): number {
  let open = -1;
  for (let i = 0; i < prefix.length; i++) {
    const char = prefix[i];
    if (open >= 0) {
      if (char === '\\') i++;
      else if (char === '"') open = -1;
    } else if (char === '"') {
      open = i;
    } else if (char === '#') {
      return -2;
    }
  }
  return open;
}

/** The span of a string's content from `contentStart` to its closing quote on the line (or the line's end). */
function stringContentEnd(line: LineContext): { end: number; closed: boolean } {
  for (let i = line.offset; i < line.lineEnd; i++) {
    const char = line.text[i];
    if (char === '\\') i++;
    else if (char === '"') return { end: i, closed: true };
  }
  let end = line.offset;
  while (end < line.lineEnd && isWordChar(line.text.charCodeAt(end))) end++;
  return { end, closed: false };
}

function wordSpan(line: LineContext): TextSpan {
  let start = line.offset;
  while (start > line.lineStart && isWordChar(line.text.charCodeAt(start - 1))) start--;
  let end = line.offset;
  while (end < line.lineEnd && isWordChar(line.text.charCodeAt(end))) end++;
  return { start, end };
}

function keywordCandidates(
  words: ReadonlyArray<{ label: string; documentation?: string; detail?: string }>,
  kind: CompletionCandidate['kind'],
  span: TextSpan,
): CompletionCandidate[] {
  return words.map((w, rank) => {
    const candidate: CompletionCandidate = { label: w.label, kind, sortText: sortKey(rank), replaceSpan: span };
    if (w.detail) candidate.detail = w.detail;
    if (w.documentation) candidate.documentation = w.documentation;
    return candidate;
  });
}

/** The query an indented line at `offset` belongs to: the last one starting before it. */
function blockBefore(document: AqDocument, offset: number): QueryBlock | undefined {
  let found: QueryBlock | undefined;
  for (const block of document.queries) {
    if (block.span.start > offset) break;
    found = block;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Contexts
// ---------------------------------------------------------------------------------------------

function completeTopLevel(line: LineContext, schemas: SchemaLookup, document: AqDocument, narrowing?: Narrowing): CompletionCandidate[] {
  const { prefix } = line;
  const stringStart = openStringStart(prefix);
  if (stringStart === -2 || prefix.startsWith('#')) return [];
  if (stringStart >= 0) {
    if (!/^(segmentation|funnel|retention)\b/.test(prefix)) return [];
    const schema = lookupSafely(schemas, sourceRefOf(document.uses.filter((u) => u.span.end <= line.lineStart).pop()));
    if (!schema) return [];
    const contentStart = line.lineStart + stringStart + 1;
    const { end, closed } = stringContentEnd(line);
    return eventItems(schema, { start: contentStart, end }, '', closed ? '' : '"', line, narrowing);
  }
  // Before the opening quote of a head event: insert the whole quoted name.
  if (/^(segmentation|funnel|retention)\s+(?:"(?:[^"\\]|\\.)*"\s*->\s*)*$/.test(prefix)) {
    const schema = lookupSafely(schemas, sourceRefOf(document.uses.filter((u) => u.span.end <= line.lineStart).pop()));
    if (!schema) return [];
    return eventItems(schema, { start: line.offset, end: line.offset }, '"', '"', line, narrowing);
  }
  const useMatch = /^use\s+([A-Za-z_]*)$/.exec(prefix);
  if (useMatch) {
    return keywordCandidates(
      SOURCE_KINDS.map((k) => ({ label: k, documentation: SOURCE_DESCRIPTIONS[k] })),
      'source',
      wordSpan(line),
    );
  }
  if (/^[A-Za-z_]*$/.test(prefix)) {
    const words = [
      ...QUERY_KINDS.map((k) => ({ label: k, documentation: QUERY_KIND_DESCRIPTIONS[k], detail: 'query' })),
      { label: 'use', documentation: 'Pick the data source for the queries below: `use mixpanel "shop"`.', detail: 'source' },
    ];
    const candidates = keywordCandidates(words, 'keyword', wordSpan(line));
    if (prefix === '')
      candidates.push({
        label: '###',
        kind: 'keyword',
        detail: 'title',
        documentation: 'Start a query and name it: `### Sign-ups by browser`.',
        sortText: sortKey(words.length),
        replaceSpan: { start: line.offset, end: line.offset },
        insertText: '### ',
      });
    return candidates;
  }
  return [];
}

function completeClauseName(line: LineContext, block: QueryBlock, kind: QueryKind): CompletionCandidate[] {
  const onThisLine = (start: number) => start >= line.lineStart && start <= line.lineEnd;
  const used = new Set(block.clauses.filter((c) => !onThisLine(c.nameSpan.start)).map((c) => c.name));
  const usedGroups = new Set(CLAUSES.filter((c) => used.has(c.name) && c.exclusiveGroup).map((c) => c.exclusiveGroup));
  const clauses = CLAUSES.filter(
    (c) => c.kinds.includes(kind) && (c.repeatable || !used.has(c.name)) && !(c.exclusiveGroup && usedGroups.has(c.exclusiveGroup)),
  );
  return keywordCandidates(
    clauses.map((c) => ({
      label: c.name,
      documentation: `${c.description}\n\nAPI parameter: \`${c.apiParameter}\``,
      detail: c.shape === 'flag' ? 'flag' : c.description,
    })),
    'keyword',
    wordSpan(line),
  );
}

const PROPERTY_STRING = /(properties|user|event)\s*\[\s*"((?:[^"\\\n]|\\.)*)$/;
const PROPERTY_BRACKET = /(properties|user)\s*\[\s*$/;
const VALUE_AFTER_COMPARISON = /(properties|user)\s*\[\s*"((?:[^"\\\n]|\\.)*)"\s*\]\s*(?:==|!=)\s*("(?:[^"\\\n]|\\.)*|[\w.+-]*)$/;
const VALUE_IN_LIST =
  /(properties|user)\s*\[\s*"((?:[^"\\\n]|\\.)*)"\s*\]\s*in\s*\[(?:\s*(?:"(?:[^"\\\n]|\\.)*"|[\w.+-]+)\s*,)*\s*("(?:[^"\\\n]|\\.)*|[\w.+-]*)$/;
const EXPRESSION_START = /(?:^|[\s(,[=!<>+\-*/%])([A-Za-z_]*)$/;
const OPERATOR_WORDS = new Set(['and', 'or', 'not', 'in']);

function decode(content: string): string {
  try {
    return JSON.parse(`"${content}"`) as string;
  } catch {
    return content;
  }
}

function scopeFor(scopeWord: string, schema: AnalyticsSchema, block: QueryBlock): PropertyScope | undefined {
  if (scopeWord === 'user') return userPropertyScope(schema);
  if (scopeWord === 'properties')
    return eventPropertyScope(
      schema,
      queryEvents(block).map((e) => e.value),
    );
  return undefined;
}

/**
 * A value as the source gave it (Mixpanel answers every value as text) written as a literal: bare
 * for a number or boolean property when it reads as one, quoted otherwise.
 */
function liveValueLiteral(value: string, property: PropertySchema): string {
  if (property.type === 'number' && /^-?\d+(\.\d+)?$/.test(value)) return value;
  if (property.type === 'boolean' && (value === 'true' || value === 'false')) return value;
  return JSON.stringify(value);
}

function completeExpression(
  line: LineContext,
  exprPrefix: string,
  block: QueryBlock,
  schema: AnalyticsSchema | undefined,
  options: CompletionOptions,
): CompletionCandidate[] {
  const inString = PROPERTY_STRING.exec(exprPrefix);
  if (inString) {
    const scope = schema ? scopeFor(inString[1], schema, block) : undefined;
    if (!scope) return [];
    const contentStart = line.offset - inString[2].length;
    const { end, closed } = stringContentEnd(line);
    const afterClose = closed ? '' : line.text.slice(end, line.lineEnd).trimStart().startsWith(']') ? '"' : '"]';
    const kind = inString[1] === 'user' ? 'userProperty' : 'property';
    return propertyCandidates(scope, kind).map(({ candidate }) => ({
      ...candidate,
      replaceSpan: { start: contentStart, end },
      insertText: escapeContent(candidate.label) + afterClose,
    }));
  }
  const atBracket = PROPERTY_BRACKET.exec(exprPrefix);
  if (atBracket) {
    const scope = schema ? scopeFor(atBracket[1], schema, block) : undefined;
    if (!scope) return [];
    const closing = line.suffix.trimStart().startsWith(']') ? '' : ']';
    const kind = atBracket[1] === 'user' ? 'userProperty' : 'property';
    return propertyCandidates(scope, kind).map(({ candidate }) => ({
      ...candidate,
      replaceSpan: { start: line.offset, end: line.offset },
      insertText: JSON.stringify(candidate.label) + closing,
    }));
  }
  const valueMatch = VALUE_AFTER_COMPARISON.exec(exprPrefix) ?? VALUE_IN_LIST.exec(exprPrefix);
  if (valueMatch) {
    const name = decode(valueMatch[2]);
    const scope = schema ? scopeFor(valueMatch[1], schema, block) : undefined;
    const events = queryEvents(block).map((e) => e.value);
    if (valueMatch[1] === 'properties' && events.length > 0 && options.onValueTarget) {
      const event =
        events.find((e) => schema !== undefined && Object.hasOwn(schema.events, e) && Object.hasOwn(schema.events[e].properties, name)) ?? events[0];
      options.onValueTarget({ source: sourceRefOf(block.source), event, property: name });
    }
    const live = valueMatch[1] === 'properties' ? (options.propertyValues ?? []) : [];
    const property = scope?.lookup(name) ?? (live.length > 0 ? { name, type: 'unknown' as const } : undefined);
    if (!property) return [];
    const partial = valueMatch[3];
    const start = line.offset - partial.length;
    let end = line.offset;
    if (partial.startsWith('"')) {
      const content = stringContentEnd(line);
      end = content.closed ? content.end + 1 : content.end;
    } else {
      while (end < line.lineEnd && /[\w.+-]/.test(line.text[end])) end++;
    }
    const literals = new Set<string>();
    const values: string[] = [];
    const add = (literal: string) => {
      if (literals.has(literal)) return;
      literals.add(literal);
      values.push(literal);
    };
    for (const value of live) add(liveValueLiteral(value, property));
    for (const value of property.examples ?? []) add(typeof value === 'string' ? JSON.stringify(value) : String(value));
    if (property.type === 'boolean') for (const b of ['true', 'false']) add(b);
    return values.map((literal, rank) => ({
      label: literal,
      kind: 'value' as const,
      detail: `${property.name} (${property.type})`,
      insertText: literal,
      replaceSpan: { start, end },
      sortText: sortKey(rank),
    }));
  }
  const startMatch = EXPRESSION_START.exec(exprPrefix);
  if (startMatch) {
    const before = exprPrefix.slice(0, exprPrefix.length - startMatch[1].length).trimEnd();
    const previousWord = /([A-Za-z_]+)$/.exec(before)?.[1];
    const afterOperand = before.length > 0 && (/[\])"\d]$/.test(before) || (previousWord !== undefined && !OPERATOR_WORDS.has(previousWord)));
    if (afterOperand) return [];
    const span = wordSpan(line);
    const candidates: CompletionCandidate[] = Object.entries(EXPRESSION_FUNCTIONS).map(([name, fn], rank) => ({
      label: name,
      kind: 'function',
      detail: `${name}(${fn.minArgs === 1 ? 'x' : 'a, b'}) → ${fn.returns}`,
      documentation: fn.description,
      insertText: `${name}(`,
      replaceSpan: span,
      sortText: sortKey(10 + rank),
    }));
    candidates.unshift(
      {
        label: 'properties',
        kind: 'keyword',
        detail: 'event property',
        documentation: 'An event property: `properties["$browser"]`.',
        insertText: 'properties["',
        replaceSpan: span,
        sortText: sortKey(0),
      },
      {
        label: 'user',
        kind: 'keyword',
        detail: 'profile property',
        documentation: 'A user profile property: `user["plan"]`.',
        insertText: 'user["',
        replaceSpan: span,
        sortText: sortKey(1),
      },
      {
        label: 'not',
        kind: 'keyword',
        detail: 'operator',
        documentation: 'Logical not: negates a boolean and is true for a missing value; any other value gives undefined.',
        replaceSpan: span,
        sortText: sortKey(2),
      },
    );
    return candidates;
  }
  return [];
}

function completeInQuery(line: LineContext, document: AqDocument, schemas: SchemaLookup, options: CompletionOptions): CompletionCandidate[] {
  const block = blockBefore(document, line.offset);
  const kind = block?.head?.kind;
  if (!block || !kind) return [];
  if (openStringStart(line.prefix) === -2) return [];
  if (/^\s+[A-Za-z_]*$/.test(line.prefix)) {
    // An indented line deeper than the clause above may continue that clause's expression.
    const continued = continuedClause(line, block);
    if (!continued) return completeClauseName(line, block, kind);
  }
  const schema = () => lookupSafely(schemas, sourceRefOf(block.source));
  const clauseMatch = /^(\s+)([A-Za-z_]+)(\s+)([\s\S]*)$/.exec(line.prefix);
  const spec = clauseMatch ? CLAUSES_BY_NAME.get(clauseMatch[2]) : undefined;
  if (clauseMatch && spec) {
    const rest = clauseMatch[4];
    switch (clauseShape(spec, kind)) {
      case 'columnList':
        return completeColumnList(line, rest, spec.name, block, reportCatalog(schema()));
      case 'reportFilter':
        return completeReportFilter(line, rest, spec.name, reportCatalog(schema()));
      case 'order':
        return completeOrder(line, rest, block);
      case 'word':
        if (!/^[A-Za-z_]*$/.test(rest)) return [];
        return keywordCandidates(
          (spec.name === 'unit' ? (UNITS_BY_KIND[kind] ?? spec.values ?? []) : (spec.values ?? [])).map((v) => ({ label: v, detail: spec.name })),
          'enum',
          wordSpan(line),
        );
      case 'wordList': {
        if (!/^(?:[\w]+\s*,\s*)*[A-Za-z_]*$/.test(rest)) return [];
        const listed = new Set(rest.split(',').map((w) => w.trim()));
        const names = Object.entries(PIWIK_EVENT_TYPES).filter(([name]) => !listed.has(name));
        return keywordCandidates(
          names.map(([name, code]) => ({ label: name, detail: `event type ${code}` })),
          'enum',
          wordSpan(line),
        );
      }
      case 'duration': {
        if (!/^\d+\s+[A-Za-z_]*$/.test(rest)) return [];
        const units = (spec.values ?? []).filter((u) => DURATION_UNITS[u]);
        return keywordCandidates(
          units.map((u) => ({ label: u, detail: spec.name })),
          'enum',
          wordSpan(line),
        );
      }
      case 'expression':
        return completeExpression(line, rest, block, schema(), options);
      case 'expectation':
        return completeExpectation(line, rest, block, kind);
      default:
        return [];
    }
  }
  const continued = continuedClause(line, block);
  if (continued) return completeExpression(line, line.text.slice(continued.nameSpan.end, line.offset), block, schema(), options);
  return [];
}

// ---------------------------------------------------------------------------------------------
// Report columns (Piwik PRO)
// ---------------------------------------------------------------------------------------------

function columnItems(catalog: PiwikColumnCatalog, columns: PiwikColumn[], span: TextSpan, rankBase = 0): CompletionCandidate[] {
  return columns.map((column, rank) => ({
    label: column.id,
    kind: 'property' as const,
    detail: `${column.name} · ${column.kind} · ${column.type}`,
    documentation: columnDocumentation(column, catalog),
    replaceSpan: span,
    sortText: sortKey(rankBase + rank),
  }));
}

function columnsOfKind(catalog: PiwikColumnCatalog, kind: PiwikColumn['kind']): PiwikColumn[] {
  return Object.values(catalog.columns)
    .filter((column) => column.kind === kind)
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** `dimensions a, b, |` / `metrics sessions, sum(|`. */
function completeColumnList(line: LineContext, rest: string, clauseName: string, block: QueryBlock, catalog: PiwikColumnCatalog): CompletionCandidate[] {
  const match = /^(?:[A-Za-z_$][\w$]*(?:\(\s*[A-Za-z_$][\w$]*\s*\))?\s*,\s*)*(?:([A-Za-z_$][\w$]*)\(\s*)?[A-Za-z_$]?[\w$]*$/.exec(rest);
  if (!match) return [];
  const span = wordSpan(line);
  const listed = new Set(
    reportColumnUses(block)
      .filter((use) => use.clause === clauseName && !(use.node.span.start <= line.offset && line.offset <= use.node.span.end))
      .map((use) => use.node.column.value),
  );
  const transformation = match[1];
  if (transformation) {
    // Inside `t(…)`: the dimensions that support the transformation.
    const dimensions = columnsOfKind(catalog, 'dimension').filter(
      (column) => column.toMetric?.includes(transformation) || column.toDimension?.includes(transformation),
    );
    return columnItems(catalog, dimensions, span);
  }
  const wanted: PiwikColumn['kind'] = clauseName === 'dimensions' ? 'dimension' : 'metric';
  return columnItems(
    catalog,
    columnsOfKind(catalog, wanted).filter((column) => !listed.has(column.id)),
    span,
  );
}

/** `where col op value and …` / `having metric > n`. */
function completeReportFilter(line: LineContext, rest: string, clauseName: string, catalog: PiwikColumnCatalog): CompletionCandidate[] {
  const span = wordSpan(line);
  const condition = /(?:^|\(|\s(?:and|or)\s+|^\s*)\(?\s*([A-Za-z_$][\w$]*(?:\([\w$]*\))?)?(?:\s+(\S+))?(?:\s+("(?:[^"\\]|\\.)*|[\w.+-]*))?$/.exec(rest);
  if (!condition) return [];
  const [, columnText, operatorText, valueText] = condition;
  const endsWithSpace = /\s$/.test(rest);
  if (columnText === undefined || (operatorText === undefined && !endsWithSpace)) {
    const kind: PiwikColumn['kind'] = clauseName === 'having' ? 'metric' : 'dimension';
    return columnItems(catalog, columnsOfKind(catalog, kind), span);
  }
  if (operatorText === undefined || (valueText === undefined && !endsWithSpace)) {
    const operators = Object.keys(REPORT_FILTER_OPERATORS).filter((op) =>
      clauseName === 'having' ? METRIC_FILTER_OPERATORS.has(REPORT_FILTER_OPERATORS[op]) && !/^[a-z]/.test(op) : !/^(eq|neq|gt|gte|lt|lte)$/.test(op),
    );
    return keywordCandidates(
      operators.map((op) => ({ label: op, detail: `Piwik PRO: ${REPORT_FILTER_OPERATORS[op]}` })),
      'keyword',
      span,
    );
  }
  const column = findPiwikColumn(catalog, columnText.replace(/\(.*$/, ''));
  if (!column?.enumValues) return [];
  const start = line.offset - (valueText ?? '').length;
  let end = line.offset;
  if ((valueText ?? '').startsWith('"')) {
    const content = stringContentEnd(line);
    end = content.closed ? content.end + 1 : content.end;
  }
  return column.enumValues.map(([id, label], rank) => ({
    label: JSON.stringify(label),
    kind: 'value' as const,
    detail: `${column.id} = ${JSON.stringify(id)}`,
    insertText: JSON.stringify(label),
    replaceSpan: { start, end },
    sortText: sortKey(rank),
  }));
}

/** `order |` offers the report's own columns; `order col |` the direction. */
function completeOrder(line: LineContext, rest: string, block: QueryBlock): CompletionCandidate[] {
  const span = wordSpan(line);
  if (/^[\w$]*$/.test(rest)) {
    const columns = reportColumnUses(block)
      .filter((use) => use.clause === 'dimensions' || use.clause === 'metrics')
      .map((use) => (use.node.transformation ? `${use.node.transformation.value}(${use.node.column.value})` : use.node.column.value));
    if (block.clauses.some((clause) => clause.name === 'unit')) columns.unshift('timestamp');
    return keywordCandidates(
      [...new Set(columns)].map((label) => ({ label, detail: 'column of the report' })),
      'property',
      span,
    );
  }
  if (/^[\w$]+(?:\([\w$]*\))?\s+[A-Za-z]*$/.test(rest))
    return keywordCandidates(
      [
        { label: 'desc', detail: 'largest first' },
        { label: 'asc', detail: 'smallest first' },
      ],
      'enum',
      span,
    );
  return [];
}

const EXPECT_COMPARISON_ITEMS = [
  { label: '>', detail: 'greater than' },
  { label: '>=', detail: 'at least' },
  { label: '<', detail: 'less than' },
  { label: '<=', detail: 'at most' },
  { label: '==', detail: 'equal to' },
  { label: '!=', detail: 'not equal to' },
  { label: 'between', detail: 'between A and B, inclusive' },
  { label: 'within', detail: 'within N% of previous: against the preceding range of the same length' },
];

/** `expect |`: measures; `expect step "|`: the funnel's steps; after a measure: the comparisons. */
function completeExpectation(line: LineContext, rest: string, block: QueryBlock, kind: QueryKind): CompletionCandidate[] {
  const head = block.head;
  const steps = head?.kind === 'funnel' ? head.steps.map((step) => step.value) : [];
  const stepString = /^step\s+"((?:[^"\\]|\\.)*)$/.exec(rest);
  if (stepString) {
    const contentStart = line.offset - stepString[1].length;
    const { end, closed } = stringContentEnd(line);
    return steps.map((step, rank) => ({
      label: step,
      kind: 'event',
      detail: `step ${rank + 1}`,
      insertText: escapeContent(step) + (closed ? '' : '"'),
      replaceSpan: { start: contentStart, end },
      sortText: sortKey(rank),
    }));
  }
  if (/^step\s+$/.test(rest)) {
    return steps.map((step, rank) => ({
      label: step,
      kind: 'event',
      detail: `step ${rank + 1}`,
      insertText: `${JSON.stringify(step)} `,
      replaceSpan: { start: line.offset, end: line.offset },
      sortText: sortKey(rank),
    }));
  }
  if (/^step\s+"(?:[^"\\]|\\.)*"\s+[A-Za-z_]*$/.test(rest)) {
    return keywordCandidates(
      EXPECT_MEASURES.filter((m) => m.keyword === 'step').map((m) => ({ label: m.qualifier!, detail: m.form, documentation: m.description })),
      'enum',
      wordSpan(line),
    );
  }
  if (/^series\s+"(?:[^"\\]|\\.)*"\s+[A-Za-z_]*$/.test(rest))
    return keywordCandidates([{ label: 'total', detail: 'series "NAME" total' }], 'enum', wordSpan(line));
  if (/^[A-Za-z_]*$/.test(rest)) {
    const seen = new Set<string>();
    const measures = EXPECT_MEASURES.filter((m) => m.kinds.includes(kind) && !seen.has(m.keyword) && seen.add(m.keyword));
    return keywordCandidates(
      measures.map((m) => ({
        label: m.keyword,
        detail: EXPECT_MEASURES.filter((other) => other.keyword === m.keyword && other.kinds.includes(kind))
          .map((other) => other.form)
          .join(' · '),
        documentation: m.description,
      })),
      'enum',
      wordSpan(line),
    );
  }
  const afterMeasure =
    /^(?:total|rows|conversion|series\s+"(?:[^"\\]|\\.)*"\s+total|step\s+"(?:[^"\\]|\\.)*"\s+(?:count|conversion)|retained\s+\d+(?:\s+count)?)\s+([A-Za-z_]*)$/.exec(
      rest,
    );
  if (afterMeasure) {
    return keywordCandidates(EXPECT_COMPARISON_ITEMS, 'keyword', afterMeasure[1] === '' ? { start: line.offset, end: line.offset } : wordSpan(line));
  }
  if (/\bwithin\s+\d+(?:\.\d+)?%\s+[A-Za-z_]*$/.test(rest))
    return keywordCandidates([{ label: 'of previous', detail: 'the preceding range of the same length' }], 'keyword', wordSpan(line));
  return [];
}

/** The expression clause that an indented line continues (deeper than the clause keyword), if any. */
function continuedClause(line: LineContext, block: QueryBlock) {
  let previous;
  for (const clause of block.clauses) {
    if (clause.nameSpan.start < line.lineStart) previous = clause;
  }
  const previousSpec = previous ? CLAUSES_BY_NAME.get(previous.name) : undefined;
  // A report's `where` is a Piwik PRO filter, not an expression: its continuation lines get no expression items.
  if (!previous || !previousSpec || clauseShape(previousSpec, block.head?.kind) !== 'expression') return undefined;
  const clauseLineStart = line.text.lastIndexOf('\n', previous.nameSpan.start - 1) + 1;
  const clauseIndent = previous.nameSpan.start - clauseLineStart;
  const indent = /^[ \t]*/.exec(line.prefix)![0].length;
  if (indent <= clauseIndent) return undefined;
  // Only when nothing but the clause's own continuation lies between it and this line.
  const between = line.text.slice(previous.nameSpan.start, line.lineStart);
  const interrupted = between
    .split('\n')
    .slice(1)
    .some((l) => l.trim() !== '' && /^[ \t]*/.exec(l)![0].length <= clauseIndent);
  return interrupted ? undefined : previous;
}

/** Completion candidates at `offset`. Never throws on broken text. */
export function completeQuery(
  document: AqDocument,
  text: string,
  offset: number,
  schemas: SchemaLookup,
  options: CompletionOptions = {},
  narrowing?: Narrowing,
): CompletionCandidate[] {
  const at = Math.max(0, Math.min(offset, text.length));
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  let lineEnd = text.indexOf('\n', at);
  if (lineEnd === -1) lineEnd = text.length;
  if (lineEnd > lineStart && text[lineEnd - 1] === '\r') lineEnd--;
  if (at > lineEnd) return [];
  const line: LineContext = { text, offset: at, lineStart, lineEnd, prefix: text.slice(lineStart, at), suffix: text.slice(at, lineEnd) };
  if (line.prefix.length > 0 && /^[ \t]/.test(line.prefix)) return completeInQuery(line, document, schemas, options);
  return completeTopLevel(line, schemas, document, narrowing);
}

/**
 * `narrowCompletions(completeQuery(…), text, offset, limit)`, with the long lists narrowed while
 * they are built instead of after (see `eventItems`).
 */
export function completeNarrowed(
  document: AqDocument,
  text: string,
  offset: number,
  schemas: SchemaLookup,
  options: CompletionOptions = {},
  limit = COMPLETION_LIST_LIMIT,
): NarrowedCompletions {
  const narrowing: Narrowing = { limit, isIncomplete: false, applied: false };
  const candidates = completeQuery(document, text, offset, schemas, options, narrowing);
  return narrowing.applied ? { candidates, isIncomplete: narrowing.isIncomplete } : narrowCompletions(candidates, text, offset, limit);
}

/** Where live values of an event property would go at `offset`, if the cursor is at such a value. */
export function propertyValueTarget(document: AqDocument, text: string, offset: number, schemas: SchemaLookup): PropertyValueTarget | undefined {
  let target: PropertyValueTarget | undefined;
  completeQuery(document, text, offset, schemas, { onValueTarget: (found) => (target = found) });
  return target;
}
