/** Hover text for events, properties, clause keywords, query kinds and functions in `.aq` files. */
import type { AnalyticsSchema, HoverInfo, TextSpan } from '../analyticsTypes';
import { CLAUSES_BY_NAME, EXPRESSION_FUNCTIONS, PIWIK_EVENT_TYPES } from '../clauseCatalog';
import { isMixpanelDefaultEventProperty } from '../mixpanelDefaultProperties';
import type { AqDocument, Expression, QueryBlock, WordNode } from '../parser/queryAst';
import { QUERY_KIND_DESCRIPTIONS, SOURCE_DESCRIPTIONS, eventDocumentation, propertyDocumentation } from './completeQuery';
import { eventPropertyScope, findEvent, getOwn, userPropertyScope } from '../schemaNames';
import { lookupSafely, queryEvents, sourceRefOf, type SchemaLookup } from './validateQuery';

function contains(span: TextSpan, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}

/** The query whose span contains `offset` (end inclusive, so a cursor after the last character counts). */
export function queryAt(document: AqDocument, offset: number): QueryBlock | undefined {
  return document.queries.find((block) => contains(block.span, offset));
}

/** Markdown for an event of `schema` (or a note that it is unknown). */
export function eventHoverMarkdown(name: string, schema: AnalyticsSchema): string {
  const event = findEvent(schema, name);
  if (!event) return `**${name}** — event not in the schema${schema.origin ? ` (${schema.origin.label})` : ''}.`;
  return `**${event.name}** (event)\n\n${eventDocumentation(event)}`;
}

/** Markdown for an event property (`user` false) or a profile property, or undefined when unknown. */
export function propertyHoverMarkdown(name: string, isUser: boolean, schema: AnalyticsSchema, events: readonly string[]): string | undefined {
  const scope = isUser ? userPropertyScope(schema) : eventPropertyScope(schema, events);
  const property = scope.lookup(name);
  if (!property) return undefined;
  const isDefault = !isUser && !scope.own.some((p) => p.name === name) && isMixpanelDefaultEventProperty(name);
  const on = !isUser && events.length > 0 ? ` on ${events.map((e) => JSON.stringify(e)).join(', ')}` : '';
  return `**${name}** (${isUser ? 'user property' : 'event property'}${on})\n\n${propertyDocumentation(property, isDefault)}`;
}

function innermost(expression: Expression, offset: number): Expression | undefined {
  if (!contains(expression.span, offset)) return undefined;
  switch (expression.type) {
    case 'binary':
      return innermost(expression.left, offset) ?? innermost(expression.right, offset) ?? expression;
    case 'unary':
      return innermost(expression.operand, offset) ?? expression;
    case 'list':
      return expression.items.map((item) => innermost(item, offset)).find((e) => e !== undefined) ?? expression;
    case 'call':
      if (contains(expression.calleeSpan, offset)) return expression;
      return expression.args.map((arg) => innermost(arg, offset)).find((e) => e !== undefined) ?? expression;
    default:
      return expression;
  }
}

function valueHover(clauseName: string, words: readonly WordNode[], offset: number): HoverInfo | undefined {
  const word = words.find((w) => contains(w.span, offset));
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

/** Hover at `offset`, or undefined when there is nothing to explain there. */
export function hoverQuery(document: AqDocument, offset: number, schemas: SchemaLookup): HoverInfo | undefined {
  const use = document.uses.find((u) => u.sourceKindSpan && u.sourceKind && contains(u.sourceKindSpan, offset));
  if (use?.sourceKind && use.sourceKindSpan) return { span: use.sourceKindSpan, markdown: `**${use.sourceKind}** (source)\n\n${SOURCE_DESCRIPTIONS[use.sourceKind]}` };
  const block = queryAt(document, offset);
  if (!block?.head) return undefined;
  const head = block.head;
  const schema = () => lookupSafely(schemas, sourceRefOf(block.source));
  if (contains(head.keywordSpan, offset)) return { span: head.keywordSpan, markdown: `**${head.kind}** (query)\n\n${QUERY_KIND_DESCRIPTIONS[head.kind]}` };
  const events = queryEvents(block);
  for (const node of events) {
    if (!contains(node.span, offset)) continue;
    const found = schema();
    if (!found) return undefined;
    return { span: node.span, markdown: eventHoverMarkdown(node.value, found) };
  }
  for (const clause of block.clauses) {
    if (!contains(clause.span, offset)) continue;
    if (contains(clause.nameSpan, offset)) {
      const spec = CLAUSES_BY_NAME.get(clause.name);
      if (!spec) return undefined;
      const values = spec.values ? `\n\nValues: ${spec.values.map((v) => `\`${v}\``).join(', ')}` : '';
      const range = spec.min !== undefined ? `\n\nRange: ${spec.min}–${spec.max}` : '';
      return { span: clause.nameSpan, markdown: `**${spec.name}** (clause)\n\n${spec.description}\n\nAPI parameter: \`${spec.apiParameter}\` · applies to ${spec.kinds.join(', ')}${values}${range}` };
    }
    if (clause.value.type === 'word' || clause.value.type === 'wordList') return valueHover(clause.name, clause.value.type === 'word' ? [clause.value.word] : clause.value.words, offset);
    if (clause.value.type !== 'expression') return undefined;
    const node = innermost(clause.value.expression, offset);
    if (node?.type === 'property' && node.scope !== 'event') {
      const found = schema();
      if (!found) return undefined;
      const markdown = propertyHoverMarkdown(node.name, node.scope === 'user', found, events.map((e) => e.value).filter((e) => findEvent(found, e)));
      return markdown ? { span: node.span, markdown } : undefined;
    }
    if (node?.type === 'call' && contains(node.calleeSpan, offset)) {
      const fn = getOwn(EXPRESSION_FUNCTIONS, node.callee);
      if (!fn) return undefined;
      return { span: node.calleeSpan, markdown: `**${node.callee}**(${fn.minArgs === 1 ? 'x' : 'a, b'}) → ${fn.returns}\n\n${fn.description}` };
    }
    return undefined;
  }
  return undefined;
}
