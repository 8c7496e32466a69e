/**
 * The headline of a result, the number the analyst asked for: a segmentation's total (or its last
 * bucket and the change from the one before, when the query set `unit`), a funnel's first and last
 * step with the overall conversion, retention after one interval, a debugger query's broken events.
 */
import type { DebuggerEvent, FunnelData, QueryResult, RetentionData, SeriesData } from '../protocol/resultModel';
import { plural } from './plural';

/** Piwik PRO's event type for a tracking request it could not process. */
const BROKEN_EVENT_TYPE = 17;

const integers = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimals = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function isBrokenEvent(event: DebuggerEvent): boolean {
  return event.type.code === BROKEN_EVENT_TYPE || Boolean(event.errorMessage);
}

export interface HeadlineOptions {
  /** The query set `unit`: the last bucket matters more than the range's total. */
  byBucket?: boolean;
}

export function resultHeadline(result: QueryResult, options: HeadlineOptions = {}): string | undefined {
  const data = result.data;
  switch (data.kind) {
    case 'series': {
      const headline = seriesHeadline(data, options.byBucket === true);
      const previous = result.comparison?.data;
      if (!headline || !previous || options.byBucket || data.measure !== 'general') return headline;
      const now = data.series.reduce((sum, entry) => sum + entry.total, 0);
      const before = previous.series
        .filter((entry) => data.series.some((shown) => shown.segment === entry.segment))
        .reduce((sum, entry) => sum + entry.total, 0);
      return before === 0 ? headline : `${headline} (${signedPercent(((now - before) / before) * 100)} vs the previous period)`;
    }
    case 'funnel':
      return funnelHeadline(data);
    case 'retention':
      return retentionHeadline(data);
    case 'debugger':
      return plural(
        data.sessions.reduce((sum, session) => sum + session.events.filter(isBrokenEvent).length, 0),
        'broken event',
      );
    case 'rows':
      return undefined;
  }
}

function signedPercent(change: number): string {
  return `${change >= 0 ? '+' : '−'}${oneDecimal.format(Math.abs(change))} %`;
}

function measureNoun(data: SeriesData, value: number): string {
  switch (data.measure) {
    case 'general':
      return value === 1 ? 'event' : 'events';
    case 'unique':
      return value === 1 ? 'user' : 'users';
    case 'average':
      return 'per user';
    default:
      return '';
  }
}

function formatMeasure(data: SeriesData, value: number): string {
  const number = Number.isInteger(value) ? integers.format(value) : decimals.format(value);
  return `${number} ${measureNoun(data, value)}`.trim();
}

function seriesHeadline(data: SeriesData, byBucket: boolean): string | undefined {
  if (data.series.length === 0) return undefined;
  // Events add up across segments; users and averages do not, so with segments the top one is named.
  const additive = data.measure === 'general' || data.series.length === 1;
  if (byBucket && data.dates.length > 0) {
    const last = data.dates.length - 1;
    const bucketValue = (index: number) =>
      additive ? data.series.reduce((sum, entry) => sum + (entry.values[index] ?? 0), 0) : (data.series[0].values[index] ?? 0);
    const value = bucketValue(last);
    const prefix = additive ? '' : `${data.series[0].segment ?? ''} · `;
    const text = `${prefix}${data.dates[last]}: ${formatMeasure(data, value)}`;
    if (last === 0) return text;
    const previous = bucketValue(last - 1);
    if (previous === 0) return text;
    return `${text} (${signedPercent(((value - previous) / previous) * 100)} vs the ${data.unit} before)`;
  }
  if (additive)
    return formatMeasure(
      data,
      data.series.reduce((sum, entry) => sum + entry.total, 0),
    );
  return `top ${data.series[0].segment ?? '(none)'}: ${formatMeasure(data, data.series[0].total)}`;
}

function funnelHeadline(data: FunnelData): string | undefined {
  const overall = data.segments.find((entry) => entry.segment === null) ?? data.segments[0];
  if (!overall || overall.counts.length === 0) return undefined;
  const last = overall.counts.length - 1;
  const conversion = overall.overallConversion[last] ?? 0;
  return `${integers.format(overall.counts[0])} → ${integers.format(overall.counts[last])} · ${oneDecimal.format(conversion * 100)} %`;
}

/** Retention one interval after birth, averaged over the cohorts old enough to have it, weighted by size. */
export function retentionHeadline(data: RetentionData): string | undefined {
  let born = 0;
  let retained = 0;
  for (const cohort of data.cohorts) {
    if (cohort.retained.length < 2 || cohort.size === 0) continue;
    born += cohort.size;
    retained += cohort.retained[1];
  }
  if (born === 0) return undefined;
  return `${data.unit} 1 · ${integers.format(Math.round((retained / born) * 100))} %`;
}
