/**
 * The `expect` clauses of a query, read into plain checks: what to measure on the result and what
 * to compare it with. Percentages become fractions here, so every later step compares a share as a
 * number between 0 and 1. A clause that cannot be read says why instead, and its test errors.
 */
import { expectMeasureSpec } from '../languageService/clauseCatalog';
import type { ExpectOperator, ExpectValueNode, QueryBlock, TextSpan } from '../languageService/parser/queryAst';

export type ExpectMeasure =
  | { kind: 'total' }
  | { kind: 'rows' }
  | { kind: 'seriesTotal'; series: string }
  | { kind: 'conversion' }
  | { kind: 'stepCount'; step: string }
  | { kind: 'stepConversion'; step: string }
  | { kind: 'retainedShare'; interval: number }
  | { kind: 'retainedCount'; interval: number };

/** A bound as compared (a fraction for a percentage) and as written, for messages. */
export interface ExpectBound {
  value: number;
  written: string;
  percent: boolean;
}

export type ExpectCheck =
  | { kind: 'compare'; operator: ExpectOperator; bound: ExpectBound }
  | { kind: 'between'; low: ExpectBound; high: ExpectBound }
  /** `within N% of previous`: `tolerance` is N/100. */
  | { kind: 'withinPrevious'; tolerance: ExpectBound };

interface ExpectationBase {
  /** The text after `expect`, as written (its lines joined by one space when it spans several). */
  text: string;
  /** The whole clause, `expect` included. */
  span: TextSpan;
}

export type Expectation =
  (ExpectationBase & { ok: true; measure: ExpectMeasure; share: boolean; check: ExpectCheck }) | (ExpectationBase & { ok: false; problem: string });

function bound(node: ExpectValueNode, text: string): ExpectBound {
  return { value: node.percent ? node.value / 100 : node.value, written: text.slice(node.span.start, node.span.end), percent: node.percent };
}

/** Every `expect` clause of `block`, in order, read against the file's `text`. */
export function expectationsOf(block: QueryBlock, text: string): Expectation[] {
  const found: Expectation[] = [];
  for (const clause of block.clauses) {
    if (clause.name !== 'expect') continue;
    const afterKeyword = text.slice(clause.nameSpan.end, clause.span.end).trim().replace(/\s+/g, ' ');
    const base = { text: afterKeyword, span: clause.span };
    if (clause.value.type !== 'expectation') {
      found.push({ ...base, ok: false, problem: 'The expectation does not parse: write expect MEASURE OP VALUE, e.g. expect total > 1000.' });
      continue;
    }
    const { measure: measureNode, comparison } = clause.value.expectation;
    const spec = measureNode ? expectMeasureSpec(measureNode.kind, measureNode.qualifier?.value) : undefined;
    if (!measureNode || !spec) {
      found.push({ ...base, ok: false, problem: `Unknown measure '${measureNode?.keyword.value ?? ''}'.` });
      continue;
    }
    const measure = toMeasure(measureNode.kind, measureNode.qualifier?.value, measureNode.name?.value, measureNode.interval?.value);
    let check: ExpectCheck | undefined;
    if (comparison?.kind === 'compare' && comparison.value) {
      check = { kind: 'compare', operator: comparison.operator, bound: bound(comparison.value, text) };
    } else if (comparison?.kind === 'between' && comparison.low && comparison.high) {
      check = { kind: 'between', low: bound(comparison.low, text), high: bound(comparison.high, text) };
    } else if (comparison?.kind === 'within' && comparison.tolerance?.percent) {
      check = { kind: 'withinPrevious', tolerance: bound(comparison.tolerance, text) };
    }
    if (!measure || !check) {
      found.push({ ...base, ok: false, problem: 'The expectation is incomplete: write expect MEASURE OP VALUE, e.g. expect total > 1000.' });
      continue;
    }
    found.push({ ...base, ok: true, measure, share: spec.share, check });
  }
  return found;
}

function toMeasure(kind: string, qualifier: string | undefined, name: string | undefined, interval: number | undefined): ExpectMeasure | undefined {
  switch (kind) {
    case 'total':
      return { kind: 'total' };
    case 'rows':
      return { kind: 'rows' };
    case 'conversion':
      return { kind: 'conversion' };
    case 'series':
      return name === undefined ? undefined : { kind: 'seriesTotal', series: name };
    case 'step':
      if (name === undefined) return undefined;
      return qualifier === 'conversion' ? { kind: 'stepConversion', step: name } : { kind: 'stepCount', step: name };
    case 'retained':
      if (interval === undefined) return undefined;
      return qualifier === 'count' ? { kind: 'retainedCount', interval } : { kind: 'retainedShare', interval };
    default:
      return undefined;
  }
}
