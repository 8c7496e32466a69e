import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAqDocument } from '../../../../server/src/languageService/parser/queryParser';
import type { QuerySpec } from '../../../../server/src/queryContract/querySpec';
import { createQueryEngine } from '../../../../server/src/queryEngine/queryEngine';
import { listExpectations, runExpectations, type ExpectationResult } from '../../../../server/src/workflows/expectations/runExpectations';
import { makeExpectWorkspace } from './expectationFixture';

const WEEK = '  from 2026-10-01 to 2026-10-07\n';

async function check(
  text: string,
  only?: Array<{ queryIndex: number; expectationIndex?: number }>,
): Promise<{ results: ExpectationResult[]; runs: QuerySpec[] }> {
  const root = makeExpectWorkspace();
  const engine = createQueryEngine({ cacheDir: join(root, '.cache') });
  engine.configure(root, {});
  const runs: QuerySpec[] = [];
  const counting = {
    resolveSource: engine.resolveSource.bind(engine),
    defaultSource: engine.defaultSource.bind(engine),
    run: (spec: QuerySpec, path: string, options: Parameters<typeof engine.run>[2]) => {
      runs.push(spec);
      return engine.run(spec, path, options);
    },
  };
  try {
    const results = await runExpectations({
      engine: counting,
      path: join(root, 'checks.aq'),
      displayPath: 'checks.aq',
      text,
      only,
      signal: new AbortController().signal,
      getCredentials: async () => undefined,
    });
    return { results, runs };
  } finally {
    engine.dispose();
  }
}

const summary = (results: ExpectationResult[]) => results.map((r) => [r.expectation, r.status, r.actual]);

describe('expectations on the local engine: segmentation', () => {
  it('total counts events; a segmented total counts every segment together', async () => {
    const { results } = await check(
      `segmentation "Sign Up"\n${WEEK}  expect total == 4\n  expect total > 4\n` +
        `segmentation "Sign Up"\n  on properties["$browser"]\n${WEEK}  expect total == 4\n  expect series "Chrome" total == 3\n  expect series "Firefox" total <= 0\n`,
    );
    assert.deepEqual(summary(results), [
      ['total == 4', 'passed', 4],
      ['total > 4', 'failed', 4],
      ['total == 4', 'passed', 4],
      ['series "Chrome" total == 3', 'passed', 3],
      ['series "Firefox" total <= 0', 'failed', 1],
    ]);
    assert.equal(results[1].message, 'total 4, expected > 4');
    assert.equal(results[0].message, 'total 4 (expected == 4)');
  });

  it('type unique: total is distinct users over the whole range, not the sum of daily or per-segment uniques', async () => {
    // u1 bought on 10-01 (Chrome) and 10-05 (Safari), u3 on 10-03 (Chrome): 3 user-days, 3 user-segments, 2 users.
    const { results, runs } = await check(
      `segmentation "Purchase"\n  type unique\n${WEEK}  expect total == 2\n` +
        `segmentation "Purchase"\n  type unique\n  on properties["$browser"]\n${WEEK}  expect total == 2\n  expect series "Chrome" total == 2\n`,
    );
    assert.deepEqual(summary(results), [
      ['total == 2', 'passed', 2],
      ['total == 2', 'passed', 2],
      ['series "Chrome" total == 2', 'passed', 2],
    ]);
    // The segmented query ran once as written and once without `on` for its total.
    assert.deepEqual(
      runs.map((spec) => spec.kind === 'segmentation' && spec.on !== undefined),
      [false, true, false],
    );
  });

  it('measure sum totals the property; rows counts the table rows (one per day)', async () => {
    const { results } = await check(
      `segmentation "Purchase"\n  on properties["revenue"]\n  measure sum\n${WEEK}  expect total == 120\n  expect total between 100 and 119\n` +
        `segmentation "Sign Up"\n${WEEK}  expect rows == 7\n  expect rows != 7\n`,
    );
    assert.deepEqual(summary(results), [
      ['total == 120', 'passed', 120],
      ['total between 100 and 119', 'failed', 120],
      ['rows == 7', 'passed', 7],
      ['rows != 7', 'failed', 7],
    ]);
  });

  it('every operator, and between with both bounds included', async () => {
    const ops = ['== 4', '!= 4', '< 4', '<= 4', '> 3', '>= 5', 'between 4 and 4', 'between 1 and 3'];
    const { results } = await check(`segmentation "Sign Up"\n${WEEK}${ops.map((op) => `  expect total ${op}\n`).join('')}`);
    assert.deepEqual(
      results.map((r) => r.status),
      ['passed', 'failed', 'failed', 'passed', 'passed', 'failed', 'passed', 'failed'],
    );
  });

  it('within N% of previous compares with the preceding range of the same length', async () => {
    // Sign-ups: 4 this week, 2 (u5, u6) the week before: +100 %.
    const { results, runs } = await check(`segmentation "Sign Up"\n${WEEK}  expect total within 50% of previous\n  expect total within 100% of previous\n`);
    assert.deepEqual(summary(results), [
      ['total within 50% of previous', 'failed', 4],
      ['total within 100% of previous', 'passed', 4],
    ]);
    assert.equal(results[0].message, 'total 4, previous period 2 (+100%), expected within 50% of previous');
    assert.deepEqual(
      runs.map((spec) => (spec.kind === 'segmentation' ? `${spec.range.from}..${spec.range.to}` : '')),
      ['2026-10-01..2026-10-07', '2026-09-24..2026-09-30'],
    );
  });
});

describe('expectations on the local engine: funnels and retention', () => {
  const FUNNEL = `funnel "Sign Up" -> "Added To Cart" -> "Purchase"\n  window 7 days\n${WEEK}`;

  it('conversion is last step over first step; step count and step conversion from the first step', async () => {
    // Entered: u1 u2 u3 u4 · carted: u1 u2 u3 · bought: u1 u3.
    const { results } = await check(
      `${FUNNEL}  expect conversion == 50%\n  expect conversion > 0.5\n  expect step "Purchase" count == 2\n  expect step "Added To Cart" conversion == 75%\n  expect step "Sign Up" count between 5 and 9\n`,
    );
    assert.deepEqual(summary(results), [
      ['conversion == 50%', 'passed', 0.5],
      ['conversion > 0.5', 'failed', 0.5],
      ['step "Purchase" count == 2', 'passed', 2],
      ['step "Added To Cart" conversion == 75%', 'passed', 0.75],
      ['step "Sign Up" count between 5 and 9', 'failed', 4],
    ]);
    assert.equal(results[1].message, 'conversion 50%, expected > 0.5');
  });

  it('a funnel within N% of previous: no one converted the week before', async () => {
    const { results } = await check(`${FUNNEL}  expect step "Sign Up" count within 100% of previous\n  expect conversion within 10% of previous\n`);
    assert.deepEqual(summary(results), [
      ['step "Sign Up" count within 100% of previous', 'passed', 4],
      ['conversion within 10% of previous', 'failed', 0.5],
    ]);
  });

  it("retained N is Mixpanel's size-weighted average over the cohorts; retained N count the weighted count", async () => {
    // Cohorts 10-01 {u1,u2}, 10-02 {u3}, 10-03 {u4}; returns (Purchase): u1 in interval 0, u3 in interval 1.
    // Weights 2/4, 1/4, 1/4. Interval 1: retained 0,1,0 → weighted retained 1/4, weighted size (4+1+1)/4 → share 1/6.
    const { results } = await check(
      'retention "Sign Up" -> "Purchase"\n  unit day\n  interval_count 2\n  from 2026-10-01 to 2026-10-03\n' +
        '  expect retained 1 between 16.6% and 16.7%\n  expect retained 0 between 33.3% and 33.4%\n  expect retained 1 count == 0.25\n  expect retained 2 > 0%\n',
    );
    assert.deepEqual(
      results.map((r) => [r.expectation, r.status]),
      [
        ['retained 1 between 16.6% and 16.7%', 'passed'],
        ['retained 0 between 33.3% and 33.4%', 'passed'],
        ['retained 1 count == 0.25', 'passed'],
        ['retained 2 > 0%', 'failed'],
      ],
    );
    assert.ok(Math.abs(results[0].actual! - 1 / 6) < 1e-12);
    assert.equal(results[3].actual, 0);
  });

  it('retention segmented with on still measures every cohort together', async () => {
    const { results } = await check(
      'retention "Sign Up" -> "Purchase"\n  on properties["$browser"]\n  unit day\n  interval_count 2\n  from 2026-10-01 to 2026-10-03\n  expect retained 1 between 16.6% and 16.7%\n',
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['passed'],
    );
  });
});

describe('expectations: what runs, and errors', () => {
  it('runs only queries with expect, and reports file, query, expectation and its range', async () => {
    const text = `### No checks\nsegmentation "Sign Up"\n${WEEK}### Checked\nsegmentation "Sign Up"\n${WEEK}  expect total > 1 # enough\n`;
    const { results, runs } = await check(text);
    assert.equal(runs.length, 1);
    assert.equal(results.length, 1);
    const [result] = results;
    assert.deepEqual(
      { file: result.file, query: result.query, expectation: result.expectation, status: result.status, actual: result.actual },
      { file: 'checks.aq', query: 'Checked', expectation: 'total > 1', status: 'passed', actual: 4 },
    );
    assert.deepEqual(result.range, { start: { line: 6, character: 2 }, end: { line: 6, character: 18 } });
    assert.deepEqual(
      listExpectations(parseAqDocument(text), text).map((item) => [item.query, item.queryIndex, item.expectationIndex, item.expectation]),
      [['Checked', 1, 0, 'total > 1']],
    );
  });

  it('runs only the expectations asked for', async () => {
    const text = `segmentation "Sign Up"\n${WEEK}  expect total > 1\n  expect total > 2\nsegmentation "Purchase"\n${WEEK}  expect total > 1\n`;
    const { results, runs } = await check(text, [{ queryIndex: 0, expectationIndex: 1 }]);
    assert.deepEqual(summary(results), [['total > 2', 'passed', 4]]);
    assert.equal(runs.length, 1);
  });

  it('a query that fails makes every one of its expectations an error; the next query still runs', async () => {
    const text = `use local "missing.ndjson"\nsegmentation "Sign Up"\n${WEEK}  expect total > 1\n  expect rows > 1\nuse local "data/events.ndjson"\nsegmentation "Sign Up"\n${WEEK}  expect total == 4\n`;
    const { results } = await check(text);
    assert.deepEqual(
      results.map((r) => [r.status, r.actual]),
      [
        ['error', null],
        ['error', null],
        ['passed', 4],
      ],
    );
    assert.match(results[0].message, /The query failed: .*missing\.ndjson/);
  });

  it('a query that does not parse errors every expectation; a broken or wrong expectation errors alone', async () => {
    const text =
      `segmentation "Sign Up"\n  where properties["x"] ==\n${WEEK}  expect total > 1\n` +
      `funnel "Sign Up" -> "Purchase"\n${WEEK}  expect step "Purchse" count > 1\n  expect conversion >\n  expect conversion > 10%\n`;
    const { results } = await check(text);
    assert.deepEqual(
      results.map((r) => r.status),
      ['error', 'error', 'error', 'passed'],
    );
    assert.match(results[0].message, /does not parse \(line 2/);
    assert.match(results[1].message, /not a step of this funnel/);
    assert.match(results[2].message, /Expected a number/);
  });

  it('a query the engine cannot build (no date range) errors every expectation with the reason', async () => {
    const root = makeExpectWorkspace();
    const engine = createQueryEngine({ cacheDir: join(root, '.cache') });
    engine.configure(root, {});
    const text = 'segmentation "Sign Up"\n  expect total within 10% of previous\n  expect rows > 1\n';
    const results = await runExpectations({
      engine,
      path: join(root, 'checks.aq'),
      text,
      signal: new AbortController().signal,
      getCredentials: async () => undefined,
    });
    engine.dispose();
    assert.deepEqual(
      results.map((r) => r.status),
      ['error', 'error'],
    );
    assert.match(results[0].message, /date range/);
  });
});
