/**
 * The analyser: everything wrong with an `.aq` file that the parser cannot see — names checked
 * against the schema, clause placement, values, dates and the types the schema proves.
 *
 * It runs on every keystroke over files of thousands of queries, so each query's findings are
 * cached (relative to the query's start) keyed by the query's text, its source and the schema
 * object: an edit re-analyses only the query it touches.
 */
import type { AnalyticsSchema, PropertySchema, PropertyType, QueryDiagnostic, QuickFix, TextSpan, ValidationOptions } from '../analyticsTypes';
import {
  CLAUSES,
  CLAUSES_BY_NAME,
  DATE_RANGE_REQUIRED,
  DEFAULT_DATE_CLAUSE,
  EXPECT_MEASURES,
  EXPRESSION_FUNCTIONS,
  PIWIK_EVENT_TYPES,
  expectMeasureSpec,
  METRIC_FILTER_OPERATORS,
  QUERY_KIND_SOURCES,
  REPORT_FILTER_OPERATORS,
  clauseMax,
  type ClauseSpec,
} from '../clauseCatalog';
import { enumIdFor, findPiwikColumn, type PiwikColumn, type PiwikColumnCatalog } from '../../queryContract/piwikColumns';
import { columnRole, reportCatalog, reportColumnUses, transformationsOf, type ReportColumnUse } from '../reportColumns';
import { DiagnosticCode } from '../diagnosticCodes';
import { suggestNames } from '../nameMatching';
import type { AqDocument, Clause, ExpectationNode, Expression, QueryBlock, QueryKind, ReportFilterNode, SourceKind, UseDirective } from '../parser/queryAst';
import { chunkQuerySource, type ChunkedDocument, type DocumentChunk } from '../parser/incrementalParser';
import { lookupSafely, replacementFixes, sourceRefOf, queryEvents, UNITS_BY_KIND, type SchemaLookup } from '../queryFacts';
import { eventNames, eventPropertyScope, findEvent, hasUserSchema, userPropertyScope, type PropertyScope } from '../schemaNames';

const SOURCE_LABELS: Record<SourceKind, string> = { mixpanel: 'Mixpanel', piwik: 'Piwik PRO', local: 'local data' };

/** The clauses whose value is an expression, with the expression. */
export function clauseExpressions(block: QueryBlock): Array<{ clause: Clause; expression: Expression }> {
  const result: Array<{ clause: Clause; expression: Expression }> = [];
  for (const clause of block.clauses) {
    if (clause.value.type === 'expression') result.push({ clause, expression: clause.value.expression });
  }
  return result;
}

function quoted(name: string): string {
  return JSON.stringify(name);
}

function didYouMean(suggestions: readonly string[], render: (s: string) => string = (s) => `'${s}'`): string {
  if (suggestions.length === 0) return '';
  return ` Did you mean ${suggestions.map(render).join(' or ')}?`;
}

function printColumnRef(id: string, transformation: string | undefined): string {
  return transformation ? `${transformation}(${id})` : id;
}

function isRealDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return false;
  if (match[4] !== undefined && (Number(match[4]) > 23 || Number(match[5]) > 59 || Number(match[6] ?? 0) > 59)) return false;
  return true;
}

/** Collects the findings of one query; spans are absolute. */
class QueryAnalyser {
  readonly diagnostics: QueryDiagnostic[] = [];
  private eventScope: PropertyScope | undefined;

  constructor(
    private readonly text: string,
    private readonly block: QueryBlock,
    private readonly schema: AnalyticsSchema | undefined,
  ) {}

  private add(span: TextSpan, severity: QueryDiagnostic['severity'], code: string, message: string, fixes?: QuickFix[]): void {
    const diagnostic: QueryDiagnostic = { span, severity, code, message };
    if (fixes && fixes.length > 0) diagnostic.fixes = fixes;
    this.diagnostics.push(diagnostic);
  }

  run(): void {
    const head = this.block.head;
    if (!head) return;
    this.checkSourceKind(head.kind, head.keywordSpan);
    if (this.schema) this.checkEvents();
    this.checkClauses(head.kind);
    if (head.kind === 'report') this.checkReport(head.keywordSpan);
  }

  /** A report's columns against the website's listing (or the standard columns): names, kinds, transformations, values. */
  private checkReport(keywordSpan: TextSpan): void {
    const catalog = reportCatalog(this.schema);
    const hasColumns = this.block.clauses.some((clause) => (clause.name === 'dimensions' || clause.name === 'metrics') && clause.value.type === 'columnList');
    if (!hasColumns) {
      this.add(keywordSpan, 'error', DiagnosticCode.missingColumns, 'A report needs columns: add `dimensions …` and/or `metrics …`, e.g. metrics sessions.');
    }
    const uses = reportColumnUses(this.block);
    for (const use of uses) this.checkReportColumn(use, catalog);
    for (const clause of this.block.clauses) {
      if (clause.value.type === 'reportFilter' && (clause.name === 'where' || clause.name === 'having'))
        this.checkReportFilter(clause.name, clause.value.filter, catalog);
    }
    this.checkReportOrder(uses);
  }

  private checkReportColumn(use: ReportColumnUse, catalog: PiwikColumnCatalog): void {
    const { node, clause } = use;
    const id = node.column.value;
    if (clause === 'order' && id === 'timestamp' && !node.transformation) return;
    const column = findPiwikColumn(catalog, id);
    if (!column) {
      const suggestions = suggestNames(id, Object.keys(catalog.columns));
      if (catalog.origin === 'listing') {
        this.add(
          node.column.span,
          'error',
          DiagnosticCode.unknownColumn,
          `Unknown Piwik PRO column '${id}': the website lists no such dimension or metric.${didYouMean(suggestions)}`,
          replacementFixes(node.column.span, suggestions),
        );
      } else {
        this.add(
          node.column.span,
          'warning',
          DiagnosticCode.unknownColumn,
          `'${id}' is not a standard Piwik PRO column; a custom one is checked once the website's column listing is loaded.${didYouMean(suggestions)}`,
          replacementFixes(node.column.span, suggestions),
        );
      }
      return;
    }
    const transformation = node.transformation?.value;
    const role = columnRole(column, transformation);
    if (role === 'unsupported') {
      const offered = transformationsOf(column);
      const suggestions = transformation ? suggestNames(transformation, offered) : [];
      const why =
        column.kind === 'metric'
          ? `'${id}' is a metric; metrics take no transformation.`
          : `'${id}' does not support the transformation '${transformation}'${offered.length > 0 ? `; it supports ${offered.join(', ')}` : ''}.`;
      this.add(
        node.transformation?.span ?? node.span,
        'error',
        DiagnosticCode.unsupportedTransformation,
        why + didYouMean(suggestions),
        node.transformation ? replacementFixes(node.transformation.span, suggestions) : undefined,
      );
      return;
    }
    if (role === 'unknown') return;
    if ((clause === 'dimensions' || clause === 'where') && role === 'metric') {
      const where = clause === 'dimensions' ? "list it under 'metrics'" : "filter it in 'having'";
      this.add(node.span, 'error', DiagnosticCode.wrongColumnKind, `'${printColumnRef(id, transformation)}' is a metric, not a dimension: ${where}.`);
    } else if ((clause === 'metrics' || clause === 'having') && role === 'dimension') {
      const toMetric = column.toMetric && column.toMetric.length > 0 ? ` or turn it into a metric, e.g. ${column.toMetric[0]}(${id})` : '';
      const where = clause === 'metrics' ? "list it under 'dimensions'" : "filter it in 'where'";
      this.add(
        node.span,
        'error',
        DiagnosticCode.wrongColumnKind,
        `'${printColumnRef(id, transformation)}' is a dimension, not a metric: ${where}${toMetric}.`,
      );
    }
  }

  private checkReportFilter(clauseName: 'where' | 'having', filter: ReportFilterNode, catalog: PiwikColumnCatalog): void {
    if (filter.type === 'group') {
      for (const child of filter.conditions) this.checkReportFilter(clauseName, child, catalog);
      return;
    }
    if (filter.type !== 'condition') return;
    const operator = REPORT_FILTER_OPERATORS[filter.operator.value];
    if (clauseName === 'having') {
      if (!METRIC_FILTER_OPERATORS.has(operator)) {
        this.add(
          filter.operator.span,
          'error',
          DiagnosticCode.invalidValue,
          `'having' compares metrics with ==, !=, >, >=, <, <=; '${filter.operator.value}' applies to dimensions in 'where'.`,
        );
      } else if (filter.value && typeof filter.value.value !== 'number') {
        this.add(
          filter.value.span,
          'error',
          DiagnosticCode.typeMismatch,
          `'having' compares a metric with a number, not ${JSON.stringify(filter.value.value)}.`,
        );
      }
      return;
    }
    const column = findPiwikColumn(catalog, filter.column.column.value);
    if (!column || filter.column.transformation || !filter.value) return;
    this.checkDimensionValue(column, operator, filter.value);
  }

  private checkDimensionValue(column: PiwikColumn, operator: string, value: { span: TextSpan; value: string | number | boolean }): void {
    if (column.enumValues && column.enumValues.length > 0) {
      if (operator !== 'eq' && operator !== 'neq') {
        this.add(
          value.span,
          'error',
          DiagnosticCode.invalidValue,
          `'${column.id}' has a fixed set of values: compare it with == or !=, or test empty / not_empty.`,
        );
      } else if (enumIdFor(column, value.value) === undefined) {
        const labels = column.enumValues.map(([, label]) => label);
        const suggestions = typeof value.value === 'string' ? suggestNames(value.value, labels) : [];
        this.add(
          value.span,
          'error',
          DiagnosticCode.unknownColumnValue,
          `${JSON.stringify(value.value)} is not a value of '${column.id}': ${labels.slice(0, 12).join(', ')}${labels.length > 12 ? ', …' : ''}.${didYouMean(suggestions, quoted)}`,
          replacementFixes(value.span, suggestions, quoted),
        );
      }
      return;
    }
    const numeric = column.type === 'int' || column.type === 'float';
    if (numeric && typeof value.value === 'string') {
      this.add(value.span, 'error', DiagnosticCode.typeMismatch, `'${column.id}' is a number; compare it with a number, not ${JSON.stringify(value.value)}.`);
    } else if (!numeric && ['gt', 'gte', 'lt', 'lte'].includes(operator) && column.type !== 'datetime') {
      this.add(
        value.span,
        'error',
        DiagnosticCode.typeMismatch,
        `'${column.id}' is text: use ==, !=, contains, starts_with, ends_with or matches, not a numeric comparison.`,
      );
    }
  }

  /** `order` names a column of the report: one of its dimensions or metrics, or `timestamp` with `unit`. */
  private checkReportOrder(uses: ReportColumnUse[]): void {
    const orderClause = this.block.clauses.find((clause) => clause.name === 'order');
    const direction = orderClause?.value.type === 'order' ? orderClause.value.direction : undefined;
    if (direction && direction.value !== 'asc' && direction.value !== 'desc') {
      const suggestions = suggestNames(direction.value, ['asc', 'desc']);
      this.add(
        direction.span,
        'error',
        DiagnosticCode.invalidValue,
        `Sort with 'asc' or 'desc', not '${direction.value}'.${didYouMean(suggestions)}`,
        replacementFixes(direction.span, suggestions),
      );
    }
    const order = uses.find((use) => use.clause === 'order');
    if (!order) return;
    const key = (use: ReportColumnUse) => printColumnRef(use.node.column.value, use.node.transformation?.value);
    const columns = uses.filter((use) => use.clause === 'dimensions' || use.clause === 'metrics').map(key);
    const hasUnit = this.block.clauses.some((clause) => clause.name === 'unit');
    const wanted = key(order);
    if (columns.includes(wanted) || (hasUnit && wanted === 'timestamp')) return;
    const suggestions = suggestNames(wanted, columns);
    this.add(
      order.node.span,
      'error',
      DiagnosticCode.invalidValue,
      `'order' sorts by a column of the report; '${wanted}' is not in its dimensions or metrics.${didYouMean(suggestions)}`,
      replacementFixes(order.node.span, suggestions),
    );
  }

  private checkSourceKind(kind: QueryKind, span: TextSpan): void {
    const sourceKind = this.block.source?.sourceKind;
    if (!sourceKind) return;
    const allowed = QUERY_KIND_SOURCES[kind];
    if (allowed.includes(sourceKind)) return;
    const runsOn = allowed.map((k) => SOURCE_LABELS[k]).join(' or ');
    this.add(
      span,
      'error',
      DiagnosticCode.wrongSourceKind,
      `'${kind}' queries run on ${runsOn}, but this query's source is ${SOURCE_LABELS[sourceKind]} (the 'use' line above it).`,
    );
  }

  private checkEvents(): void {
    const schema = this.schema!;
    for (const node of queryEvents(this.block)) {
      const event = findEvent(schema, node.value);
      if (!event) {
        const suggestions = suggestNames(node.value, eventNames(schema));
        const message = node.value === '' ? 'Empty event name.' : `Unknown event ${quoted(node.value)}.`;
        this.add(node.span, 'error', DiagnosticCode.unknownEvent, message + didYouMean(suggestions, quoted), replacementFixes(node.span, suggestions, quoted));
      } else if (event.dropped) {
        this.add(node.span, 'warning', DiagnosticCode.droppedEvent, `Event ${quoted(node.value)} is dropped at ingestion: this query returns no data for it.`);
      } else if (event.hidden) {
        this.add(node.span, 'warning', DiagnosticCode.hiddenEvent, `Event ${quoted(node.value)} is hidden in Lexicon; it may be deprecated.`);
      }
    }
  }

  private checkClauses(kind: QueryKind): void {
    const seen = new Map<string, Clause>();
    const groups = new Map<string, Clause>();
    for (const clause of this.block.clauses) {
      const spec = CLAUSES_BY_NAME.get(clause.name);
      if (!spec) {
        const forKind = CLAUSES.filter((c) => c.kinds.includes(kind)).map((c) => c.name);
        const suggestions = suggestNames(clause.name, forKind)
          .concat(
            suggestNames(
              clause.name,
              CLAUSES.map((c) => c.name).filter((n) => !forKind.includes(n)),
            ),
          )
          .slice(0, 3);
        this.add(
          clause.nameSpan,
          'error',
          DiagnosticCode.unknownClause,
          `Unknown clause '${clause.name}'.${didYouMean(suggestions)}`,
          replacementFixes(clause.nameSpan, suggestions),
        );
        continue;
      }
      if (!spec.kinds.includes(kind)) {
        this.add(
          clause.nameSpan,
          'error',
          DiagnosticCode.clauseNotAllowed,
          `'${spec.name}' does not apply to ${kind} queries; it applies to ${spec.kinds.join(', ')}.`,
          [this.removeClauseFix(clause)],
        );
        continue;
      }
      const earlier = seen.get(spec.name);
      if (earlier && !spec.repeatable) {
        this.add(clause.nameSpan, 'error', DiagnosticCode.duplicateClause, `'${spec.name}' is already given on an earlier line; a query takes it once.`, [
          this.removeClauseFix(clause),
        ]);
        continue;
      }
      seen.set(spec.name, clause);
      const sourceKind = this.block.source?.sourceKind;
      if (spec.sources && sourceKind && !spec.sources.includes(sourceKind)) {
        this.add(
          clause.nameSpan,
          'error',
          DiagnosticCode.wrongSourceKind,
          `'${spec.name}' runs on ${spec.sources.map((k) => SOURCE_LABELS[k]).join(' or ')} only; this query's source is ${SOURCE_LABELS[sourceKind]}, whose API has no such parameter.`,
          [this.removeClauseFix(clause)],
        );
      }
      if (spec.exclusiveGroup) {
        const other = groups.get(spec.exclusiveGroup);
        if (other) {
          this.add(
            clause.nameSpan,
            'error',
            DiagnosticCode.conflictingDates,
            `'${spec.name}' conflicts with '${other.name}' above: a query has one date range.`,
            [this.removeClauseFix(clause)],
          );
          continue;
        }
        groups.set(spec.exclusiveGroup, clause);
      }
      this.checkValue(kind, spec, clause);
    }
    if (DATE_RANGE_REQUIRED.has(kind) && !groups.has('dates')) this.reportMissingDates(kind);
    this.checkMeasure(seen);
    this.checkReentry(seen);
    this.checkCompounded(seen);
  }

  /** /funnels has no counting-mode parameter: a saved funnel counts with the mode saved in Mixpanel. */
  private checkReentry(seen: ReadonlyMap<string, Clause>): void {
    const reentry = seen.get('reentry');
    const head = this.block.head;
    if (reentry && head?.kind === 'funnel' && head.savedId !== undefined) {
      this.add(
        reentry.nameSpan,
        'error',
        DiagnosticCode.clauseNotAllowed,
        "A saved funnel counts with the mode saved in Mixpanel (the /funnels API has no parameter for it); 'reentry' applies to ad-hoc funnels.",
        [this.removeClauseFix(reentry)],
      );
    }
  }

  /** Mixpanel ignores born_event (and so its filter) unless retention_type is birth. */
  private checkCompounded(seen: ReadonlyMap<string, Clause>): void {
    const type = seen.get('retention_type');
    const bornWhere = seen.get('born_where');
    if (type?.value.type !== 'word' || type.value.word.value !== 'compounded') return;
    if (bornWhere) {
      this.add(
        bornWhere.nameSpan,
        'warning',
        DiagnosticCode.clauseNotAllowed,
        "'born_where' has no effect with 'retention_type compounded': compounded retention ignores the birth event, and cohorts are the users who did the return event.",
        [this.removeClauseFix(bornWhere)],
      );
    }
    const head = this.block.head;
    if (head?.kind !== 'retention' || !head.bornEvent) return;
    const born = head.bornEvent;
    if (head.returnEvent?.value === born.value) return;
    if (head.returnEvent) {
      this.add(
        born.span,
        'warning',
        DiagnosticCode.ignoredBirthEvent,
        `Compounded retention ignores the birth event ${quoted(born.value)}: cohorts are the users who did ${quoted(head.returnEvent.value)} each day. Write retention ${quoted(head.returnEvent.value)} -> ${quoted(head.returnEvent.value)} to say so.`,
      );
    } else {
      // Without a return event Mixpanel's compounded cohorts are users who did any event.
      const text = `${quoted(born.value)} -> ${quoted(born.value)}`;
      this.add(
        born.span,
        'warning',
        DiagnosticCode.ignoredBirthEvent,
        `Compounded retention ignores the birth event ${quoted(born.value)}: without a return event, cohorts and returns are any event. Add it as the return event to count users who did ${quoted(born.value)} again.`,
        [{ title: `Change to ${text}`, edits: [{ span: born.span, newText: text }], isPreferred: true }],
      );
    }
  }

  private checkMeasure(seen: ReadonlyMap<string, Clause>): void {
    const measure = seen.get('measure');
    const measureValue = measure?.value.type === 'word' ? measure.value.word.value : undefined;
    if (measure && measureValue && !seen.has('on') && ['sum', 'average', 'numeric'].includes(measureValue)) {
      this.add(
        measure.span,
        'error',
        DiagnosticCode.invalidValue,
        `'measure ${measureValue}' aggregates the 'on' expression: add an 'on' clause with a numeric property.`,
      );
    }
    const buckets = seen.get('buckets');
    if (buckets && measureValue !== 'numeric') {
      this.add(buckets.nameSpan, 'warning', DiagnosticCode.invalidValue, `'buckets' only applies with 'measure numeric'.`);
    }
  }

  /** Deletes the clause's whole line, so the fix leaves no blank line behind. */
  private removeClauseFix(clause: Clause): QuickFix {
    const lineStart = this.text.lastIndexOf('\n', clause.span.start - 1) + 1;
    const newline = this.text.indexOf('\n', clause.span.end);
    const lineEnd = newline === -1 ? this.text.length : newline + 1;
    const start = newline === -1 && lineStart > 0 ? lineStart - 1 : lineStart;
    return { title: `Remove '${clause.name}'`, edits: [{ span: { start, end: lineEnd }, newText: '' }] };
  }

  private reportMissingDates(kind: QueryKind): void {
    const head = this.block.head!;
    const last = this.block.clauses.length > 0 ? this.block.clauses[this.block.clauses.length - 1].span : head.span;
    const newline = this.text.indexOf('\n', last.end);
    const insertAt = newline === -1 ? this.text.length : newline;
    const first = this.block.clauses[0];
    let indent = '  ';
    if (first) {
      const lineStart = this.text.lastIndexOf('\n', first.span.start - 1) + 1;
      indent = this.text.slice(lineStart, first.span.start);
    }
    // A line ending in "\r\n" keeps the file's line endings.
    const lineBreak = newline > 0 && this.text[newline - 1] === '\r' ? '\r\n' : '\n';
    const at = insertAt > 0 && this.text[insertAt - 1] === '\r' ? insertAt - 1 : insertAt;
    this.add(
      head.keywordSpan,
      'error',
      DiagnosticCode.missingDateRange,
      `A ${kind} query needs a date range: add 'last 30 days', 'from 2026-10-01 to 2026-10-31', 'today' or 'yesterday'.`,
      [
        {
          title: `Add '${DEFAULT_DATE_CLAUSE}'`,
          edits: [{ span: { start: at, end: at }, newText: `${lineBreak}${indent}${DEFAULT_DATE_CLAUSE}` }],
          isPreferred: true,
        },
      ],
    );
  }

  private checkValue(kind: QueryKind, spec: ClauseSpec, clause: Clause): void {
    const value = clause.value;
    switch (value.type) {
      case 'word': {
        const allowed = spec.name === 'unit' ? (UNITS_BY_KIND[kind] ?? spec.values ?? []) : (spec.values ?? []);
        const word = value.word;
        if (allowed.includes(word.value)) return;
        const suggestions = suggestNames(word.value, allowed);
        const why = spec.values?.includes(word.value)
          ? `${kind} queries accept 'unit' ${allowed.join(', ')}`
          : `'${spec.name}' is one of ${allowed.join(', ')}`;
        this.add(
          word.span,
          'error',
          DiagnosticCode.invalidValue,
          `'${word.value}' is not valid here: ${why}.${didYouMean(suggestions)}`,
          replacementFixes(word.span, suggestions),
        );
        return;
      }
      case 'wordList':
        for (const word of value.words) {
          if (Object.hasOwn(PIWIK_EVENT_TYPES, word.value)) continue;
          if (/^\d+$/.test(word.value)) {
            if (!Object.values(PIWIK_EVENT_TYPES).includes(Number(word.value))) {
              this.add(word.span, 'error', DiagnosticCode.invalidValue, `${word.value} is not a Piwik PRO event type code (1–24 except 10).`);
            }
            continue;
          }
          const suggestions = suggestNames(word.value, Object.keys(PIWIK_EVENT_TYPES));
          this.add(
            word.span,
            'error',
            DiagnosticCode.invalidValue,
            `Unknown Piwik PRO event type '${word.value}'.${didYouMean(suggestions)}`,
            replacementFixes(word.span, suggestions),
          );
        }
        return;
      case 'number': {
        const number = value.number;
        const max = clauseMax(spec, kind);
        if ((spec.min !== undefined && number.value < spec.min) || (max !== undefined && number.value > max)) {
          this.add(number.span, 'error', DiagnosticCode.outOfRange, `'${spec.name}' must be between ${spec.min} and ${max}, not ${number.text}.`);
        }
        return;
      }
      case 'duration':
        if (value.count && value.count.value < 1) {
          this.add(value.count.span, 'error', DiagnosticCode.outOfRange, `'${spec.name}' needs a count of at least 1.`);
        }
        return;
      case 'dateRange': {
        const { from, to } = value;
        const fromValid = from !== undefined && this.checkDate(from.value, from.span);
        const toValid = to !== undefined && this.checkDate(to.value, to.span);
        if (fromValid && toValid && to.value < from.value) {
          this.add(
            { start: from.span.start, end: to.span.end },
            'error',
            DiagnosticCode.reversedRange,
            `The range ends (${to.value}) before it starts (${from.value}).`,
            [
              {
                title: 'Swap the dates',
                edits: [
                  { span: from.span, newText: to.value },
                  { span: to.span, newText: from.value },
                ],
                isPreferred: true,
              },
            ],
          );
        }
        return;
      }
      case 'expression':
        this.checkExpression(value.expression);
        return;
      case 'expectation':
        this.checkExpectation(kind, value.expectation);
        return;
      default:
        return;
    }
  }

  /** An `expect` clause: a measure that exists and fits the query, a step of the funnel, values of the right kind. */
  private checkExpectation(kind: QueryKind, expectation: ExpectationNode): void {
    const measure = expectation.measure;
    if (!measure) return;
    const forKind = EXPECT_MEASURES.filter((m) => m.kinds.includes(kind));
    if (measure.kind === 'unknown') {
      const suggestions = suggestNames(measure.keyword.value, [...new Set(forKind.map((m) => m.keyword))]);
      this.add(
        measure.keyword.span,
        'error',
        DiagnosticCode.unknownMeasure,
        `Unknown measure '${measure.keyword.value}': a ${kind} query can expect ${forKind.map((m) => m.form).join(', ')}.${didYouMean(suggestions)}`,
        replacementFixes(measure.keyword.span, suggestions),
      );
      return;
    }
    const spec = expectMeasureSpec(measure.kind, measure.qualifier?.value);
    if (!spec) return;
    if (!spec.kinds.includes(kind)) {
      const alternatives = forKind.length > 0 ? ` A ${kind} query can expect ${forKind.map((m) => m.form).join(', ')}.` : '';
      this.add(
        measure.span,
        'error',
        DiagnosticCode.measureNotAllowed,
        `'${spec.form}' does not apply to ${kind} queries; it applies to ${spec.kinds.join(', ')}.${alternatives}`,
      );
      return;
    }
    const head = this.block.head;
    if (measure.kind === 'step' && measure.name && head?.kind === 'funnel' && head.steps.length > 0) {
      const steps = head.steps.map((step) => step.value);
      if (!steps.includes(measure.name.value)) {
        const suggestions = suggestNames(measure.name.value, steps);
        this.add(
          measure.name.span,
          'error',
          DiagnosticCode.unknownStep,
          `${quoted(measure.name.value)} is not a step of this funnel (${steps.map(quoted).join(' -> ')}).${didYouMean(suggestions, quoted)}`,
          replacementFixes(
            measure.name.span,
            suggestions.map((s) => quoted(s)),
          ),
        );
      }
    }
    if (measure.kind === 'series' && !this.block.clauses.some((clause) => clause.name === 'on') && kind === 'segmentation') {
      this.add(
        measure.span,
        'error',
        DiagnosticCode.measureNotAllowed,
        "'series \"NAME\" total' names a segment of 'on': add an 'on' clause, or expect total.",
      );
    }
    if (measure.kind === 'retained' && measure.interval) {
      const intervalClause = this.block.clauses.find((clause) => clause.name === 'interval_count');
      const intervals = intervalClause?.value.type === 'number' ? intervalClause.value.number.value : 1;
      if (measure.interval.value > intervals) {
        this.add(
          measure.interval.span,
          'error',
          DiagnosticCode.outOfRange,
          `The query computes intervals 0 to ${intervals}: raise 'interval_count' to ${measure.interval.value} to expect interval ${measure.interval.value}.`,
        );
      }
    }
    const comparison = expectation.comparison;
    if (!comparison) return;
    if (comparison.kind === 'within') return;
    const values = comparison.kind === 'compare' ? [comparison.value] : [comparison.low, comparison.high];
    for (const value of values) {
      if (!value) continue;
      if (value.percent && !spec.share) {
        this.add(value.span, 'error', DiagnosticCode.percentageOnCount, `'${spec.form}' is a count, not a share: write a number without '%'.`, [
          { title: `Remove '%'`, edits: [{ span: { start: value.span.end - 1, end: value.span.end }, newText: '' }], isPreferred: true },
        ]);
      } else if (spec.share && (value.percent ? value.value > 100 || value.value < 0 : value.value > 1 || value.value < 0)) {
        const hint = value.percent ? '' : ` Write a percentage as ${value.value}%, or a fraction such as ${value.value / 100}.`;
        this.add(value.span, 'error', DiagnosticCode.outOfRange, `'${spec.form}' is a share between 0 and 1 (0% to 100%).${hint}`);
      }
    }
    if (comparison.kind === 'between' && comparison.low && comparison.high) {
      const low = comparison.low.percent ? comparison.low.value / 100 : comparison.low.value;
      const high = comparison.high.percent ? comparison.high.value / 100 : comparison.high.value;
      if (low > high) {
        const lowText = this.text.slice(comparison.low.span.start, comparison.low.span.end);
        const highText = this.text.slice(comparison.high.span.start, comparison.high.span.end);
        this.add(
          { start: comparison.low.span.start, end: comparison.high.span.end },
          'error',
          DiagnosticCode.reversedRange,
          `'between ${lowText} and ${highText}' can never hold: the lower bound comes first.`,
          [
            {
              title: 'Swap the bounds',
              edits: [
                { span: comparison.low.span, newText: highText },
                { span: comparison.high.span, newText: lowText },
              ],
              isPreferred: true,
            },
          ],
        );
      }
    }
  }

  private checkDate(text: string, span: TextSpan): boolean {
    if (isRealDate(text)) return true;
    this.add(span, 'error', DiagnosticCode.invalidDate, `${text} is not a real calendar date.`);
    return false;
  }

  private scopeForEvents(): PropertyScope | undefined {
    if (!this.schema) return undefined;
    if (!this.eventScope) {
      const names = queryEvents(this.block).map((e) => e.value);
      this.eventScope = eventPropertyScope(this.schema, names);
    }
    return this.eventScope;
  }

  /** True when the query names events but none of them is in the schema: property names cannot be judged. */
  private eventsAllUnknown(): boolean {
    const events = queryEvents(this.block);
    return events.length > 0 && events.every((e) => !findEvent(this.schema!, e.value));
  }

  private checkExpression(expression: Expression): void {
    switch (expression.type) {
      case 'property':
        this.checkProperty(expression);
        return;
      case 'call': {
        const fn = Object.hasOwn(EXPRESSION_FUNCTIONS, expression.callee) ? EXPRESSION_FUNCTIONS[expression.callee] : undefined;
        if (!fn) {
          const suggestions = suggestNames(expression.callee, Object.keys(EXPRESSION_FUNCTIONS));
          this.add(
            expression.calleeSpan,
            'error',
            DiagnosticCode.unknownFunction,
            `Unknown function '${expression.callee}'.${didYouMean(suggestions)}`,
            replacementFixes(expression.calleeSpan, suggestions),
          );
        } else if (expression.args.length < fn.minArgs || expression.args.length > fn.maxArgs) {
          const expected = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `${fn.minArgs}–${fn.maxArgs}`;
          this.add(
            expression.span,
            'error',
            DiagnosticCode.wrongArity,
            `'${expression.callee}' takes ${expected} argument${expected === '1' ? '' : 's'}, not ${expression.args.length}.`,
          );
        }
        for (const arg of expression.args) this.checkExpression(arg);
        return;
      }
      case 'binary':
        this.checkExpression(expression.left);
        this.checkExpression(expression.right);
        if (this.schema) this.checkTypes(expression);
        return;
      case 'unary':
        this.checkExpression(expression.operand);
        return;
      case 'list':
        for (const item of expression.items) this.checkExpression(item);
        return;
      default:
        return;
    }
  }

  private propertySchema(expression: Expression): PropertySchema | undefined {
    if (expression.type !== 'property' || !this.schema) return undefined;
    if (expression.scope === 'properties') return this.eventsAllUnknown() ? undefined : this.scopeForEvents()?.lookup(expression.name);
    if (expression.scope === 'user') return userPropertyScope(this.schema).lookup(expression.name);
    return undefined;
  }

  private checkProperty(expression: Extract<Expression, { type: 'property' }>): void {
    if (!this.schema || expression.scope === 'event') return;
    const isUser = expression.scope === 'user';
    if (isUser && !hasUserSchema(this.schema)) return;
    if (!isUser && this.eventsAllUnknown()) return;
    const scope = isUser ? userPropertyScope(this.schema) : this.scopeForEvents()!;
    const property = scope.lookup(expression.name);
    if (!property) {
      const suggestions = suggestNames(expression.name, scope.names);
      const where = isUser ? 'in the user profile schema' : this.eventDescription();
      this.add(
        expression.nameSpan,
        'warning',
        isUser ? DiagnosticCode.unknownUserProperty : DiagnosticCode.unknownProperty,
        `Unknown ${isUser ? 'user ' : ''}property ${quoted(expression.name)} ${where}.${didYouMean(suggestions, quoted)}`,
        replacementFixes(expression.nameSpan, suggestions, quoted),
      );
    } else if (property.dropped) {
      this.add(
        expression.nameSpan,
        'warning',
        DiagnosticCode.droppedProperty,
        `Property ${quoted(expression.name)} is dropped at ingestion: it has no values.`,
      );
    } else if (property.hidden) {
      this.add(
        expression.nameSpan,
        'warning',
        DiagnosticCode.hiddenProperty,
        `Property ${quoted(expression.name)} is hidden in Lexicon; it may be deprecated.`,
      );
    }
  }

  private eventDescription(): string {
    const events = queryEvents(this.block).map((e) => quoted(e.value));
    if (events.length === 0) return 'on any event';
    return `on ${events.join(events.length === 2 ? ' or ' : ', ')}`;
  }

  private staticType(expression: Expression): PropertyType {
    switch (expression.type) {
      case 'string':
        return 'string';
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'list':
        return 'list';
      case 'property':
        return this.propertySchema(expression)?.type ?? 'unknown';
      case 'call': {
        const fn = Object.hasOwn(EXPRESSION_FUNCTIONS, expression.callee) ? EXPRESSION_FUNCTIONS[expression.callee] : undefined;
        return fn && fn.returns !== 'any' ? fn.returns : 'unknown';
      }
      case 'unary':
        return expression.operator === 'not' ? 'boolean' : 'number';
      case 'binary':
        if (['+', '-', '*', '/', '%'].includes(expression.operator)) return 'unknown';
        return 'boolean';
      default:
        return 'unknown';
    }
  }

  /** Reports comparisons between a property of known type and a literal of another type. */
  private checkTypes(expression: Extract<Expression, { type: 'binary' }>): void {
    const { operator, left, right } = expression;
    if (operator === 'in') {
      const leftType = this.staticType(left);
      if (right.type === 'list' && left.type === 'property' && isComparable(leftType)) {
        for (const item of right.items) this.checkPair(left, leftType, item, 'in');
      }
      return;
    }
    if (!['==', '!=', '<', '<=', '>', '>='].includes(operator)) return;
    if (left.type === 'property') this.checkPair(left, this.staticType(left), right, operator);
    else if (right.type === 'property') this.checkPair(right, this.staticType(right), left, operator);
  }

  private checkPair(property: Extract<Expression, { type: 'property' }>, propertyType: PropertyType, other: Expression, operator: string): void {
    if (!isComparable(propertyType)) return;
    if (other.type !== 'string' && other.type !== 'number' && other.type !== 'boolean') return;
    const otherType = other.type;
    if (otherType === propertyType) return;
    // Dates are written as strings or numbers (timestamps); both compare with a datetime property.
    if (propertyType === 'datetime' && otherType !== 'boolean') return;
    const written = other.type === 'string' ? quoted(other.value) : String(other.value);
    const consequence = operator === '==' || operator === 'in' ? 'never matches' : operator === '!=' ? 'always matches' : 'is undefined for every event';
    this.add(
      other.span,
      'error',
      DiagnosticCode.typeMismatch,
      `${quoted(property.name)} is a ${propertyType} property, so comparing it with the ${otherType} ${written} ${consequence}.`,
    );
  }
}

function isComparable(type: PropertyType): boolean {
  return type === 'string' || type === 'number' || type === 'boolean' || type === 'datetime';
}

const MAX_CACHED_QUERIES = 20_000;

/** Findings of one query relative to its start, by query text + source; one cache per schema. */
class QueryCache {
  private readonly entries = new Map<string, QueryDiagnostic[]>();

  get(key: string): QueryDiagnostic[] | undefined {
    const found = this.entries.get(key);
    if (found) {
      // Re-inserting keeps the map in least-recently-used order for eviction.
      this.entries.delete(key);
      this.entries.set(key, found);
    }
    return found;
  }

  set(key: string, value: QueryDiagnostic[]): void {
    this.entries.set(key, value);
    if (this.entries.size > MAX_CACHED_QUERIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}

const cachesBySchema = new WeakMap<AnalyticsSchema, QueryCache>();
const cacheWithoutSchema = new QueryCache();

/** What is kept for `schema` in `bySchema` (in `withoutSchema` for queries without one), made on first use. */
function perSchema<T>(bySchema: WeakMap<AnalyticsSchema, T>, withoutSchema: T, schema: AnalyticsSchema | undefined, create: () => T): T {
  if (!schema) return withoutSchema;
  let kept = bySchema.get(schema);
  if (kept === undefined) {
    kept = create();
    bySchema.set(schema, kept);
  }
  return kept;
}

function cacheFor(schema: AnalyticsSchema | undefined): QueryCache {
  return perSchema(cachesBySchema, cacheWithoutSchema, schema, () => new QueryCache());
}

function shiftSpan(span: TextSpan, delta: number): TextSpan {
  return { start: span.start + delta, end: span.end + delta };
}

function shiftDiagnostic(diagnostic: QueryDiagnostic, delta: number): QueryDiagnostic {
  const shifted: QueryDiagnostic = { ...diagnostic, span: shiftSpan(diagnostic.span, delta) };
  if (diagnostic.fixes) {
    shifted.fixes = diagnostic.fixes.map((fix) => ({ ...fix, edits: fix.edits.map((edit) => ({ span: shiftSpan(edit.span, delta), newText: edit.newText })) }));
  }
  return shifted;
}

/**
 * The text a query's findings depend on: from its start to the line break after its last
 * clause (the missing-date fix inserts there, and fixes that delete a line reach it).
 */
function analysisWindow(text: string, block: QueryBlock): TextSpan {
  const newline = text.indexOf('\n', block.span.end);
  const end = newline === -1 ? text.length : newline + 1;
  const start = block.span.start > 0 ? block.span.start - 1 : 0;
  return { start, end };
}

function analyseQuery(text: string, block: QueryBlock, schema: AnalyticsSchema | undefined): QueryDiagnostic[] {
  const window = analysisWindow(text, block);
  const ref = block.source ? `${block.source.sourceKind ?? ''}\u0000${block.source.target?.value ?? ''}` : '';
  const key = `${ref}\u0001${block.span.start - window.start}\u0001${text.slice(window.start, window.end)}`;
  const cache = cacheFor(schema);
  const cached = cache.get(key);
  if (cached) return cached.map((d) => shiftDiagnostic(d, window.start));
  const analyser = new QueryAnalyser(text, block, schema);
  analyser.run();
  cache.set(
    key,
    analyser.diagnostics.map((d) => shiftDiagnostic(d, -window.start)),
  );
  return analyser.diagnostics;
}

/** A query's findings relative to its chunk, and the source they were found for. */
interface ChunkFindings {
  sourceKey: string;
  diagnostics: QueryDiagnostic[];
}

/** Per schema, the findings of each chunk-relative query tree (trees of evicted chunks drop out). */
const chunkFindingsBySchema = new WeakMap<AnalyticsSchema, WeakMap<QueryBlock, ChunkFindings>>();
const chunkFindingsWithoutSchema = new WeakMap<QueryBlock, ChunkFindings>();

function chunkFindingsFor(schema: AnalyticsSchema | undefined): WeakMap<QueryBlock, ChunkFindings> {
  return perSchema(chunkFindingsBySchema, chunkFindingsWithoutSchema, schema, () => new WeakMap<QueryBlock, ChunkFindings>());
}

/**
 * `analyseQuery` for a query of a chunk, relative to the chunk. What the analyser reads is the
 * query's tree, the text of its lines (all inside the chunk), the kind of its source and the
 * schema; so findings keyed by the chunk's tree object (one per distinct chunk text), the source
 * and the schema stay valid when the chunk moves, and an unchanged query costs a lookup.
 */
function analyseChunkQuery(
  chunk: DocumentChunk,
  query: QueryBlock,
  source: UseDirective | undefined,
  sourceKey: string,
  schema: AnalyticsSchema | undefined,
): QueryDiagnostic[] {
  const cache = chunkFindingsFor(schema);
  const cached = cache.get(query);
  if (cached !== undefined && cached.sourceKey === sourceKey) return cached.diagnostics;
  const analyser = new QueryAnalyser(chunk.text, { ...query, source }, schema);
  analyser.run();
  cache.set(query, { sourceKey, diagnostics: analyser.diagnostics });
  return analyser.diagnostics;
}

function checkUseDirective(use: UseDirective, options: ValidationOptions, diagnostics: QueryDiagnostic[]): void {
  const known = options.knownSources;
  if (!known || !use.target || (use.sourceKind !== 'mixpanel' && use.sourceKind !== 'piwik')) return;
  const name = use.target.value;
  if (known.has(name)) return;
  const suggestions = suggestNames(name, known);
  const configured =
    known.size > 0 ? ` Configured sources: ${[...known].map(quoted).join(', ')}.` : ' No sources are configured (aq.json or the aq.sources setting).';
  diagnostics.push({
    span: use.target.span,
    severity: 'error',
    code: DiagnosticCode.unknownSource,
    message: `Unknown source ${quoted(name)}.${didYouMean(suggestions, quoted)}${configured}`,
    ...(suggestions.length > 0 ? { fixes: replacementFixes(use.target.span, suggestions, quoted) } : {}),
  });
}

function checkScript(block: QueryBlock, options: ValidationOptions, diagnostics: QueryDiagnostic[]): void {
  const head = block.head;
  if (head?.kind !== 'jql' || !head.scriptPath || !options.fileExists) return;
  const path = head.scriptPath.value;
  let exists = true;
  try {
    exists = path !== '' && options.fileExists(path);
  } catch {
    exists = false;
  }
  if (!exists) {
    diagnostics.push({
      span: head.scriptPath.span,
      severity: 'error',
      code: DiagnosticCode.missingScript,
      message: `JQL script ${quoted(path)} not found (paths are relative to this file's folder).`,
    });
  }
}

function compareDiagnostics(a: QueryDiagnostic, b: QueryDiagnostic): number {
  return a.span.start - b.span.start || a.span.end - b.span.end;
}

/**
 * Every problem in `document`: the parser's syntax problems (errors) followed by the analyser's
 * findings, sorted by position. Queries whose schema lookup returns undefined get only syntax and
 * structural checks. Never throws on user input.
 */
export function validateDocument(document: AqDocument, text: string, schemas: SchemaLookup, options: ValidationOptions = {}): QueryDiagnostic[] {
  const diagnostics: QueryDiagnostic[] = document.problems.map((problem) => {
    const diagnostic: QueryDiagnostic = { span: problem.span, severity: 'error', code: problem.code, message: problem.message };
    if (problem.fixes && problem.fixes.length > 0) diagnostic.fixes = problem.fixes;
    return diagnostic;
  });
  for (const use of document.uses) checkUseDirective(use, options, diagnostics);
  const schemaByRef = new Map<string, AnalyticsSchema | undefined>();
  for (const block of document.queries) {
    const ref = sourceRefOf(block.source);
    const refKey = ref ? `${ref.kind}\u0000${ref.name}` : '';
    if (!schemaByRef.has(refKey)) schemaByRef.set(refKey, lookupSafely(schemas, ref));
    const schema = schemaByRef.get(refKey);
    for (const diagnostic of analyseQuery(text, block, schema)) diagnostics.push(diagnostic);
    checkScript(block, options, diagnostics);
  }
  return diagnostics.sort(compareDiagnostics);
}

/**
 * `validateDocument` for the chunks of an incremental parse, with the same result (a test compares
 * them): each chunk is checked relative to its start and its findings moved to where it is, so
 * after an edit only the chunks of new text are analysed, and nothing is copied for the chunks
 * the edit moved but did not change.
 */
export function validateChunks(chunked: ChunkedDocument, schemas: SchemaLookup, options: ValidationOptions = {}): QueryDiagnostic[] {
  // Collected in validateDocument's order (syntax, use lines, queries), which the stable sort keeps for equal spans.
  const syntax: QueryDiagnostic[] = [];
  const uses: QueryDiagnostic[] = [];
  const findings: QueryDiagnostic[] = [];
  // Thousands of queries share a handful of `use` lines: their schema and key are looked up once per line.
  const bySource = new Map<UseDirective | undefined, { schema: AnalyticsSchema | undefined; sourceKey: string }>();
  const schemaByRef = new Map<string, AnalyticsSchema | undefined>();
  const placed = (diagnostics: readonly QueryDiagnostic[], offset: number, into: QueryDiagnostic[]) => {
    for (const diagnostic of diagnostics) into.push(offset === 0 ? diagnostic : shiftDiagnostic(diagnostic, offset));
  };
  for (const chunk of chunked.chunks) {
    const { parsed, offset } = chunk;
    for (const problem of parsed.problems) {
      const diagnostic: QueryDiagnostic = { span: problem.span, severity: 'error', code: problem.code, message: problem.message };
      if (problem.fixes && problem.fixes.length > 0) diagnostic.fixes = problem.fixes;
      placed([diagnostic], offset, syntax);
    }
    for (const use of chunk.uses) checkUseDirective(use, options, uses);
    for (const query of parsed.queries) {
      const source = chunkQuerySource(chunk, query);
      let forSource = bySource.get(source);
      if (forSource === undefined) {
        const ref = sourceRefOf(source);
        const refKey = ref ? `${ref.kind}\u0000${ref.name}` : '';
        if (!schemaByRef.has(refKey)) schemaByRef.set(refKey, lookupSafely(schemas, ref));
        forSource = { schema: schemaByRef.get(refKey), sourceKey: source ? `${source.sourceKind ?? ''}\u0000${source.target?.value ?? ''}` : '' };
        bySource.set(source, forSource);
      }
      placed(analyseChunkQuery(chunk, query, source, forSource.sourceKey, forSource.schema), offset, findings);
      if (query.head?.kind === 'jql') {
        const script: QueryDiagnostic[] = [];
        checkScript(query, options, script);
        placed(script, offset, findings);
      }
    }
  }
  return [...syntax, ...uses, ...findings].sort(compareDiagnostics);
}
