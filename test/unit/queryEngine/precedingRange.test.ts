import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { precedingRange } from '../../../server/src/queryEngine/queryEngine';

test('the previous period has the same number of days and ends the day before', () => {
  assert.deepEqual(precedingRange({ from: '2026-10-01', to: '2026-10-31' }), { from: '2026-08-31', to: '2026-09-30' });
  assert.deepEqual(precedingRange({ from: '2024-03-01', to: '2024-03-01' }), { from: '2024-02-29', to: '2024-02-29' });
  assert.deepEqual(precedingRange({ from: '2026-01-01', to: '2026-01-07' }), { from: '2025-12-25', to: '2025-12-31' });
  assert.equal(precedingRange({ from: '', to: '' }), undefined);
});
