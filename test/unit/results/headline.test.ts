import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { raisedLimit } from '../../../server/src/protocol/limitNotice';
import type { ResultData } from '../../../server/src/protocol/resultModel';
import { resultHeadline } from '../../../server/src/results/headline';
import { formatResultMarkdown } from '../../../server/src/results/resultMarkdown';
import { debuggerData, funnelData, makeResult, retentionData, seriesData } from './resultFixtures';

test('a segmentation headline is its total, or with unit its last bucket and the change', () => {
  assert.equal(resultHeadline(makeResult(seriesData)), '1,243 events');
  assert.equal(resultHeadline(makeResult(seriesData), { byBucket: true }), '2024-03-03: 5 events (−84.4 % vs the day before)');
  const unique: ResultData = { ...(seriesData as Extract<ResultData, { kind: 'series' }>), measure: 'unique' };
  assert.equal(resultHeadline(makeResult(unique)), 'top France: 1,234 users', 'users of several segments do not add up');
});

test('a funnel headline is first step → last step · overall conversion', () => {
  assert.equal(resultHeadline(makeResult(funnelData)), '200 → 50 · 25.0 %');
});

test('a retention headline is interval 1, weighted by cohort size', () => {
  // (40 + 20) / (100 + 80) = 33 %
  assert.equal(resultHeadline(makeResult(retentionData)), 'week 1 · 33 %');
});

test('a debugger headline counts broken events', () => {
  assert.match(resultHeadline(makeResult(debuggerData)) ?? '', /^\d+ broken events?$/);
});

test('the raised limit is the total, else twice the limit, never past 10,000', () => {
  assert.equal(raisedLimit({ noun: 'segments', shown: 60, total: 312, limit: 60 }), 312);
  assert.equal(raisedLimit({ noun: 'segments', shown: 60, limit: 60 }), 120);
  assert.equal(raisedLimit({ noun: 'segments', shown: 9000, total: 50_000, limit: 9000 }), 10_000);
});

test('Markdown: numbers right-aligned with separators, markup in data escaped', () => {
  const markdown = formatResultMarkdown(makeResult(seriesData, { title: 'Sign|ups' }));
  const lines = markdown.trim().split('\n');
  assert.equal(lines[0], '**Sign\\|ups** · 2024\\-03\\-01 → 2024\\-03\\-03');
  assert.equal(lines[2], '| Date | France | undefined | =HYPERLINK\\(“http://evil”\\) | \\(empty\\) |'.replace('“', '"').replace('”', '"'));
  assert.equal(lines[4], '| 2024\\-03\\-01 | 1,200 | 5 | 1 | 0 |');
});
