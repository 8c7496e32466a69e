/**
 * Schema-aware help inside `.jql` files (Mixpanel JQL: JavaScript with a `main()`). The script is
 * parsed with acorn; the checks look at the places JQL names events and properties:
 * `Events({event_selectors: [{event: "…"}]})`, property-path strings (`"properties.$browser"`),
 * member access (`e.properties.plan`) and `mixpanel.reducer.*` / `mixpanel.*` builtins (docs/api-notes.md, "Mixpanel JQL").
 */
import { parse, type Node } from 'acorn';
import { full } from 'acorn-walk';
import type { AnalyticsSchema, CompletionCandidate, HoverInfo, QueryDiagnostic, TextSpan } from '../analyticsTypes';
import { DiagnosticCode } from '../diagnosticCodes';
import { suggestNames } from '../nameMatching';
import { eventDocumentation, eventHoverMarkdown, formatCount, propertyHoverMarkdown } from '../schemaDocs';
import { eventNames, eventPropertyScope, findEvent, hasUserSchema, sortedEvents, userPropertyScope, type PropertyScope } from '../schemaNames';
import { replacementFixes } from '../queryFacts';
import type { Expression } from '../parser/queryAst';
import { parseExpression } from '../parser/expressionParser';

function walkExpression(expression: Expression, visit: (node: Expression) => void): void {
  visit(expression);
  switch (expression.type) {
    case 'binary':
      walkExpression(expression.left, visit);
      walkExpression(expression.right, visit);
      return;
    case 'unary':
      walkExpression(expression.operand, visit);
      return;
    case 'list':
      for (const item of expression.items) walkExpression(item, visit);
      return;
    case 'call':
      for (const arg of expression.args) walkExpression(arg, visit);
      return;
    default:
      return;
  }
}

/** `mixpanel.reducer.*` builtins, with a one-line description for completion and hover. */
export const JQL_REDUCERS: Readonly<Record<string, string>> = {
  count: 'count() — number of items.',
  sum: 'sum(accessor) — sum of a numeric value.',
  avg: 'avg(accessor) — average of a numeric value.',
  min: 'min(accessor) — smallest value.',
  max: 'max(accessor) — largest value.',
  min_by: 'min_by(accessor) — the item with the smallest value.',
  max_by: 'max_by(accessor) — the item with the largest value.',
  numeric_summary: 'numeric_summary(accessor) — {count, sum, sum_squares, avg, stddev}.',
  numeric_percentiles: 'numeric_percentiles(accessor, p | [p…]) — approximate percentiles.',
  top: 'top(n) — the n most common values.',
  object_merge: 'object_merge() — merges objects, summing numbers.',
  any: 'any() — one item, whichever comes first.',
  null: 'null() — always null (keeps only the group keys).',
  applyGroupLimits: 'applyGroupLimits([limits], globalLimit) — cap the number of groups per level.',
};

/** Other `mixpanel.*` helpers. */
export const JQL_HELPERS: Readonly<Record<string, string>> = {
  reducer: 'Built-in reducers: mixpanel.reducer.count(), sum(), …',
  multiple_keys: 'multiple_keys([...]) — group by each element of a list.',
  slice: 'slice("key", start[, limit]) — a slice of a list-valued key.',
  numeric_bucket: 'numeric_bucket(accessor, [bounds] | {bucket_size, offset}) — bucket a number.',
  to_number: 'to_number(accessor) — cast to a number.',
  daily_time_buckets: 'Daily time buckets (ms) for numeric_bucket.',
  weekly_time_buckets: 'Weekly time buckets (ms; weeks start Monday).',
  monthly_time_buckets: 'Monthly time buckets (ms).',
  quarterly_time_buckets: 'Quarterly time buckets (ms).',
  annual_time_buckets: 'Annual time buckets (ms).',
};

type AnyNode = Node & Record<string, any>;

interface PropertyReference {
  name: string;
  /** Span of the name in the text (inside the string or the identifier). */
  span: TextSpan;
  /** Replacement text for a suggested name, in the form written (dotted path, identifier or bracket). */
  render: (suggestion: string) => string;
  /** The span the rendered suggestion replaces. */
  replaceSpan: TextSpan;
  isUser: boolean;
}

interface JqlFacts {
  events: Array<{ name: string; span: TextSpan }>;
  properties: PropertyReference[];
  reducers: Array<{ name: string; span: TextSpan }>;
  helpers: Array<{ name: string; span: TextSpan }>;
  hasMain: boolean;
  usesPeopleOnly: boolean;
  /** Syntax problems inside `selector` expression strings. */
  selectorProblems: Array<{ span: TextSpan; message: string; code: string }>;
  /** `Events({from_date, to_date})` literals that are not calendar days. */
  dateProblems: Array<{ span: TextSpan; message: string }>;
}

/** acorn's result, or the syntax error's position and message. */
function parseScript(text: string): { ok: true; program: AnyNode } | { ok: false; span: TextSpan; message: string } {
  try {
    return {
      ok: true,
      program: parse(text, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true, allowHashBang: true }) as AnyNode,
    };
  } catch (error) {
    const position = typeof (error as { pos?: unknown }).pos === 'number' ? (error as { pos: number }).pos : 0;
    const start = Math.max(0, Math.min(position, text.length));
    const end = Math.min(text.length, start + 1);
    const message = error instanceof Error ? error.message.replace(/\s*\(\d+:\d+\)$/, '') : String(error);
    return { ok: false, span: { start, end: Math.max(end, start) }, message };
  }
}

function isStringLiteral(node: AnyNode | undefined | null): node is AnyNode & { value: string } {
  return !!node && node.type === 'Literal' && typeof node.value === 'string';
}

/** The span of a string literal's content when it has no escapes (so offsets map 1:1), else undefined. */
function contentSpan(node: AnyNode, text: string): TextSpan | undefined {
  const raw = text.slice(node.start, node.end);
  if (raw.length !== (node.value as string).length + 2) return undefined;
  return { start: node.start + 1, end: node.end - 1 };
}

function propertyKeyName(property: AnyNode): string | undefined {
  if (property.type !== 'Property' || property.computed) return undefined;
  if (property.key.type === 'Identifier') return property.key.name;
  if (isStringLiteral(property.key)) return property.key.value;
  return undefined;
}

const PATH_PREFIXES: ReadonlyArray<{ prefix: string; isUser: boolean }> = [
  { prefix: 'event.properties.', isUser: false },
  { prefix: 'user.properties.', isUser: true },
  { prefix: 'properties.', isUser: false },
];

/** `e.properties` → the object before `.properties` is a user when it is named or reached as `user`. */
function isUserObject(node: AnyNode): boolean {
  if (node.type === 'Identifier') return /^(user|users|u|profile|person|people)$/i.test(node.name);
  if (node.type === 'MemberExpression' && !node.computed && node.property.type === 'Identifier') return node.property.name === 'user';
  return false;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `YYYY-MM-DD` naming a day that exists: Events() refuses "2026-02-30" rather than rolling it over. */
function isCalendarDay(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function collectFacts(program: AnyNode, text: string): JqlFacts {
  const facts: JqlFacts = {
    events: [],
    properties: [],
    reducers: [],
    helpers: [],
    hasMain: false,
    usesPeopleOnly: false,
    selectorProblems: [],
    dateProblems: [],
  };
  let sawEvents = false;
  let sawPeople = false;
  const memberProperties: Array<{ node: AnyNode; user: boolean }> = [];

  const addEventLiteral = (value: AnyNode | undefined) => {
    if (!isStringLiteral(value)) return;
    facts.events.push({ name: value.value, span: { start: value.start, end: value.end } });
  };
  const readSelectorExpression = (value: AnyNode | undefined, inEventSelectors: boolean) => {
    const inner = isStringLiteral(value) ? contentSpan(value, text) : undefined;
    if (!value || !inner) return;
    const { expression, problems } = parseExpression(value.value, inner.start);
    facts.selectorProblems.push(...problems.map((p) => ({ span: p.span, message: p.message, code: p.code })));
    walkExpression(expression, (node) => {
      if (node.type !== 'property' || node.scope === 'event') return;
      // Mixpanel's event selectors see the event only; the JQL runtime refuses user["…"] there too.
      if (inEventSelectors && node.scope === 'user') {
        facts.selectorProblems.push({
          span: node.span,
          code: DiagnosticCode.jqlUserInEventSelector,
          message: `event_selectors can only read event properties, not user["${node.name}"]; read user properties in join(Events(…), People(), {selectors: […]}) or People({user_selectors: […]}).`,
        });
        return;
      }
      const nameSpan = node.nameSpan;
      facts.properties.push({ name: node.name, span: nameSpan, replaceSpan: nameSpan, render: (s) => JSON.stringify(s), isUser: node.scope === 'user' });
    });
  };
  const readSelectors = (list: AnyNode | undefined, inEventSelectors: boolean) => {
    if (!list || list.type !== 'ArrayExpression') return;
    for (const element of list.elements as AnyNode[]) {
      if (!element || element.type !== 'ObjectExpression') continue;
      for (const property of element.properties as AnyNode[]) {
        const key = propertyKeyName(property);
        if (key === 'event') addEventLiteral(property.value);
        if (key === 'selector') readSelectorExpression(property.value, inEventSelectors);
      }
    }
  };

  full(program, (node: AnyNode) => {
    switch (node.type) {
      case 'FunctionDeclaration':
        if (node.id?.name === 'main') facts.hasMain = true;
        break;
      case 'VariableDeclarator':
        if (node.id?.type === 'Identifier' && node.id.name === 'main' && node.init && /Function/.test(node.init.type)) facts.hasMain = true;
        break;
      case 'AssignmentExpression':
        if (node.left.type === 'Identifier' && node.left.name === 'main' && /Function/.test(node.right.type)) facts.hasMain = true;
        break;
      case 'CallExpression': {
        const callee = node.callee as AnyNode;
        if (callee.type !== 'Identifier') break;
        const options = (node.arguments as AnyNode[]).find((arg) => arg.type === 'ObjectExpression');
        if (callee.name === 'Events') sawEvents = true;
        if (callee.name === 'People') sawPeople = true;
        if (!options) break;
        for (const property of options.properties as AnyNode[]) {
          const key = propertyKeyName(property);
          if (
            (callee.name === 'Events' && key === 'event_selectors') ||
            (callee.name === 'join' && key === 'selectors') ||
            (callee.name === 'People' && key === 'user_selectors')
          )
            readSelectors(property.value, callee.name === 'Events');
          if (
            callee.name === 'Events' &&
            (key === 'from_date' || key === 'to_date') &&
            isStringLiteral(property.value) &&
            !isCalendarDay(property.value.value)
          ) {
            facts.dateProblems.push({
              span: { start: property.value.start, end: property.value.end },
              message: `${key} ${JSON.stringify(property.value.value)} is not a calendar day of the form YYYY-MM-DD.`,
            });
          }
        }
        break;
      }
      case 'Literal': {
        if (typeof node.value !== 'string') break;
        const match = PATH_PREFIXES.find((p) => (node.value as string).startsWith(p.prefix) && (node.value as string).length > p.prefix.length);
        const inner = match ? contentSpan(node, text) : undefined;
        if (!match || !inner) break;
        const name = (node.value as string).slice(match.prefix.length);
        const span = { start: inner.start + match.prefix.length, end: inner.end };
        facts.properties.push({ name, span, replaceSpan: span, render: (s) => JSON.stringify(s).slice(1, -1), isUser: match.isUser });
        break;
      }
      case 'MemberExpression': {
        const object = node.object as AnyNode;
        if (object.type === 'MemberExpression' && !object.computed && object.property.type === 'Identifier') {
          if (object.property.name === 'properties') memberProperties.push({ node, user: isUserObject(object.object) });
          if (
            object.object.type === 'Identifier' &&
            object.object.name === 'mixpanel' &&
            object.property.name === 'reducer' &&
            !node.computed &&
            node.property.type === 'Identifier'
          ) {
            facts.reducers.push({ name: node.property.name, span: { start: node.property.start, end: node.property.end } });
          }
        }
        if (object.type === 'Identifier' && object.name === 'mixpanel' && !node.computed && node.property.type === 'Identifier') {
          facts.helpers.push({ name: node.property.name, span: { start: node.property.start, end: node.property.end } });
        }
        break;
      }
    }
  });

  facts.usesPeopleOnly = sawPeople && !sawEvents;
  for (const { node, user } of memberProperties) {
    const isUser = user || facts.usesPeopleOnly;
    const property = node.property as AnyNode;
    if (!node.computed && property.type === 'Identifier') {
      const span = { start: property.start, end: property.end };
      // `e.properties.plan` → `e.properties["Sign Up"]` when the suggestion is not an identifier.
      const dotStart = text.lastIndexOf('.', property.start);
      facts.properties.push({
        name: property.name,
        span,
        replaceSpan: { start: dotStart, end: property.end },
        render: (s) => (IDENTIFIER.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`),
        isUser,
      });
    } else if (node.computed && isStringLiteral(property)) {
      const span = { start: property.start, end: property.end };
      facts.properties.push({ name: property.value, span, replaceSpan: span, render: (s) => JSON.stringify(s), isUser });
    }
  }
  return facts;
}

function quoted(name: string): string {
  return JSON.stringify(name);
}

function didYouMean(suggestions: readonly string[], render: (s: string) => string): string {
  return suggestions.length > 0 ? ` Did you mean ${suggestions.map(render).join(' or ')}?` : '';
}

/** The event-property scope of a script: the events its selectors name, or every event when none is named. */
function scriptEventScope(schema: AnalyticsSchema, facts: JqlFacts): PropertyScope {
  return eventPropertyScope(
    schema,
    facts.events.map((e) => e.name),
  );
}

const analysisCache = new WeakMap<AnalyticsSchema, { text: string; diagnostics: QueryDiagnostic[] }>();

/** Diagnostics for a `.jql` file. A syntax error is reported alone (the tree is needed for the rest). */
export function validateJql(text: string, schema: AnalyticsSchema | undefined): QueryDiagnostic[] {
  if (schema) {
    const cached = analysisCache.get(schema);
    if (cached && cached.text === text) return cached.diagnostics.slice();
  }
  const parsed = parseScript(text);
  if (!parsed.ok)
    return [{ span: parsed.span, severity: 'error', code: DiagnosticCode.jqlSyntaxError, message: `JavaScript syntax error: ${parsed.message}.` }];
  const diagnostics: QueryDiagnostic[] = [];
  let facts: JqlFacts;
  try {
    facts = collectFacts(parsed.program, text);
  } catch {
    return diagnostics;
  }
  for (const problem of facts.dateProblems) {
    diagnostics.push({ span: problem.span, severity: 'error', code: DiagnosticCode.invalidDate, message: problem.message });
  }
  for (const problem of facts.selectorProblems) {
    diagnostics.push({ span: problem.span, severity: 'error', code: problem.code, message: `In the selector: ${problem.message}` });
  }
  if (!facts.hasMain) {
    const firstLineEnd = text.indexOf('\n');
    diagnostics.push({
      span: { start: 0, end: firstLineEnd === -1 ? text.length : firstLineEnd },
      severity: 'error',
      code: DiagnosticCode.jqlMissingMain,
      message: 'A JQL script must define a main() function that returns a collection.',
    });
  }
  for (const reducer of facts.reducers) {
    if (Object.hasOwn(JQL_REDUCERS, reducer.name)) continue;
    const suggestions = suggestNames(reducer.name, Object.keys(JQL_REDUCERS));
    diagnostics.push({
      span: reducer.span,
      severity: 'error',
      code: DiagnosticCode.unknownReducer,
      message: `Unknown reducer mixpanel.reducer.${reducer.name}.${didYouMean(suggestions, (s) => `'${s}'`)}`,
      ...fixesOf(reducer.span, suggestions, (s) => s),
    });
  }
  for (const helper of facts.helpers) {
    if (Object.hasOwn(JQL_HELPERS, helper.name)) continue;
    const suggestions = suggestNames(helper.name, Object.keys(JQL_HELPERS));
    diagnostics.push({
      span: helper.span,
      severity: 'error',
      code: DiagnosticCode.unknownMixpanelHelper,
      message: `Unknown JQL builtin mixpanel.${helper.name}.${didYouMean(suggestions, (s) => `'${s}'`)}`,
      ...fixesOf(helper.span, suggestions, (s) => s),
    });
  }
  if (schema) {
    for (const event of facts.events) {
      const found = findEvent(schema, event.name);
      if (!found) {
        const suggestions = suggestNames(event.name, eventNames(schema));
        diagnostics.push({
          span: event.span,
          severity: 'error',
          code: DiagnosticCode.unknownEvent,
          message: `Unknown event ${quoted(event.name)}.${didYouMean(suggestions, quoted)}`,
          ...fixesOf(event.span, suggestions, quoted),
        });
      } else if (found.dropped) {
        diagnostics.push({
          span: event.span,
          severity: 'warning',
          code: DiagnosticCode.droppedEvent,
          message: `Event ${quoted(event.name)} is dropped at ingestion: the script sees no such events.`,
        });
      } else if (found.hidden) {
        diagnostics.push({
          span: event.span,
          severity: 'warning',
          code: DiagnosticCode.hiddenEvent,
          message: `Event ${quoted(event.name)} is hidden in Lexicon; it may be deprecated.`,
        });
      }
    }
    const namedEventsKnown = facts.events.length === 0 || facts.events.some((e) => findEvent(schema, e.name));
    const eventScope = scriptEventScope(schema, facts);
    for (const reference of facts.properties) {
      if (reference.isUser && !hasUserSchema(schema)) continue;
      if (!reference.isUser && !namedEventsKnown) continue;
      const scope = reference.isUser ? userPropertyScope(schema) : eventScope;
      // Nested objects are read as "properties.address.city": the first segment is the property.
      const property = scope.lookup(reference.name) ?? (reference.name.includes('.') ? scope.lookup(reference.name.split('.')[0]) : undefined);
      if (property) {
        if (property.dropped || property.hidden) {
          diagnostics.push({
            span: reference.span,
            severity: 'warning',
            code: property.dropped ? DiagnosticCode.droppedProperty : DiagnosticCode.hiddenProperty,
            message: `Property ${quoted(reference.name)} is ${property.dropped ? 'dropped at ingestion: it has no values' : 'hidden in Lexicon; it may be deprecated'}.`,
          });
        }
        continue;
      }
      const suggestions = suggestNames(reference.name, scope.names);
      diagnostics.push({
        span: reference.span,
        severity: 'warning',
        code: reference.isUser ? DiagnosticCode.unknownUserProperty : DiagnosticCode.unknownProperty,
        message: `Unknown ${reference.isUser ? 'user ' : ''}property ${quoted(reference.name)}${reference.isUser ? '' : facts.events.length > 0 ? ` on ${facts.events.map((e) => quoted(e.name)).join(', ')}` : ''}.${didYouMean(suggestions, quoted)}`,
        ...fixesOf(reference.replaceSpan, suggestions, reference.render),
      });
    }
  }
  diagnostics.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  if (schema) analysisCache.set(schema, { text, diagnostics });
  return diagnostics;
}

function fixesOf(span: TextSpan, suggestions: readonly string[], render: (s: string) => string): { fixes?: QueryDiagnostic['fixes'] } {
  return suggestions.length > 0 ? { fixes: replacementFixes(span, suggestions, render) } : {};
}

// ---------------------------------------------------------------------------------------------
// Completion and hover
// ---------------------------------------------------------------------------------------------

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[\w$]/.test(char);
}

/** Events the script's selectors name, read with a regex so completion works while the script is broken. */
function selectorEventsInText(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/\bevent\s*:\s*"((?:[^"\\\n]|\\.)*)"/g)) names.push(match[1]);
  return names;
}

/** Completion in a `.jql` file: events in `event: "…"`, property paths, member access, reducers and helpers. */
export function completeJql(text: string, offset: number, schema: AnalyticsSchema | undefined): CompletionCandidate[] {
  const at = Math.max(0, Math.min(offset, text.length));
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  let lineEnd = text.indexOf('\n', at);
  if (lineEnd === -1) lineEnd = text.length;
  const prefix = text.slice(lineStart, at);
  let wordEnd = at;
  while (isWordChar(text[wordEnd])) wordEnd++;

  const reducerMatch = /mixpanel\s*\.\s*reducer\s*\.\s*([\w$]*)$/.exec(prefix);
  if (reducerMatch) {
    const span = { start: at - reducerMatch[1].length, end: wordEnd };
    return Object.entries(JQL_REDUCERS).map(([name, doc], rank) => ({
      label: name,
      kind: 'function',
      documentation: doc,
      detail: 'reducer',
      replaceSpan: span,
      sortText: String(rank).padStart(4, '0'),
    }));
  }
  const helperMatch = /\bmixpanel\s*\.\s*([\w$]*)$/.exec(prefix);
  if (helperMatch) {
    const span = { start: at - helperMatch[1].length, end: wordEnd };
    return Object.entries(JQL_HELPERS).map(([name, doc], rank) => ({
      label: name,
      kind: 'function',
      documentation: doc,
      detail: 'mixpanel',
      replaceSpan: span,
      sortText: String(rank).padStart(4, '0'),
    }));
  }
  if (!schema) return [];

  const closingQuote = (quote: string) => {
    for (let i = at; i < lineEnd; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === quote) return { end: i, closed: true };
    }
    return { end: wordEnd, closed: false };
  };
  const eventMatch = /\bevent\s*:\s*(["'])((?:[^"'\\\n]|\\.)*)$/.exec(prefix);
  if (eventMatch) {
    const quote = eventMatch[1];
    const { end, closed } = closingQuote(quote);
    const span = { start: at - eventMatch[2].length, end };
    return sortedEvents(schema).map((event, rank) => {
      const candidate: CompletionCandidate = {
        label: event.name,
        kind: 'event',
        detail: event.volume !== undefined ? `${formatCount(event.volume)} events` : (event.displayName ?? 'event'),
        documentation: eventDocumentation(event),
        insertText: escapeFor(event.name, quote) + (closed ? '' : quote),
        replaceSpan: span,
        sortText: String(rank).padStart(6, '0'),
      };
      if (event.hidden || event.dropped) candidate.deprecated = true;
      return candidate;
    });
  }
  const pathMatch = /(["'])((?:event\.|user\.)?properties\.)((?:[^"'\\\n]|\\.)*)$/.exec(prefix);
  if (pathMatch) {
    const quote = pathMatch[1];
    const isUser = pathMatch[2] === 'user.properties.';
    const { end, closed } = closingQuote(quote);
    const scope = isUser ? userPropertyScope(schema) : eventPropertyScope(schema, selectorEventsInText(text));
    return propertyItems(scope, isUser, { start: at - pathMatch[3].length, end }, (name) => escapeFor(name, quote) + (closed ? '' : quote));
  }
  // Inside a selector expression: 'properties["…' or 'user["…'.
  const selectorMatch = /\b(properties|user)\s*\[\s*"((?:[^"\\\n]|\\.)*)$/.exec(prefix);
  if (selectorMatch) {
    const isUser = selectorMatch[1] === 'user';
    const { end, closed } = closingQuote('"');
    const scope = isUser ? userPropertyScope(schema) : eventPropertyScope(schema, selectorEventsInText(text));
    const suffix = closed ? '' : text.slice(end, lineEnd).trimStart().startsWith(']') ? '"' : '"]';
    return propertyItems(scope, isUser, { start: at - selectorMatch[2].length, end }, (name) => JSON.stringify(name).slice(1, -1) + suffix);
  }
  const memberMatch = /([\w$.]+)\.properties\.([\w$]*)$/.exec(prefix);
  if (memberMatch) {
    const owner = memberMatch[1].split('.').pop() ?? '';
    const peopleOnly = /\bPeople\s*\(/.test(text) && !/\bEvents\s*\(/.test(text);
    const isUser = peopleOnly || /^(user|users|u|profile|person|people)$/i.test(owner);
    const scope = isUser ? userPropertyScope(schema) : eventPropertyScope(schema, selectorEventsInText(text));
    const wordStart = at - memberMatch[2].length;
    const word = { start: wordStart, end: wordEnd };
    const fromDot = { start: wordStart - 1, end: wordEnd };
    // Names that are not identifiers need bracket access, which replaces the dot too.
    return propertyItems(scope, isUser, word, (name) => name).map((c) =>
      IDENTIFIER.test(c.label) ? c : { ...c, replaceSpan: fromDot, insertText: `[${JSON.stringify(c.label)}]` },
    );
  }
  return [];
}

function escapeFor(value: string, quote: string): string {
  const escaped = JSON.stringify(value).slice(1, -1);
  return quote === "'" ? escaped.replace(/\\"/g, '"').replace(/'/g, "\\'") : escaped;
}

function propertyItems(scope: PropertyScope, isUser: boolean, span: TextSpan, insert: (name: string) => string): CompletionCandidate[] {
  const all = [...scope.own, ...scope.defaults];
  return all.map((property, rank) => {
    const candidate: CompletionCandidate = {
      label: property.name,
      kind: isUser ? 'userProperty' : 'property',
      detail: property.type,
      insertText: insert(property.name),
      replaceSpan: span,
      sortText: String((property.hidden || property.dropped ? 100_000 : 0) + rank).padStart(6, '0'),
    };
    if (property.description) candidate.documentation = property.description;
    if (property.hidden || property.dropped) candidate.deprecated = true;
    return candidate;
  });
}

/** Hover on event names in selectors, property paths and member access, reducers and helpers. */
export function hoverJql(text: string, offset: number, schema: AnalyticsSchema | undefined): HoverInfo | undefined {
  const parsed = parseScript(text);
  if (!parsed.ok) return undefined;
  let facts: JqlFacts;
  try {
    facts = collectFacts(parsed.program, text);
  } catch {
    return undefined;
  }
  const inside = (span: TextSpan) => span.start <= offset && offset <= span.end;
  const reducer = facts.reducers.find((r) => inside(r.span));
  if (reducer)
    return Object.hasOwn(JQL_REDUCERS, reducer.name)
      ? { span: reducer.span, markdown: `**mixpanel.reducer.${reducer.name}**\n\n${JQL_REDUCERS[reducer.name]}` }
      : undefined;
  const helper = facts.helpers.find((h) => inside(h.span));
  if (helper)
    return Object.hasOwn(JQL_HELPERS, helper.name) ? { span: helper.span, markdown: `**mixpanel.${helper.name}**\n\n${JQL_HELPERS[helper.name]}` } : undefined;
  if (!schema) return undefined;
  const event = facts.events.find((e) => inside(e.span));
  if (event) return { span: event.span, markdown: eventHoverMarkdown(event.name, schema) };
  const property = facts.properties.find((p) => inside(p.span));
  if (property) {
    const events = facts.events.map((e) => e.name).filter((name) => findEvent(schema, name));
    const markdown = propertyHoverMarkdown(property.name, property.isUser, schema, events);
    return markdown ? { span: property.span, markdown } : undefined;
  }
  return undefined;
}
