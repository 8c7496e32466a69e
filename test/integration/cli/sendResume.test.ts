/**
 * `aq send` killed mid-send and resumed, as the built CLI (dist/cli.js) in a child process: the
 * records Mixpanel rejected before the kill are still reported by the resumed run, which exits 1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { json } from '../../fake-apis/fakeServerKit';
import { startHostileServer, type HostileServer } from '../../fake-apis/hostileServer';
import { DIST_DIR, ensureBuilt } from '../../lsp/lspHarness';

const EVENTS = 4500; // three requests of at most 2,000 events
let dir: string;
let server: HostileServer;

before(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'aq-resume-'));
  server = await startHostileServer();
  writeFileSync(join(dir, 'aq.json'), JSON.stringify({ sources: { prod: { kind: 'mixpanel', projectId: 77, region: 'US' } } }));
  const lines = Array.from({ length: EVENTS }, (_, n) =>
    JSON.stringify({ event: 'Sign Up', properties: { time: 1790000000 + n, distinct_id: `u${n}`, $insert_id: `i${n}` } }),
  );
  writeFileSync(join(dir, 'day.events.ndjson'), `${lines.join('\n')}\n`);
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function aqSend(args: string[], options: { killWhen?: RegExp } = {}): Promise<Run> {
  const child = spawn(process.execPath, [join(DIST_DIR, 'cli.js'), 'send', 'day.events.ndjson', '--source', 'prod', ...args], {
    cwd: dir,
    env: { ...process.env, AQ_CACHE_DIR: join(dir, 'cache'), AQ_PROD_USERNAME: 'svc', AQ_PROD_SECRET: 'resume-secret-1', AQ_PROD_BASE_URL: server.url },
  });
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString();
    if (options.killWhen?.test(run.stderr)) child.kill('SIGKILL');
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ ...run, code })));
}

it('a resumed send keeps, reports and fails on the records rejected before the interruption', async () => {
  let batches = 0;
  server.route({
    path: /^\/import$/,
    answer: () => {
      batches++;
      if (batches === 1) {
        // The second request then hangs, so the kill lands mid-send.
        server.setFault({ kind: 'slow', delayMs: 5000 }, { times: 1, path: /^\/import$/ });
        return json(400, {
          code: 400,
          error: 'some data points in the request failed validation',
          num_records_imported: 1998,
          status: 'Bad Request',
          failed_records: [0, 5].map((index) => ({ index, insert_id: `i${index}`, field: 'properties.time', message: "'properties.time' is invalid" })),
        });
      }
      return json(200, { code: 200, num_records_imported: 2000, status: 'OK' });
    },
  });
  const killed = await aqSend([], { killWhen: /1\/3 requests/ });
  assert.equal(killed.code, null, 'killed, not finished');

  const resumed = await aqSend(['--resume']);
  assert.equal(resumed.code, 1, `${resumed.stdout}\n${resumed.stderr}`);
  assert.match(resumed.stdout, /day\.events\.ndjson:1: rejected: 'properties\.time' is invalid/);
  assert.match(resumed.stdout, /day\.events\.ndjson:6: rejected/);
  assert.match(resumed.stdout, /skipped 1 already sent, 2 rejected events \(2 of them by an earlier run\)/);

  const again = await aqSend(['--resume']);
  assert.match(again.stdout, /skipped 0 already sent/, 'a finished send leaves no progress behind: a further resume starts over');
});
