/**
 * The stable codes of every diagnostic the analyser reports. Users filter and suppress by these,
 * and docs/diagnostics.md documents each one, so a code never changes once released. The parser's
 * own codes (`unterminated-string`, `expected-expression`, …) are listed in `SyntaxCode`.
 */
export const DiagnosticCode = {
  unknownEvent: 'unknown-event',
  unknownProperty: 'unknown-property',
  unknownUserProperty: 'unknown-user-property',
  unknownClause: 'unknown-clause',
  clauseNotAllowed: 'clause-not-allowed',
  duplicateClause: 'duplicate-clause',
  conflictingDates: 'conflicting-dates',
  invalidValue: 'invalid-value',
  outOfRange: 'out-of-range',
  invalidDate: 'invalid-date',
  reversedRange: 'reversed-range',
  missingDateRange: 'missing-date-range',
  typeMismatch: 'type-mismatch',
  unknownFunction: 'unknown-function',
  wrongArity: 'wrong-arity',
  hiddenEvent: 'hidden-event',
  droppedEvent: 'dropped-event',
  hiddenProperty: 'hidden-property',
  droppedProperty: 'dropped-property',
  unknownSource: 'unknown-source',
  missingScript: 'missing-script',
  wrongSourceKind: 'wrong-source-kind',
  ignoredBirthEvent: 'ignored-birth-event',
  // report queries (Piwik PRO)
  unknownColumn: 'unknown-column',
  wrongColumnKind: 'wrong-column-kind',
  unsupportedTransformation: 'unsupported-transformation',
  unknownColumnValue: 'unknown-column-value',
  missingColumns: 'missing-columns',
  // expect clauses
  unknownMeasure: 'unknown-measure',
  measureNotAllowed: 'measure-not-allowed',
  unknownStep: 'unknown-step',
  percentageOnCount: 'percentage-on-count',
  // found by a remote API when the query ran
  apiRejected: 'api-rejected',
  // JQL files
  jqlSyntaxError: 'jql-syntax-error',
  jqlMissingMain: 'jql-missing-main',
  jqlUserInEventSelector: 'jql-user-in-event-selector',
  unknownReducer: 'unknown-reducer',
  unknownMixpanelHelper: 'unknown-mixpanel-helper',
} as const;

export type DiagnosticCodeValue = (typeof DiagnosticCode)[keyof typeof DiagnosticCode];

/** Codes the parser (queryTokenizer / queryParser / expressionParser) puts on `SyntaxProblem`s; all are errors. */
export const SyntaxCode = {
  unterminatedString: 'unterminated-string',
  invalidEscape: 'invalid-escape',
  unknownQueryKind: 'unknown-query-kind',
  unknownSourceKind: 'unknown-source-kind',
  expectedSourceKind: 'expected-source-kind',
  expectedString: 'expected-string',
  expectedEventName: 'expected-event-name',
  expectedFunnelStep: 'expected-funnel-step',
  titleWithoutQuery: 'title-without-query',
  clauseOutsideQuery: 'clause-outside-query',
  clauseNotIndented: 'clause-not-indented',
  expectedClause: 'expected-clause',
  expectedExpression: 'expected-expression',
  expectedPropertyName: 'expected-property-name',
  expressionTooComplex: 'expression-too-complex',
  expectedValue: 'expected-value',
  expectedNumber: 'expected-number',
  expectedDate: 'expected-date',
  expectedUnit: 'expected-unit',
  invalidUnit: 'invalid-unit',
  badJson: 'bad-json',
  expectedToken: 'expected-token',
  unexpectedToken: 'unexpected-token',
} as const;
