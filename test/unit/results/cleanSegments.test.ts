import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { SeriesData } from '../../../server/src/protocol/resultModel';
import { cleanResult, isNoiseSegment } from '../../../server/src/results/cleanSegments';
import { funnelData, makeResult, retentionData, seriesData } from './resultFixtures';

test('"" / "undefined" / null are noise; "null" text and "0" are real values', () => {
  assert.deepEqual(['', 'undefined', null, 'null', '0', 'Undefined'].map(isNoiseSegment), [true, true, true, false, false, false]);
});

test('clean removes noise series, marks the result and recounts series', () => {
  const cleaned = cleanResult(makeResult(seriesData));
  assert.equal(cleaned.cleaned, true);
  assert.deepEqual(
    (cleaned.data as SeriesData).series.map((entry) => entry.segment),
    ['France', '=HYPERLINK("http://evil")'],
  );
  assert.equal(cleaned.meta.seriesCount, 2);
  assert.equal((seriesData as SeriesData).series.length, 4, 'the input is not mutated');
});

test('a null segment in a segmented series is dropped, the only series of an unsegmented one kept', () => {
  const segmented: SeriesData = {
    kind: 'series',
    unit: 'day',
    measure: 'general',
    dates: ['d'],
    series: [
      { segment: 'a', values: [1], total: 1 },
      { segment: null, values: [2], total: 2 },
    ],
  };
  assert.deepEqual(
    (cleanResult(makeResult(segmented)).data as SeriesData).series.map((entry) => entry.segment),
    ['a'],
  );
  const whole: SeriesData = { ...segmented, series: [{ segment: null, values: [2], total: 2 }] };
  assert.equal((cleanResult(makeResult(whole)).data as SeriesData).series.length, 1);
});

test('funnels keep the overall row; retention keeps unsegmented cohorts', () => {
  const funnel = cleanResult(makeResult(funnelData)).data;
  assert.ok(funnel.kind === 'funnel');
  assert.deepEqual(
    funnel.segments.map((entry) => entry.segment),
    [null, 'iOS'],
  );
  const retention = cleanResult(makeResult(retentionData)).data;
  assert.ok(retention.kind === 'retention');
  assert.equal(retention.cohorts.length, 2);
});
