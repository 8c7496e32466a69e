import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileExpression, evaluateExpression, isTruthy, segmentKey } from '../../../../../server/src/queryEngine/backends/local/evaluateExpression';
import { expr } from './localFixtures';

const event = {
  properties: { $browser: 'Chrome', price: 45, qty: '3', tags: ['sale', 'new'], premium: true, empty: '', nothing: null, signup: '2026-10-05T12:00:00' },
  user: { plan: 'team', $email: 'a@example.com' },
};
const run = (text: string, context = event): unknown => evaluateExpression(expr(text), context);

test('== across types is false; != across types is true', () => {
  assert.equal(run('properties["price"] == 45'), true);
  assert.equal(run('properties["price"] == "45"'), false);
  assert.equal(run('properties["price"] != "45"'), true);
  assert.equal(run('properties["missing"] == "x"'), false);
});

test('comparisons across types are undefined, and and/or treat undefined as false', () => {
  assert.equal(run('properties["price"] > "10"'), undefined);
  assert.equal(run('properties["price"] > 10'), true);
  assert.equal(run('properties["$browser"] < "Firefox"'), true);
  assert.equal(run('properties["price"] > "10" or properties["premium"]'), true);
  assert.equal(run('properties["price"] > "10" and true'), false);
  assert.equal(run('not (properties["missing"] > 3)'), true);
});

test('in is a substring test on strings and membership on lists', () => {
  assert.equal(run('"hro" in properties["$browser"]'), true);
  assert.equal(run('"Hro" in properties["$browser"]'), false);
  assert.equal(run('"sale" in properties["tags"]'), true);
  assert.equal(run('"old" in properties["tags"]'), false);
  assert.equal(run('properties["$browser"] in ["Safari", "Chrome"]'), true);
  assert.equal(run('properties["price"] in ["45"]'), false);
  assert.equal(run('"x" in properties["missing"]'), false);
});

test('defined, casts, rounding and has_prefix', () => {
  assert.equal(run('defined(properties["price"])'), true);
  assert.equal(run('defined(properties["missing"])'), false);
  assert.equal(run('defined(properties["nothing"])'), false);
  assert.equal(run('number(properties["qty"]) * 2'), 6);
  assert.equal(run('number(properties["$browser"])'), undefined);
  assert.equal(run('string(properties["price"])'), '45');
  assert.equal(run('boolean(properties["empty"])'), false);
  assert.equal(run('floor(properties["price"] / 10)'), 4);
  assert.equal(run('round(4.5)'), 5);
  assert.equal(run('ceil(4.1)'), 5);
  assert.equal(run('has_prefix(properties["$browser"], "Chr")'), true);
  assert.equal(run('has_prefix(properties["price"], "4")'), false);
});

test('arithmetic works on numbers only and division by zero is undefined', () => {
  assert.equal(run('properties["price"] + 5'), 50);
  assert.equal(run('properties["price"] % 10'), 5);
  assert.equal(run('-properties["price"]'), -45);
  assert.equal(run('properties["price"] / 0'), undefined);
  assert.equal(run('properties["qty"] + 1'), undefined);
});

test('datetime compares with ISO date properties', () => {
  assert.equal(run('properties["signup"] > datetime("2026-10-01")'), true);
  assert.equal(run('properties["signup"] < datetime("2026-10-01T00:00:00")'), false);
  assert.equal(run('datetime(1790000000) > datetime("2026-01-01")'), true);
});

test('user[...] reads the profile and is undefined without one', () => {
  assert.equal(run('user["plan"] == "team"'), true);
  assert.equal(run('user["plan"] == "team"', { properties: {}, user: undefined } as never), false);
});

test('compiled expressions give the same answers for many events', () => {
  const compiled = compileExpression(expr('properties["price"] >= 40 and properties["$browser"] != "Safari"'));
  const answers = [{ price: 40, $browser: 'Chrome' }, { price: 39, $browser: 'Chrome' }, { price: 50, $browser: 'Safari' }, { $browser: 'Edge' }].map(
    (properties) => compiled({ properties }),
  );
  assert.deepEqual(answers, [true, false, false, false]);
});

test('isTruthy and segmentKey follow Mixpanel', () => {
  assert.deepEqual([undefined, null, 0, '', [], false].map(isTruthy), [false, false, false, false, false, false]);
  assert.deepEqual([1, 'a', [0], true, {}].map(isTruthy), [true, true, true, true, true]);
  assert.deepEqual(['Chrome', 3, 2.5, true, false, undefined, null, ''].map(segmentKey), ['Chrome', '3', '2.5', 'true', 'false', 'undefined', 'null', '']);
});
