/**
 * Prints an `Expression` back to Mixpanel's segmentation-expression text, the form the Query API
 * takes in `on`, `where` and `born_where` and JQL takes in selectors. Parentheses are added only
 * where precedence needs them, so `parseExpression(printExpression(e))` gives the same tree.
 */
import type { BinaryOperator, Expression } from '../languageService/parser/queryAst';

/** Binding strength, matching expressionParser.ts: higher binds tighter. */
const PRECEDENCE: Readonly<Record<BinaryOperator, number>> = {
  or: 1,
  and: 2,
  '==': 4,
  '!=': 4,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  in: 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};
const NOT_PRECEDENCE = 3;
const NEGATE_PRECEDENCE = 7;
const PRIMARY_PRECEDENCE = 8;

function precedenceOf(expression: Expression): number {
  switch (expression.type) {
    case 'binary':
      return PRECEDENCE[expression.operator];
    case 'unary':
      return expression.operator === 'not' ? NOT_PRECEDENCE : NEGATE_PRECEDENCE;
    case 'number':
      // A negative literal reads back as unary minus, so it is wrapped like one.
      return expression.value < 0 || Object.is(expression.value, -0) ? NEGATE_PRECEDENCE : PRIMARY_PRECEDENCE;
    default:
      return PRIMARY_PRECEDENCE;
  }
}

function printWithin(expression: Expression, minimum: number): string {
  const text = printExpression(expression);
  return precedenceOf(expression) < minimum ? `(${text})` : text;
}

function printNumber(value: number): string {
  if (!Number.isFinite(value)) return 'undefined';
  return String(value);
}

/** The Mixpanel expression text for `expression`. Error holes print as `undefined`. */
export function printExpression(expression: Expression): string {
  switch (expression.type) {
    case 'property':
      return `${expression.scope}[${JSON.stringify(expression.name)}]`;
    case 'string':
      return JSON.stringify(expression.value);
    case 'number':
      return printNumber(expression.value);
    case 'boolean':
      return expression.value ? 'true' : 'false';
    case 'list':
      return `[${expression.items.map((item) => printExpression(item)).join(', ')}]`;
    case 'call':
      return `${expression.callee}(${expression.args.map((arg) => printExpression(arg)).join(', ')})`;
    case 'unary':
      if (expression.operator === 'not') return `not ${printWithin(expression.operand, NOT_PRECEDENCE)}`;
      {
        const operand = printWithin(expression.operand, NEGATE_PRECEDENCE);
        // `- -x`, not `--x`, which other tools read as a decrement.
        return operand.startsWith('-') ? `- ${operand}` : `-${operand}`;
      }
    case 'binary': {
      const precedence = PRECEDENCE[expression.operator];
      // Left-associative: the right operand needs parentheses at equal precedence too.
      const left = printWithin(expression.left, precedence);
      const right = printWithin(expression.right, precedence + 1);
      return `${left} ${expression.operator} ${right}`;
    }
    case 'error':
      return 'undefined';
  }
}
