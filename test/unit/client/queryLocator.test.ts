import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { findQueryStarts } from '../../../client/src/queryLocator';

test('titled and untitled queries are found in order, a title owning the head below it', () => {
  const text = [
    'use mixpanel "shop"',
    '',
    '### Signups by country',
    '# a comment',
    'segmentation "Sign Up"',
    '  on country',
    '',
    'funnel "A" -> "B"',
    '### Orphan title',
    '###',
    'retention "Sign Up"',
  ].join('\n');
  assert.deepEqual(findQueryStarts(text), [
    { index: 0, line: 2, title: 'Signups by country' },
    { index: 1, line: 7, title: undefined },
    { index: 2, line: 8, title: 'Orphan title' },
    { index: 3, line: 9, title: undefined },
  ]);
});

test('clause lines and words inside other lines do not start queries', () => {
  assert.deepEqual(findQueryStarts('segmentation "x"\n  where properties["funnel"] == 1\n  unit day\nsegmentations'), [
    { index: 0, line: 0, title: undefined },
  ]);
});
