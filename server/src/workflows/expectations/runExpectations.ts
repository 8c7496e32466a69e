/**
 * Runs the queries of a document that have `expect` clauses and checks each expectation on the
 * result: one plain function for `aq test`, the editor's Test Explorer and any other host. It
 * prints nothing; every outcome, errors included, is a result element.
 *
 * A query runs once however many expectations it has. A measure that counts every segment
 * together (`total`, `retained N`) on a query with `on` also runs the query without `on`;
 * `within N% of previous` also runs it over the preceding range of the same length.
 */
import { buildQuerySpec } from '../../queryContract/buildQuerySpec';
import { expectationsOf, type Expectation, type ExpectMeasure } from '../../queryContract/expectations';
import type { QuerySpec, SourceRef } from '../../queryContract/querySpec';
import { validateDocument } from '../../languageService/features/validateQuery';
import { parseAqDocument } from '../../languageService/parser/queryParser';
import type { AqDocument, QueryBlock, TextSpan } from '../../languageService/parser/queryAst';
import { queryTitle } from '../../languageService/parser/queryTitle';
import { LineIndex, type LineRange } from '../../languageService/textPositions';
import type { QueryResult } from '../../protocol/resultModel';
import { isBackendError } from '../../queryEngine/backendErrors';
import { precedingRange } from '../../queryEngine/queryEngine';
import type { QueryEngine, RunOptions } from '../../queryEngine/queryEngineTypes';
import { checkLabel, formatMeasured, holds, measureLabel, measureResult } from './measureResult';

export type ExpectationStatus = 'passed' | 'failed' | 'error';

/** One expectation of a document, before it runs (what the editor lists as a test). */
export interface ExpectationItem {
  /** The query's title, or `Query N`. */
  query: string;
  /** 0-based position of the query in its file. */
  queryIndex: number;
  /** 0-based position of the expectation among its query's. */
  expectationIndex: number;
  /** The text after `expect`, as written. */
  expectation: string;
  /** The whole `expect` clause. */
  span: TextSpan;
  range: LineRange;
  /** The query's head line. */
  queryRange: LineRange;
}

export interface ExpectationResult extends ExpectationItem {
  file: string;
  status: ExpectationStatus;
  /** The measured value (a share as a fraction: 0.375 for 37.5 %); null when it could not be measured. */
  actual: number | null;
  /** `total 812, expected > 1,000`, or why the expectation could not be checked. */
  message: string;
  /** What was measured, without the expectation: `total 812`; undefined when nothing was. */
  observed?: string;
}

export interface RunExpectationsOptions {
  engine: Pick<QueryEngine, 'run' | 'resolveSource' | 'defaultSource'>;
  /** The document's path (relative `use local` paths and JQL scripts resolve against it). */
  path: string;
  text: string;
  /** The parsed text, when the host has it already. */
  document?: AqDocument;
  /** How results name the file (`file`); default `path`. */
  displayPath?: string;
  /** Runs every query on this source instead of its own (`aq test --source`). */
  sourceOverride?: SourceRef;
  /** Only these expectations (by query and expectation index); default all. */
  only?: ReadonlyArray<{ queryIndex: number; expectationIndex?: number }>;
  /** The time zone of sources that set none (the editor's `aq.timezone`). */
  defaultTimezone?: string;
  /** The clock relative dates resolve against; default now. */
  now?: Date;
  signal: AbortSignal;
  getCredentials: RunOptions['getCredentials'];
  bypassCache?: boolean;
  /** Told before each query runs, for progress output. */
  onQueryStart?: (title: string) => void;
}

/** The expectations of a document, in file order, without running anything. */
export function listExpectations(document: AqDocument, text: string): ExpectationItem[] {
  const lines = new LineIndex(text);
  const items: ExpectationItem[] = [];
  for (const block of document.queries) {
    if (!block.head) continue;
    expectationsOf(block, text).forEach((expectation, expectationIndex) => items.push(expectationItem(block, expectation, expectationIndex, lines)));
  }
  return items;
}

function expectationItem(block: QueryBlock, expectation: Expectation, expectationIndex: number, lines: LineIndex): ExpectationItem {
  return {
    query: queryTitle(block),
    queryIndex: block.index,
    expectationIndex,
    expectation: expectation.text,
    span: expectation.span,
    range: lines.rangeOf(expectation.span),
    queryRange: lines.rangeOf(block.head?.span ?? block.span),
  };
}

/** Runs the document's queries that have expectations (only those) and checks every expectation. */
export async function runExpectations(options: RunExpectationsOptions): Promise<ExpectationResult[]> {
  const { text } = options;
  const document = options.document ?? parseAqDocument(text);
  const lines = new LineIndex(text);
  const lintErrors = validateDocument(document, text, () => undefined).filter((diagnostic) => diagnostic.severity === 'error');
  const results: ExpectationResult[] = [];
  for (const block of document.queries) {
    if (!block.head) continue;
    const wanted = options.only?.filter((entry) => entry.queryIndex === block.index);
    if (options.only && wanted?.length === 0) continue;
    const expectations = expectationsOf(block, text)
      .map((expectation, expectationIndex) => ({ expectation, expectationIndex }))
      .filter(({ expectationIndex }) => !wanted || wanted.some((entry) => entry.expectationIndex === undefined || entry.expectationIndex === expectationIndex));
    if (expectations.length === 0) continue;
    if (options.signal.aborted) break;
    const title = queryTitle(block);
    const resultOf = (
      expectation: Expectation,
      expectationIndex: number,
      status: ExpectationStatus,
      actual: number | null,
      message: string,
    ): ExpectationResult => ({
      ...expectationItem(block, expectation, expectationIndex, lines),
      file: options.displayPath ?? options.path,
      status,
      actual,
      message,
    });
    const queryProblem = queryProblemOf(block, document, lines, expectations);
    if (queryProblem) {
      for (const { expectation, expectationIndex } of expectations) results.push(resultOf(expectation, expectationIndex, 'error', null, queryProblem));
      continue;
    }
    options.onQueryStart?.(title);
    const runner = new QueryRunner(block, options);
    for (const { expectation, expectationIndex } of expectations) {
      const ownProblem =
        document.problems.find((problem) => within(problem.span, expectation.span))?.message ??
        lintErrors.find((diagnostic) => within(diagnostic.span, expectation.span))?.message ??
        (expectation.ok ? undefined : expectation.problem);
      if (ownProblem || !expectation.ok) {
        results.push(resultOf(expectation, expectationIndex, 'error', null, ownProblem ?? 'The expectation cannot be read.'));
        continue;
      }
      const outcome = await runner.check(expectation);
      const result = resultOf(expectation, expectationIndex, outcome.status, outcome.actual, outcome.message);
      if (outcome.observed !== undefined) result.observed = outcome.observed;
      results.push(result);
    }
  }
  return results;
}

function within(inner: TextSpan, outer: TextSpan): boolean {
  return inner.start >= outer.start && inner.start <= outer.end;
}

/** Why the query itself cannot run (a syntax error outside its expectations), if it cannot. */
function queryProblemOf(
  block: QueryBlock,
  document: AqDocument,
  lines: LineIndex,
  expectations: ReadonlyArray<{ expectation: Expectation }>,
): string | undefined {
  const problem = document.problems.find(
    (candidate) =>
      candidate.span.start >= block.span.start &&
      candidate.span.start <= block.span.end &&
      !expectations.some(({ expectation }) => within(candidate.span, expectation.span)),
  );
  if (!problem) return undefined;
  return `The query does not parse (line ${lines.positionAt(problem.span.start).line + 1}: ${problem.message})`;
}

interface CheckOutcome {
  status: ExpectationStatus;
  actual: number | null;
  message: string;
  observed?: string;
}

function verdict(passed: boolean, actual: number, observed: string, expected: string): CheckOutcome {
  return passed
    ? { status: 'passed', actual, observed, message: `${observed} (expected ${expected})` }
    : { status: 'failed', actual, observed, message: `${observed}, expected ${expected}` };
}

/** One query's runs, each made at most once and shared by its expectations. */
class QueryRunner {
  private spec: { ok: true; spec: QuerySpec } | { ok: false; message: string } | undefined;
  private readonly runs = new Map<string, Promise<QueryResult>>();

  constructor(
    private readonly block: QueryBlock,
    private readonly options: RunExpectationsOptions,
  ) {}

  async check(expectation: Extract<Expectation, { ok: true }>): Promise<CheckOutcome> {
    const built = this.buildSpec();
    if (!built.ok) return { status: 'error', actual: null, message: built.message };
    const spec = built.spec;
    const label = measureLabel(expectation.measure);
    const measured = await this.measure(expectation.measure, spec);
    if (!measured.ok) return { status: 'error', actual: null, message: measured.message };
    const actual = measured.value;
    const actualText = `${label} ${formatMeasured(actual, expectation.share)}`;
    const expected = checkLabel(expectation.check, expectation.share);
    if (expectation.check.kind !== 'withinPrevious') return verdict(holds(expectation.check, actual), actual, actualText, expected);
    const previousSpec = withPrecedingRange(spec);
    if (!previousSpec) {
      return { status: 'error', actual, message: `'within … of previous' needs a query with a date range; this ${spec.kind} query has none.` };
    }
    const before = await this.measure(expectation.measure, previousSpec.spec, 'previous');
    if (!before.ok) return { status: 'error', actual, message: `The previous period (${previousSpec.from} to ${previousSpec.to}): ${before.message}` };
    const previous = before.value;
    const change = previous === 0 ? (actual === 0 ? 0 : Number.POSITIVE_INFINITY) : (actual - previous) / Math.abs(previous);
    const passed = Math.abs(change) <= expectation.check.tolerance.value + 1e-12;
    const changeText = Number.isFinite(change) ? `${change >= 0 ? '+' : '−'}${formatMeasured(Math.abs(change), true)}` : 'from 0';
    const context = `${actualText}, previous period ${formatMeasured(previous, expectation.share)} (${changeText})`;
    return verdict(passed, actual, context, expected);
  }

  private buildSpec(): { ok: true; spec: QuerySpec } | { ok: false; message: string } {
    if (this.spec) return this.spec;
    const { engine, sourceOverride, path } = this.options;
    const ref =
      sourceOverride ??
      (this.block.source?.sourceKind && this.block.source.target ? { kind: this.block.source.sourceKind, name: this.block.source.target.value } : undefined);
    const source = engine.resolveSource(ref, path);
    const built = buildQuerySpec(this.block, {
      now: this.options.now ?? new Date(),
      timezone: source?.timezone ?? this.options.defaultTimezone,
      defaultSource: sourceOverride ?? engine.defaultSource(path),
    });
    this.spec = built.ok
      ? { ok: true, spec: sourceOverride ? { ...built.spec, source: sourceOverride } : built.spec }
      : { ok: false, message: built.errors.map((error) => error.message).join(' ') };
    return this.spec;
  }

  private async measure(measure: ExpectMeasure, spec: QuerySpec, period = 'current'): Promise<{ ok: true; value: number } | { ok: false; message: string }> {
    try {
      const result = await this.run(spec, period);
      const wholeSpec = withoutSegments(measure, spec);
      const whole = wholeSpec ? await this.run(wholeSpec, `${period} whole`) : result;
      return measureResult(measure, result, whole, this.options.now ?? new Date());
    } catch (error) {
      const message = isBackendError(error) ? error.message : `internal error: ${(error as Error)?.message ?? String(error)}`;
      return { ok: false, message: `The query failed: ${message}` };
    }
  }

  private run(spec: QuerySpec, key: string): Promise<QueryResult> {
    let run = this.runs.get(key);
    if (!run) {
      run = this.options.engine.run(spec, this.options.path, {
        signal: this.options.signal,
        getCredentials: this.options.getCredentials,
        bypassCache: this.options.bypassCache,
      });
      this.runs.set(key, run);
    }
    return run;
  }
}

/**
 * The query without `on`, for a measure of every segment together: a segmentation count's `total`
 * (a user in two segments is one distinct user) and retention's `retained N` (cohorts by date, not
 * by segment). Undefined when the result itself already answers it.
 */
function withoutSegments(measure: ExpectMeasure, spec: QuerySpec): QuerySpec | undefined {
  if (measure.kind === 'total' && spec.kind === 'segmentation' && spec.on && spec.measure === 'count') {
    return { ...spec, on: undefined, compare: undefined };
  }
  if ((measure.kind === 'retainedShare' || measure.kind === 'retainedCount') && spec.kind === 'retention' && spec.on) {
    return { ...spec, on: undefined };
  }
  return undefined;
}

/** The same query over the range of the same length just before its own, as `compare previous` takes it. */
function withPrecedingRange(spec: QuerySpec): { spec: QuerySpec; from: string; to: string } | undefined {
  if (!('range' in spec) || !spec.range) return undefined;
  const range = precedingRange(spec.range);
  if (!range) return undefined;
  switch (spec.kind) {
    case 'segmentation':
      return { spec: { ...spec, range, compare: undefined }, ...range };
    case 'jql':
      return { spec: { ...spec, range, params: { ...spec.params, from_date: range.from, to_date: range.to } }, ...range };
    case 'report':
      return { spec: { ...spec, range, relativeDates: undefined }, ...range };
    case 'funnel':
    case 'retention':
    case 'insights':
      return { spec: { ...spec, range }, ...range };
    default:
      return undefined;
  }
}
