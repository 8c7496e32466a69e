/**
 * One valid event with a property nested 100,000 deep, among ordinary events: every reader of the
 * file contains it to that one event. `aq lint` names its line, `aq send` refuses the file naming the
 * line (as for any JSON error) without a stack trace, and the local engine skips that event in a
 * segmentation `on` the property and in a JQL query, reporting the line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '../../../../server/src/cli/runCommand';
import { disposeJqlWorkers } from '../../../../server/src/queryEngine/backends/local/jql/jqlRuntime';
import { createHttpClient } from '../../../../server/src/queryEngine/httpClient';
import { sendEventFile } from '../../../../server/src/workflows/send/sendEventFile';
import { startFakeMixpanelImport, type FakeMixpanelImport } from '../../../fake-apis/fakeMixpanelImport';
import { deepEventLine, eventLine } from '../../../fixtures/hostileKit';
import { DIST_DIR, ensureBuilt, writeWorkspace } from '../../../lsp/lspHarness';

const T = Date.UTC(2026, 9, 1, 12) / 1000;
const DEPTH = 100_000;
let dir: string;

before(() => {
  ensureBuilt();
  const lines = [
    eventLine('Sign Up', T, 'u1', 'a1', { plan: 'free', deep: 'shallow' }),
    deepEventLine(DEPTH, T + 60),
    eventLine('Sign Up', T + 120, 'u2', 'a2', { plan: 'team', deep: 'shallow' }),
  ];
  dir = writeWorkspace({
    'aq.json': JSON.stringify({ sources: { events: { kind: 'local', path: 'signups.events.ndjson' } } }),
    'signups.events.ndjson': `${lines.join('\n')}\n`,
    'count.jql': 'function main() { return Events({from_date: params.from_date, to_date: params.to_date}).groupBy(["name"], mixpanel.reducer.count()); }',
    'queries.aq': [
      'use local "events"',
      '',
      '### By deep',
      'segmentation "Deep"',
      '  on properties["deep"]',
      '  from 2026-10-01 to 2026-10-01',
      '  unit day',
      '',
      '### All by deep',
      'segmentation "Sign Up"',
      '  on properties["deep"]',
      '  from 2026-10-01 to 2026-10-01',
      '  unit day',
      '',
      '### JQL count',
      'jql "count.jql"',
      '  from 2026-10-01 to 2026-10-01',
      '',
    ].join('\n'),
  });
});

after(async () => {
  await disposeJqlWorkers();
  rmSync(dir, { recursive: true, force: true });
});

describe('a property nested 100,000 deep', () => {
  it('aq lint reports that line as a JSON problem and checks the rest (no stack trace)', () => {
    const result = spawnSync(process.execPath, [join(DIST_DIR, 'cli.js'), 'lint', 'signups.events.ndjson'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, AQ_CACHE_DIR: join(dir, '.aq-cache') },
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /signups\.events\.ndjson:2:\d+: error json-syntax: JSON syntax error: Nested deeper than 256 levels of objects and arrays/);
    assert.doesNotMatch(result.stdout + result.stderr, /internal error|Maximum call stack|\n\s+at /);
    assert.match(result.stdout, /^1 file checked: 1 error/m);
  });

  it('aq send refuses the file naming the line, sending nothing', async () => {
    const fake: FakeMixpanelImport = await startFakeMixpanelImport({ projectId: 7, username: 'sa', secret: 'sa-secret-1' });
    const http = createHttpClient();
    process.env.AQ_CACHE_DIR = join(dir, '.aq-cache');
    try {
      const result = await sendEventFile({
        path: join(dir, 'signups.events.ndjson'),
        destination: {
          kind: 'mixpanel',
          name: 'prod',
          target: { projectId: 7, region: 'US', baseUrlOverride: fake.url, credentials: { username: 'sa', secret: 'sa-secret-1' } },
        },
        http,
        signal: new AbortController().signal,
      });
      assert.equal(result.syntaxErrors.length, 1);
      assert.equal(result.syntaxErrors[0].line, 2);
      assert.match(result.syntaxErrors[0].message, /Nested deeper than 256 levels/);
      assert.equal(result.report, undefined);
      assert.equal(fake.requests(), 0);
    } finally {
      await http.close();
      await fake.close();
    }
  });

  it('the local engine skips that event in a segmentation on the property and in JQL, and says which line', async () => {
    let out = '';
    let err = '';
    const io = {
      cwd: dir,
      env: { AQ_CACHE_DIR: join(dir, '.aq-cache') },
      stdout: (text: string) => void (out += text),
      stderr: (text: string) => void (err += text),
    };
    assert.equal(await runCommand(['queries.aq', '--format', 'json'], io), 0, err);
    const results = JSON.parse(out) as Array<{
      title: string;
      data: { kind: string; series?: Array<{ segment: string; values: number[] }>; rows?: unknown[][] };
      meta: { warnings: Array<{ message: string }> };
    }>;
    const [deep, all, jql] = results;
    assert.deepEqual(deep.data.series, [], 'the deep event is not counted');
    assert.deepEqual(
      all.data.series?.map((entry) => [entry.segment, entry.values]),
      [['shallow', [2]]],
    );
    assert.deepEqual(jql.data.rows, [['Sign Up', 2]]);
    for (const result of results) {
      assert.ok(
        result.meta.warnings.some((warning) => /line 2/.test(warning.message) && /nested deeper than 256 levels/.test(warning.message)),
        `${result.title}: ${JSON.stringify(result.meta.warnings)}`,
      );
    }
  });
});
