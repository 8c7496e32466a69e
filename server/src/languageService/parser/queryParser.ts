/**
 * Parses an `.aq` file into an `AqDocument`. The language is line-based: column-0 lines are
 * titles, `use` lines and query heads; indented lines are clauses, and lines indented deeper than
 * a clause continue its value. The parser never throws: every problem is recorded with a span and
 * parsing resumes at the next line, so one broken query never hides the others.
 */
import type { QuickFix } from './textSpan';
import {
  CLAUSES_BY_NAME,
  DURATION_UNITS,
  EXPECT_MEASURES,
  QUERY_KINDS,
  REPORT_FILTER_OPERATORS,
  SOURCE_KINDS,
  VALUELESS_REPORT_OPERATORS,
  clauseShape,
  type ClauseSpec,
  type ClauseValueShape,
} from '../clauseCatalog';
import { suggestNames } from '../nameMatching';
import { parseExpressionTokens } from './expressionParser';
import type {
  AqDocument,
  Clause,
  ClauseValue,
  ColumnRefNode,
  ExpectationNode,
  ExpectMeasureKind,
  ExpectMeasureNode,
  ExpectOperator,
  ExpectValueNode,
  NumberNode,
  QueryBlock,
  QueryHead,
  QueryKind,
  ReportFilterNode,
  SourceKind,
  StringNode,
  SyntaxProblem,
  TextSpan,
  UseDirective,
  WordNode,
} from './queryAst';
import { tokenizeLine, type Token } from './queryTokenizer';

const INTEGER_PATTERN = /^\d+$/;
const EXPECT_COMPARISONS: Readonly<Record<ExpectOperator, true>> = { '==': true, '!=': true, '<': true, '<=': true, '>': true, '>=': true };
const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2})?$/;

/** An indented clause line plus the deeper-indented lines that continue its value. */
interface PendingClause {
  block: QueryBlock;
  indent: number;
  tokens: Token[];
  /** Comments between the clause's first and last line, blanked out before JSON parsing. */
  comments: TextSpan[];
  /** Brackets opened and not yet closed, kept as lines are added. */
  openBrackets: number;
}

function spanOf(token: Token): TextSpan {
  return { start: token.span.start, end: token.span.end };
}

function stringNode(token: Token): StringNode {
  return { span: spanOf(token), value: token.value, terminated: token.terminated !== false };
}

function wordNode(token: Token): WordNode {
  return { span: spanOf(token), value: token.text };
}

function numberNode(token: Token): NumberNode {
  return { span: spanOf(token), value: Number(token.text), text: token.text };
}

function isPunct(token: Token | undefined, text: string): boolean {
  return token !== undefined && token.type === 'punct' && token.text === text;
}

function isWord(token: Token | undefined, text: string): boolean {
  return token !== undefined && token.type === 'word' && token.text === text;
}

function isClosingBracket(token: Token): boolean {
  return token.type === 'punct' && (token.text === '}' || token.text === ']' || token.text === ')');
}

/** How many brackets `tokens` open minus how many they close. */
function bracketBalance(tokens: readonly Token[]): number {
  let depth = 0;
  for (const token of tokens) {
    if (token.type !== 'punct') continue;
    if (token.text === '{' || token.text === '[' || token.text === '(') depth++;
    else if (token.text === '}' || token.text === ']' || token.text === ')') depth--;
  }
  return depth;
}

function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

function replacementFixes(span: TextSpan, suggestions: readonly string[]): QuickFix[] {
  return suggestions.map((suggestion, index) => ({
    title: `Change to '${suggestion}'`,
    edits: [{ span, newText: suggestion }],
    isPreferred: index === 0,
  }));
}

class DocumentParser {
  private readonly problems: SyntaxProblem[] = [];
  private readonly comments: TextSpan[] = [];
  private readonly uses: UseDirective[] = [];
  private readonly queries: QueryBlock[] = [];
  private currentUse: UseDirective | undefined;
  /** The query that indented lines belong to. */
  private currentBlock: QueryBlock | undefined;
  /** A titled block still waiting for its head line. */
  private awaitingHead: QueryBlock | undefined;
  private pendingClause: PendingClause | undefined;
  /** After a column-0 line that could not be understood, its indented lines are skipped silently. */
  private skippingIndented = false;

  constructor(
    private readonly text: string,
    initialUse: UseDirective | undefined = undefined,
  ) {
    this.currentUse = initialUse;
  }

  parse(): AqDocument {
    const text = this.text;
    let lineStart = 0;
    while (lineStart <= text.length) {
      let lineEnd = text.indexOf('\n', lineStart);
      const nextStart = lineEnd === -1 ? text.length + 1 : lineEnd + 1;
      if (lineEnd === -1) lineEnd = text.length;
      if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
      this.parseLine(lineStart, lineEnd);
      lineStart = nextStart;
    }
    this.finishClause();
    this.finishAwaitingHead();
    this.problems.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
    return { textLength: text.length, uses: this.uses, queries: this.queries, comments: this.comments, problems: this.problems };
  }

  private report(span: TextSpan, message: string, code: string, fixes?: QuickFix[]): void {
    const problem: SyntaxProblem = { span, message, code };
    if (fixes && fixes.length > 0) problem.fixes = fixes;
    this.problems.push(problem);
  }

  private parseLine(start: number, end: number): void {
    const text = this.text;
    let contentStart = start;
    while (contentStart < end && (text[contentStart] === ' ' || text[contentStart] === '\t')) contentStart++;
    const indent = contentStart - start;

    if (indent === 0 && text.startsWith('###', start)) {
      this.parseTitle(start, end);
      return;
    }

    const { tokens, comment } = tokenizeLine(text, contentStart, end, this.problems);
    if (comment) {
      if (this.pendingClause && tokens.length === 0) this.pendingClause.comments.push(comment);
      this.comments.push(comment);
    }
    if (tokens.length === 0) return;

    if (indent > 0) {
      this.parseIndented(indent, tokens, comment);
      return;
    }
    this.finishClause();
    this.skippingIndented = false;
    this.parseTopLevel(tokens, comment);
  }

  private parseTitle(start: number, end: number): void {
    this.finishClause();
    this.finishAwaitingHead();
    this.skippingIndented = false;
    let lineEnd = end;
    while (lineEnd > start && /\s/.test(this.text[lineEnd - 1])) lineEnd--;
    const block: QueryBlock = {
      span: { start, end: lineEnd },
      index: this.queries.length,
      title: this.text.slice(start + 3, lineEnd).trim(),
      titleSpan: { start, end: lineEnd },
      head: undefined,
      clauses: [],
      source: this.currentUse,
    };
    this.queries.push(block);
    this.currentBlock = block;
    this.awaitingHead = block;
  }

  /** Reports a title that no head followed, once, and stops waiting for it. */
  private finishAwaitingHead(): void {
    const block = this.awaitingHead;
    if (!block) return;
    this.awaitingHead = undefined;
    this.report(
      block.titleSpan ?? block.span,
      `The title '${block.title ?? ''}' is not followed by a query: add a head line such as segmentation "Event" below it.`,
      'title-without-query',
    );
  }

  private parseIndented(indent: number, tokens: Token[], comment: TextSpan | undefined): void {
    const pending = this.pendingClause;
    // A closing bracket may line up with the clause keyword, as JSON is usually written.
    if (pending && (indent > pending.indent || (isClosingBracket(tokens[0]) && pending.openBrackets > 0))) {
      for (const token of tokens) pending.tokens.push(token);
      pending.openBrackets += bracketBalance(tokens);
      if (comment) pending.comments.push(comment);
      return;
    }
    this.finishClause();
    if (this.skippingIndented) return;
    const block = this.currentBlock;
    if (!block) {
      const last = tokens[tokens.length - 1];
      this.report(
        { start: tokens[0].span.start, end: last.span.end },
        'This clause is not under a query: indented lines belong to the query head above them.',
        'clause-outside-query',
      );
      this.skippingIndented = true;
      return;
    }
    if (this.awaitingHead === block) this.finishAwaitingHead();
    this.pendingClause = { block, indent, tokens, comments: comment ? [comment] : [], openBrackets: bracketBalance(tokens) };
  }

  private parseTopLevel(tokens: Token[], comment: TextSpan | undefined): void {
    const first = tokens[0];
    if (first.type === 'word' && (QUERY_KINDS as readonly string[]).includes(first.text)) {
      this.parseHeadLine(first.text as QueryKind, tokens);
      return;
    }
    if (isWord(first, 'use')) {
      this.finishAwaitingHead();
      this.currentBlock = undefined;
      this.parseUse(tokens);
      return;
    }
    if (first.type === 'word' && CLAUSES_BY_NAME.has(first.text) && this.currentBlock && !this.awaitingHead) {
      this.report(first.span, `The clause '${first.text}' must be indented under its query head.`, 'clause-not-indented', [
        { title: 'Indent the clause', edits: [{ span: { start: first.span.start, end: first.span.start }, newText: '  ' }], isPreferred: true },
      ]);
      // Infinite indent: every indented line after it starts a clause of its own.
      this.pendingClause = {
        block: this.currentBlock,
        indent: Number.POSITIVE_INFINITY,
        tokens,
        comments: comment ? [comment] : [],
        openBrackets: bracketBalance(tokens),
      };
      return;
    }

    const lineSpan = { start: first.span.start, end: tokens[tokens.length - 1].span.end };
    if (first.type === 'word') {
      const suggestions = suggestNames(first.text, QUERY_KINDS);
      const hint = suggestions.length > 0 ? ` Did you mean '${suggestions[0]}'?` : ` Expected ${joinNames(QUERY_KINDS)}.`;
      this.report(first.span, `Unknown query kind '${first.text}'.${hint}`, 'unknown-query-kind', replacementFixes(first.span, suggestions));
    } else {
      this.report(lineSpan, 'Expected a query head, a `use` line or a `### Title` at the start of the line.', 'unexpected-token');
    }
    // A broken head keeps its title's block, so the clauses below still belong to that query.
    if (this.awaitingHead) {
      this.awaitingHead.span.end = lineSpan.end;
      this.awaitingHead = undefined;
    } else {
      this.currentBlock = undefined;
      this.skippingIndented = true;
    }
  }

  private parseUse(tokens: Token[]): void {
    const [useToken, kindToken, targetToken] = tokens;
    const directive: UseDirective = {
      span: { start: useToken.span.start, end: tokens[tokens.length - 1].span.end },
      sourceKind: undefined,
      sourceKindSpan: undefined,
      target: undefined,
    };
    this.uses.push(directive);
    this.currentUse = directive;
    if (!kindToken || kindToken.type !== 'word') {
      this.report(
        kindToken ? kindToken.span : { start: useToken.span.end, end: useToken.span.end },
        `Expected a source kind after 'use': ${joinNames(SOURCE_KINDS)}.`,
        'expected-source-kind',
      );
      return;
    }
    directive.sourceKindSpan = spanOf(kindToken);
    if ((SOURCE_KINDS as readonly string[]).includes(kindToken.text)) {
      directive.sourceKind = kindToken.text as SourceKind;
    } else {
      const suggestions = suggestNames(kindToken.text, SOURCE_KINDS);
      const hint = suggestions.length > 0 ? ` Did you mean '${suggestions[0]}'?` : '';
      this.report(
        kindToken.span,
        `Unknown source kind '${kindToken.text}': expected ${joinNames(SOURCE_KINDS)}.${hint}`,
        'unknown-source-kind',
        replacementFixes(kindToken.span, suggestions),
      );
    }
    if (!targetToken || targetToken.type !== 'string') {
      const what = directive.sourceKind === 'local' ? 'a data file path' : 'a source name';
      this.report(
        targetToken ? targetToken.span : { start: kindToken.span.end, end: kindToken.span.end },
        `Expected ${what} in quotes, e.g. use ${directive.sourceKind ?? 'mixpanel'} "${directive.sourceKind === 'local' ? 'data/events.ndjson' : 'shop'}".`,
        'expected-string',
      );
      return;
    }
    directive.target = stringNode(targetToken);
    this.reportExtra(tokens, 3, 'the use line');
  }

  private reportExtra(tokens: readonly Token[], from: number, what: string): void {
    if (tokens.length <= from) return;
    this.report({ start: tokens[from].span.start, end: tokens[tokens.length - 1].span.end }, `Unexpected text after ${what}.`, 'unexpected-token');
  }

  private parseHeadLine(kind: QueryKind, tokens: Token[]): void {
    const keyword = tokens[0];
    const head = this.parseHead(kind, tokens);
    let block = this.awaitingHead;
    this.awaitingHead = undefined;
    if (block) {
      block.head = head;
      block.span.end = head.span.end;
    } else {
      block = {
        span: { start: keyword.span.start, end: head.span.end },
        index: this.queries.length,
        title: undefined,
        titleSpan: undefined,
        head,
        clauses: [],
        source: this.currentUse,
      };
      this.queries.push(block);
    }
    this.currentBlock = block;
  }

  private parseHead(kind: QueryKind, tokens: Token[]): QueryHead {
    const keyword = tokens[0];
    const span = { start: keyword.span.start, end: tokens[tokens.length - 1].span.end };
    const keywordSpan = spanOf(keyword);
    switch (kind) {
      case 'segmentation': {
        const event = this.expectString(tokens, 1, 'an event name', 'expected-event-name', 'segmentation "Sign Up"');
        this.reportExtra(tokens, 2, 'the event name');
        return { kind, span, keywordSpan, event };
      }
      case 'funnel': {
        if (isWord(tokens[1], 'id')) {
          const savedId = this.expectInteger(tokens, 2, 'the saved funnel id', 'funnel id 7125032');
          this.reportExtra(tokens, 3, 'the funnel id');
          return { kind, span, keywordSpan, steps: [], savedId };
        }
        const steps = this.parseSteps(tokens, 'funnel');
        if (steps.length === 1 && tokens.length === 2) {
          this.report(steps[0].span, 'A funnel needs at least two steps: funnel "A" -> "B".', 'expected-funnel-step');
        }
        return { kind, span, keywordSpan, steps, savedId: undefined };
      }
      case 'insights': {
        if (!isWord(tokens[1], 'id')) {
          const at = tokens[1] ? tokens[1].span : { start: keyword.span.end, end: keyword.span.end };
          this.report(at, "Expected 'id' and the saved report's number: insights id 44012.", 'expected-token');
          return { kind, span, keywordSpan, bookmarkId: undefined };
        }
        const bookmarkId = this.expectInteger(tokens, 2, 'the saved report id', 'insights id 44012');
        this.reportExtra(tokens, 3, 'the report id');
        return { kind, span, keywordSpan, bookmarkId };
      }
      case 'retention': {
        const steps = this.parseSteps(tokens, 'retention');
        if (steps.length > 2) {
          this.report(
            { start: steps[2].span.start, end: steps[steps.length - 1].span.end },
            'A retention query takes a birth event and at most one return event: retention "A" -> "B".',
            'unexpected-token',
          );
        }
        return { kind, span, keywordSpan, bornEvent: steps[0], returnEvent: steps[1] };
      }
      case 'jql': {
        const scriptPath = this.expectString(tokens, 1, 'the script path', 'expected-string', 'jql "queries/top-browsers.jql"');
        this.reportExtra(tokens, 2, 'the script path');
        return { kind, span, keywordSpan, scriptPath };
      }
      case 'debugger': {
        const appId = this.expectString(tokens, 1, 'the Piwik PRO app id', 'expected-string', 'debugger "bb338e1a-12f8-5353-ac63-9fd8b1f928a1"');
        this.reportExtra(tokens, 2, 'the app id');
        return { kind, span, keywordSpan, appId };
      }
      case 'report': {
        const websiteId = this.expectString(tokens, 1, 'the Piwik PRO website id', 'expected-string', 'report "70236925-724f-404e-b634-7b5633bc0bcc"');
        this.reportExtra(tokens, 2, 'the website id');
        return { kind, span, keywordSpan, websiteId };
      }
    }
  }

  private expectString(tokens: readonly Token[], index: number, what: string, code: string, example: string): StringNode | undefined {
    const token = tokens[index];
    if (token && token.type === 'string') return stringNode(token);
    const at = token ? token.span : { start: tokens[index - 1].span.end, end: tokens[index - 1].span.end };
    this.report(at, `Expected ${what} in double quotes: ${example}.`, code);
    return undefined;
  }

  private expectInteger(tokens: readonly Token[], index: number, what: string, example: string): NumberNode | undefined {
    const token = tokens[index];
    if (token && token.type === 'number' && INTEGER_PATTERN.test(token.text)) return numberNode(token);
    const at = token ? token.span : { start: tokens[index - 1].span.end, end: tokens[index - 1].span.end };
    this.report(at, `Expected ${what} as a whole number: ${example}.`, 'expected-number');
    return undefined;
  }

  /** `"A" -> "B" -> …` after the keyword. */
  private parseSteps(tokens: readonly Token[], kind: 'funnel' | 'retention'): StringNode[] {
    const steps: StringNode[] = [];
    const example = kind === 'funnel' ? 'funnel "Sign Up" -> "Purchase"' : 'retention "Sign Up" -> "Purchase"';
    let index = 1;
    for (;;) {
      const token = tokens[index];
      if (!token || token.type !== 'string') {
        const at = token ? token.span : { start: tokens[index - 1].span.end, end: tokens[index - 1].span.end };
        this.report(at, `Expected an event name in double quotes: ${example}.`, 'expected-event-name');
        return steps;
      }
      steps.push(stringNode(token));
      index++;
      const next = tokens[index];
      if (!next) return steps;
      if (isPunct(next, '->')) {
        index++;
        continue;
      }
      if (next.type === 'string') {
        this.report({ start: token.span.end, end: next.span.start }, "Expected '->' between the events.", 'expected-token', [
          { title: "Insert '->'", edits: [{ span: { start: token.span.end, end: next.span.start }, newText: ' -> ' }], isPreferred: true },
        ]);
        continue;
      }
      this.reportExtra(tokens, index, 'the event names');
      return steps;
    }
  }

  private finishClause(): void {
    const pending = this.pendingClause;
    if (!pending) return;
    this.pendingClause = undefined;
    const [nameToken, ...valueTokens] = pending.tokens;
    const lastToken = pending.tokens[pending.tokens.length - 1];
    const span = { start: nameToken.span.start, end: lastToken.span.end };
    if (nameToken.type !== 'word') {
      this.report(span, 'Expected a clause name such as where, on, unit or last at the start of the line.', 'expected-clause');
      return;
    }
    const spec = CLAUSES_BY_NAME.get(nameToken.text);
    // Unknown clause names are the analyser's to report, with "did you mean" over the catalog.
    const shape = spec ? clauseShape(spec, pending.block.head?.kind) : undefined;
    const value: ClauseValue = spec && shape ? this.parseClauseValue(spec, shape, nameToken, valueTokens, pending.comments) : { type: 'invalid' };
    const clause: Clause = { span, name: nameToken.text, nameSpan: spanOf(nameToken), value };
    pending.block.clauses.push(clause);
    if (span.end > pending.block.span.end) pending.block.span.end = span.end;
  }

  private parseClauseValue(spec: ClauseSpec, shape: ClauseValueShape, nameToken: Token, tokens: Token[], comments: TextSpan[]): ClauseValue {
    const afterName = { start: nameToken.span.end, end: nameToken.span.end };
    switch (shape) {
      case 'flag':
        if (tokens.length > 0) {
          this.report({ start: tokens[0].span.start, end: tokens[tokens.length - 1].span.end }, `'${spec.name}' takes no value.`, 'unexpected-token');
        }
        return { type: 'flag' };
      case 'expression':
        return {
          type: 'expression',
          expression: parseExpressionTokens(tokens, tokens.length > 0 ? tokens[tokens.length - 1].span.end : nameToken.span.end, this.problems),
        };
      case 'word': {
        const token = tokens[0];
        if (!token || token.type !== 'word') {
          const choices = spec.values ? `: ${joinNames(spec.values)}` : '';
          this.report(token ? token.span : afterName, `Expected a value for '${spec.name}'${choices}.`, 'expected-value');
          return { type: 'invalid' };
        }
        this.reportExtra(tokens, 1, `the value of '${spec.name}'`);
        return { type: 'word', word: wordNode(token) };
      }
      case 'number': {
        const token = tokens[0];
        if (!token || token.type !== 'number' || !INTEGER_PATTERN.test(token.text)) {
          const at = token ? { start: token.span.start, end: tokens[tokens.length - 1].span.end } : afterName;
          this.report(at, `Expected a whole number after '${spec.name}'.`, 'expected-number');
          return { type: 'invalid' };
        }
        this.reportExtra(tokens, 1, `the number`);
        return { type: 'number', number: numberNode(token) };
      }
      case 'dateRange':
        return this.parseDateRange(tokens, afterName);
      case 'duration':
        return this.parseDuration(spec, tokens, afterName);
      case 'json':
        return this.parseJson(spec, tokens, comments, afterName);
      case 'wordList':
        return this.parseWordList(spec, tokens, afterName);
      case 'columnList':
        return this.parseColumnList(spec, tokens, afterName);
      case 'reportFilter':
        return this.parseReportFilter(spec, tokens, afterName);
      case 'order':
        return this.parseOrder(tokens, afterName);
      case 'expectation':
        return this.parseExpectation(tokens, afterName);
    }
  }

  /** `expect MEASURE OP VALUE`, `expect MEASURE between A and B`, `expect MEASURE within N% of previous`. */
  private parseExpectation(tokens: readonly Token[], afterName: TextSpan): ClauseValue {
    const first = tokens[0];
    if (!first || first.type !== 'word') {
      this.report(first ? first.span : afterName, `Expected a measure after 'expect': ${joinNames(EXPECT_MEASURES.map((m) => m.form))}.`, 'expected-value');
      return { type: 'invalid' };
    }
    const keyword = wordNode(first);
    const known = EXPECT_MEASURES.some((m) => m.keyword === first.text);
    const measure: ExpectMeasureNode = {
      span: spanOf(first),
      kind: known ? (first.text as ExpectMeasureKind) : 'unknown',
      keyword,
      name: undefined,
      interval: undefined,
      qualifier: undefined,
    };
    let index = 1;
    const missingAt = () => {
      const previous = tokens[index - 1];
      return tokens[index] ? tokens[index].span : { start: previous.span.end, end: previous.span.end };
    };
    if (measure.kind === 'series' || measure.kind === 'step') {
      const nameToken = tokens[index];
      if (!nameToken || nameToken.type !== 'string') {
        const example = measure.kind === 'series' ? 'expect series "Chrome" total > 100' : 'expect step "Purchase" count > 100';
        this.report(missingAt(), `Expected the ${measure.kind} name in double quotes: ${example}.`, 'expected-string');
        return { type: 'invalid' };
      }
      measure.name = stringNode(nameToken);
      index++;
      const qualifiers = measure.kind === 'series' ? ['total'] : ['count', 'conversion'];
      const qualifierToken = tokens[index];
      if (!qualifierToken || qualifierToken.type !== 'word' || !qualifiers.includes(qualifierToken.text)) {
        this.report(missingAt(), `Expected ${joinNames(qualifiers.map((q) => `'${q}'`))} after the ${measure.kind} name.`, 'expected-token');
        return { type: 'invalid' };
      }
      measure.qualifier = wordNode(qualifierToken);
      index++;
    } else if (measure.kind === 'retained') {
      const intervalToken = tokens[index];
      if (!intervalToken || intervalToken.type !== 'number' || !INTEGER_PATTERN.test(intervalToken.text)) {
        this.report(missingAt(), 'Expected the interval as a whole number: expect retained 1 > 20%.', 'expected-number');
        return { type: 'invalid' };
      }
      measure.interval = numberNode(intervalToken);
      index++;
      if (isWord(tokens[index], 'count')) {
        measure.qualifier = wordNode(tokens[index]);
        index++;
      }
    }
    measure.span = { start: first.span.start, end: tokens[index - 1].span.end };
    const expectation: ExpectationNode = { span: { start: first.span.start, end: tokens[tokens.length - 1].span.end }, measure, comparison: undefined };
    const operatorToken = tokens[index];
    if (!operatorToken) {
      this.report(missingAt(), 'Expected a comparison after the measure: ==, !=, <, <=, >, >=, between A and B, or within N% of previous.', 'expected-token');
      return { type: 'expectation', expectation };
    }
    index++;
    if (operatorToken.type === 'punct' && Object.hasOwn(EXPECT_COMPARISONS, operatorToken.text)) {
      const read = this.readExpectValue(tokens, index);
      index = read.next;
      const end = read.value ? read.value.span.end : operatorToken.span.end;
      expectation.comparison = {
        kind: 'compare',
        span: { start: operatorToken.span.start, end },
        operator: operatorToken.text as ExpectOperator,
        operatorSpan: spanOf(operatorToken),
        value: read.value,
      };
    } else if (isWord(operatorToken, 'between')) {
      const low = this.readExpectValue(tokens, index);
      index = low.next;
      let high: { value: ExpectValueNode | undefined; next: number } = { value: undefined, next: index };
      if (low.value) {
        if (!isWord(tokens[index], 'and')) {
          this.report(missingAt(), "Expected 'and' and the upper bound: between 10 and 20.", 'expected-token');
          index = tokens.length;
        } else {
          high = this.readExpectValue(tokens, index + 1);
          index = high.next;
        }
      }
      expectation.comparison = {
        kind: 'between',
        span: { start: operatorToken.span.start, end: tokens[Math.max(index - 1, 0)].span.end },
        keywordSpan: spanOf(operatorToken),
        low: low.value,
        high: high.value,
      };
    } else if (isWord(operatorToken, 'within')) {
      const tolerance = this.readExpectValue(tokens, index);
      index = tolerance.next;
      if (tolerance.value && !tolerance.value.percent) {
        this.report(tolerance.value.span, 'Write the tolerance as a percentage: within 10% of previous.', 'expected-value');
      }
      if (tolerance.value) {
        if (isWord(tokens[index], 'of') && isWord(tokens[index + 1], 'previous')) index += 2;
        else {
          this.report(missingAt(), "Expected 'of previous' after the tolerance: within 10% of previous.", 'expected-token');
          index = tokens.length;
        }
      }
      expectation.comparison = {
        kind: 'within',
        span: { start: operatorToken.span.start, end: tokens[Math.max(index - 1, 0)].span.end },
        keywordSpan: spanOf(operatorToken),
        tolerance: tolerance.value,
      };
    } else {
      this.report(
        operatorToken.span,
        'Expected a comparison after the measure: ==, !=, <, <=, >, >=, between A and B, or within N% of previous.',
        'expected-token',
      );
      return { type: 'expectation', expectation };
    }
    this.reportExtra(tokens, index, 'the expectation');
    return { type: 'expectation', expectation };
  }

  /** A number, optionally negative, optionally followed by `%` with no space. Reports what is missing. */
  private readExpectValue(tokens: readonly Token[], index: number): { value: ExpectValueNode | undefined; next: number } {
    const previous = tokens[index - 1];
    const negative = isPunct(tokens[index], '-');
    const numberToken = tokens[negative ? index + 1 : index];
    if (!numberToken || numberToken.type !== 'number') {
      const at = tokens[index] ? tokens[index].span : { start: previous.span.end, end: previous.span.end };
      this.report(at, 'Expected a number or a percentage, e.g. 1000 or 37.5%.', 'expected-number');
      return { value: undefined, next: tokens[index] && tokens[index].type !== 'word' ? index + 1 : index };
    }
    let next = (negative ? index + 1 : index) + 1;
    const start = tokens[index].span.start;
    let end = numberToken.span.end;
    const percentToken = tokens[next];
    const percent = isPunct(percentToken, '%') && percentToken.span.start === numberToken.span.end;
    if (percent) {
      end = percentToken.span.end;
      next++;
    }
    // `1,000`: reported as one value and skipped whole, so the rest of the line still parses.
    let groupsEnd = next;
    while (isPunct(tokens[groupsEnd], ',') && tokens[groupsEnd + 1]?.type === 'number' && tokens[groupsEnd].span.start === tokens[groupsEnd - 1].span.end)
      groupsEnd += 2;
    if (groupsEnd > next) {
      const written = this.text.slice(start, tokens[groupsEnd - 1].span.end);
      this.report(
        { start, end: tokens[groupsEnd - 1].span.end },
        `Write numbers without thousands separators: ${written.replace(/,/g, '')}.`,
        'expected-number',
      );
      return { value: undefined, next: groupsEnd };
    }
    const magnitude = Number(numberToken.text);
    return { value: { span: { start, end }, value: negative ? -magnitude : magnitude, percent }, next };
  }

  /** `a, b, sum(c)`: Piwik PRO column ids, a transformation written as a call. */
  private parseColumnList(spec: ClauseSpec, tokens: readonly Token[], afterName: TextSpan): ClauseValue {
    const columns: ColumnRefNode[] = [];
    let index = 0;
    for (;;) {
      const read = this.readColumnRef(tokens, index, index > 0 ? tokens[index - 1].span : afterName, `${spec.name} sessions, visitors`);
      if (!read.column) break;
      columns.push(read.column);
      index = read.next;
      const next = tokens[index];
      if (!next) break;
      if (isPunct(next, ',')) {
        index++;
        continue;
      }
      this.report(next.span, "Expected ',' between the columns.", 'expected-token');
      break;
    }
    return columns.length > 0 ? { type: 'columnList', columns } : { type: 'invalid' };
  }

  /** A column id at `index`, or `transformation(column)`; reports what is missing. */
  private readColumnRef(tokens: readonly Token[], index: number, previous: TextSpan, example: string): { column: ColumnRefNode | undefined; next: number } {
    const token = tokens[index];
    if (!token || token.type !== 'word') {
      this.report(token ? token.span : { start: previous.end, end: previous.end }, `Expected a Piwik PRO column id, e.g. ${example}.`, 'expected-value');
      return { column: undefined, next: index };
    }
    if (!isPunct(tokens[index + 1], '(')) return { column: { span: spanOf(token), column: wordNode(token), transformation: undefined }, next: index + 1 };
    const inner = tokens[index + 2];
    if (!inner || inner.type !== 'word') {
      this.report(inner ? inner.span : tokens[index + 1].span, `Expected a column id inside ${token.text}(…), e.g. ${token.text}(revenue).`, 'expected-value');
      return { column: undefined, next: index + 2 };
    }
    const close = tokens[index + 3];
    if (!isPunct(close, ')')) {
      this.report(close ? close.span : { start: inner.span.end, end: inner.span.end }, "Expected ')' after the column id.", 'expected-token');
      return { column: { span: { start: token.span.start, end: inner.span.end }, column: wordNode(inner), transformation: wordNode(token) }, next: index + 3 };
    }
    return { column: { span: { start: token.span.start, end: close.span.end }, column: wordNode(inner), transformation: wordNode(token) }, next: index + 4 };
  }

  /** `order sessions desc`. */
  private parseOrder(tokens: readonly Token[], afterName: TextSpan): ClauseValue {
    const read = this.readColumnRef(tokens, 0, afterName, 'order sessions desc');
    if (!read.column) return { type: 'invalid' };
    const directionToken = tokens[read.next];
    if (directionToken && directionToken.type !== 'word') {
      this.report(directionToken.span, "Expected 'asc' or 'desc' after the column.", 'expected-value');
      return { type: 'order', column: read.column, direction: undefined };
    }
    this.reportExtra(tokens, read.next + 1, 'the sort direction');
    return { type: 'order', column: read.column, direction: directionToken ? wordNode(directionToken) : undefined };
  }

  /** Conditions joined by `and` / `or`, with parentheses; `and` binds tighter, as everywhere else. */
  private parseReportFilter(spec: ClauseSpec, tokens: readonly Token[], afterName: TextSpan): ClauseValue {
    if (tokens.length === 0) {
      this.report(
        afterName,
        `Expected a condition after '${spec.name}', e.g. ${spec.name === 'having' ? 'having sessions > 10' : 'where device_type == "desktop"'}.`,
        'expected-expression',
      );
      return { type: 'invalid' };
    }
    const state = { index: 0, depth: 0 };
    const filter = this.readFilterOr(tokens, state, afterName);
    if (state.index < tokens.length) {
      this.report(
        { start: tokens[state.index].span.start, end: tokens[tokens.length - 1].span.end },
        'Unexpected text after the condition: join conditions with and / or.',
        'unexpected-token',
      );
    }
    return { type: 'reportFilter', filter };
  }

  private readFilterOr(tokens: readonly Token[], state: { index: number; depth: number }, afterName: TextSpan): ReportFilterNode {
    return this.readFilterChain(tokens, state, afterName, 'or', () =>
      this.readFilterChain(tokens, state, afterName, 'and', () => this.readFilterPrimary(tokens, state, afterName)),
    );
  }

  private readFilterChain(
    tokens: readonly Token[],
    state: { index: number; depth: number },
    _afterName: TextSpan,
    operator: 'and' | 'or',
    operand: () => ReportFilterNode,
  ): ReportFilterNode {
    const first = operand();
    if (!isWord(tokens[state.index], operator)) return first;
    const conditions = [first];
    while (isWord(tokens[state.index], operator)) {
      state.index++;
      conditions.push(operand());
    }
    return { type: 'group', span: { start: first.span.start, end: conditions[conditions.length - 1].span.end }, operator, conditions };
  }

  private readFilterPrimary(tokens: readonly Token[], state: { index: number; depth: number }, afterName: TextSpan): ReportFilterNode {
    const token = tokens[state.index];
    const previousEnd = state.index > 0 ? tokens[state.index - 1].span.end : afterName.end;
    if (!token) {
      this.report({ start: previousEnd, end: previousEnd }, 'Expected a condition here.', 'expected-expression');
      return { type: 'error', span: { start: previousEnd, end: previousEnd } };
    }
    if (isPunct(token, '(')) {
      // Deeper nesting than any real report; the cap keeps recursion bounded on hostile input.
      if (state.depth >= 50) {
        this.report({ start: token.span.start, end: tokens[tokens.length - 1].span.end }, 'The condition nests too deeply.', 'expression-too-complex');
        state.index = tokens.length;
        return { type: 'error', span: token.span };
      }
      state.index++;
      state.depth++;
      const inner = this.readFilterOr(tokens, state, afterName);
      state.depth--;
      if (isPunct(tokens[state.index], ')')) state.index++;
      else this.report(tokens[state.index]?.span ?? { start: inner.span.end, end: inner.span.end }, "Expected ')' to close '('.", 'expected-token');
      return inner;
    }
    const read = this.readColumnRef(tokens, state.index, { start: previousEnd, end: previousEnd }, 'device_type == "desktop"');
    if (!read.column) {
      state.index = Math.max(read.next, state.index + 1);
      return { type: 'error', span: spanOf(token) };
    }
    state.index = read.next;
    const operatorToken = tokens[state.index];
    const operatorText = operatorToken?.text;
    if (
      !operatorToken ||
      (operatorToken.type !== 'punct' && operatorToken.type !== 'word') ||
      operatorText === undefined ||
      !Object.hasOwn(REPORT_FILTER_OPERATORS, operatorText)
    ) {
      const at = operatorToken ? operatorToken.span : { start: read.column.span.end, end: read.column.span.end };
      this.report(
        at,
        `Expected an operator after '${read.column.column.value}': ==, !=, >, >=, <, <=, contains, not_contains, icontains, not_icontains, starts_with, ends_with, matches, not_matches, empty or not_empty.`,
        'expected-token',
      );
      if (operatorToken && operatorToken.type !== 'word') state.index++;
      return { type: 'error', span: read.column.span };
    }
    state.index++;
    const operator = wordNode(operatorToken);
    if (VALUELESS_REPORT_OPERATORS.has(operatorText)) {
      return { type: 'condition', span: { start: read.column.span.start, end: operator.span.end }, column: read.column, operator, value: undefined };
    }
    const valueToken = tokens[state.index];
    const isNegative = isPunct(valueToken, '-') && tokens[state.index + 1]?.type === 'number';
    if (
      valueToken &&
      (valueToken.type === 'string' || valueToken.type === 'number' || isNegative || isWord(valueToken, 'true') || isWord(valueToken, 'false'))
    ) {
      if (isNegative) {
        const numberToken = tokens[state.index + 1];
        state.index += 2;
        const span = { start: valueToken.span.start, end: numberToken.span.end };
        return {
          type: 'condition',
          span: { start: read.column.span.start, end: span.end },
          column: read.column,
          operator,
          value: { span, value: -Number(numberToken.text) },
        };
      }
      state.index++;
      const value = valueToken.type === 'string' ? valueToken.value : valueToken.type === 'number' ? Number(valueToken.text) : valueToken.text === 'true';
      return {
        type: 'condition',
        span: { start: read.column.span.start, end: valueToken.span.end },
        column: read.column,
        operator,
        value: { span: spanOf(valueToken), value },
      };
    }
    const at = valueToken ? valueToken.span : { start: operator.span.end, end: operator.span.end };
    const hint = valueToken?.type === 'word' ? ` Strings are quoted: "${valueToken.text}".` : '';
    this.report(at, `Expected a value after '${operator.value}': a "string", a number, true or false.${hint}`, 'expected-value');
    if (valueToken && valueToken.type === 'word' && !isWord(valueToken, 'and') && !isWord(valueToken, 'or')) state.index++;
    return { type: 'condition', span: { start: read.column.span.start, end: operator.span.end }, column: read.column, operator, value: undefined };
  }

  /**
   * Reads one date at `index`. A malformed date (`2026-1-5`) is several tokens glued together;
   * they are reported as one span and skipped. Returns the node and the index after it.
   */
  private readDate(tokens: readonly Token[], index: number, missingAt: TextSpan, which: string): { date: WordNode | undefined; next: number } {
    const token = tokens[index];
    if (!token || isWord(token, 'to')) {
      this.report(token ? token.span : missingAt, `Expected the ${which} date, e.g. 2026-10-01.`, 'expected-date');
      return { date: undefined, next: index };
    }
    let next = index + 1;
    while (next < tokens.length && tokens[next].span.start === tokens[next - 1].span.end && !isWord(tokens[next], 'to')) next++;
    const span = { start: token.span.start, end: tokens[next - 1].span.end };
    const text = this.text.slice(span.start, span.end);
    if (next === index + 1 && token.type === 'date' && DATE_SHAPE.test(text)) return { date: { span, value: text }, next };
    this.report(span, `Expected the ${which} date as YYYY-MM-DD (or YYYY-MM-DDTHH:MM), found '${text}'.`, 'expected-date');
    return { date: undefined, next };
  }

  private parseDateRange(tokens: readonly Token[], afterName: TextSpan): ClauseValue {
    const from = this.readDate(tokens, 0, afterName, 'start');
    let index = from.next;
    const toToken = tokens[index];
    if (!isWord(toToken, 'to')) {
      const at = toToken ? toToken.span : { start: tokens[index - 1]?.span.end ?? afterName.end, end: tokens[index - 1]?.span.end ?? afterName.end };
      this.report(at, "Expected 'to' and the end date: from 2026-10-01 to 2026-10-31.", 'expected-token');
      return { type: 'dateRange', from: from.date, to: undefined };
    }
    index++;
    const to = this.readDate(tokens, index, { start: toToken.span.end, end: toToken.span.end }, 'end');
    this.reportExtra(tokens, to.next, 'the date range');
    return { type: 'dateRange', from: from.date, to: to.date };
  }

  private parseDuration(spec: ClauseSpec, tokens: readonly Token[], afterName: TextSpan): ClauseValue {
    const countToken = tokens[0];
    const units = spec.values ?? [];
    const example = `${spec.name} ${spec.name === 'window' ? '14' : '30'} ${units.includes('days') ? 'days' : (units[0] ?? 'days')}`;
    if (!countToken || countToken.type !== 'number' || !INTEGER_PATTERN.test(countToken.text)) {
      this.report(countToken ? countToken.span : afterName, `Expected a whole number after '${spec.name}': ${example}.`, 'expected-number');
      return { type: 'duration', count: undefined, unit: undefined };
    }
    const count = numberNode(countToken);
    const unitToken = tokens[1];
    if (!unitToken || unitToken.type !== 'word') {
      this.report(
        unitToken ? unitToken.span : { start: countToken.span.end, end: countToken.span.end },
        `Expected a unit after the number: ${joinNames(units)}.`,
        'expected-unit',
      );
      return { type: 'duration', count, unit: undefined };
    }
    const unit = wordNode(unitToken);
    const normalized = DURATION_UNITS[unitToken.text];
    if (!normalized || !units.includes(`${normalized}s`)) {
      const suggestions = suggestNames(unitToken.text, units);
      const hint = suggestions.length > 0 ? ` Did you mean '${suggestions[0]}'?` : '';
      this.report(
        unitToken.span,
        `'${spec.name}' counts in ${joinNames(units)}, not '${unitToken.text}'.${hint}`,
        'invalid-unit',
        replacementFixes(unitToken.span, suggestions),
      );
    }
    this.reportExtra(tokens, 2, 'the unit');
    return { type: 'duration', count, unit };
  }

  private parseJson(spec: ClauseSpec, tokens: readonly Token[], comments: readonly TextSpan[], afterName: TextSpan): ClauseValue {
    const first = tokens[0];
    if (!first || !isPunct(first, '{')) {
      this.report(first ? first.span : afterName, `Expected a JSON object after '${spec.name}', e.g. ${spec.name} { "event": "Sign Up" }.`, 'bad-json');
      return { type: 'invalid' };
    }
    const span = { start: first.span.start, end: tokens[tokens.length - 1].span.end };
    let source = this.text.slice(span.start, span.end);
    // Comments inside a multi-line object are blanked rather than cut so positions still line up.
    for (const comment of comments) {
      if (comment.start >= span.start && comment.end <= span.end) {
        const from = comment.start - span.start;
        const to = comment.end - span.start;
        source = source.slice(0, from) + ' '.repeat(to - from) + source.slice(to);
      }
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(source);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const position = /position (\d+)/.exec(message);
      const offset = position ? Math.min(span.end, span.start + Number(position[1])) : span.start;
      const at = position ? { start: offset, end: Math.min(span.end, offset + 1) } : span;
      const reason = message
        .replace(/^JSON\.parse: /, '')
        .replace(/ in JSON at position.*$/, '')
        .replace(/, "[^]*" is not valid JSON$/, '');
      this.report(at, `Invalid JSON in '${spec.name}': ${reason}.`, 'bad-json');
      return { type: 'json', span, value: undefined };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      this.report(span, `'${spec.name}' must be a JSON object ({ … }).`, 'bad-json');
      return { type: 'json', span, value: undefined };
    }
    return { type: 'json', span, value: parsed as Record<string, unknown> };
  }

  private parseWordList(spec: ClauseSpec, tokens: readonly Token[], afterName: TextSpan): ClauseValue {
    const words: WordNode[] = [];
    let index = 0;
    for (;;) {
      const token = tokens[index];
      const isItem = token !== undefined && (token.type === 'word' || (token.type === 'number' && INTEGER_PATTERN.test(token.text)));
      if (!isItem) {
        const previousEnd = index > 0 ? tokens[index - 1].span.end : afterName.end;
        this.report(
          token ? token.span : { start: previousEnd, end: previousEnd },
          `Expected a name or number for '${spec.name}', e.g. ${spec.name} broken, 17.`,
          'expected-value',
        );
        break;
      }
      words.push(wordNode(token));
      index++;
      const next = tokens[index];
      if (!next) break;
      if (isPunct(next, ',')) {
        index++;
        continue;
      }
      this.report(next.span, "Expected ',' between the values.", 'expected-token');
      break;
    }
    return words.length > 0 ? { type: 'wordList', words } : { type: 'invalid' };
  }
}

/**
 * Parses the text of an `.aq` file. Never throws; every span lies within `[0, text.length]`.
 * Syntax problems are in `problems`, sorted by position.
 */
export function parseAqDocument(text: string): AqDocument {
  return new DocumentParser(text).parse();
}

/**
 * Parses one top-level chunk of a file (see incrementalParser.ts) as if it were a whole file
 * whose queries inherit `inheritedUse` from the lines above the chunk. The chunk must start at a
 * line where the parser's state is reset: the file start, a `### Title`, a `use` line or a head
 * line that no title is waiting for.
 */
export function parseAqChunk(text: string, inheritedUse: UseDirective | undefined): AqDocument {
  return new DocumentParser(text, inheritedUse).parse();
}
