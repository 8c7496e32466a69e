import { strict as assert } from 'node:assert';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildQuerySpec } from '../../../server/src/queryContract/buildQuerySpec';
import { parseAqDocument } from '../../../server/src/languageService/parser/queryParser';
import type { QuerySpec } from '../../../server/src/queryContract/querySpec';
import { BackendError } from '../../../server/src/queryEngine/backendErrors';
import { createQueryEngine } from '../../../server/src/queryEngine/queryEngine';

const DAY = '2026-10-05';
const t = (hour: number): number => Date.parse(`${DAY}T${String(hour).padStart(2, '0')}:00:00Z`) / 1000;

/** A workspace with a named local source, a Mixpanel source and a few events. */
function makeWorkspace(): string {
  const root = mkdtempSync(join(tmpdir(), 'aq-engine-'));
  mkdirSync(join(root, 'data'));
  const events = [
    { event: 'Sign Up', properties: { time: t(1), distinct_id: 'u1', $insert_id: 'a', $browser: 'Chrome' } },
    { event: 'Sign Up', properties: { time: t(2), distinct_id: 'u2', $insert_id: 'b', $browser: 'Firefox' } },
    { event: 'Sign Up', properties: { time: t(3), distinct_id: 'u3', $insert_id: 'c', $browser: 'Chrome' } },
    { event: 'Sign Up', properties: { time: t(3), distinct_id: 'u3', $insert_id: 'c', $browser: 'Chrome' } },
    { event: 'Purchase', properties: { time: t(4), distinct_id: 'u1', $insert_id: 'd', $browser: '' } },
  ];
  writeFileSync(join(root, 'data', 'events.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(
    join(root, 'aq.json'),
    JSON.stringify({
      sources: { sample: { kind: 'local', path: 'data/events.ndjson' }, shop: { kind: 'mixpanel', projectId: 7, region: 'US' } },
      default: 'sample',
    }),
  );
  return root;
}

function specOf(text: string, engine: ReturnType<typeof createQueryEngine>): QuerySpec {
  const block = parseAqDocument(text).queries[0];
  const built = buildQuerySpec(block, { now: new Date(`${DAY}T12:00:00Z`), defaultSource: engine.defaultSource() });
  assert.ok(built.ok, JSON.stringify(!built.ok && built.errors));
  return built.spec;
}

const runOptions = { signal: new AbortController().signal, getCredentials: async () => undefined };

test('runs a query on the default local source, de-duplicated and segmented', async () => {
  const root = makeWorkspace();
  const engine = createQueryEngine({ cacheDir: join(root, '.cache') });
  engine.configure(root, {});
  const spec = specOf('### By browser\nsegmentation "Sign Up"\n  on properties["$browser"]\n  today\n', engine);
  const result = await engine.run(spec, join(root, 'q.aq'), runOptions);
  assert.equal(result.title, 'By browser');
  assert.equal(result.source.kind, 'local');
  assert.equal(result.data.kind, 'series');
  const totals = result.data.kind === 'series' ? Object.fromEntries(result.data.series.map((s) => [s.segment, s.total])) : {};
  assert.deepEqual(totals, { Chrome: 2, Firefox: 1 });
});

test('`use local "PATH"` reads a file relative to the query file', async () => {
  const root = makeWorkspace();
  const engine = createQueryEngine({ cacheDir: join(root, '.cache') });
  engine.configure(root, {});
  const spec = specOf('use local "../data/events.ndjson"\n### Buyers\nsegmentation "Purchase"\n  on properties["$browser"]\n  today\n  clean\n', engine);
  const result = await engine.run(spec, join(root, 'queries', 'q.aq'), runOptions);
  assert.equal(result.data.kind, 'series');
  // The only purchase has an empty browser, which `clean` drops.
  assert.deepEqual(result.data.kind === 'series' && result.data.series, []);
});

test('remote queries do not run in an untrusted workspace, and say why', async () => {
  const root = makeWorkspace();
  const engine = createQueryEngine({ cacheDir: join(root, '.cache') });
  engine.configure(root, { trusted: false });
  const spec = specOf('use mixpanel "shop"\n### Remote\nsegmentation "Sign Up"\n  today\n', engine);
  let asked = false;
  await assert.rejects(
    engine.run(spec, join(root, 'q.aq'), { ...runOptions, getCredentials: async () => ((asked = true), { secret: 'x' }) }),
    (error: unknown) => error instanceof BackendError && error.kind === 'config' && /Restricted Mode/.test(error.message),
  );
  assert.equal(asked, false, 'no credentials are even asked for');
});

test('unknown sources and kind mismatches are explained', async () => {
  const root = makeWorkspace();
  const engine = createQueryEngine({ cacheDir: join(root, '.cache') });
  engine.configure(root, {});
  const unknown = specOf('use mixpanel "nope"\n### A\nsegmentation "Sign Up"\n  today\n', engine);
  await assert.rejects(engine.run(unknown, join(root, 'q.aq'), runOptions), /No mixpanel source named "nope" is configured/);
  const mismatch = specOf('use piwik "shop"\n### B\ndebugger "app"\n', engine);
  await assert.rejects(engine.run(mismatch, join(root, 'q.aq'), runOptions), /"shop" is a mixpanel source in aq.json/);
  const insights = specOf('### C\ninsights id 5\n', engine);
  await assert.rejects(engine.run(insights, join(root, 'q.aq'), runOptions), /insights query cannot run on the local source/);
});

test('schemas: derived from local data in the background, announced by onDidChange', async () => {
  const root = makeWorkspace();
  const engine = createQueryEngine({ cacheDir: join(root, '.cache') });
  engine.configure(root, {});
  const changed = new Promise<void>((resolve) => engine.onDidChange(resolve));
  assert.equal(engine.schemaFor(undefined, join(root, 'q.aq')), undefined, 'never waits: undefined until loaded');
  await changed;
  const schema = engine.schemaFor(undefined, join(root, 'q.aq'));
  assert.ok(schema?.events['Sign Up']);
  assert.equal(schema?.events['Sign Up'].properties.$browser?.type, 'string');
  assert.equal(engine.status().find((s) => s.name === 'sample')?.schemaLabel !== undefined, true);
});
