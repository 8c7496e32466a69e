/**
 * A small local workspace whose numbers are easy to count by hand, for the `expect` tests.
 *
 * Current period 2026-10-01 … 10-07:
 *   u1  Sign Up 10-01 00:00 (Chrome), Added To Cart 01:00, Purchase 02:00 (Chrome, 30), Purchase 10-05 00:00 (Safari, 20)
 *   u2  Sign Up 10-01 06:00 (Firefox), Added To Cart 10-02 06:00
 *   u3  Sign Up 10-02 00:00 (Chrome), Added To Cart 01:00, Purchase 10-03 12:00 (Chrome, 70)
 *   u4  Sign Up 10-03 00:00 (Chrome)
 * Previous period 2026-09-24 … 09-30:
 *   u5  Sign Up 09-25 00:00 (Safari), Purchase 01:00 (Safari, 10)
 *   u6  Sign Up 09-26 00:00 (Chrome)
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const at = (iso: string): number => Date.parse(`${iso}:00Z`) / 1000;

let insertId = 0;
function event(name: string, user: string, time: string, properties: Record<string, unknown> = {}): string {
  insertId++;
  return JSON.stringify({ event: name, properties: { time: at(time), distinct_id: user, $insert_id: `i${insertId}`, ...properties } });
}

export const FIXTURE_EVENTS = [
  event('Sign Up', 'u1', '2026-10-01T00:00', { $browser: 'Chrome' }),
  event('Added To Cart', 'u1', '2026-10-01T01:00'),
  event('Purchase', 'u1', '2026-10-01T02:00', { $browser: 'Chrome', revenue: 30 }),
  event('Purchase', 'u1', '2026-10-05T00:00', { $browser: 'Safari', revenue: 20 }),
  event('Sign Up', 'u2', '2026-10-01T06:00', { $browser: 'Firefox' }),
  event('Added To Cart', 'u2', '2026-10-02T06:00'),
  event('Sign Up', 'u3', '2026-10-02T00:00', { $browser: 'Chrome' }),
  event('Added To Cart', 'u3', '2026-10-02T01:00'),
  event('Purchase', 'u3', '2026-10-03T12:00', { $browser: 'Chrome', revenue: 70 }),
  event('Sign Up', 'u4', '2026-10-03T00:00', { $browser: 'Chrome' }),
  event('Sign Up', 'u5', '2026-09-25T00:00', { $browser: 'Safari' }),
  event('Purchase', 'u5', '2026-09-25T01:00', { $browser: 'Safari', revenue: 10 }),
  event('Sign Up', 'u6', '2026-09-26T00:00', { $browser: 'Chrome' }),
];

/** A workspace folder with aq.json (default source `shop`, local) and the events; returns its path. */
export function makeExpectWorkspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'aq-expect-'));
  mkdirSync(join(root, 'data'));
  writeFileSync(join(root, 'data', 'events.ndjson'), FIXTURE_EVENTS.join('\n') + '\n');
  writeFileSync(join(root, 'aq.json'), JSON.stringify({ sources: { shop: { kind: 'local', path: 'data/events.ndjson' } }, default: 'shop' }));
  return root;
}
