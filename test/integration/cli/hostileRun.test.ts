/**
 * `aq run` (the built CLI, as a user runs it) when its surroundings fail or its data is too much:
 * a reader that closes early, a full disk, a kill mid-JQL, and the JQL limits set from the environment.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIST_DIR, ensureBuilt, writeWorkspace } from '../../lsp/lspHarness';
import { eventLine } from '../../fixtures/hostileKit';

const T = Date.UTC(2026, 9, 1, 12) / 1000;
let dir: string;

before(() => {
  ensureBuilt();
  const events: string[] = [];
  for (let i = 0; i < 2000; i++) events.push(eventLine(i % 2 ? 'View' : 'Buy', T + i * 60, `u${i % 50}`, `id-${i}`));
  // Events with a large property each: about 40 MB of text, which a script reading every event must hold.
  const heavy: string[] = [];
  for (let i = 0; i < 20_000; i++) heavy.push(eventLine('Heavy', T + i, `h${i}`, `h-${i}`, { blob: `${i}`.padEnd(2000, 'z') }));
  dir = writeWorkspace({
    'aq.json': JSON.stringify({ sources: { events: { kind: 'local', path: 'events.ndjson' }, heavy: { kind: 'local', path: 'heavy.ndjson' } } }),
    'events.ndjson': `${events.join('\n')}\n`,
    'heavy.ndjson': `${heavy.join('\n')}\n`,
    'minutes.aq': 'use local "events"\n\n### Per minute\nsegmentation "View"\n  from 2026-10-01 to 2026-10-03\n  unit minute\n',
    'forever.jql': 'function main() { while (true) {} }',
    'keepAll.jql': 'function main() { return Events({from_date: "2026-10-01", to_date: "2026-10-02"}).groupBy(["name"], mixpanel.reducer.count()); }',
    'forever.aq': 'use local "events"\n\n### Forever\njql "forever.jql"\n  from 2026-10-01 to 2026-10-02\n',
    'keepAll.aq': 'use local "heavy"\n\n### Keep all\njql "keepAll.jql"\n  from 2026-10-01 to 2026-10-02\n',
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));

function aq(args: string[], env: Record<string, string> = {}, stdout: 'pipe' | number = 'pipe'): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(DIST_DIR, 'cli.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, AQ_CACHE_DIR: join(dir, '.aq-cache'), ...env },
    stdio: ['ignore', stdout, 'pipe'],
  });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr };
}

/** The direct children of a process (Linux /proc). */
function childrenOf(pid: number): number[] {
  const path = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is gone for all purposes here (it runs nothing and holds no memory).
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(test: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (test()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return test();
}

describe('aq run under hostile surroundings', () => {
  it('a reader that stops early (aq run | head -1) ends it quietly with status 0', async () => {
    const child = spawn(process.execPath, [join(DIST_DIR, 'cli.js'), 'run', 'minutes.aq'], {
      cwd: dir,
      env: { ...process.env, AQ_CACHE_DIR: join(dir, '.aq-cache') },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => void (stderr += text));
    // Like `head -1`: read the first piece, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    assert.equal(status, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Error|at /, stderr);
  });

  it('a full disk (stdout on /dev/full) gives one line and status 2', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const result = aq(['run', 'minutes.aq'], {}, full);
      assert.equal(result.status, 2);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.at(-1), 'aq: cannot write the output: no space left on the device (ENOSPC)');
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      closeSync(full);
    }
  });

  for (const signal of ['SIGKILL', 'SIGINT'] as const) {
    it(`killing aq run mid-JQL (${signal}) ends its worker within two seconds`, async () => {
      const child = spawn(process.execPath, [join(DIST_DIR, 'cli.js'), 'run', 'forever.aq'], {
        cwd: dir,
        env: { ...process.env, AQ_CACHE_DIR: join(dir, '.aq-cache') },
        stdio: 'ignore',
      });
      const pid = child.pid!;
      assert.ok(await waitFor(() => childrenOf(pid).length > 0, 15_000), 'the JQL worker started');
      const [worker] = childrenOf(pid);
      // Give the script time to start its endless loop (the worker's event loop is then blocked).
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.ok(alive(worker));
      process.kill(pid, signal);
      assert.ok(await waitFor(() => !alive(worker), 2000), `worker ${worker} still runs after ${signal}`);
    });
  }

  it('AQ_JQL_TIMEOUT_S sets the JQL time limit, and the message says how to raise it', () => {
    const result = aq(['run', 'forever.aq'], { AQ_JQL_TIMEOUT_S: '1' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /✗ Forever: JQL script exceeded the time limit of 1 s; to allow longer, set AQ_JQL_TIMEOUT_S to a number of seconds/);
  });

  it('AQ_JQL_MEMORY_MB below what the data needs: the message blames the data size and names the setting', () => {
    const result = aq(['run', 'keepAll.aq'], { AQ_JQL_MEMORY_MB: '48' });
    assert.equal(result.status, 1, result.stderr);
    assert.match(
      result.stderr,
      /✗ Keep all: The JQL worker ran out of its 48 MB of memory because of the size of the local data \(about \d+ MB once read\), not the script: set AQ_JQL_MEMORY_MB to at least \d+/,
    );
    // The default limit follows the data: the same query runs.
    const fine = aq(['run', 'keepAll.aq', '--format', 'csv']);
    assert.equal(fine.status, 0, fine.stderr);
    assert.equal(fine.stdout, 'key,value\r\nHeavy,20000\r\n');
  });
});
