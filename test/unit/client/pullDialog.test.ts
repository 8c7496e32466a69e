/**
 * The pull dialog's reading of what the user typed (the range and the event names) and the switch
 * of an .aq file's `use` lines to the new local source.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { lastWeek, parseEventNames, parsePullRange, switchUseLines } from '../../../client/src/pullDialog';

test('a range is two dates (or one), in order, not after today', () => {
  assert.deepEqual(parsePullRange('2026-10-01 to 2026-10-31', '2026-12-06'), { from: '2026-10-01', to: '2026-10-31' });
  assert.deepEqual(parsePullRange(' 2026-10-01..2026-10-02 ', '2026-12-06'), { from: '2026-10-01', to: '2026-10-02' });
  assert.deepEqual(parsePullRange('2026-10-05', '2026-12-06'), { from: '2026-10-05', to: '2026-10-05' });
  assert.equal(parsePullRange('2026-10-31 to 2026-10-01', '2026-12-06'), '2026-10-31 is after 2026-10-01.');
  assert.equal(parsePullRange('2026-02-30 to 2026-03-01', '2026-12-06'), '"2026-02-30" is not a date as YYYY-MM-DD.');
  assert.match(parsePullRange('2026-12-01 to 2026-12-07', '2026-12-06') as string, /2026-12-07 is in the future/);
  assert.equal(parsePullRange('', '2026-12-06'), 'Type a range as YYYY-MM-DD to YYYY-MM-DD.');
  assert.deepEqual(lastWeek('2026-12-06'), { from: '2026-11-29', to: '2026-12-05' });
});

test('event names are separated by commas; a quoted name may hold one; empty means all', () => {
  assert.deepEqual(parseEventNames('Sign Up, Purchase'), ['Sign Up', 'Purchase']);
  assert.deepEqual(parseEventNames('"Add, then pay", Purchase'), ['Add, then pay', 'Purchase']);
  assert.deepEqual(parseEventNames('  '), []);
});

test('the use lines of the pulled source switch to the local source; a file without use lines gets one', () => {
  const text = [
    'use mixpanel "prod"',
    '',
    '### A',
    'segmentation "Sign Up"',
    '',
    'use mixpanel "other"',
    'segmentation "B"',
    'use mixpanel "prod" # again',
  ].join('\n');
  assert.deepEqual(switchUseLines(text, 'prod', 'prod-local'), [
    { line: 0, text: 'use local "prod-local"' },
    { line: 7, text: 'use local "prod-local" # again' },
  ]);
  assert.deepEqual(switchUseLines('segmentation "Sign Up"\n', 'prod', 'prod-local'), [{ line: 0, text: 'use local "prod-local"', insert: true }]);
  assert.deepEqual(switchUseLines('use piwik "site"\nsegmentation "x"\n', 'prod', 'prod-local'), []);
});
