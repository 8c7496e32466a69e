/**
 * QuerySpec → the Mixpanel Query API call that answers it (docs/api-notes.md). Pure: no
 * hosts, no credentials, no I/O, so "Show Generated Request" and the tests see exactly what the
 * backend sends. Throws `BackendError('config')` for a query Mixpanel cannot answer as written.
 */
import type { Expression } from '../../../languageService/parser/queryAst';
import type { FunnelSpec, QuerySpec, RetentionSpec, SegmentationSpec } from '../../../queryContract/querySpec';
import type { ResultWarning } from '../../../protocol/resultModel';
import type { MixpanelSourceConfig } from '../../analyticsBackend';
import { BackendError } from '../../backendErrors';
import { printExpression } from '../../../queryContract/printExpression';

/** One call to Mixpanel, as data. */
export interface MixpanelCall {
  method: 'GET' | 'POST';
  /** The documented path, e.g. `/api/query/segmentation`. */
  path: string;
  query: Record<string, string>;
  /** `application/x-www-form-urlencoded` fields of a POST. */
  form?: Record<string, string>;
  /** May be sent again after a 5xx or a network failure (reads only; /jql is a read-only POST). */
  retryable: boolean;
}

/** How the response of a call becomes a result. */
export type ResultShape = 'segmentation' | 'sum' | 'average' | 'numeric' | 'savedFunnel' | 'retention' | 'insights' | 'jql' | 'jqlFunnel';

export interface CompiledMixpanelQuery {
  call: MixpanelCall;
  shape: ResultShape;
  /** Set when Mixpanel has no such unit and daily buckets are summed into weeks or months here. */
  regroup?: 'week' | 'month';
  warnings: ResultWarning[];
  /** The script sent to /jql for an ad-hoc funnel, for "Show Generated JQL". */
  generatedJql?: string;
}

export interface CompileExtras {
  /** The text of a `jql` query's script file, read by the host. */
  jqlScript?: string;
  /** Compiles an ad-hoc funnel to JQL (funnelToJql.ts), injected so this module stays pure. */
  compileFunnelToJql?: (spec: FunnelSpec) => { script: string; params: Record<string, unknown> };
}

const QUERY = '/api/query';

export function compileMixpanelQuery(spec: QuerySpec, source: MixpanelSourceConfig, extras: CompileExtras = {}): CompiledMixpanelQuery {
  const base = projectParams(source);
  switch (spec.kind) {
    case 'segmentation':
      return compileSegmentation(spec, base);
    case 'funnel':
      return spec.savedId !== undefined ? compileSavedFunnel(spec, base) : compileAdHocFunnel(spec, base, extras);
    case 'retention':
      return compileRetention(spec, base);
    case 'insights':
      return {
        call: { method: 'GET', path: `${QUERY}/insights`, query: { ...base, bookmark_id: String(spec.bookmarkId) }, retryable: true },
        shape: 'insights',
        warnings: [],
      };
    case 'jql': {
      if (extras.jqlScript === undefined) throw new BackendError('config', `The JQL script "${spec.scriptPath}" could not be read.`);
      return { call: jqlCall(base, extras.jqlScript, spec.params), shape: 'jql', warnings: [] };
    }
    case 'debugger':
    case 'report':
      throw new BackendError('config', `${spec.kind} queries run on a Piwik PRO source (\`use piwik "…"\`), not on Mixpanel.`);
  }
}

/** The parameters every Query API call carries. */
export function projectParams(source: MixpanelSourceConfig): Record<string, string> {
  const params: Record<string, string> = { project_id: String(source.projectId) };
  if (source.workspaceId !== undefined) params.workspace_id = String(source.workspaceId);
  return params;
}

function compileSegmentation(spec: SegmentationSpec, base: Record<string, string>): CompiledMixpanelQuery {
  const warnings: ResultWarning[] = [];
  const query: Record<string, string> = { ...base, event: spec.event, ...dates(spec.range) };
  addExpressions(query, { on: spec.on, where: spec.where });
  if (spec.measure === 'count') {
    // /segmentation has minute, hour, day and month but no week: weeks are summed from days.
    const regroup = spec.unit === 'week' ? 'week' : undefined;
    query.unit = regroup ? 'day' : spec.unit;
    query.type = spec.type;
    if (spec.on) query.limit = String(spec.limit);
    if (regroup && spec.type !== 'general') {
      const what = spec.type === 'unique' ? 'unique users' : 'averages';
      warnings.push({
        code: 'approximate-weeks',
        message: `Mixpanel's /segmentation has no week unit, so these weekly ${what} are sums of Mixpanel's daily ${what}: a user active on several days of a week counts once per day, not once per week. A local source counts each user once per week; for exact numbers from Mixpanel use unit day or unit month.`,
      });
    }
    return { call: { method: 'GET', path: `${QUERY}/segmentation`, query, retryable: true }, shape: 'segmentation', regroup, warnings };
  }
  if (!spec.on) {
    throw new BackendError(
      'config',
      `"measure ${spec.measure}" needs an \`on\` expression: the numeric property to ${spec.measure === 'numeric' ? 'bucket' : 'aggregate'}.`,
    );
  }
  // sum, average and numeric only have hour and day units (docs/api-notes.md).
  let regroup: 'week' | 'month' | undefined;
  if (spec.unit === 'hour' || spec.unit === 'day') {
    query.unit = spec.unit;
  } else if (spec.measure === 'average') {
    throw new BackendError(
      'config',
      `Mixpanel's /segmentation/average only has the units hour and day; use \`unit day\` (or \`measure sum\` for ${spec.unit}s).`,
    );
  } else if (spec.unit === 'minute') {
    throw new BackendError('config', `Mixpanel's /segmentation/${spec.measure} only has the units hour and day.`);
  } else {
    query.unit = 'day';
    regroup = spec.unit;
  }
  if (spec.measure === 'numeric') {
    query.type = spec.type;
    if (spec.buckets !== undefined) query.buckets = String(spec.buckets);
  }
  return { call: { method: 'GET', path: `${QUERY}/segmentation/${spec.measure}`, query, retryable: true }, shape: spec.measure, regroup, warnings };
}

function compileRetention(spec: RetentionSpec, base: Record<string, string>): CompiledMixpanelQuery {
  if (spec.windows === 'calendar') {
    throw new BackendError(
      'config',
      "Mixpanel's retention Query API has no parameter for calendar windows: it always counts rolling intervals from each user's birth. Remove `calendar_windows` to run this on Mixpanel, or run it on a local source.",
    );
  }
  const query: Record<string, string> = {
    ...base,
    ...dates(spec.range),
    retention_type: spec.retentionType,
    unit: spec.unit,
    interval_count: String(spec.intervalCount),
  };
  // born_event is "Required when retention_type is birth; ignored otherwise": a compounded query
  // does not send it (nor its born_where), so the request says what Mixpanel will compute.
  if (spec.retentionType === 'birth') query.born_event = spec.bornEvent;
  if (spec.returnEvent !== undefined) query.event = spec.returnEvent;
  addExpressions(query, { on: spec.on, where: spec.where, born_where: spec.retentionType === 'birth' ? spec.bornWhere : undefined });
  if (spec.on) query.limit = String(spec.limit);
  if (spec.unbounded) query.unbounded_retention = 'true';
  return { call: { method: 'GET', path: `${QUERY}/retention`, query, retryable: true }, shape: 'retention', warnings: [] };
}

function compileSavedFunnel(spec: FunnelSpec, base: Record<string, string>): CompiledMixpanelQuery {
  const query: Record<string, string> = { ...base, funnel_id: String(spec.savedId), ...dates(spec.range) };
  if (spec.window) {
    query.length = String(spec.window.count);
    query.length_unit = spec.window.unit;
  }
  if (spec.unit === 'day' || spec.unit === 'week' || spec.unit === 'month') query.unit = spec.unit;
  addExpressions(query, { on: spec.on, where: spec.where });
  if (spec.on) query.limit = String(spec.limit);
  return { call: { method: 'GET', path: `${QUERY}/funnels`, query, retryable: true }, shape: 'savedFunnel', warnings: [] };
}

function compileAdHocFunnel(spec: FunnelSpec, base: Record<string, string>, extras: CompileExtras): CompiledMixpanelQuery {
  if (!extras.compileFunnelToJql) throw new BackendError('config', 'Ad-hoc funnels need the funnel-to-JQL compiler, which is not available in this build.');
  const { script, params } = extras.compileFunnelToJql(spec);
  return {
    call: jqlCall(base, script, params),
    shape: 'jqlFunnel',
    generatedJql: script,
    warnings: [{ code: 'funnel-via-jql', message: "Mixpanel's Query API has no ad-hoc funnels; this one ran as a generated JQL script (Show Generated JQL)." }],
  };
}

function jqlCall(base: Record<string, string>, script: string, params: Record<string, unknown>): MixpanelCall {
  return { method: 'POST', path: `${QUERY}/jql`, query: base, form: { script, params: JSON.stringify(params) }, retryable: true };
}

function dates(range: { from: string; to: string }): Record<string, string> {
  // Mixpanel's from_date/to_date are calendar days; minute-precision bounds keep their date part.
  return { from_date: range.from.slice(0, 10), to_date: range.to.slice(0, 10) };
}

function addExpressions(query: Record<string, string>, expressions: Record<string, Expression | undefined>): void {
  for (const [name, expression] of Object.entries(expressions)) {
    if (expression) query[name] = printExpression(expression);
  }
}

/** A stable text for a call: the cache key and the in-flight sharing key. Credentials are never part of it. */
export function canonicalCall(call: MixpanelCall, host: string): string {
  const sorted = (record: Record<string, string> | undefined): string =>
    record
      ? Object.keys(record)
          .sort()
          .map((key) => `${key}=${record[key]}`)
          .join('&')
      : '';
  return `${call.method} ${host}${call.path}?${sorted(call.query)}\n${sorted(call.form)}`;
}
