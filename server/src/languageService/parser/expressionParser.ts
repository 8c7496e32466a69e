/**
 * Mixpanel segmentation expressions (`on`, `where`, `born_where`, JQL selectors); the grammar is in docs/api-notes.md, "Mixpanel segmentation expressions".
 * A recursive-descent parser over tokens; precedence from low to high:
 * `or`, `and`, `not`, comparison and `in`, `+ -`, `* / %`, unary `-`.
 * Errors leave `ErrorExpression` holes so the rest of the expression is still analysed.
 */
import type { BinaryOperator, Expression, SyntaxProblem, TextSpan } from './queryAst';
import { tokenizeLine, type Token } from './queryTokenizer';

const COMPARISON_OPERATORS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=', 'in']);
const PROPERTY_SCOPES: ReadonlySet<string> = new Set(['properties', 'user', 'event']);
/** Tokens that end an operand; an operand missing before them is reported without consuming them. */
const CLOSING_TOKENS: ReadonlySet<string> = new Set([')', ']', ',', '==', '!=', '<', '<=', '>', '>=', '+', '*', '/', '%', 'and', 'or', 'in']);

export interface ExpressionParseResult {
  expression: Expression;
  problems: SyntaxProblem[];
}

/** Deeper nesting than any real filter; the limit keeps recursion far from the stack size. */
const MAX_NESTING = 100;
/** Chains such as `a and b and …` build trees as deep as they are long, so length is capped too. */
const MAX_TOKENS = 2000;

class ExpressionParser {
  private position = 0;
  private depth = 0;
  private tooDeepReported = false;

  constructor(
    private readonly tokens: readonly Token[],
    /** Where a zero-width error goes when the tokens run out. */
    private readonly endOffset: number,
    private readonly problems: SyntaxProblem[],
  ) {}

  parseAll(): Expression {
    if (this.tokens.length === 0) {
      this.report({ start: this.endOffset, end: this.endOffset }, 'Expected an expression, e.g. properties["plan"] == "free".', 'expected-expression');
      return { type: 'error', span: { start: this.endOffset, end: this.endOffset } };
    }
    if (this.tokens.length > MAX_TOKENS) {
      const span = { start: this.tokens[0].span.start, end: this.tokens[this.tokens.length - 1].span.end };
      this.report(span, `The expression is too long (more than ${MAX_TOKENS} tokens): split the filter up.`, 'expression-too-complex');
      return { type: 'error', span };
    }
    const expression = this.parseOr();
    if (this.position < this.tokens.length) {
      const extra = this.tokens[this.position];
      const last = this.tokens[this.tokens.length - 1];
      this.report({ start: extra.span.start, end: last.span.end }, `Unexpected ${describe(extra)} after the expression.`, 'unexpected-token');
      this.position = this.tokens.length;
    }
    return expression;
  }

  /**
   * Runs a parse one nesting level deeper. Past MAX_NESTING the rest of the tokens become one
   * error hole, so neither this parser nor the tree walkers downstream can overflow the stack.
   */
  private nested(parse: () => Expression): Expression {
    if (this.depth >= MAX_NESTING) {
      const first = this.peek();
      const span = first ? { start: first.span.start, end: this.tokens[this.tokens.length - 1].span.end } : this.here();
      if (!this.tooDeepReported) {
        this.report(span, `The expression nests deeper than ${MAX_NESTING} levels.`, 'expression-too-complex');
        this.tooDeepReported = true;
      }
      this.position = this.tokens.length;
      return { type: 'error', span };
    }
    this.depth++;
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private isOperator(token: Token | undefined, operator: string): boolean {
    return token !== undefined && (token.type === 'punct' || token.type === 'word') && token.text === operator;
  }

  private report(span: TextSpan, message: string, code: string): void {
    // After giving up on a too-deep expression, the unclosed brackets around it are not news.
    if (this.tooDeepReported) return;
    this.problems.push({ span, message, code });
  }

  private here(): TextSpan {
    const token = this.peek();
    return token ? { start: token.span.start, end: token.span.start } : { start: this.endOffset, end: this.endOffset };
  }

  private binary(left: Expression, operatorToken: Token, right: Expression): Expression {
    return {
      type: 'binary',
      span: { start: left.span.start, end: right.span.end },
      operator: operatorToken.text as BinaryOperator,
      operatorSpan: operatorToken.span,
      left,
      right,
    };
  }

  private parseOr(): Expression {
    let left = this.parseAnd();
    while (this.isOperator(this.peek(), 'or')) {
      const operator = this.tokens[this.position++];
      left = this.binary(left, operator, this.parseAnd());
    }
    return left;
  }

  private parseAnd(): Expression {
    let left = this.parseNot();
    while (this.isOperator(this.peek(), 'and')) {
      const operator = this.tokens[this.position++];
      left = this.binary(left, operator, this.parseNot());
    }
    return left;
  }

  private parseNot(): Expression {
    const token = this.peek();
    if (token && (this.isOperator(token, 'not') || isPunctText(token, '!'))) {
      if (token.text === '!') this.report(token.span, "Use 'not' to negate; '!' is not an operator.", 'unexpected-token');
      this.position++;
      const operand = this.nested(() => this.parseNot());
      return { type: 'unary', span: { start: token.span.start, end: operand.span.end }, operator: 'not', operand };
    }
    return this.parseComparison();
  }

  private parseComparison(): Expression {
    let left = this.parseAdditive();
    for (;;) {
      const token = this.peek();
      if (!token || !(token.type === 'punct' || token.type === 'word')) break;
      if (isPunctText(token, '=')) {
        // Read as `==` so the rest of the expression is still checked.
        this.report(token.span, "Use '==' to compare; '=' is not an operator.", 'unexpected-token');
        this.position++;
        left = this.binary(left, { ...token, text: '==' }, this.parseAdditive());
        continue;
      }
      if (!COMPARISON_OPERATORS.has(token.text)) break;
      this.position++;
      left = this.binary(left, token, this.parseAdditive());
    }
    return left;
  }

  private parseAdditive(): Expression {
    let left = this.parseMultiplicative();
    for (;;) {
      const token = this.peek();
      if (!this.isOperator(token, '+') && !this.isOperator(token, '-')) break;
      this.position++;
      left = this.binary(left, token as Token, this.parseMultiplicative());
    }
    return left;
  }

  private parseMultiplicative(): Expression {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      if (!this.isOperator(token, '*') && !this.isOperator(token, '/') && !this.isOperator(token, '%')) break;
      this.position++;
      left = this.binary(left, token as Token, this.parseUnary());
    }
    return left;
  }

  private parseUnary(): Expression {
    const token = this.peek();
    if (token && this.isOperator(token, '-')) {
      this.position++;
      const operand = this.nested(() => this.parseUnary());
      return { type: 'unary', span: { start: token.span.start, end: operand.span.end }, operator: '-', operand };
    }
    return this.parsePrimary();
  }

  private missingOperand(): Expression {
    const span = this.here();
    const token = this.peek();
    this.report(token ? token.span : span, token ? `Expected an expression before ${describe(token)}.` : 'Expected an expression here.', 'expected-expression');
    return { type: 'error', span };
  }

  private parsePrimary(): Expression {
    const token = this.peek();
    if (!token) return this.missingOperand();
    switch (token.type) {
      case 'string':
        this.position++;
        return { type: 'string', span: token.span, value: token.value };
      case 'number':
        this.position++;
        return { type: 'number', span: token.span, value: Number(token.text) };
      case 'date':
        this.position++;
        this.report(token.span, `A date in an expression is a string: write "${token.text}".`, 'unexpected-token');
        return { type: 'error', span: token.span };
      case 'word':
        return this.parseWord(token);
      case 'punct':
        if (token.text === '(') return this.parseParenthesized();
        if (token.text === '[') return this.parseList(token);
        if (CLOSING_TOKENS.has(token.text)) return this.missingOperand();
        this.position++;
        this.report(token.span, `Unexpected ${describe(token)} in an expression.`, 'unexpected-token');
        return { type: 'error', span: token.span };
      default:
        this.position++;
        this.report(
          token.span,
          token.text === "'" ? 'Strings use double quotes: "…".' : `Unexpected character '${token.text}' in an expression.`,
          'unexpected-token',
        );
        return { type: 'error', span: token.span };
    }
  }

  private parseWord(token: Token): Expression {
    if (token.text === 'true' || token.text === 'false') {
      this.position++;
      return { type: 'boolean', span: token.span, value: token.text === 'true' };
    }
    if (CLOSING_TOKENS.has(token.text)) return this.missingOperand();
    const next = this.tokens[this.position + 1];
    if (PROPERTY_SCOPES.has(token.text) && this.isOperator(next, '[')) return this.parseProperty(token);
    if (this.isOperator(next, '(')) return this.parseCall(token);
    this.position++;
    const message = PROPERTY_SCOPES.has(token.text)
      ? `Write ${token.text}["name"] to read a property.`
      : `Unknown name '${token.text}': write properties["${token.text}"] for a property, or a quoted "${token.text}" for a string.`;
    this.report(token.span, message, 'unexpected-token');
    return { type: 'error', span: token.span };
  }

  private parseProperty(scopeToken: Token): Expression {
    this.position += 2; // scope word and `[`
    const nameToken = this.peek();
    const scope = scopeToken.text as 'properties' | 'user' | 'event';
    if (!nameToken || nameToken.type !== 'string') {
      const span = this.here();
      this.report(nameToken ? nameToken.span : span, `Expected a property name in quotes: ${scope}["name"].`, 'expected-property-name');
      const end = this.skipTo(']');
      return { type: 'property', span: { start: scopeToken.span.start, end }, scope, name: '', nameSpan: span };
    }
    this.position++;
    let end = nameToken.span.end;
    if (this.isOperator(this.peek(), ']')) {
      end = this.tokens[this.position++].span.end;
    } else if (nameToken.terminated) {
      this.report({ start: nameToken.span.end, end: nameToken.span.end }, "Expected ']' after the property name.", 'expected-token');
    }
    return { type: 'property', span: { start: scopeToken.span.start, end }, scope, name: nameToken.value, nameSpan: nameToken.span };
  }

  /** Skips to just after `closer` on this nesting level (or to the end) and returns the end offset. */
  private skipTo(closer: string): number {
    let end = this.position > 0 ? this.tokens[this.position - 1].span.end : this.endOffset;
    while (this.position < this.tokens.length) {
      const token = this.tokens[this.position];
      if (this.isOperator(token, closer)) {
        this.position++;
        return token.span.end;
      }
      if (token.type === 'punct' && CLOSING_TOKENS.has(token.text) && token.text !== closer) return end;
      end = token.span.end;
      this.position++;
    }
    return end;
  }

  private parseCall(calleeToken: Token): Expression {
    this.position += 2; // callee and `(`
    const args: Expression[] = [];
    const end = this.parseSequence(')', args, calleeToken.span.end + 1);
    return {
      type: 'call',
      span: { start: calleeToken.span.start, end },
      callee: calleeToken.text,
      calleeSpan: calleeToken.span,
      args,
    };
  }

  private parseList(open: Token): Expression {
    this.position++;
    const items: Expression[] = [];
    const end = this.parseSequence(']', items, open.span.end);
    return { type: 'list', span: { start: open.span.start, end }, items };
  }

  /** Comma-separated expressions up to `closer`; returns the end offset of the construct. */
  private parseSequence(closer: string, items: Expression[], fallbackEnd: number): number {
    if (this.isOperator(this.peek(), closer)) return this.tokens[this.position++].span.end;
    for (;;) {
      items.push(this.nested(() => this.parseOr()));
      const token = this.peek();
      if (this.isOperator(token, ',')) {
        this.position++;
        // A trailing comma before the closer is tolerated, as in JSON5 and JavaScript.
        if (this.isOperator(this.peek(), closer)) return this.tokens[this.position++].span.end;
        continue;
      }
      if (this.isOperator(token, closer)) return this.tokens[this.position++].span.end;
      const lastEnd = items.length > 0 ? items[items.length - 1].span.end : fallbackEnd;
      if (!token) {
        this.report({ start: lastEnd, end: lastEnd }, `Expected '${closer}' to close the ${closer === ')' ? 'call' : 'list'}.`, 'expected-token');
        return lastEnd;
      }
      if (token.type === 'punct' && (token.text === ')' || token.text === ']')) {
        this.report(token.span, `Expected '${closer}' but found '${token.text}'.`, 'expected-token');
        return lastEnd;
      }
      // Something like a missing comma: report once, then skip to the closer to stay in sync.
      this.report(token.span, `Expected ',' or '${closer}' but found ${describe(token)}.`, 'expected-token');
      return this.skipTo(closer);
    }
  }

  private parseParenthesized(): Expression {
    this.position++;
    const inner = this.nested(() => this.parseOr());
    if (this.isOperator(this.peek(), ')')) {
      this.position++;
    } else {
      const token = this.peek();
      const at = token ? token.span : { start: inner.span.end, end: inner.span.end };
      this.report(at, "Expected ')' to close '('.", 'expected-token');
      if (token) this.skipTo(')');
    }
    // Parentheses leave no node: the tree keeps only what changes meaning.
    return inner;
  }
}

function isPunctText(token: Token, text: string): boolean {
  return token.type === 'punct' && token.text === text;
}

function describe(token: Token): string {
  switch (token.type) {
    case 'string':
      return `string ${token.text}`;
    case 'number':
      return `number ${token.text}`;
    case 'date':
      return `date ${token.text}`;
    default:
      return `'${token.text}'`;
  }
}

/**
 * Parses an expression from tokens that belong to one clause value (possibly over several lines).
 * `endOffset` is where a missing operand at the end is reported: the end of the last token, or of
 * the clause keyword when there are no tokens.
 */
export function parseExpressionTokens(tokens: readonly Token[], endOffset: number, problems: SyntaxProblem[]): Expression {
  return new ExpressionParser(tokens, endOffset, problems).parseAll();
}

/**
 * Parses a standalone expression, e.g. a JQL selector string. Spans are offsets into `text`
 * plus `baseOffset`, so a caller can map them into the surrounding document.
 */
export function parseExpression(text: string, baseOffset = 0): ExpressionParseResult {
  const problems: SyntaxProblem[] = [];
  const { tokens, comment } = tokenizeLine(text, 0, text.length, problems);
  if (comment) {
    problems.push({ span: comment, message: "Unexpected '#' in an expression.", code: 'unexpected-token' });
  }
  const expression = parseExpressionTokens(tokens, tokens.length > 0 ? tokens[tokens.length - 1].span.end : text.trimEnd().length, problems);
  if (baseOffset !== 0) {
    shiftExpression(expression, baseOffset);
    for (const problem of problems) problem.span = shift(problem.span, baseOffset);
  }
  return { expression, problems };
}

function shift(span: TextSpan, by: number): TextSpan {
  return { start: span.start + by, end: span.end + by };
}

function shiftExpression(expression: Expression, by: number): void {
  expression.span = shift(expression.span, by);
  switch (expression.type) {
    case 'property':
      expression.nameSpan = shift(expression.nameSpan, by);
      break;
    case 'binary':
      expression.operatorSpan = shift(expression.operatorSpan, by);
      shiftExpression(expression.left, by);
      shiftExpression(expression.right, by);
      break;
    case 'unary':
      shiftExpression(expression.operand, by);
      break;
    case 'call':
      expression.calleeSpan = shift(expression.calleeSpan, by);
      for (const arg of expression.args) shiftExpression(arg, by);
      break;
    case 'list':
      for (const item of expression.items) shiftExpression(item, by);
      break;
    default:
      break;
  }
}
