import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unsafeIntegersIn } from '../../../server/src/queryEngine/unsafeIntegers';

test('whole numbers above 2^53 outside strings are found; strings, fractions and safe numbers are not', () => {
  assert.deepEqual(unsafeIntegersIn('{"a": 9007199254740991, "b": [1, 2.5, -3e40]}'), { count: 0, example: undefined });
  assert.deepEqual(unsafeIntegersIn('{"a": 9007199254740993, "b": -123456789012345678901}'), { count: 2, example: '9007199254740993' });
  assert.deepEqual(unsafeIntegersIn('{"id": "123456789012345678901", "esc\\"aped 99999999999999999": 12345678901234567.5}'), { count: 0, example: undefined });
});
