/**
 * Hostile and broken JQL scripts: each is stopped with a clear error, and the next ordinary run on
 * the same runtime still answers.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { build } from 'esbuild';
import { disposeJqlWorkers, runJql, type RunJqlOptions } from '../../../../../../server/src/queryEngine/backends/local/jql/jqlRuntime';

const dataPath = join(__dirname, '../../../../../fixtures/jql/events.ndjson');
const COUNT = 'function main() { return Events({from_date: "2026-10-01", to_date: "2026-10-03"}).reduce(mixpanel.reducer.count()); }';

/** Collects the `this` and function of every stack frame below main(): host frames must hide both. */
const STACK_FRAME_PROBE = `function main() {
  Error.prepareStackTrace = function (error, frames) { return frames; };
  var frames = new Error().stack;
  var leaks = [];
  for (var i = 1; i < frames.length; i++) {
    if (frames[i].getThis() !== undefined) leaks.push("this@" + i);
    if (frames[i].getFunction() !== undefined) leaks.push("function@" + i);
  }
  return [frames.length > 2, leaks];
}`;

after(() => disposeJqlWorkers());

const TIME_LIMIT_0_5_S = 'JQL script exceeded the time limit of 0.5 s; to allow longer, set AQ_JQL_TIMEOUT_S to a number of seconds';

async function failure(script: string, options: Partial<RunJqlOptions> = {}): Promise<{ kind: string; message: string }> {
  try {
    await runJql({ script, params: {}, dataPath, timeoutMs: 500, ...options });
  } catch (error) {
    return error as { kind: string; message: string };
  }
  return assert.fail(`expected the script to fail: ${script}`);
}

async function stillWorks(options: Partial<RunJqlOptions> = {}): Promise<void> {
  const { output } = await runJql({ script: COUNT, params: {}, dataPath, ...options });
  assert.deepEqual(output, [9]);
}

describe('limits', () => {
  test('an endless loop in main() hits the time limit', async () => {
    const error = await failure('function main() { while (true) {} }');
    assert.equal(error.kind, 'script');
    assert.equal(error.message, TIME_LIMIT_0_5_S);
    await stillWorks();
  });

  test('an endless loop inside a map() callback hits the time limit', async () => {
    const error = await failure('function main() { return Events({from_date: "2026-10-01", to_date: "2026-10-03"}).map(function (e) { for (;;) {} }); }');
    assert.equal(error.message, TIME_LIMIT_0_5_S);
    await stillWorks();
  });

  test('endless loops at the top level, in a promise callback, or in a getter of a thrown value hit the time limit', async () => {
    for (const script of [
      'while (true) {}',
      'Promise.resolve().then(function () { while (true) {} }); function main() { return [1]; }',
      'function main() { throw { get message() { while (true) {} } }; }',
    ]) {
      assert.equal((await failure(script)).message, TIME_LIMIT_0_5_S, script);
    }
    await stillWorks();
  });

  test('aborting the signal stops a running script and kills its worker', async () => {
    const controller = new AbortController();
    const run = runJql({ script: 'function main() { while (true) {} }', params: {}, dataPath, signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(run, (error: { kind: string; message: string }) => error.kind === 'cancelled' && error.message === 'The JQL query was cancelled');
    await stillWorks();
  });

  test('runs queue on one worker; a queued run cancelled while waiting fails at once and the others still answer', async () => {
    const slow = runJql({ script: 'function main() { while (true) {} }', params: {}, dataPath, timeoutMs: 1000 });
    const controller = new AbortController();
    const queued = runJql({ script: COUNT, params: {}, dataPath, signal: controller.signal });
    const next = runJql({ script: COUNT, params: {}, dataPath });
    controller.abort();
    await assert.rejects(queued, (error: { kind: string }) => error.kind === 'cancelled');
    await assert.rejects(slow, /time limit of 1 s/);
    assert.deepEqual((await next).output, [9]);
  });

  test('a huge allocation hits the memory limit, whether gradual or in one go', async () => {
    for (const script of [
      'function main() { var a = []; while (true) a.push(new Array(100000).fill(1)); }',
      'function main() { return [new Array(2e8).fill(0).length]; }',
    ]) {
      const error = await failure(script, { memoryMb: 64, timeoutMs: 30_000 });
      assert.equal(error.kind, 'script');
      assert.match(
        error.message,
        /^JQL script exceeded the memory limit of 64 MB: keep less in the script \(aggregate with groupBy or reduce\), or set AQ_JQL_MEMORY_MB to a larger number of megabytes/,
      );
    }
    await stillWorks({ memoryMb: 64 });
  });

  test('an output too large to show is refused with a tooLarge error', async () => {
    const error = await failure('function main() { return ["x".repeat(26e6), "y".repeat(26e6)]; }', { timeoutMs: 30_000 });
    assert.equal(error.kind, 'tooLarge');
    assert.equal(
      error.message,
      'The JQL output is about 52 MB, more than the 50 MB that can be shown: aggregate it (groupBy, reduce) or filter it in the script',
    );
    await stillWorks();
  });

  test('deep recursion is a RangeError with its line', async () => {
    const error = await failure('function f() { return f() + 1; }\nfunction main() { return [f()]; }');
    assert.match(error.message, /^RangeError: Maximum call stack size exceeded \(line 1, column \d+\)$/);
    await stillWorks();
  });
});

describe('isolation', () => {
  test('require, process and other Node globals are not there', async () => {
    assert.match(
      (await failure('function main() { return require("fs").readFileSync("/etc/passwd"); }')).message,
      /^`require` is not available in JQL: scripts run without modules, files, network or timers \(line 1, column \d+\)$/,
    );
    assert.match((await failure('function main() { process.exit(1); }')).message, /^`process` is not available in JQL/);
    assert.match(
      (await failure('function main() { return [typeof Buffer, typeof setTimeout, typeof globalThis.process]; } main.x = process;')).message,
      /^`process` is not available/,
    );
    const names = ['require', 'process', 'Buffer', 'setTimeout', 'ArrayBuffer', 'SharedArrayBuffer', 'Atomics', 'WebAssembly', 'FinalizationRegistry'];
    const { output } = await runJql({ script: `function main() { return [${names.map((name) => `typeof ${name}`).join(', ')}]; }`, params: {}, dataPath });
    assert.deepEqual(
      output,
      names.map(() => 'undefined'),
    );
    await stillWorks();
  });

  test('constructor chains lead to a Function that cannot compile code', async () => {
    const escapes = [
      'this.constructor.constructor("return process")()',
      'function main() { return Events.constructor("return process")(); }',
      'function main() { return mixpanel.reducer.count().constructor("return process")(); }',
      'function main() { return Events({from_date: "2026-10-01", to_date: "2026-10-03"}).map(function (e) { return e.constructor.constructor("return process")(); }); }',
      'function main() { return [eval("1 + 1")]; }',
    ];
    for (const script of escapes) {
      assert.match((await failure(script)).message, /^eval and new Function are not available in JQL/, script);
    }
    await stillWorks();
  });

  test('stack frames expose no host object (Error.prepareStackTrace)', async () => {
    const { output } = await runJql({ script: STACK_FRAME_PROBE, params: {}, dataPath });
    assert.deepEqual(output, [true, []]);
  });

  test('a script cannot change what the next script sees', async () => {
    await runJql({
      script: 'Object.prototype.polluted = 1; Array.prototype.push = null; var params = 5; function main() { return [1]; }',
      params: {},
      dataPath,
    });
    const { output } = await runJql({
      script: 'function main() { return [typeof polluted, ({}).polluted === undefined, typeof [].push]; }',
      params: {},
      dataPath,
    });
    assert.deepEqual(output, ['undefined', true, 'function']);
    await stillWorks();
  });
});

describe('script errors', () => {
  test('a syntax error names its line and column', async () => {
    const error = await failure('function main() {\n  return Events({from_date: "2026-10-01" to_date: "2026-10-03"});\n}');
    assert.equal(error.kind, 'script');
    assert.equal(error.message, 'Syntax error at line 2, column 42: Unexpected token');
  });

  test('a script without main() says so', async () => {
    assert.equal((await failure('var x = 1;')).message, 'main() is not defined: a JQL script must define function main() that returns a collection');
  });

  test('an unknown name is a ReferenceError with its line', async () => {
    assert.equal((await failure('function main() {\n  return Evnts({});\n}')).message, 'ReferenceError: Evnts is not defined (line 2, column 3)');
  });

  test('a missing data file is a config error, not a crash', async () => {
    const error = await failure(COUNT, { dataPath: join(__dirname, 'no-such-file.ndjson') });
    assert.notEqual(error.kind, 'script');
    assert.match(error.message, /no-such-file/);
    await stillWorks();
  });
});

describe('the bundled worker', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'aq-jql-'));
  after(() => rmSync(outDir, { recursive: true, force: true }));

  test('runs scripts and keeps the sandbox sealed when built by esbuild (minified, as in production)', async () => {
    const workerPath = join(outDir, 'jqlWorker.js');
    await build({
      entryPoints: [join(__dirname, '../../../../../../server/src/queryEngine/backends/local/jql/jqlWorker.ts')],
      outfile: workerPath,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minify: true,
      logLevel: 'silent',
    });
    const { output } = await runJql({ script: COUNT, params: {}, dataPath, workerPath });
    assert.deepEqual(output, [9]);
    const grouped = await runJql({
      script: 'function main() { return Events({from_date: "2026-10-01", to_date: "2026-10-03"}).groupBy(["name"], mixpanel.reducer.count()); }',
      params: {},
      dataPath,
      workerPath,
    });
    assert.deepEqual(grouped.output, [
      { key: ['Landed'], value: 4 },
      { key: ['Purchase'], value: 3 },
      { key: ['Sign Up'], value: 2 },
    ]);
    await assert.rejects(
      runJql({ script: 'this.constructor.constructor("return process")()', params: {}, dataPath, workerPath }),
      /eval and new Function are not available/,
    );
    assert.deepEqual((await runJql({ script: STACK_FRAME_PROBE, params: {}, dataPath, workerPath })).output, [true, []]);
    await assert.rejects(runJql({ script: 'function main() { while (true) {} }', params: {}, dataPath, workerPath, timeoutMs: 300 }), /time limit of 0.3 s/);
  });
});

describe('a broken installation', () => {
  test('a missing worker file is a clear error, not a hang or a crash', async () => {
    const workerPath = join(__dirname, 'missing', 'jqlWorker.js');
    await assert.rejects(runJql({ script: COUNT, params: {}, dataPath, workerPath }), (error: { kind: string; message: string }) => {
      assert.equal(error.kind, 'script');
      assert.match(error.message, /^The JQL worker stopped unexpectedly \(exit code 1\): Error: Cannot find module/);
      return true;
    });
    await stillWorks();
  });
});
