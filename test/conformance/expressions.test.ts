/**
 * Segmentation expressions, checked against Mixpanel's documentation: Segmentation Expressions
 * (developer.mixpanel.com/reference/segmentation-expressions) and the Data Type page
 * (docs.mixpanel.com/docs/data-structure/property-reference/data-type). Each case runs as a user
 * would: an `on` or `where` clause of a segmentation query over events carrying the value.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { segmentationOf, type EventRow } from './conformanceKit';

/** One "Flag" event per value (a missing entry: the property is not set), all on 2026-10-01. */
function flagEvents(values: unknown[]): EventRow[] {
  return values.map((value, position) => ['Flag', `u${position}`, `2026-10-01T10:${String(position).padStart(2, '0')}:00`, value === MISSING ? {} : { value }]);
}
const MISSING = Symbol('not set');
const totalsBySegment = (query: string, rows: EventRow[]) =>
  Object.fromEntries(segmentationOf(query, rows).series.map((entry) => [entry.segment, entry.total]));

describe('boolean() cast', () => {
  it('"false", 0, null, undefined and "" are false; "true" and any other set value are true', () => {
    // Data Type page, Boolean: ""false", 0, null, undefined, empty string and not set will be
    // typecasted to boolean false." and ""true" and any set value that is not 0 or empty string
    // will be typecasted to boolean true."
    const rows = flagEvents(['false', 0, null, MISSING, '', 'true', 'yes', 7, true, false]);
    const query = 'segmentation "Flag"\n  on boolean(properties["value"])\n  from 2026-10-01 to 2026-10-01\n';
    // false: "false", 0, null, not set, "", false (6); true: "true", "yes", 7, true (4).
    assert.deepEqual(totalsBySegment(query, rows), { false: 6, true: 4 });
  });

  it('where boolean(...) keeps exactly the events whose value casts to true', () => {
    // Segmentation Expressions, Typecast Operations: "if properties["signed up"] has values of
    // "true" and "false" as strings, and you wish to encode them as booleans, you may cast them by
    // using the boolean() typecast function".
    const rows = flagEvents(['true', 'false', 'false', 'true', 'true']);
    const result = segmentationOf('segmentation "Flag"\n  where boolean(properties["value"])\n  from 2026-10-01 to 2026-10-01\n', rows);
    assert.equal(result.series[0].total, 3);
  });
});

describe('not', () => {
  it('negates a boolean, turns undefined into true, and leaves every other operand undefined', () => {
    // Segmentation Expressions, Unary and Math Operations: "The "not" operator will perform the
    // logical not on an operand of type boolean. It will also evaluate an operand of type undefined
    // as true. All other operands will be evaluated to undefined."
    const rows = flagEvents([true, false, MISSING, 'text', 0, 1, null, '']);
    const query = 'segmentation "Flag"\n  on not properties["value"]\n  from 2026-10-01 to 2026-10-01\n';
    // true → false (1); false and not set → true (2); "text", 0, 1, null, "" → undefined (5).
    assert.deepEqual(totalsBySegment(query, rows), { false: 1, true: 2, undefined: 5 });
  });

  it('where not keeps an event only when the operand is false or undefined', () => {
    // Same sentence: a string operand gives undefined, which a filter does not keep.
    const rows = flagEvents([false, MISSING, 'false', 'text', true]);
    const result = segmentationOf('segmentation "Flag"\n  where not properties["value"]\n  from 2026-10-01 to 2026-10-01\n', rows);
    assert.equal(result.series[0].total, 2);
  });

  it('not defined(...) is "is not set"', () => {
    // Segmentation Expressions, Examples: "`not defined(properties["city"])` Returns false if city
    // event property has any value, otherwise true."
    const rows = flagEvents(['Paris', MISSING, '', MISSING]);
    const result = segmentationOf('segmentation "Flag"\n  where not defined(properties["value"])\n  from 2026-10-01 to 2026-10-01\n', rows);
    assert.equal(result.series[0].total, 2);
  });
});
