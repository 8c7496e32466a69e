/**
 * Re-parses an `.aq` file after an edit in time proportional to the edited query, not the file.
 *
 * The grammar resets all parser state at a column-0 `### Title`, at a `use` line and at a head
 * line that no title is waiting for; only the current `use` directive and the query count cross
 * such a line. The text is cut into chunks at those lines, each chunk is parsed on its own
 * (cached by its text) and the results are shifted to the chunk's offset and stitched together,
 * giving exactly what `parseAqDocument` gives for the whole text.
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

/** Parses successive versions of one document, reusing the parse of unchanged chunks. */
export interface IncrementalParser {
  /** Deeply equal to `parseAqDocument(text)`. Never throws. */
  parse(text: string): AqDocument;
}

/** How many distinct chunk texts one parser remembers. */
const DEFAULT_MAX_CACHED_CHUNKS = 5000;

/** Stands for "the `use` line above this chunk" in cached chunk parses; never emitted. */
const INHERITED_USE: UseDirective = Object.freeze({ span: { start: 0, end: 0 }, sourceKind: undefined, sourceKindSpan: undefined, target: undefined });

const QUERY_KIND_NAMES: ReadonlySet<string> = new Set(QUERY_KINDS);

type LineKind = 'title' | 'use' | 'head' | 'blank' | 'other';

/** A chunk's parse at offset 0, with its text copied out of the document it came from. */
interface CachedChunk {
  text: string;
  parsed: AqDocument;
}

/** The parse of one chunk, placed in the document. */
interface PlacedChunk {
  text: string;
  /** The chunk's parse at offset 0, from which this placement was made. */
  parsed: AqDocument;
  offset: number;
  indexBase: number;
  inheritedUse: UseDirective | undefined;
  uses: UseDirective[];
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
  const starts = [0];
  let previousKind: LineKind | undefined;
  let lineStart = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    const nextStart = lineEnd === -1 ? text.length + 1 : lineEnd + 1;
    if (lineEnd === -1) lineEnd = text.length;
    if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    const kind = classifyLine(text, lineStart, lineEnd);
    const startsChunk = kind === 'title' || kind === 'use' || (kind === 'head' && previousKind !== 'title');
    if (startsChunk && lineStart > 0) starts.push(lineStart);
    if (kind !== 'blank') previousKind = kind;
    lineStart = nextStart;
  }
  return starts;
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

/** Places a cached chunk parse (offsets from 0, queries from index 0) into a document. */
function placeChunk(text: string, parsed: AqDocument, offset: number, indexBase: number, inheritedUse: UseDirective | undefined): PlacedChunk {
  const uses = parsed.uses.map((use) => shiftUse(use, offset));
  const placedUse = (source: UseDirective | undefined): UseDirective | undefined => {
    if (source === undefined) return undefined;
    if (source === INHERITED_USE) return inheritedUse;
    return uses[parsed.uses.indexOf(source)];
  };
  const queries = parsed.queries.map((query): QueryBlock => ({
    ...query,
    span: shiftSpan(query.span, offset),
    index: indexBase + query.index,
    titleSpan: shiftOptionalSpan(query.titleSpan, offset),
    head: query.head === undefined ? undefined : shiftHead(query.head, offset),
    clauses: query.clauses.map((clause) => shiftClause(clause, offset)),
    source: placedUse(query.source),
  }));
  return {
    text,
    parsed,
    offset,
    indexBase,
    inheritedUse,
    uses,
    queries,
    comments: parsed.comments.map((comment) => shiftSpan(comment, offset)),
    problems: parsed.problems.map((problem) => shiftProblem(problem, offset)),
  };
}

/**
 * Creates a parser for the successive versions of one document. Chunks whose text and place are
 * unchanged since the previous call keep their nodes; moved chunks are copied with shifted
 * spans; only new chunk texts are parsed.
 */
export function createIncrementalParser(maxCachedChunks = DEFAULT_MAX_CACHED_CHUNKS): IncrementalParser {
  /** Chunk text → its parse at offset 0, least recently used first. */
  const parsedChunks = new Map<string, CachedChunk>();
  let previous: PlacedChunk[] = [];

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

  return {
    parse(text) {
      const starts = chunkStarts(text);
      const placed: PlacedChunk[] = [];
      const document: AqDocument = { textLength: text.length, uses: [], queries: [], comments: [], problems: [] };
      let currentUse: UseDirective | undefined;
      for (let i = 0; i < starts.length; i++) {
        const offset = starts[i];
        const chunkText = text.slice(offset, i + 1 < starts.length ? starts[i + 1] : text.length);
        const indexBase = document.queries.length;
        // Chunks before an edit line up with the previous version by position, chunks after it by
        // their distance from the end.
        const before = previous[i];
        const after = previous[i + previous.length - starts.length];
        let chunk: PlacedChunk;
        if (
          before !== undefined &&
          before.offset === offset &&
          before.indexBase === indexBase &&
          before.inheritedUse === currentUse &&
          before.text === chunkText
        ) {
          chunk = before;
        } else if (after !== undefined && after.text === chunkText) {
          chunk = placeChunk(after.text, after.parsed, offset, indexBase, currentUse);
        } else {
          const { text: ownText, parsed } = parseChunk(chunkText);
          chunk = placeChunk(ownText, parsed, offset, indexBase, currentUse);
        }
        placed.push(chunk);
        for (const use of chunk.uses) document.uses.push(use);
        for (const query of chunk.queries) document.queries.push(query);
        for (const comment of chunk.comments) document.comments.push(comment);
        for (const problem of chunk.problems) document.problems.push(problem);
        if (chunk.uses.length > 0) currentUse = chunk.uses[chunk.uses.length - 1];
      }
      previous = placed;
      return document;
    },
  };
}
