import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadLocalDataset } from '../../../server/src/queryEngine/backends/local/eventStore';
import { ensureSampleData, generateSample, sampleEventLines, SAMPLE_DATA_FILE, type SampleSummary } from '../../../server/src/sample/generateSample';

const root = mkdtempSync(join(tmpdir(), 'aq-sample-'));
after(() => rmSync(root, { recursive: true, force: true }));

const linesOf = (events: number, seed?: number): string[] => [...sampleEventLines({ events, seed })];

test('the same seed gives the same lines; another seed gives other lines', () => {
  const first = linesOf(3000);
  assert.equal(first.length, 3000);
  assert.deepEqual(linesOf(3000), first);
  assert.notDeepEqual(linesOf(3000, 7).slice(0, 20), first.slice(0, 20));
  // A smaller run is a prefix of a bigger one: scaling up keeps the same users.
  assert.deepEqual(linesOf(500), first.slice(0, 500));
});

test('events are Mixpanel export lines inside the 90 days ending 2026-10-31, with the shop events and dirty values', () => {
  const summary: SampleSummary = { events: 0, duplicates: 0, users: 0, profiles: 0 };
  const events = [...sampleEventLines({ events: 20000 }, summary)].map((l) => JSON.parse(l) as { event: string; properties: Record<string, unknown> });
  const start = Date.parse('2026-08-03T00:00:00Z') / 1000;
  const end = Date.parse('2026-11-01T00:00:00Z') / 1000;
  for (const { properties } of events) {
    assert.ok(typeof properties.time === 'number' && properties.time >= start && properties.time < end);
    assert.equal(typeof properties.distinct_id, 'string');
    assert.equal(typeof properties.$insert_id, 'string');
  }
  const names = new Set(events.map((e) => e.event));
  assert.deepEqual([...names].sort(), ['Added To Cart', 'Created Account', 'Landed on Homepage', 'Purchase', 'Sign Up', 'Viewed Product']);
  const count = (name: string): number => events.filter((e) => e.event === name).length;
  // Funnel drop-off: fewer carts than views, fewer purchases than carts.
  assert.ok(count('Viewed Product') > count('Added To Cart') && count('Added To Cart') > count('Purchase') && count('Purchase') > 0);
  assert.ok(events.some((e) => e.properties.utm_source === ''));
  assert.ok(events.some((e) => e.properties.utm_source === 'undefined'));
  assert.ok(events.filter((e) => e.event === 'Purchase').every((e) => typeof e.properties.revenue === 'number'));
  const insertIds = events.map((e) => e.properties.$insert_id);
  assert.equal(insertIds.length - new Set(insertIds).size, summary.duplicates);
  assert.ok(summary.duplicates > 0);
});

test('generateSample writes data, profiles and a Lexicon schema the store reads back', async () => {
  const dir = join(root, 'examples');
  const summary = await generateSample(dir, { events: 4000 });
  assert.equal(summary.events, 4000);
  const dataset = await loadLocalDataset(join(dir, 'data', SAMPLE_DATA_FILE));
  assert.equal(dataset.events.length, 4000 - summary.duplicates);
  assert.equal(dataset.duplicates, summary.duplicates);
  assert.equal(dataset.profiles.length, summary.profiles);
  assert.equal(dataset.skipped.length, 0);
  const lexicon = JSON.parse(readFileSync(join(dir, 'schema', 'shop.lexicon.json'), 'utf8')) as { results: Array<{ entityType: string; name: string }> };
  assert.ok(lexicon.results.some((entry) => entry.entityType === 'event' && entry.name === 'Purchase'));
  assert.ok(lexicon.results.some((entry) => entry.entityType === 'profile' && entry.name === '$user'));

  const before = statSync(join(dir, 'data', SAMPLE_DATA_FILE)).mtimeMs;
  await ensureSampleData(dir);
  assert.equal(statSync(join(dir, 'data', SAMPLE_DATA_FILE)).mtimeMs, before, 'existing data is left alone');
  assert.ok(!existsSync(join(dir, 'data', `${SAMPLE_DATA_FILE}.${process.pid}.tmp`)));
});
