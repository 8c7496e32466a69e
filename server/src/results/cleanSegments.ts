/**
 * The `clean` rule: segments whose value is "", "undefined" or null carry no information (the
 * property was missing or empty) and are dropped. The engines apply the same rule when a query says
 * `clean`; the webview applies it when the user flips the toggle on a result that was not cleaned.
 */
import type { FunnelData, QueryResult, ResultData, SeriesData } from '../protocol/resultModel';

/** True for the segment values `clean` removes. */
export function isNoiseSegment(segment: string | null): boolean {
  return segment === null || segment === '' || segment === 'undefined';
}

/**
 * A copy of the result without noise segments, `cleaned: true`. A result with no `on` clause has
 * a single segment `null`; that one is the whole answer and is kept, as is a funnel's overall row.
 */
export function cleanResult(result: QueryResult): QueryResult {
  const data = cleanData(result.data);
  const seriesCount = data.kind === 'series' ? data.series.length : data.kind === 'funnel' ? data.segments.length : result.meta.seriesCount;
  const comparison = result.comparison ? { range: result.comparison.range, data: cleanData(result.comparison.data) as SeriesData } : undefined;
  return { ...result, cleaned: true, data, ...(comparison ? { comparison } : {}), meta: { ...result.meta, seriesCount } };
}

function cleanData(data: ResultData): ResultData {
  switch (data.kind) {
    case 'series': {
      if (data.series.length === 1 && data.series[0].segment === null) return data;
      return { ...data, series: data.series.filter((entry) => !isNoiseSegment(entry.segment)) };
    }
    case 'funnel': {
      const keep = (segments: FunnelData['segments']): FunnelData['segments'] =>
        segments.filter((entry, index) => (index === 0 && entry.segment === null) || !isNoiseSegment(entry.segment));
      const cleaned: FunnelData = { ...data, segments: keep(data.segments) };
      if (data.byDate) cleaned.byDate = data.byDate.map((day) => ({ date: day.date, segments: keep(day.segments) }));
      return cleaned;
    }
    case 'retention': {
      if (data.cohorts.every((cohort) => cohort.segment === null)) return data;
      return { ...data, cohorts: data.cohorts.filter((cohort) => !isNoiseSegment(cohort.segment)) };
    }
    default:
      return data;
  }
}
