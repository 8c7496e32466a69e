/**
 * Helpers shared by the backend tests: hand-built query specs (so these tests do not depend on
 * the parser), a run context, and small waits for conditions the fake servers report.
 */
import type { Expression } from '../../../../server/src/languageService/parser/queryAst';
import type { DebuggerSpec, FunnelSpec, InsightsSpec, JqlSpec, RetentionSpec, SegmentationSpec } from '../../../../server/src/queryContract/querySpec';
import type { Credentials, RunContext } from '../../../../server/src/queryEngine/analyticsBackend';
import { isBackendError, type BackendError } from '../../../../server/src/queryEngine/backendErrors';

const SPAN = { start: 0, end: 0 };
export const RANGE = { from: '2026-10-01', to: '2026-10-03' };

export function property(name: string, scope: 'properties' | 'user' = 'properties'): Expression {
  return { type: 'property', span: SPAN, scope, name, nameSpan: SPAN };
}

export function equals(name: string, value: string | number): Expression {
  const right: Expression = typeof value === 'string' ? { type: 'string', span: SPAN, value } : { type: 'number', span: SPAN, value };
  return { type: 'binary', span: SPAN, operator: '==', operatorSpan: SPAN, left: property(name), right };
}

const BASE = { title: 'Test query', index: 0, source: undefined, chart: undefined, clean: false };

export function segmentation(overrides: Partial<SegmentationSpec> = {}): SegmentationSpec {
  return {
    ...BASE,
    kind: 'segmentation',
    event: 'Sign Up',
    on: undefined,
    where: undefined,
    range: RANGE,
    unit: 'day',
    type: 'general',
    measure: 'count',
    buckets: undefined,
    limit: 60,
    ...overrides,
  };
}

export function funnel(overrides: Partial<FunnelSpec> = {}): FunnelSpec {
  return {
    ...BASE,
    kind: 'funnel',
    steps: [],
    savedId: 7,
    on: undefined,
    where: undefined,
    range: RANGE,
    window: undefined,
    unit: undefined,
    limit: 255,
    ...overrides,
  };
}

export function retention(overrides: Partial<RetentionSpec> = {}): RetentionSpec {
  return {
    ...BASE,
    kind: 'retention',
    bornEvent: 'Sign Up',
    returnEvent: 'Purchase',
    on: undefined,
    where: undefined,
    bornWhere: undefined,
    range: RANGE,
    unit: 'day',
    intervalCount: 2,
    retentionType: 'birth',
    windows: 'rolling',
    unbounded: false,
    limit: 60,
    ...overrides,
  };
}

export function insights(overrides: Partial<InsightsSpec> = {}): InsightsSpec {
  return { ...BASE, kind: 'insights', bookmarkId: 44, range: undefined, ...overrides };
}

export function jql(overrides: Partial<JqlSpec> = {}): JqlSpec {
  return { ...BASE, kind: 'jql', scriptPath: 'queries/by-name.js', params: { from_date: RANGE.from, to_date: RANGE.to }, range: RANGE, ...overrides };
}

export function debuggerSpec(overrides: Partial<DebuggerSpec> = {}): DebuggerSpec {
  return { ...BASE, kind: 'debugger', appId: '01e7e7f7-8a34-4aca-b700-45f6a6aa3aba', eventTypes: [], lookupWindow: 30, limit: 100, logs: false, ...overrides };
}

export function context(
  credentials: Credentials | undefined,
  options: { signal?: AbortSignal; now?: () => Date; files?: Record<string, string> } = {},
): RunContext {
  return {
    signal: options.signal ?? new AbortController().signal,
    credentials,
    now: options.now ?? (() => new Date('2026-10-04T12:00:00Z')),
    readTextFile: async (path) => {
      const text = options.files?.[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  };
}

/** The BackendError a promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function backendErrorOf(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (error) {
    if (isBackendError(error)) return error;
    throw new Error(`expected a BackendError, got ${String(error)}`);
  }
  throw new Error('expected the promise to reject');
}

/** Polls until `condition` holds (at most ~5 s); for events the fake server reports asynchronously. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for: ${what}`);
}
