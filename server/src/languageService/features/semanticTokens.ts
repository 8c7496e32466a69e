/**
 * Semantic tokens for `.aq` files, so names are coloured by what they are (event, property,
 * enum value) rather than by the TextMate grammar's guess. Tokens never overlap and come sorted.
 */
import type { TextSpan } from '../analyticsTypes';
import type { AqDocument, Clause, Expression, StringNode } from '../parser/queryAst';

export type SemanticTokenType = 'keyword' | 'event' | 'property' | 'string' | 'number' | 'operator' | 'function' | 'comment' | 'title' | 'enum';

export interface SemanticToken {
  span: TextSpan;
  type: SemanticTokenType;
}

/** The token types in legend order; the server registers this list. */
export const SEMANTIC_TOKEN_TYPES: readonly SemanticTokenType[] = [
  'keyword',
  'event',
  'property',
  'string',
  'number',
  'operator',
  'function',
  'comment',
  'title',
  'enum',
];

function expressionTokens(expression: Expression, out: SemanticToken[]): void {
  switch (expression.type) {
    case 'property':
      out.push({ span: { start: expression.span.start, end: expression.span.start + expression.scope.length }, type: 'keyword' });
      out.push({ span: expression.nameSpan, type: 'property' });
      return;
    case 'string':
      out.push({ span: expression.span, type: 'string' });
      return;
    case 'number':
      out.push({ span: expression.span, type: 'number' });
      return;
    case 'boolean':
      out.push({ span: expression.span, type: 'keyword' });
      return;
    case 'list':
      for (const item of expression.items) expressionTokens(item, out);
      return;
    case 'binary':
      expressionTokens(expression.left, out);
      out.push({ span: expression.operatorSpan, type: ['and', 'or', 'in'].includes(expression.operator) ? 'keyword' : 'operator' });
      expressionTokens(expression.right, out);
      return;
    case 'unary':
      out.push({
        span: { start: expression.span.start, end: expression.span.start + expression.operator.length },
        type: expression.operator === 'not' ? 'keyword' : 'operator',
      });
      expressionTokens(expression.operand, out);
      return;
    case 'call':
      out.push({ span: expression.calleeSpan, type: 'function' });
      for (const arg of expression.args) expressionTokens(arg, out);
      return;
    default:
      return;
  }
}

function clauseTokens(clause: Clause, text: string, out: SemanticToken[]): void {
  out.push({ span: clause.nameSpan, type: 'keyword' });
  const value = clause.value;
  switch (value.type) {
    case 'expression':
      expressionTokens(value.expression, out);
      return;
    case 'word':
      out.push({ span: value.word.span, type: 'enum' });
      return;
    case 'number':
      out.push({ span: value.number.span, type: 'number' });
      return;
    case 'dateRange':
      if (value.from) out.push({ span: value.from.span, type: 'number' });
      if (value.from && value.to) {
        const to = text.indexOf('to', value.from.span.end);
        if (to !== -1 && to + 2 <= value.to.span.start) out.push({ span: { start: to, end: to + 2 }, type: 'keyword' });
      }
      if (value.to) out.push({ span: value.to.span, type: 'number' });
      return;
    case 'duration':
      if (value.count) out.push({ span: value.count.span, type: 'number' });
      if (value.unit) out.push({ span: value.unit.span, type: 'enum' });
      return;
    case 'wordList':
      for (const word of value.words) out.push({ span: word.span, type: /^\d+$/.test(word.value) ? 'number' : 'enum' });
      return;
    case 'json':
      out.push({ span: value.span, type: 'string' });
      return;
    case 'expectation': {
      const { measure, comparison } = value.expectation;
      if (measure) {
        out.push({ span: measure.keyword.span, type: 'enum' });
        if (measure.name) out.push({ span: measure.name.span, type: 'string' });
        if (measure.interval) out.push({ span: measure.interval.span, type: 'number' });
        if (measure.qualifier) out.push({ span: measure.qualifier.span, type: 'enum' });
      }
      if (comparison?.kind === 'compare') {
        out.push({ span: comparison.operatorSpan, type: 'operator' });
        if (comparison.value) out.push({ span: comparison.value.span, type: 'number' });
      } else if (comparison) {
        out.push({ span: comparison.keywordSpan, type: 'keyword' });
        const values = comparison.kind === 'between' ? [comparison.low, comparison.high] : [comparison.tolerance];
        for (const bound of values) if (bound) out.push({ span: bound.span, type: 'number' });
        // `and` / `of previous`: the words between and after the values.
        const words = /\b(and|of|previous)\b/g;
        const from = comparison.keywordSpan.end;
        const tail = text.slice(from, comparison.span.end);
        for (let match = words.exec(tail); match; match = words.exec(tail)) {
          out.push({ span: { start: from + match.index, end: from + match.index + match[0].length }, type: 'keyword' });
        }
      }
      return;
    }
    default:
      return;
  }
}

/** The `->` between consecutive head events. */
function arrowTokens(text: string, steps: readonly StringNode[], out: SemanticToken[]): void {
  for (let i = 1; i < steps.length; i++) {
    const arrow = text.indexOf('->', steps[i - 1].span.end);
    if (arrow !== -1 && arrow + 2 <= steps[i].span.start) out.push({ span: { start: arrow, end: arrow + 2 }, type: 'operator' });
  }
}

/** Every token of the document, sorted by position, without overlaps. */
export function semanticTokens(document: AqDocument, text: string): SemanticToken[] {
  const out: SemanticToken[] = [];
  for (const comment of document.comments) out.push({ span: comment, type: 'comment' });
  for (const use of document.uses) {
    out.push({ span: { start: use.span.start, end: use.span.start + 3 }, type: 'keyword' });
    if (use.sourceKindSpan) out.push({ span: use.sourceKindSpan, type: 'keyword' });
    if (use.target) out.push({ span: use.target.span, type: 'string' });
  }
  for (const block of document.queries) {
    if (block.titleSpan) out.push({ span: block.titleSpan, type: 'title' });
    const head = block.head;
    if (head) {
      out.push({ span: head.keywordSpan, type: 'keyword' });
      const headText = text.slice(head.keywordSpan.end, head.span.end);
      const idMatch = /^\s+id\b/.exec(headText);
      if (idMatch) {
        const idStart = head.keywordSpan.end + idMatch[0].length - 2;
        out.push({ span: { start: idStart, end: idStart + 2 }, type: 'keyword' });
      }
      switch (head.kind) {
        case 'segmentation':
          if (head.event) out.push({ span: head.event.span, type: 'event' });
          break;
        case 'funnel':
          for (const step of head.steps) out.push({ span: step.span, type: 'event' });
          arrowTokens(text, head.steps, out);
          if (head.savedId) out.push({ span: head.savedId.span, type: 'number' });
          break;
        case 'retention':
          if (head.bornEvent) out.push({ span: head.bornEvent.span, type: 'event' });
          if (head.returnEvent) out.push({ span: head.returnEvent.span, type: 'event' });
          if (head.bornEvent && head.returnEvent) arrowTokens(text, [head.bornEvent, head.returnEvent], out);
          break;
        case 'insights':
          if (head.bookmarkId) out.push({ span: head.bookmarkId.span, type: 'number' });
          break;
        case 'jql':
          if (head.scriptPath) out.push({ span: head.scriptPath.span, type: 'string' });
          break;
        case 'debugger':
          if (head.appId) out.push({ span: head.appId.span, type: 'string' });
          break;
      }
    }
    for (const clause of block.clauses) clauseTokens(clause, text, out);
  }
  out.sort((a, b) => a.span.start - b.span.start || b.span.end - a.span.end);
  const result: SemanticToken[] = [];
  let end = 0;
  for (const token of out) {
    if (token.span.start < end || token.span.end <= token.span.start || token.span.end > text.length) continue;
    result.push(token);
    end = token.span.end;
  }
  return result;
}
