/** Hover text for events, properties, clause keywords, query kinds and functions in `.aq` files. */
import type { HoverInfo } from '../analyticsTypes';
import { CLAUSES_BY_NAME, EXPRESSION_FUNCTIONS, PIWIK_EVENT_TYPES, expectMeasureSpec } from '../clauseCatalog';
import type { AqDocument, ExpectComparisonNode, ExpectationNode, Expression, QueryHead, WordNode } from '../parser/queryAst';
import { QUERY_KIND_DESCRIPTIONS, SOURCE_DESCRIPTIONS, eventHoverMarkdown, propertyHoverMarkdown } from '../schemaDocs';
import { getOwn } from '../../queryContract/schemaTypes';
import { findEvent } from '../schemaNames';
import { lookupSafely, queryAt, queryEvents, sourceRefOf, spanContains, type SchemaLookup } from '../queryFacts';
import { findPiwikColumn } from '../../queryContract/piwikColumns';
import { columnDocumentation, columnRole, reportCatalog, reportColumnUses } from '../reportColumns';

function innermost(expression: Expression, offset: number): Expression | undefined {
  if (!spanContains(expression.span, offset)) return undefined;
  switch (expression.type) {
    case 'binary':
      return innermost(expression.left, offset) ?? innermost(expression.right, offset) ?? expression;
    case 'unary':
      return innermost(expression.operand, offset) ?? expression;
    case 'list':
      return expression.items.map((item) => innermost(item, offset)).find((e) => e !== undefined) ?? expression;
    case 'call':
      if (spanContains(expression.calleeSpan, offset)) return expression;
      return expression.args.map((arg) => innermost(arg, offset)).find((e) => e !== undefined) ?? expression;
    default:
      return expression;
  }
}

function valueHover(clauseName: string, words: readonly WordNode[], offset: number): HoverInfo | undefined {
  const word = words.find((w) => spanContains(w.span, offset));
  const spec = CLAUSES_BY_NAME.get(clauseName);
  if (!word || !spec) return undefined;
  if (clauseName === 'event_type') {
    const code = getOwn(PIWIK_EVENT_TYPES, word.value) ?? Number(word.value);
    const name = Object.entries(PIWIK_EVENT_TYPES).find(([, c]) => c === code)?.[0];
    if (!name) return undefined;
    return { span: word.span, markdown: `**${name}** — Piwik PRO event type ${code}` };
  }
  if (!spec.values?.includes(word.value)) return undefined;
  return { span: word.span, markdown: `**${word.value}** — a value of \`${spec.name}\`\n\n${spec.description}` };
}

const COMPARISON_HOVERS: Record<ExpectComparisonNode['kind'], string> = {
  compare: 'Compares the measure with the value; a share takes a percentage (`37.5%`) or a fraction (`0.375`).',
  between: '`between A and B`: passes when A ≤ measure ≤ B (both bounds included).',
  within:
    '`within N% of previous`: runs the same query over the preceding range of the same length and passes when the measure differs from it by at most N % of the previous value.',
};

/** The form of an `expect` clause under the cursor: its measure, or its comparison. */
function expectationHover(expectation: ExpectationNode, head: QueryHead, offset: number): HoverInfo | undefined {
  const measure = expectation.measure;
  if (measure && spanContains(measure.span, offset)) {
    const spec = expectMeasureSpec(measure.kind, measure.qualifier?.value);
    if (!spec) return undefined;
    let markdown = `**expect ${spec.form}**${spec.share ? ' (a share)' : ' (a count)'}\n\n${spec.description}`;
    if (measure.kind === 'step' && measure.name && head.kind === 'funnel') {
      const position = head.steps.findIndex((step) => step.value === measure.name!.value);
      if (position >= 0) markdown += `\n\nStep ${position + 1} of ${head.steps.length}.`;
    }
    if (!spec.kinds.includes(head.kind)) markdown += `\n\nApplies to ${spec.kinds.join(', ')} queries, not ${head.kind}.`;
    return { span: measure.span, markdown };
  }
  const comparison = expectation.comparison;
  if (comparison && spanContains(comparison.span, offset)) {
    const span = comparison.kind === 'compare' ? comparison.operatorSpan : comparison.keywordSpan;
    return { span, markdown: COMPARISON_HOVERS[comparison.kind] };
  }
  return undefined;
}

/** Hover at `offset`, or undefined when there is nothing to explain there. */
export function hoverQuery(document: AqDocument, offset: number, schemas: SchemaLookup): HoverInfo | undefined {
  const use = document.uses.find((u) => u.sourceKindSpan && u.sourceKind && spanContains(u.sourceKindSpan, offset));
  if (use?.sourceKind && use.sourceKindSpan)
    return { span: use.sourceKindSpan, markdown: `**${use.sourceKind}** (source)\n\n${SOURCE_DESCRIPTIONS[use.sourceKind]}` };
  const block = queryAt(document, offset);
  if (!block?.head) return undefined;
  const head = block.head;
  const schema = () => lookupSafely(schemas, sourceRefOf(block.source));
  if (spanContains(head.keywordSpan, offset)) return { span: head.keywordSpan, markdown: `**${head.kind}** (query)\n\n${QUERY_KIND_DESCRIPTIONS[head.kind]}` };
  const events = queryEvents(block);
  for (const node of events) {
    if (!spanContains(node.span, offset)) continue;
    const found = schema();
    if (!found) return undefined;
    return { span: node.span, markdown: eventHoverMarkdown(node.value, found) };
  }
  if (head.kind === 'report') {
    const use = reportColumnUses(block).find(
      (candidate) =>
        spanContains(candidate.node.span, offset) &&
        !spanContains(block.clauses.find((c) => spanContains(c.span, offset))?.nameSpan ?? { start: -1, end: -1 }, offset),
    );
    if (use) {
      const catalog = reportCatalog(schema());
      const column = findPiwikColumn(catalog, use.node.column.value);
      const transformation = use.node.transformation;
      if (transformation && spanContains(transformation.span, offset)) {
        const role = column ? columnRole(column, transformation.value) : 'unknown';
        const makes =
          role === 'metric'
            ? 'turns the dimension into a metric'
            : role === 'dimension'
              ? 'turns the dimension into another dimension'
              : role === 'unsupported'
                ? 'is not supported by this column'
                : 'is a Piwik PRO transformation';
        return {
          span: transformation.span,
          markdown: `**${transformation.value}** (transformation) — ${makes}: \`${transformation.value}(${use.node.column.value})\``,
        };
      }
      if (column && spanContains(use.node.column.span, offset)) return { span: use.node.column.span, markdown: columnDocumentation(column, catalog) };
      return undefined;
    }
  }
  for (const clause of block.clauses) {
    if (!spanContains(clause.span, offset)) continue;
    if (spanContains(clause.nameSpan, offset)) {
      const spec = CLAUSES_BY_NAME.get(clause.name);
      if (!spec) return undefined;
      const values = spec.values ? `\n\nValues: ${spec.values.map((v) => `\`${v}\``).join(', ')}` : '';
      const range = spec.min !== undefined ? `\n\nRange: ${spec.min}–${spec.max}` : '';
      return {
        span: clause.nameSpan,
        markdown: `**${spec.name}** (clause)\n\n${spec.description}\n\nAPI parameter: \`${spec.apiParameter}\` · applies to ${spec.kinds.join(', ')}${values}${range}`,
      };
    }
    if (clause.value.type === 'expectation') return expectationHover(clause.value.expectation, head, offset);
    if (clause.value.type === 'word' || clause.value.type === 'wordList')
      return valueHover(clause.name, clause.value.type === 'word' ? [clause.value.word] : clause.value.words, offset);
    if (clause.value.type !== 'expression') return undefined;
    const node = innermost(clause.value.expression, offset);
    if (node?.type === 'property' && node.scope !== 'event') {
      const found = schema();
      if (!found) return undefined;
      const markdown = propertyHoverMarkdown(
        node.name,
        node.scope === 'user',
        found,
        events.map((e) => e.value).filter((e) => findEvent(found, e)),
      );
      return markdown ? { span: node.span, markdown } : undefined;
    }
    if (node?.type === 'call' && spanContains(node.calleeSpan, offset)) {
      const fn = getOwn(EXPRESSION_FUNCTIONS, node.callee);
      if (!fn) return undefined;
      return { span: node.calleeSpan, markdown: `**${node.callee}**(${fn.minArgs === 1 ? 'x' : 'a, b'}) → ${fn.returns}\n\n${fn.description}` };
    }
    return undefined;
  }
  return undefined;
}
