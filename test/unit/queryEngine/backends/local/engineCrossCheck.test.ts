/**
 * The engine's column-based code paths checked against deliberately naive re-implementations of
 * the documented rules, on a few thousand generated sample events (many users, duplicates, dirty
 * values), for several parameter choices.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadLocalDataset } from '../../../../../server/src/queryEngine/backends/local/eventStore';
import type { LocalDataset } from '../../../../../server/src/queryEngine/backends/local/localEvent';
import { runLocalFunnel } from '../../../../../server/src/queryEngine/backends/local/localFunnel';
import { runLocalRetention } from '../../../../../server/src/queryEngine/backends/local/localRetention';
import { runLocalSegmentation } from '../../../../../server/src/queryEngine/backends/local/localSegmentation';
import { generateSample, sampleEventLines, SAMPLE_DATA_FILE } from '../../../../../server/src/sample/generateSample';
import { expr, funnel, retention, segmentation } from './localFixtures';

const EVENTS = 6000;
const root = mkdtempSync(join(tmpdir(), 'aq-cross-check-'));
let dataset: LocalDataset;
type Raw = { event: string; properties: Record<string, unknown> & { time: number; distinct_id: string; $insert_id: string } };
let raw: Raw[];

before(async () => {
  await generateSample(root, { events: EVENTS });
  dataset = await loadLocalDataset(join(root, 'data', SAMPLE_DATA_FILE));
  const seen = new Set<string>();
  raw = [];
  for (const line of sampleEventLines({ events: EVENTS })) {
    const event = JSON.parse(line) as Raw;
    const key = JSON.stringify([event.properties.$insert_id, event.event, event.properties.distinct_id, event.properties.time]);
    if (seen.has(key)) continue;
    seen.add(key);
    raw.push(event);
  }
  raw.sort((a, b) => a.properties.time - b.properties.time);
});
after(() => rmSync(root, { recursive: true, force: true }));

const DAY = 86_400;
const day = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 10);
const inRange = (seconds: number, from: string, to: string): boolean =>
  seconds >= Date.parse(`${from}T00:00:00Z`) / 1000 && seconds < Date.parse(`${to}T00:00:00Z`) / 1000 + DAY;
const label = (value: unknown): string => (value === undefined ? 'undefined' : String(value));

test('the loader keeps exactly the de-duplicated lines', () => {
  assert.equal(dataset.events.length, raw.length);
  assert.equal(dataset.duplicates, EVENTS - raw.length);
});

for (const type of ['general', 'unique'] as const) {
  test(`segmentation ${type} by browser where price >= 50 matches a naive count`, () => {
    const range = { from: '2026-08-10', to: '2026-10-31' };
    const result = runLocalSegmentation(
      dataset,
      segmentation({ event: 'Viewed Product', range, type, on: expr('properties["$browser"]'), where: expr('properties["price"] >= 50') }),
    );
    const expected = new Map<string, Set<string> | number>();
    for (const { event, properties } of raw) {
      if (event !== 'Viewed Product' || !inRange(properties.time, range.from, range.to) || !((properties.price as number) >= 50)) continue;
      const key = `${label(properties.$browser)}|${day(properties.time)}`;
      if (type === 'general') expected.set(key, ((expected.get(key) as number | undefined) ?? 0) + 1);
      else expected.set(key, ((expected.get(key) as Set<string> | undefined) ?? new Set()).add(properties.distinct_id));
    }
    const actual = new Map<string, number>();
    for (const series of result.series) result.dates.forEach((date, i) => series.values[i] > 0 && actual.set(`${series.segment}|${date}`, series.values[i]));
    assert.deepEqual(actual, new Map([...expected].map(([key, value]) => [key, typeof value === 'number' ? value : value.size])));
  });
}

for (const windowDays of [1, 7]) {
  test(`a ${windowDays}-day funnel matches a naive first-entry walk (Mixpanel's default counting)`, () => {
    const steps = ['Landed on Homepage', 'Viewed Product', 'Added To Cart'];
    const range = { from: '2026-09-01', to: '2026-10-15' };
    const result = runLocalFunnel(dataset, funnel({ steps, range, window: { count: windowDays, unit: 'day' } }));
    const byUser = new Map<string, Raw[]>();
    for (const event of raw)
      if (steps.includes(event.event)) byUser.set(event.properties.distinct_id, [...(byUser.get(event.properties.distinct_id) ?? []), event]);
    const counts = [0, 0, 0];
    for (const events of byUser.values()) {
      // The user's first step-1 event in the range is the only entry; each next step is the
      // earliest unused event of that step from two seconds before the previous one to the window's end.
      const entry = events.find((event) => event.event === steps[0] && inRange(event.properties.time, range.from, range.to));
      if (!entry) continue;
      const used = new Set<Raw>([entry]);
      let previous = entry.properties.time;
      let reached = 1;
      for (const step of steps.slice(1)) {
        const candidates = events.filter(
          (event) =>
            event.event === step &&
            !used.has(event) &&
            event.properties.time >= previous - 2 &&
            event.properties.time <= entry.properties.time + windowDays * DAY,
        );
        if (candidates.length === 0) break;
        const next = candidates.reduce((earliest, event) => (event.properties.time < earliest.properties.time ? event : earliest));
        used.add(next);
        previous = next.properties.time;
        reached++;
      }
      for (let step = 0; step < reached; step++) counts[step]++;
    }
    assert.deepEqual(result.segments[0].counts, counts);
    assert.ok(counts[2] > 0);
  });
}

for (const windows of ['rolling', 'calendar'] as const) {
  test(`birth retention by week (${windows} windows) matches a naive count`, () => {
    const range = { from: '2026-08-03', to: '2026-10-31' };
    const result = runLocalRetention(dataset, retention({ bornEvent: 'Sign Up', returnEvent: 'Purchase', range, unit: 'week', intervalCount: 3, windows }));
    const week = (seconds: number): number => Math.floor((Math.floor(seconds / DAY) + 3) / 7);
    // Birth: the user's first Sign Up in the whole data; only those inside the range make a cohort.
    const firsts = new Map<string, number>();
    for (const { event, properties } of raw)
      if (event === 'Sign Up' && !firsts.has(properties.distinct_id)) firsts.set(properties.distinct_id, properties.time);
    const births = [...firsts].filter(([, time]) => inRange(time, range.from, range.to));
    const intervalOf = (time: number, birth: number): number => (windows === 'rolling' ? Math.floor((time - birth) / (7 * DAY)) : week(time) - week(birth));
    const expected = new Map<string, number>();
    for (const [user, birth] of births) {
      const cohort = day((week(birth) * 7 - 3) * DAY);
      expected.set(`${cohort} size`, (expected.get(`${cohort} size`) ?? 0) + 1);
      const intervals = new Set(
        raw
          .filter((e) => e.event === 'Purchase' && e.properties.distinct_id === user && e.properties.time >= birth)
          .map((e) => intervalOf(e.properties.time, birth)),
      );
      for (const interval of intervals) if (interval <= 3) expected.set(`${cohort} +${interval}`, (expected.get(`${cohort} +${interval}`) ?? 0) + 1);
    }
    const actual = new Map<string, number>();
    for (const cohort of result.cohorts) {
      actual.set(`${cohort.date} size`, cohort.size);
      cohort.retained.forEach((count, i) => count > 0 && actual.set(`${cohort.date} +${i}`, count));
    }
    assert.deepEqual(actual, expected);
  });
}
