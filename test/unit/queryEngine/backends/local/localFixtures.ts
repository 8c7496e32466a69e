/**
 * Small hand-written datasets and specs for the local engine tests. Times are written as ISO
 * strings so the expected buckets can be checked by eye.
 */
import { parseExpression } from '../../../../../server/src/languageService/parser/expressionParser';
import type { Expression } from '../../../../../server/src/languageService/parser/queryAst';
import type { FunnelSpec, RetentionSpec, SegmentationSpec } from '../../../../../server/src/queryContract/querySpec';
import type { LocalDataset, LocalEvent } from '../../../../../server/src/queryEngine/backends/local/localEvent';

/** `[event, user, ISO time (UTC), properties]` */
export type EventRow = [string, string, string, Record<string, unknown>?];

export function datasetOf(rows: EventRow[], profiles: Record<string, Record<string, unknown>> = {}): LocalDataset {
  const events: LocalEvent[] = rows.map(([name, user, iso, properties = {}]) => {
    const time = Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`);
    return { name, distinctId: user, time, insertId: undefined, properties: { time: time / 1000, distinct_id: user, ...properties } };
  });
  events.sort((a, b) => a.time - b.time);
  return {
    events,
    profiles: Object.entries(profiles).map(([distinctId, properties]) => ({ distinctId, properties })),
    skipped: [],
    duplicates: 0,
    files: [],
  };
}

export function expr(text: string): Expression {
  const result = parseExpression(text);
  if (result.problems.length > 0) throw new Error(`bad test expression ${text}: ${result.problems.map((p) => p.message).join('; ')}`);
  return result.expression;
}

const base = { index: 0, source: undefined, chart: undefined, clean: false } as const;

export function segmentation(overrides: Partial<SegmentationSpec> & Pick<SegmentationSpec, 'event' | 'range'>): SegmentationSpec {
  return {
    ...base,
    kind: 'segmentation',
    title: 'seg',
    on: undefined,
    where: undefined,
    unit: 'day',
    type: 'general',
    measure: 'count',
    buckets: undefined,
    limit: 60,
    ...overrides,
  };
}

export function funnel(overrides: Partial<FunnelSpec> & Pick<FunnelSpec, 'steps' | 'range'>): FunnelSpec {
  return {
    ...base,
    kind: 'funnel',
    title: 'funnel',
    savedId: undefined,
    on: undefined,
    where: undefined,
    window: { count: 30, unit: 'day' },
    unit: undefined,
    limit: 255,
    ...overrides,
  };
}

export function retention(overrides: Partial<RetentionSpec> & Pick<RetentionSpec, 'bornEvent' | 'range'>): RetentionSpec {
  return {
    ...base,
    kind: 'retention',
    title: 'retention',
    returnEvent: undefined,
    on: undefined,
    where: undefined,
    bornWhere: undefined,
    unit: 'day',
    intervalCount: 1,
    retentionType: 'birth',
    windows: 'rolling',
    unbounded: false,
    limit: 60,
    ...overrides,
  };
}
