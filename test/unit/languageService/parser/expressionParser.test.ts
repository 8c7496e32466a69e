import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExpression } from '../../../../server/src/languageService/parser/expressionParser';
import { printExpression } from '../../../../server/src/queryContract/printExpression';
import type { Expression } from '../../../../server/src/languageService/parser/queryAst';

/** A compact, fully parenthesised rendering of the tree, to assert structure and precedence. */
function shape(expression: Expression): string {
  switch (expression.type) {
    case 'property':
      return `${expression.scope}.${expression.name}`;
    case 'string':
      return JSON.stringify(expression.value);
    case 'number':
      return String(expression.value);
    case 'boolean':
      return String(expression.value);
    case 'list':
      return `[${expression.items.map(shape).join(' ')}]`;
    case 'call':
      return `${expression.callee}(${expression.args.map(shape).join(' ')})`;
    case 'unary':
      return `(${expression.operator} ${shape(expression.operand)})`;
    case 'binary':
      return `(${shape(expression.left)} ${expression.operator} ${shape(expression.right)})`;
    case 'error':
      return '?';
  }
}

function parsesTo(text: string, expected: string): void {
  const { expression, problems } = parseExpression(text);
  assert.deepEqual(problems, [], text);
  assert.equal(shape(expression), expected, text);
}

test('literals, properties, lists and calls', () => {
  parsesTo('properties["$browser"]', 'properties.$browser');
  parsesTo('user["$email"]', 'user.$email');
  parsesTo('event["$time"]', 'event.$time');
  parsesTo('"a \\"quoted\\" \\u00e9\\n"', JSON.stringify('a "quoted" é\n'));
  parsesTo('42', '42');
  parsesTo('3.25', '3.25');
  parsesTo('true', 'true');
  parsesTo('false', 'false');
  parsesTo('[]', '[]');
  parsesTo('[1, "two", properties["x"]]', '[1 "two" properties.x]');
  parsesTo('defined(properties["utm_source"])', 'defined(properties.utm_source)');
  parsesTo('has_prefix(string(user["signup_date"]), "2016")', 'has_prefix(string(user.signup_date) "2016")');
  parsesTo('now()', 'now()');
});

test('precedence: or < and < not < comparison/in < + - < * / % < unary minus', () => {
  parsesTo('a == 1 or b == 2 and c == 3'.replace(/\b([abc])\b/g, 'properties["$1"]'), '((properties.a == 1) or ((properties.b == 2) and (properties.c == 3)))');
  parsesTo('not properties["a"] == 1 and true', '((not (properties.a == 1)) and true)');
  parsesTo('not not true', '(not (not true))');
  parsesTo('1 + 2 * 3 - 4 % 5', '((1 + (2 * 3)) - (4 % 5))');
  parsesTo('1 - 2 - 3', '((1 - 2) - 3)');
  parsesTo('8 / 4 / 2', '((8 / 4) / 2)');
  parsesTo('-1 * -properties["x"]', '((- 1) * (- properties.x))');
  parsesTo('(1 + 2) * 3', '((1 + 2) * 3)');
  parsesTo('properties["x"] + 1 > 2 * 3', '((properties.x + 1) > (2 * 3))');
  parsesTo('"a" in properties["name"] or properties["id"] in [1, 2]', '(("a" in properties.name) or (properties.id in [1 2]))');
  parsesTo('1 != 2', '(1 != 2)');
  parsesTo('1 <= 2 and 3 >= 2 and 1 < 2 and 2 > 1', '((((1 <= 2) and (3 >= 2)) and (1 < 2)) and (2 > 1))');
});

test('spans cover operands and operators, with a base offset', () => {
  const text = 'properties["plan"] == "free"';
  const { expression } = parseExpression(text, 100);
  assert.ok(expression.type === 'binary');
  assert.deepEqual(expression.span, { start: 100, end: 100 + text.length });
  assert.deepEqual(expression.operatorSpan, { start: 119, end: 121 });
  assert.ok(expression.left.type === 'property');
  assert.deepEqual(expression.left.nameSpan, { start: 111, end: 117 });
  assert.deepEqual(expression.right.span, { start: 122, end: 128 });
});

test('errors leave holes and clear problems', () => {
  const cases: Array<[string, string, string[]]> = [
    ['', '?', ['expected-expression']],
    ['properties["x"] ==', '(properties.x == ?)', ['expected-expression']],
    ['== 1', '(? == 1)', ['expected-expression']],
    ['properties["x"] = 1', '(properties.x == 1)', ['unexpected-token']],
    ['!defined(properties["x"])', '(not defined(properties.x))', ['unexpected-token']],
    ['plan == "free"', '(? == "free")', ['unexpected-token']],
    ['properties[plan] == 1', '(properties. == 1)', ['expected-property-name']],
    ['properties["x" == 1', '(properties.x == 1)', ['expected-token']],
    ['(1 + 2', '(1 + 2)', ['expected-token']],
    ['defined(properties["x"]', 'defined(properties.x)', ['expected-token']],
    ['[1, 2', '[1 2]', ['expected-token']],
    ['[1 2]', '[1]', ['expected-token']],
    ['"open', '"open"', ['unterminated-string']],
    ["'single'", '?', ['unexpected-token', 'unexpected-token']],
    ['properties["x"] == 2026-10-01', '(properties.x == ?)', ['unexpected-token']],
    ['1 @ 2', '1', ['unexpected-token']],
  ];
  for (const [text, expected, codes] of cases) {
    const { expression, problems } = parseExpression(text);
    assert.equal(shape(expression), expected, text);
    assert.deepEqual(
      problems.map((p) => p.code),
      codes,
      text,
    );
    for (const problem of problems) {
      assert.ok(problem.span.start >= 0 && problem.span.end <= text.length && problem.span.start <= problem.span.end, text);
    }
  }
});

test('a missing property name leaves a property node with an empty name for completion', () => {
  const { expression, problems } = parseExpression('properties[');
  assert.equal(expression.type, 'property');
  assert.deepEqual(
    problems.map((p) => p.code),
    ['expected-property-name'],
  );
  const partial = parseExpression('properties["pl');
  assert.ok(partial.expression.type === 'property');
  assert.equal(partial.expression.name, 'pl');
  assert.deepEqual(partial.expression.nameSpan, { start: 11, end: 14 });
  assert.deepEqual(
    partial.problems.map((p) => p.code),
    ['unterminated-string'],
  );
});

test('printExpression writes Mixpanel text with only the parentheses precedence needs', () => {
  const cases: Array<[string, string]> = [
    [
      'properties["plan"]  in  ["premium","team"] and defined( properties["utm_source"] )',
      'properties["plan"] in ["premium", "team"] and defined(properties["utm_source"])',
    ],
    ['(1 + 2) * 3', '(1 + 2) * 3'],
    ['1 + (2 * 3)', '1 + 2 * 3'],
    ['1 - (2 - 3)', '1 - (2 - 3)'],
    ['(1 - 2) - 3', '1 - 2 - 3'],
    ['not (properties["a"] or properties["b"])', 'not (properties["a"] or properties["b"])'],
    ['(not properties["a"]) == false', '(not properties["a"]) == false'],
    ['- (1 + 2)', '-(1 + 2)'],
    ['- - 1', '- -1'],
    ['user["$email"] == "a\\"b"', 'user["$email"] == "a\\"b"'],
    ['(properties["a"] == 1) == true', 'properties["a"] == 1 == true'],
  ];
  for (const [input, printed] of cases) {
    const { expression, problems } = parseExpression(input);
    assert.deepEqual(problems, [], input);
    assert.equal(printExpression(expression), printed, input);
    assert.equal(shape(parseExpression(printed).expression), shape(expression), `round trip of ${input}`);
  }
});

test('absurdly deep or long expressions are refused with one problem instead of overflowing the stack', () => {
  for (const text of [
    '('.repeat(5000) + '1' + ')'.repeat(5000),
    '['.repeat(5000),
    'not '.repeat(5000) + 'true',
    'properties["x"] == 1 and '.repeat(1000) + 'true',
  ]) {
    const { expression, problems } = parseExpression(text);
    assert.deepEqual(
      problems.map((p) => p.code),
      ['expression-too-complex'],
      text.slice(0, 20),
    );
    assert.ok(expression.span.end <= text.length);
  }
  const nested = '('.repeat(50) + '1' + ')'.repeat(50);
  assert.deepEqual(parseExpression(nested).problems, [], 'fifty levels are fine');
});
