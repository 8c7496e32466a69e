/**
 * Evaluates Mixpanel segmentation expressions (the `on` / `where` grammar, docs/api-notes.md) against
 * one event, by Mixpanel's documented rules: `==` across types is false, comparisons across types are
 * undefined, `and`/`or` treat undefined as false, `in` is a substring test on strings and list
 * membership on lists. The same tree the parser builds for lint is what runs here.
 *
 * The local engine evaluates an expression once per event over millions of events, so the tree is
 * compiled once into nested closures (`compileExpression`) instead of being walked per event.
 */
import type { BinaryOperator, Expression } from '../../../languageService/parser/queryAst';

/** What an expression reads: the event's properties and, for `user["…"]`, the user's profile. */
export interface ExpressionContext {
  properties: Record<string, unknown>;
  user?: Record<string, unknown>;
}

/** An expression compiled once, evaluated per event. Returns undefined where Mixpanel would. */
export type CompiledExpression = (context: ExpressionContext) => unknown;

/** An expression compiled against another way of reading properties (e.g. a row number into columns). */
export type CompiledExpressionOf<C> = (context: C) => unknown;

/** Builds the reader of one property reference; called once per reference at compile time. */
export type PropertyReader<C> = (scope: 'properties' | 'user' | 'event', name: string) => CompiledExpressionOf<C>;

const compiledCache = new WeakMap<Expression, CompiledExpression>();

/** Evaluates `expression` for one event; compiles it on first use and reuses the compiled form. */
export function evaluateExpression(expression: Expression, context: ExpressionContext): unknown {
  let compiled = compiledCache.get(expression);
  if (!compiled) {
    compiled = compileExpression(expression);
    compiledCache.set(expression, compiled);
  }
  return compiled(context);
}

/** Mixpanel's truthiness: undefined, null, false, 0, NaN, "" and [] are false. */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/**
 * Mixpanel's `boolean()` cast: "false", 0, null, undefined and "" become false; any other set value
 * (including "true", other strings, other numbers and lists) becomes true.
 */
export function toBoolean(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return value !== '' && value !== 'false';
  return true;
}

/**
 * Mixpanel's `not`: the logical not of a boolean, true for undefined, and undefined for every
 * other operand (a string, a number, null or a list is not negated).
 */
export function logicalNot(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return !value;
  if (value === undefined) return true;
  return undefined;
}

/**
 * The label an `on` value gets as a segment, as Mixpanel shows it: strings as they are, numbers
 * via String, booleans "true"/"false", a missing value "undefined", null "null".
 */
export function segmentKey(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return formatDatetime(value);
  return JSON.stringify(value);
}

/** Compiles an expression tree into a closure; unknown functions and error holes yield undefined. */
export function compileExpression(expression: Expression): CompiledExpression {
  return compileExpressionWith<ExpressionContext>(expression, readFromContext);
}

/**
 * Compiles an expression whose property references are read by `readProperty`, so an engine can
 * evaluate over its own storage (columns, rows) with exactly the same semantics.
 */
export function compileExpressionWith<C>(expression: Expression, readProperty: PropertyReader<C>): CompiledExpressionOf<C> {
  const compile = (node: Expression): CompiledExpressionOf<C> => compileExpressionWith(node, readProperty);
  switch (expression.type) {
    case 'property':
      return readProperty(expression.scope, expression.name);
    case 'string':
    case 'number':
    case 'boolean': {
      const value = expression.value;
      return () => value;
    }
    case 'list': {
      const items = expression.items.map(compile);
      return (context) => items.map((item) => item(context));
    }
    case 'unary': {
      const operand = compile(expression.operand);
      if (expression.operator === 'not') return (context) => logicalNot(operand(context));
      return (context) => {
        const value = operand(context);
        return typeof value === 'number' ? -value : undefined;
      };
    }
    case 'binary':
      return compileBinary(expression.operator, compile(expression.left), compile(expression.right));
    case 'call':
      return compileCall(expression.callee, expression.args.map(compile));
    case 'error':
      return () => undefined;
  }
}

/** Like `compileExpressionWith`, for a filter: true exactly when the value is truthy. */
export function compilePredicateWith<C>(expression: Expression, readProperty: PropertyReader<C>): (context: C) => boolean {
  const compiled = compileExpressionWith(expression, readProperty);
  return (context) => isTruthy(compiled(context));
}

function readFromContext(scope: 'properties' | 'user' | 'event', name: string): CompiledExpression {
  if (scope === 'user') return (context) => context.user?.[name];
  if (scope === 'event' && name === '$time') return (context) => context.properties.time;
  return (context) => context.properties[name];
}

function compileBinary<C>(operator: BinaryOperator, left: CompiledExpressionOf<C>, right: CompiledExpressionOf<C>): CompiledExpressionOf<C> {
  switch (operator) {
    case 'and':
      return (context) => isTruthy(left(context)) && isTruthy(right(context));
    case 'or':
      return (context) => isTruthy(left(context)) || isTruthy(right(context));
    case '==':
      return (context) => equals(left(context), right(context));
    case '!=':
      return (context) => !equals(left(context), right(context));
    case '<':
      return (context) => {
        const order = compare(left(context), right(context));
        return order === undefined ? undefined : order < 0;
      };
    case '<=':
      return (context) => {
        const order = compare(left(context), right(context));
        return order === undefined ? undefined : order <= 0;
      };
    case '>':
      return (context) => {
        const order = compare(left(context), right(context));
        return order === undefined ? undefined : order > 0;
      };
    case '>=':
      return (context) => {
        const order = compare(left(context), right(context));
        return order === undefined ? undefined : order >= 0;
      };
    case 'in':
      return (context) => contains(right(context), left(context));
    case '+':
      return (context) => {
        const a = left(context);
        const b = right(context);
        if (typeof a === 'number' && typeof b === 'number') return a + b;
        if (typeof a === 'string' && typeof b === 'string') return a + b;
        return undefined;
      };
    case '-':
      return arithmetic(left, right, (a, b) => a - b);
    case '*':
      return arithmetic(left, right, (a, b) => a * b);
    case '/':
      return arithmetic(left, right, (a, b) => (b === 0 ? undefined : a / b));
    case '%':
      return arithmetic(left, right, (a, b) => (b === 0 ? undefined : a % b));
  }
}

function arithmetic<C>(
  left: CompiledExpressionOf<C>,
  right: CompiledExpressionOf<C>,
  apply: (a: number, b: number) => number | undefined,
): CompiledExpressionOf<C> {
  return (context) => {
    const a = left(context);
    const b = right(context);
    return typeof a === 'number' && typeof b === 'number' ? apply(a, b) : undefined;
  };
}

function compileCall<C>(callee: string, args: CompiledExpressionOf<C>[]): CompiledExpressionOf<C> {
  const [first, second] = args;
  const unary = (apply: (value: unknown) => unknown): CompiledExpressionOf<C> => (args.length === 1 ? (context) => apply(first(context)) : () => undefined);
  switch (callee) {
    case 'defined':
      return unary((value) => value !== undefined && value !== null);
    case 'boolean':
      return unary(toBoolean);
    case 'number':
      return unary(toNumber);
    case 'string':
      return unary(toStringValue);
    case 'datetime':
      return unary(toDatetime);
    case 'floor':
      return unary((value) => (typeof value === 'number' ? Math.floor(value) : undefined));
    case 'round':
      return unary((value) => (typeof value === 'number' ? Math.round(value) : undefined));
    case 'ceil':
      return unary((value) => (typeof value === 'number' ? Math.ceil(value) : undefined));
    case 'has_prefix':
      if (args.length !== 2) return () => undefined;
      return (context) => {
        const text = first(context);
        const prefix = second(context);
        return typeof text === 'string' && typeof prefix === 'string' ? text.startsWith(prefix) : false;
      };
    default:
      return () => undefined;
  }
}

type ValueKind = 'undefined' | 'null' | 'number' | 'string' | 'boolean' | 'list' | 'datetime' | 'object';

function kindOf(value: unknown): ValueKind {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Date) return 'datetime';
  const type = typeof value;
  if (type === 'number' || type === 'string' || type === 'boolean') return type;
  return 'object';
}

function equals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const kind = kindOf(a);
  if (kind === 'datetime' || kindOf(b) === 'datetime') {
    const order = compare(a, b);
    return order === 0;
  }
  if (kind !== kindOf(b)) return false;
  if (kind === 'list' || kind === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

/** Orders two values of the same type; undefined across types, as in Mixpanel. */
function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : undefined;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  // Date properties arrive as ISO strings; compared with datetime(...) they are read as dates.
  if (a instanceof Date || b instanceof Date) {
    const left = a instanceof Date ? a : typeof a === 'string' ? toDatetime(a) : undefined;
    const right = b instanceof Date ? b : typeof b === 'string' ? toDatetime(b) : undefined;
    if (!(left instanceof Date) || !(right instanceof Date)) return undefined;
    return Math.sign(left.getTime() - right.getTime());
  }
  return undefined;
}

function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') return typeof item === 'string' && container.includes(item);
  if (Array.isArray(container)) return container.some((element) => equals(element, item));
  return false;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return undefined;
    const parsed = Number(trimmed);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  if (value instanceof Date) return value.getTime() / 1000;
  return undefined;
}

function toStringValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return segmentKey(value);
}

/** Reads ISO dates and epoch timestamps (seconds below 1e11, else milliseconds). */
function toDatetime(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'number') {
    const date = new Date(Math.abs(value) < 1e11 ? value * 1000 : value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  if (typeof value !== 'string') return undefined;
  // A date-time without a zone is UTC in Mixpanel, not the machine's local time.
  const text = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time);
}

function formatDatetime(value: Date): string {
  return value
    .toISOString()
    .replace(/\.000Z$/, '')
    .replace(/Z$/, '');
}
