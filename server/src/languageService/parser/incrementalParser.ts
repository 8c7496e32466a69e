/**
 * Re-parses an `.aq` file after an edit in time proportional to the edited query, not the file.
 *
 * The grammar resets all parser state at a column-0 `### Title`, at a `use` line and at a head
 * line that no title is waiting for; only the current `use` directive and the query count cross
 * such a line. The text is cut into chunks at those lines, each chunk is parsed on its own
 * (cached by its text, spans from the chunk's start), and a new version is cut again only where it
 * differs from the last one. `assembleDocument` shifts the chunks' nodes to their offsets and
 * stitches them together, giving exactly what `parseAqDocument` gives for the whole text; the
 * features that run on every keystroke read the chunks instead, so the chunks an edit moves are
 * never copied.
 */
import type { QuickFix } from './textSpan';
import { QUERY_KINDS } from '../clauseCatalog';
import type {
  AqDocument,
  Clause,
  ClauseValue,
  ColumnRefNode,
  ExpectationNode,
  ExpectValueNode,
  Expression,
  NumberNode,
  QueryBlock,
  QueryHead,
  ReportFilterNode,
  StringNode,
  SyntaxProblem,
  TextSpan,
  UseDirective,
  WordNode,
} from './queryAst';
import { parseAqChunk } from './queryParser';

/**
 * Where a new version of a text differs from an earlier one: `[start, oldEnd)` of the earlier text
 * became `[start, newEnd)`; everything before `start` and after the ends is the same. It may cover
 * more than what really changed (replacing a character by itself), never less.
 */
export interface TextChange {
  readonly start: number;
  readonly oldEnd: number;
  readonly newEnd: number;
}

/**
 * A text that knows how it was edited: an editor document applying the editor's changes. The
 * parser reads only the part of it around the change, so a keystroke in a large file never needs
 * the whole text as one string (building that string is what a keystroke would cost most).
 */
export interface EditedText {
  readonly length: number;
  /** The text in `[start, end)`. */
  slice(start: number, end: number): string;
  /** Names this version; a new object after every change. */
  readonly revision: object;
  /** Where this version differs from the one named `revision`; undefined when that is not known (too old, another document, the whole text replaced). */
  changeSince(revision: object): TextChange | undefined;
}

/** Parses successive versions of one document, reusing the parse of unchanged chunks. */
export interface IncrementalParser {
  /** Deeply equal to `parseAqDocument(text)`. Never throws. */
  parse(text: string | EditedText): AqDocument;
  /**
   * The same parse, chunk by chunk, without placing every chunk's nodes in the document. A string
   * is compared with the previous version to find what changed; an `EditedText` says so itself.
   * Never throws.
   */
  parseChunks(text: string | EditedText): ChunkedDocument;
}

/** How many distinct chunk texts one parser remembers. */
const DEFAULT_MAX_CACHED_CHUNKS = 5000;

/** Stands for "the `use` line above this chunk" in cached chunk parses; never in an assembled document. */
export const INHERITED_USE: UseDirective = Object.freeze({ span: { start: 0, end: 0 }, sourceKind: undefined, sourceKindSpan: undefined, target: undefined });

const QUERY_KIND_NAMES: ReadonlySet<string> = new Set(QUERY_KINDS);

/** Most chunks have no `use` line; they share this. */
const NO_USES: readonly UseDirective[] = Object.freeze([]);

type LineKind = 'title' | 'use' | 'head' | 'blank' | 'other';

/** A chunk's parse at offset 0, with its text copied out of the document it came from. */
interface CachedChunk {
  text: string;
  parsed: AqDocument;
}

/**
 * One chunk of a document version: its own parse, and where it sits. Chunks are what an edit
 * leaves alone or replaces, so whatever is derived from a chunk's `parsed` tree (its findings,
 * say) stays valid wherever the chunk moves: only `offset`, `indexBase` and `inheritedUse` change.
 */
export interface DocumentChunk {
  /** The chunk's text, copied out of the document. */
  readonly text: string;
  /**
   * The chunk parsed on its own: spans from the chunk's start, queries indexed from 0, and a query
   * that takes its source from above the chunk has `source === INHERITED_USE`. Shared by every
   * place and version where the same text occurs, so it is never modified.
   */
  readonly parsed: AqDocument;
  readonly offset: number;
  /** The document index of the chunk's first query. */
  readonly indexBase: number;
  /** The `use` directive in force where the chunk starts. */
  readonly inheritedUse: UseDirective | undefined;
  /** The chunk's own `use` directives, placed in the document (few, and later chunks refer to them). */
  readonly uses: readonly UseDirective[];
}

/** A document version as chunks; `assembleDocument` turns it into the `AqDocument` a full parse gives. */
export interface ChunkedDocument {
  readonly textLength: number;
  readonly chunks: readonly DocumentChunk[];
}

/** A chunk's queries, comments and problems placed in the document: built when first needed. */
interface PlacedNodes {
  queries: QueryBlock[];
  comments: TextSpan[];
  problems: SyntaxProblem[];
}

// The tokenizer's notion of white space (queryTokenizer.ts `isSpace`) and word characters.
function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 12 || code === 11;
}

function isWordStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36;
}

function isWordPart(code: number): boolean {
  return isWordStart(code) || (code >= 48 && code <= 57);
}

/** Classifies `text[start, end)` the way queryParser.ts `parseLine` would treat it. */
function classifyLine(text: string, start: number, end: number): LineKind {
  let position = start;
  while (position < end && (text.charCodeAt(position) === 32 || text.charCodeAt(position) === 9)) position++;
  const indented = position > start;
  if (!indented && text.startsWith('###', start)) return 'title';
  while (position < end && isSpace(text.charCodeAt(position))) position++;
  if (position >= end || text.charCodeAt(position) === 35 /* # */) return 'blank';
  if (indented || !isWordStart(text.charCodeAt(position))) return 'other';
  let wordEnd = position + 1;
  while (wordEnd < end && isWordPart(text.charCodeAt(wordEnd))) wordEnd++;
  const word = text.slice(position, wordEnd);
  if (word === 'use') return 'use';
  return QUERY_KIND_NAMES.has(word) ? 'head' : 'other';
}

/**
 * Offsets where chunks start (the first is always 0). A head line right after a title (with only
 * blank or comment lines between) belongs to the title's chunk, since the title waits for it.
 */
export function chunkStarts(text: string): number[] {
  return scanChunkStarts(text, 0, true).starts;
}

/**
 * The chunk starts in `window`, the text from `from` (a chunk start: the line before it is
 * unchanged, and so is whether it starts a chunk) up to a line start or the end of the text
 * (`reachesTextEnd`). Offsets are the document's. With `isKnownStart`, the scan stops at the first
 * later chunk start it accepts, returned as `stoppedAt`: from a start where the old and new text
 * agree onwards, the old chunks still hold, since no line's kind depends on anything above the
 * last chunk start.
 */
function scanChunkStarts(
  window: string,
  from: number,
  reachesTextEnd: boolean,
  isKnownStart?: (offset: number) => boolean,
): { starts: number[]; stoppedAt: number | undefined } {
  const starts = [from];
  let previousKind: LineKind | undefined;
  let lineStart = 0;
  // The empty line after a final line break is scanned only at the real end (it never starts a chunk).
  while (lineStart < window.length || (reachesTextEnd && lineStart === window.length)) {
    let lineEnd = window.indexOf('\n', lineStart);
    const nextStart = lineEnd === -1 ? window.length + 1 : lineEnd + 1;
    if (lineEnd === -1) lineEnd = window.length;
    if (lineEnd > lineStart && window.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    const kind = classifyLine(window, lineStart, lineEnd);
    const startsChunk = kind === 'title' || kind === 'use' || (kind === 'head' && previousKind !== 'title');
    if (startsChunk && lineStart > 0) {
      if (isKnownStart?.(from + lineStart)) return { starts, stoppedAt: from + lineStart };
      starts.push(from + lineStart);
    }
    if (kind !== 'blank') previousKind = kind;
    lineStart = nextStart;
  }
  return { starts, stoppedAt: undefined };
}

/** Characters compared at once when looking for where two versions differ (string equality is a fast native compare). */
const COMPARE_BLOCK = 4096;

/** How many leading characters `a` and `b` share. */
function commonPrefixLength(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let length = 0;
  let block = COMPARE_BLOCK;
  while (length < limit) {
    const size = Math.min(block, limit - length);
    if (a.slice(length, length + size) === b.slice(length, length + size)) length += size;
    else if (size === 1) return length;
    else block = size >> 1;
  }
  return length;
}

/** How many trailing characters `a` and `b` share, at most `limit`. */
function commonSuffixLength(a: string, b: string, limit: number): number {
  let length = 0;
  let block = COMPARE_BLOCK;
  while (length < limit) {
    const size = Math.min(block, limit - length);
    if (a.slice(a.length - length - size, a.length - length) === b.slice(b.length - length - size, b.length - length)) length += size;
    else if (size === 1) return length;
    else block = size >> 1;
  }
  return length;
}

// ---------------------------------------------------------------------------------------------
// Span shifting: one function per node type, so a new node kind fails to compile until handled.
// ---------------------------------------------------------------------------------------------

function shiftSpan(span: TextSpan, delta: number): TextSpan {
  return { start: span.start + delta, end: span.end + delta };
}

function shiftOptionalSpan(span: TextSpan | undefined, delta: number): TextSpan | undefined {
  return span === undefined ? undefined : shiftSpan(span, delta);
}

// Literals naming every field, rather than spreads, keep the copies monomorphic and cheap.
function shiftString<T extends StringNode | undefined>(node: T, delta: number): T {
  return (node === undefined ? undefined : { span: shiftSpan(node.span, delta), value: node.value, terminated: node.terminated }) as T;
}

function shiftNumber<T extends NumberNode | undefined>(node: T, delta: number): T {
  return (node === undefined ? undefined : { span: shiftSpan(node.span, delta), value: node.value, text: node.text }) as T;
}

function shiftWord<T extends WordNode | undefined>(node: T, delta: number): T {
  return (node === undefined ? undefined : { span: shiftSpan(node.span, delta), value: node.value }) as T;
}

function shiftUse(use: UseDirective, delta: number): UseDirective {
  return { ...use, span: shiftSpan(use.span, delta), sourceKindSpan: shiftOptionalSpan(use.sourceKindSpan, delta), target: shiftString(use.target, delta) };
}

function shiftHead(head: QueryHead, delta: number): QueryHead {
  const span = shiftSpan(head.span, delta);
  const keywordSpan = shiftSpan(head.keywordSpan, delta);
  switch (head.kind) {
    case 'segmentation':
      return { ...head, span, keywordSpan, event: shiftString(head.event, delta) };
    case 'funnel':
      return { ...head, span, keywordSpan, steps: head.steps.map((step) => shiftString(step, delta)), savedId: shiftNumber(head.savedId, delta) };
    case 'insights':
      return { ...head, span, keywordSpan, bookmarkId: shiftNumber(head.bookmarkId, delta) };
    case 'retention':
      return { ...head, span, keywordSpan, bornEvent: shiftString(head.bornEvent, delta), returnEvent: shiftString(head.returnEvent, delta) };
    case 'jql':
      return { ...head, span, keywordSpan, scriptPath: shiftString(head.scriptPath, delta) };
    case 'debugger':
      return { ...head, span, keywordSpan, appId: shiftString(head.appId, delta) };
    case 'report':
      return { ...head, span, keywordSpan, websiteId: shiftString(head.websiteId, delta) };
    default:
      return assertNever(head);
  }
}

/** Shifts every span of an expression tree by `delta`. */
export function shiftExpression(expression: Expression, delta: number): Expression {
  const span = shiftSpan(expression.span, delta);
  switch (expression.type) {
    case 'property':
      return { type: 'property', span, scope: expression.scope, name: expression.name, nameSpan: shiftSpan(expression.nameSpan, delta) };
    case 'string':
      return { type: 'string', span, value: expression.value };
    case 'number':
      return { type: 'number', span, value: expression.value };
    case 'boolean':
      return { type: 'boolean', span, value: expression.value };
    case 'error':
      return { type: 'error', span };
    case 'list':
      return { type: 'list', span, items: expression.items.map((item) => shiftExpression(item, delta)) };
    case 'binary':
      return {
        type: 'binary',
        span,
        operator: expression.operator,
        operatorSpan: shiftSpan(expression.operatorSpan, delta),
        left: shiftExpression(expression.left, delta),
        right: shiftExpression(expression.right, delta),
      };
    case 'unary':
      return { type: 'unary', span, operator: expression.operator, operand: shiftExpression(expression.operand, delta) };
    case 'call':
      return {
        type: 'call',
        span,
        callee: expression.callee,
        calleeSpan: shiftSpan(expression.calleeSpan, delta),
        args: expression.args.map((arg) => shiftExpression(arg, delta)),
      };
    default:
      return assertNever(expression);
  }
}

function shiftClauseValue(value: ClauseValue, delta: number): ClauseValue {
  switch (value.type) {
    case 'flag':
    case 'invalid':
      // Nothing in them moves, and nothing reads them but to look.
      return value;
    case 'expression':
      return { type: 'expression', expression: shiftExpression(value.expression, delta) };
    case 'word':
      return { type: 'word', word: shiftWord(value.word, delta) };
    case 'number':
      return { type: 'number', number: shiftNumber(value.number, delta) };
    case 'dateRange':
      return { type: 'dateRange', from: shiftWord(value.from, delta), to: shiftWord(value.to, delta) };
    case 'duration':
      return { type: 'duration', count: shiftNumber(value.count, delta), unit: shiftWord(value.unit, delta) };
    case 'json':
      // The parsed object is user data without spans; documents share it read-only.
      return { type: 'json', span: shiftSpan(value.span, delta), value: value.value };
    case 'wordList':
      return { type: 'wordList', words: value.words.map((word) => shiftWord(word, delta)) };
    case 'columnList':
      return { type: 'columnList', columns: value.columns.map((column) => shiftColumnRef(column, delta)) };
    case 'reportFilter':
      return { type: 'reportFilter', filter: shiftReportFilter(value.filter, delta) };
    case 'order':
      return {
        type: 'order',
        column: value.column === undefined ? undefined : shiftColumnRef(value.column, delta),
        direction: shiftWord(value.direction, delta),
      };
    case 'expectation':
      return { type: 'expectation', expectation: shiftExpectation(value.expectation, delta) };
    default:
      return assertNever(value);
  }
}

function shiftExpectValue<T extends ExpectValueNode | undefined>(node: T, delta: number): T {
  return (node === undefined ? undefined : { ...node, span: shiftSpan(node.span, delta) }) as T;
}

function shiftExpectation(expectation: ExpectationNode, delta: number): ExpectationNode {
  const measure = expectation.measure;
  const comparison = expectation.comparison;
  return {
    span: shiftSpan(expectation.span, delta),
    measure: measure && {
      span: shiftSpan(measure.span, delta),
      kind: measure.kind,
      keyword: shiftWord(measure.keyword, delta),
      name: shiftString(measure.name, delta),
      interval: shiftNumber(measure.interval, delta),
      qualifier: shiftWord(measure.qualifier, delta),
    },
    comparison:
      comparison === undefined
        ? undefined
        : comparison.kind === 'compare'
          ? {
              ...comparison,
              span: shiftSpan(comparison.span, delta),
              operatorSpan: shiftSpan(comparison.operatorSpan, delta),
              value: shiftExpectValue(comparison.value, delta),
            }
          : comparison.kind === 'between'
            ? {
                ...comparison,
                span: shiftSpan(comparison.span, delta),
                keywordSpan: shiftSpan(comparison.keywordSpan, delta),
                low: shiftExpectValue(comparison.low, delta),
                high: shiftExpectValue(comparison.high, delta),
              }
            : {
                ...comparison,
                span: shiftSpan(comparison.span, delta),
                keywordSpan: shiftSpan(comparison.keywordSpan, delta),
                tolerance: shiftExpectValue(comparison.tolerance, delta),
              },
  };
}

function shiftColumnRef(column: ColumnRefNode, delta: number): ColumnRefNode {
  return { span: shiftSpan(column.span, delta), column: shiftWord(column.column, delta), transformation: shiftWord(column.transformation, delta) };
}

function shiftReportFilter(filter: ReportFilterNode, delta: number): ReportFilterNode {
  const span = shiftSpan(filter.span, delta);
  switch (filter.type) {
    case 'error':
      return { type: 'error', span };
    case 'group':
      return { type: 'group', span, operator: filter.operator, conditions: filter.conditions.map((condition) => shiftReportFilter(condition, delta)) };
    case 'condition':
      return {
        type: 'condition',
        span,
        column: shiftColumnRef(filter.column, delta),
        operator: shiftWord(filter.operator, delta),
        value: filter.value === undefined ? undefined : { span: shiftSpan(filter.value.span, delta), value: filter.value.value },
      };
    default:
      return assertNever(filter);
  }
}

function shiftClause(clause: Clause, delta: number): Clause {
  return { span: shiftSpan(clause.span, delta), name: clause.name, nameSpan: shiftSpan(clause.nameSpan, delta), value: shiftClauseValue(clause.value, delta) };
}

function shiftFix(fix: QuickFix, delta: number): QuickFix {
  return { ...fix, edits: fix.edits.map((edit) => ({ ...edit, span: shiftSpan(edit.span, delta) })) };
}

function shiftProblem(problem: SyntaxProblem, delta: number): SyntaxProblem {
  const shifted: SyntaxProblem = { ...problem, span: shiftSpan(problem.span, delta) };
  if (problem.fixes !== undefined) shifted.fixes = problem.fixes.map((fix) => shiftFix(fix, delta));
  return shifted;
}

function assertNever(value: never): never {
  throw new Error(`Unhandled syntax node ${JSON.stringify(value)}`);
}

/** The source of a query of `chunk.parsed`: the chunk's inherited `use`, or one of the chunk's own (whose spans are then chunk-relative). */
export function chunkQuerySource(chunk: DocumentChunk, query: QueryBlock): UseDirective | undefined {
  return query.source === INHERITED_USE ? chunk.inheritedUse : query.source;
}

const placedNodesByChunk = new WeakMap<DocumentChunk, PlacedNodes>();

/** The queries of `chunk.parsed` moved by `delta`, indexed in the document, with sources from `placedUse`. */
function placeQueries(chunk: DocumentChunk, delta: number, placedUse: (source: UseDirective | undefined) => UseDirective | undefined): QueryBlock[] {
  return chunk.parsed.queries.map((query): QueryBlock => ({
    ...query,
    span: shiftSpan(query.span, delta),
    index: chunk.indexBase + query.index,
    titleSpan: shiftOptionalSpan(query.titleSpan, delta),
    head: query.head === undefined ? undefined : shiftHead(query.head, delta),
    clauses: query.clauses.map((clause) => shiftClause(clause, delta)),
    source: placedUse(query.source),
  }));
}

/**
 * The chunk's nodes with document spans, indices and sources. Copying a chunk's tree is the
 * expensive part of moving it, so it happens only for chunks whose absolute nodes are asked for,
 * once per chunk object (a chunk that neither changed nor moved keeps its object, and its nodes).
 */
function placedNodes(chunk: DocumentChunk): PlacedNodes {
  let placed = placedNodesByChunk.get(chunk);
  if (placed !== undefined) return placed;
  const { parsed, offset } = chunk;
  placed = {
    queries: placeQueries(chunk, offset, (source) => {
      if (source === undefined) return undefined;
      if (source === INHERITED_USE) return chunk.inheritedUse;
      return chunk.uses[parsed.uses.indexOf(source)];
    }),
    comments: parsed.comments.map((comment) => shiftSpan(comment, offset)),
    problems: parsed.problems.map((problem) => shiftProblem(problem, offset)),
  };
  placedNodesByChunk.set(chunk, placed);
  return placed;
}

const assembled = new WeakMap<ChunkedDocument, AqDocument>();

/** The document a full parse of the text gives (built once per chunked document). */
export function assembleDocument(chunked: ChunkedDocument): AqDocument {
  let document = assembled.get(chunked);
  if (document !== undefined) return document;
  document = { textLength: chunked.textLength, uses: [], queries: [], comments: [], problems: [] };
  for (const chunk of chunked.chunks) {
    const placed = placedNodes(chunk);
    for (const use of chunk.uses) document.uses.push(use);
    for (const query of placed.queries) document.queries.push(query);
    for (const comment of placed.comments) document.comments.push(comment);
    for (const problem of placed.problems) document.problems.push(problem);
  }
  assembled.set(chunked, document);
  return document;
}

/** The index of the chunk containing `offset` (the last one starting at or before it). */
export function chunkIndexAt(chunked: ChunkedDocument, offset: number): number {
  const { chunks } = chunked;
  let low = 0;
  let high = chunks.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (chunks[middle].offset <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}

/** The chunks `documentAround` reads at `offset`: from `first` to `at`. */
function chunksAround(chunked: ChunkedDocument, offset: number): { first: number; at: number } {
  const at = chunkIndexAt(chunked, offset);
  const startsAtOrBefore = (chunk: DocumentChunk) => chunk.parsed.queries.length > 0 && chunk.offset + chunk.parsed.queries[0].span.start <= offset;
  let first = at;
  while (first > 0 && !startsAtOrBefore(chunked.chunks[first])) first--;
  return { first, at };
}

/**
 * The part of the document that completion and hover at `offset` read, as a small document with
 * document spans: the queries of the chunk containing `offset`, back to the nearest query that
 * starts at or before it (an indented line belongs to the last query above it; no query reaches
 * past its chunk), and the `use` directives in force there. Building it costs a chunk or two,
 * where assembling the whole document after an edit moved every chunk below it costs a copy of
 * every tree below the edit. Comments and syntax problems are left out.
 */
export function documentAround(chunked: ChunkedDocument, offset: number): AqDocument {
  const { first, at } = chunksAround(chunked, offset);
  const chunk = chunked.chunks[at];
  const document: AqDocument = { textLength: chunked.textLength, uses: [], queries: [], comments: [], problems: [] };
  if (chunk === undefined) return document;
  const inherited = chunked.chunks[first].inheritedUse;
  if (inherited !== undefined) document.uses.push(inherited);
  for (let i = first; i <= at; i++) {
    const current = chunked.chunks[i];
    for (const use of current.uses) document.uses.push(use);
    for (const query of placedNodes(current).queries) document.queries.push(query);
  }
  return document;
}

/** The text `documentAround` covers, and its document with spans counted from where that text starts. */
export interface ChunkWindow {
  /** The document offset the window starts at: subtract it from document offsets to get window offsets, add it back to the answers' spans. */
  readonly start: number;
  /** The text of the window's chunks: every line completion and hover at the offset read. */
  readonly text: string;
  /** `documentAround`, moved by `-start`; `use` lines above the window get negative spans. */
  readonly document: AqDocument;
}

/**
 * `documentAround` with the text it covers, counted from the window's start. Completion and hover
 * read only the lines of the query at the cursor (and the `use` line in force), all inside the
 * window, so on the window they answer what they answer on the whole text (a test compares them
 * at every offset), and no keystroke needs the whole text as one string: the window is made of
 * the chunks' own texts.
 */
export function windowAround(chunked: ChunkedDocument, offset: number): ChunkWindow {
  const { first, at } = chunksAround(chunked, offset);
  const firstChunk = chunked.chunks[first];
  if (firstChunk === undefined) return { start: 0, text: '', document: { textLength: 0, uses: [], queries: [], comments: [], problems: [] } };
  const start = firstChunk.offset;
  const texts: string[] = [];
  const document: AqDocument = { textLength: 0, uses: [], queries: [], comments: [], problems: [] };
  // The window's copy of each `use` directive in the document, so that a query's source is one of the window's uses, as on the whole document.
  const windowUses = new Map<UseDirective, UseDirective>();
  const windowUse = (use: UseDirective): UseDirective => {
    let moved = windowUses.get(use);
    if (moved === undefined) {
      moved = shiftUse(use, -start);
      windowUses.set(use, moved);
      document.uses.push(moved);
    }
    return moved;
  };
  if (firstChunk.inheritedUse !== undefined) windowUse(firstChunk.inheritedUse);
  for (let i = first; i <= at; i++) {
    const chunk = chunked.chunks[i];
    for (const use of chunk.uses) windowUse(use);
    const queries = placeQueries(chunk, chunk.offset - start, (source) => {
      if (source === undefined) return undefined;
      const placed = source === INHERITED_USE ? chunk.inheritedUse : chunk.uses[chunk.parsed.uses.indexOf(source)];
      return placed === undefined ? undefined : windowUse(placed);
    });
    for (const query of queries) document.queries.push(query);
    texts.push(chunk.text);
  }
  const text = texts.length === 1 ? texts[0] : texts.join('');
  document.textLength = text.length;
  return { start, text, document };
}

/**
 * Creates a parser for the successive versions of one document. Chunks whose text and place are
 * unchanged since the previous call keep their objects (and so their placed nodes); moved chunks
 * get new objects around the same parse; only new chunk texts are parsed.
 */
export function createIncrementalParser(maxCachedChunks = DEFAULT_MAX_CACHED_CHUNKS): IncrementalParser {
  /** Chunk text → its parse at offset 0, least recently used first. */
  const parsedChunks = new Map<string, CachedChunk>();
  let previous: readonly DocumentChunk[] = [];
  let previousLength = 0;
  /** The previous version as a string, when it came as one (an edited text is never copied whole). */
  let previousText: string | undefined = '';
  /** The previous version's revision, when it came as an edited text. */
  let previousRevision: object | undefined;

  const parseChunk = (chunkText: string): CachedChunk => {
    let cached = parsedChunks.get(chunkText);
    if (cached !== undefined) {
      parsedChunks.delete(chunkText);
    } else {
      // A substring may keep the whole document text alive; the cache must hold only the chunk.
      const ownText = ` ${chunkText}`.slice(1);
      cached = { text: ownText, parsed: parseAqChunk(ownText, INHERITED_USE) };
    }
    parsedChunks.set(cached.text, cached);
    if (parsedChunks.size > maxCachedChunks) {
      const leastRecentlyUsed = parsedChunks.keys().next().value;
      if (leastRecentlyUsed !== undefined) parsedChunks.delete(leastRecentlyUsed);
    }
    return cached;
  };

  /** A chunk at its place, reusing `reusable` when nothing about its place changed. */
  const place = (
    parsedChunk: CachedChunk,
    offset: number,
    indexBase: number,
    inheritedUse: UseDirective | undefined,
    reusable: DocumentChunk | undefined,
  ): DocumentChunk => {
    if (
      reusable !== undefined &&
      reusable.parsed === parsedChunk.parsed &&
      reusable.offset === offset &&
      reusable.indexBase === indexBase &&
      reusable.inheritedUse === inheritedUse
    )
      return reusable;
    const { text, parsed } = parsedChunk;
    return { text, parsed, offset, indexBase, inheritedUse, uses: parsed.uses.length === 0 ? NO_USES : parsed.uses.map((use) => shiftUse(use, offset)) };
  };

  /**
   * Only the text between the chunks that lie before the change and those that lie after it is
   * cut into chunks again, from the last chunk before it (the line after that chunk may now join
   * it) until a chunk start of the old text after the change is reached; the chunks around keep
   * their parses. The text is read through `slice`, from the first re-cut chunk to a few chunks
   * past the change (further only when the scan does not stop there).
   */
  const reparse = (change: TextChange, text: Pick<EditedText, 'length' | 'slice'>): ChunkedDocument => {
    const old = previous;
    const delta = text.length - previousLength;
    let matchingBefore = 0;
    while (matchingBefore < old.length && old[matchingBefore].offset + old[matchingBefore].text.length <= change.start) matchingBefore++;
    const kept = Math.max(0, matchingBefore - 1);
    const scanFrom = kept < old.length ? old[kept].offset : 0;
    let firstAfter = old.length;
    while (firstAfter - 1 > kept && old[firstAfter - 1].offset >= change.oldEnd && old[firstAfter - 1].offset + delta > scanFrom) firstAfter--;
    const changedEnd = firstAfter < old.length ? old[firstAfter].offset + delta : text.length;
    // The window ends at an old chunk start after `firstAfter`'s: the line break before it lies
    // after the change, so it is a line start of the new text too, and every line the scan
    // classifies is whole.
    let windowEndChunk = firstAfter + 1;
    let scanned: { starts: number[]; stoppedAt: number | undefined; window: string };
    let candidate: number;
    for (;;) {
      const windowEnd = windowEndChunk < old.length ? old[windowEndChunk].offset + delta : text.length;
      const window = text.slice(scanFrom, windowEnd);
      candidate = firstAfter;
      const { starts, stoppedAt } = scanChunkStarts(window, scanFrom, windowEnd === text.length, (offset) => {
        if (offset < changedEnd) return false;
        while (candidate < old.length && old[candidate].offset + delta < offset) candidate++;
        return candidate < old.length && old[candidate].offset + delta === offset;
      });
      scanned = { starts, stoppedAt, window };
      if (stoppedAt !== undefined || windowEnd === text.length) break;
      windowEndChunk += 2 * (windowEndChunk - firstAfter);
    }

    const chunks: DocumentChunk[] = old.slice(0, kept);
    const last = chunks[chunks.length - 1];
    let currentUse = last === undefined ? undefined : last.uses.length > 0 ? last.uses[last.uses.length - 1] : last.inheritedUse;
    let queryCount = last === undefined ? 0 : last.indexBase + last.parsed.queries.length;
    const add = (chunk: DocumentChunk) => {
      chunks.push(chunk);
      queryCount += chunk.parsed.queries.length;
      if (chunk.uses.length > 0) currentUse = chunk.uses[chunk.uses.length - 1];
    };
    const { starts, stoppedAt, window } = scanned;
    const end = stoppedAt ?? text.length;
    for (let i = 0; i < starts.length; i++) {
      const offset = starts[i];
      const chunkText = window.slice(offset - scanFrom, (i + 1 < starts.length ? starts[i + 1] : end) - scanFrom);
      add(place(parseChunk(chunkText), offset, queryCount, currentUse, old[kept + i]));
    }
    if (stoppedAt !== undefined) {
      for (let k = candidate; k < old.length; k++) add(place(old[k], old[k].offset + delta, queryCount, currentUse, old[k]));
    }
    previous = chunks;
    previousLength = text.length;
    return { textLength: text.length, chunks };
  };

  /** The previous version's text: kept when it came as a string, else put back together from its chunks (which hold all of it). */
  const previousWholeText = (): string => previousText ?? previous.map((chunk) => chunk.text).join('');

  /** Finds the change by comparing the whole texts (a string, or an edited text whose change is not known). */
  const reparseText = (text: string): ChunkedDocument => {
    const before = previousWholeText();
    const prefix = commonPrefixLength(before, text);
    const suffix = commonSuffixLength(before, text, Math.min(before.length, text.length) - prefix);
    const chunked = reparse({ start: prefix, oldEnd: before.length - suffix, newEnd: text.length - suffix }, text);
    previousText = text;
    return chunked;
  };

  const parseChunks = (input: string | EditedText): ChunkedDocument => {
    if (typeof input === 'string') {
      previousRevision = undefined;
      return reparseText(input);
    }
    const change = previousRevision === undefined ? undefined : input.changeSince(previousRevision);
    previousRevision = input.revision;
    if (change === undefined) return reparseText(input.slice(0, input.length));
    previousText = undefined;
    return reparse(change, input);
  };

  return {
    parseChunks,
    parse: (text) => assembleDocument(parseChunks(text)),
  };
}
