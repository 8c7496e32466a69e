/**
 * Conformance tests check the local engine against Mixpanel's published documentation: each test
 * runs an aq query, written as a user would write it, over a tiny dataset built for one documented
 * sentence, and expects the numbers that sentence implies, worked out by hand in the test.
 */
import assert from 'node:assert/strict';
import { buildQuerySpec } from '../../server/src/queryContract/buildQuerySpec';
import { parseAqDocument } from '../../server/src/languageService/parser/queryParser';
import type { RetentionSpec, SegmentationSpec } from '../../server/src/queryContract/querySpec';
import type { RetentionData, SeriesData } from '../../server/src/protocol/resultModel';
import type { LocalDataset, LocalEvent } from '../../server/src/queryEngine/backends/local/localEvent';
import { runLocalRetention } from '../../server/src/queryEngine/backends/local/localRetention';
import { runLocalSegmentation } from '../../server/src/queryEngine/backends/local/localSegmentation';

/** `[event, user, ISO time, properties]`; a time without an offset is UTC. */
export type EventRow = [string, string, string, Record<string, unknown>?];

export function eventsOf(rows: EventRow[]): LocalDataset {
  const events: LocalEvent[] = rows.map(([name, user, iso, properties = {}]) => {
    const time = Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(iso) ? iso : `${iso}Z`);
    assert.ok(Number.isFinite(time), `bad time ${iso}`);
    return { name, distinctId: user, time, insertId: undefined, properties: { time: time / 1000, distinct_id: user, ...properties } };
  });
  events.sort((a, b) => a.time - b.time);
  return { events, profiles: [], skipped: [], duplicates: 0, files: [] };
}

function specOf(query: string, timezone: string): RetentionSpec | SegmentationSpec {
  const result = buildQuerySpec(parseAqDocument(query).queries[0], { now: new Date('2026-12-01T12:00:00Z'), timezone });
  if (!result.ok) assert.fail(`the query does not build: ${result.errors.map((e) => e.message).join('; ')}`);
  assert.ok(result.spec.kind === 'retention' || result.spec.kind === 'segmentation', `unexpected ${result.spec.kind}`);
  return result.spec;
}

/** Runs a `retention` query over the rows, with the source's time zone (default UTC). */
export function retentionOf(query: string, rows: EventRow[], timezone = 'UTC'): RetentionData {
  const spec = specOf(query, timezone);
  assert.ok(spec.kind === 'retention');
  return runLocalRetention(eventsOf(rows), spec, { timezone });
}

/** Runs a `segmentation` query over the rows, with the source's time zone (default UTC). */
export function segmentationOf(query: string, rows: EventRow[], timezone = 'UTC'): SeriesData {
  const spec = specOf(query, timezone);
  assert.ok(spec.kind === 'segmentation');
  return runLocalSegmentation(eventsOf(rows), spec, { timezone });
}

/** `[date, size, retained]` per cohort row, or `[date, segment, size, retained]` with `on`. */
export function cohortsOf(data: RetentionData): unknown[] {
  return data.cohorts.map((cohort) =>
    cohort.segment === null ? [cohort.date, cohort.size, cohort.retained] : [cohort.date, cohort.segment, cohort.size, cohort.retained],
  );
}
