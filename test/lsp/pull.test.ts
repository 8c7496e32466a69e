/**
 * "Pull Events to Local Source…" as the editor drives it: the built server over stdio, the fake
 * editor answering credentials, the fake Raw Export API on 127.0.0.1. The pull writes the day
 * files and reports progress under the client's key; cancelling keeps the complete days and leaves
 * no partial file; a 401 comes back as an auth error naming the source; the offered local source
 * goes into aq.json keeping its formatting.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource } from 'vscode-languageserver-protocol';
import { exportLine, startFakeExport, type ExportEvent, type FakeExport } from '../fake-apis/fakeMixpanelExport';
import { fileUri, startSession, writeWorkspace, type LspSession } from './lspHarness';

const EVENTS: ExportEvent[] = [
  { event: 'Sign Up', properties: { time: Date.parse('2026-10-01T09:00:00Z') / 1000, distinct_id: 'u1', $insert_id: 'a1' } },
  { event: 'Purchase', properties: { time: Date.parse('2026-10-02T10:00:00Z') / 1000, distinct_id: 'u1', $insert_id: 'a2' } },
];
const AQ_JSON = `{
  "sources": {
    "prod": { "kind": "mixpanel", "projectId": 55 }
  }
}
`;

describe('aq/pullEvents over stdio', () => {
  let session: LspSession;
  let fake: FakeExport;
  let root: string;
  const progress: Array<{ uri: string; message: string; percent: number }> = [];

  before(async () => {
    fake = await startFakeExport({
      projectId: 55,
      username: 'sa.user',
      secret: 'sa-secret-55',
      events: EVENTS,
      largeDays: { '2026-10-04': { lines: 3_000_000 } },
    });
    root = writeWorkspace({ 'aq.json': AQ_JSON, 'q.aq': 'use mixpanel "prod"\n\nsegmentation "Sign Up"\n  from 2026-10-01 to 2026-10-02\n' });
    session = await startSession({ rootDir: root, settings: { baseUrlOverrides: { prod: fake.url } } });
    session.connection.onRequest('aq/credentials', (params: unknown) =>
      (params as { sourceName: string }).sourceName === 'prod' ? { username: 'sa.user', secret: 'sa-secret-55' } : null,
    );
    session.connection.onNotification('aq/sendProgress', (params: unknown) => void progress.push(params as { uri: string; message: string; percent: number }));
  });
  after(async () => {
    await session?.close();
    await fake?.close();
  });

  const uri = (): string => fileUri(join(root, 'q.aq'));

  it("pulls the days into data/<source>/, reporting progress under the client's key", async () => {
    const result = (await session.connection.sendRequest('aq/pullEvents', {
      uri: uri(),
      sourceName: 'prod',
      from: '2026-10-01',
      to: '2026-10-02',
      progressKey: 'pull-1',
    })) as {
      complete: boolean;
      pulledDays: number;
      events: number;
      sourcePath: string;
      summary: string;
    };
    assert.equal(result.complete, true, result.summary);
    assert.equal(result.pulledDays, 2);
    assert.equal(result.events, 2);
    assert.equal(result.sourcePath, 'data/prod');
    assert.match(result.summary, /Pulled 2 days of "prod" \(2 events, 0\.00 MB\) into data\/prod\./);
    assert.equal(gunzipSync(readFileSync(join(root, 'data', 'prod', '2026-10-02.ndjson.gz'))).toString('utf8'), `${exportLine(EVENTS[1])}\n`);
    const mine = progress.filter((update) => update.uri === 'pull-1');
    assert.ok(
      mine.some((update) => update.message.startsWith('2026-10-02: 1 event') && update.percent === 100),
      JSON.stringify(mine),
    );
    assert.ok(!session.logs.join('\n').includes('sa-secret-55'), 'the secret is never logged');
  });

  it('refuses a second pull into the same folder, and stops when cancelled, keeping complete days and leaving no partial file', async () => {
    const cancel = new CancellationTokenSource();
    let second: Promise<string> | undefined;
    const listener = session.connection.onNotification('aq/sendProgress', (params: unknown) => {
      if (!(params as { message: string }).message.startsWith('2026-10-03:') || second) return;
      second = session.connection
        .sendRequest('aq/pullEvents', { uri: uri(), sourceName: 'prod', from: '2026-10-05', to: '2026-10-05', progressKey: 'pull-2b' })
        .then(
          () => 'answered',
          (error: { message: string }) => error.message,
        );
      void second.finally(() => setTimeout(() => cancel.cancel(), 100));
    });
    const outcome = await session.connection
      .sendRequest('aq/pullEvents', { uri: uri(), sourceName: 'prod', from: '2026-10-03', to: '2026-10-04', progressKey: 'pull-2' }, cancel.token)
      .then(
        (result) => result as { complete: boolean; summary: string },
        (error: { message: string }) => ({ complete: false, summary: error.message }),
      );
    listener.dispose();
    assert.match((await second) ?? '', /A pull into data\/prod is already running/);
    assert.equal(outcome.complete, false);
    const files = readdirSync(join(root, 'data', 'prod'));
    assert.ok(files.includes('2026-10-03.ndjson.gz'), files.join(', '));
    assert.ok(!files.includes('2026-10-04.ndjson.gz'), 'the cancelled day is not written');
    // The server removes the temporary file as it stops; give it the moment that takes.
    for (let i = 0; i < 50 && readdirSync(join(root, 'data', 'prod')).some((name) => name.endsWith('.partial')); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      readdirSync(join(root, 'data', 'prod')).filter((name) => name.startsWith('.')),
      [],
    );
  });

  it('answers a 401 with an auth error that names the source and says what Mixpanel said', async () => {
    fake.setFault({ kind: 'status', status: 401, body: JSON.stringify({ error: 'Invalid credentials', status: 'error' }) });
    const error = await session.connection
      .sendRequest('aq/pullEvents', { uri: uri(), sourceName: 'prod', from: '2026-09-30', to: '2026-09-30', progressKey: 'pull-3' })
      .then(
        () => assert.fail('the pull should fail'),
        (failure: { message: string; data?: { kind: string; sourceName?: string } }) => failure,
      );
    assert.match(error.message, /Mixpanel rejected the credentials of source "prod" \(HTTP 401\).*Invalid credentials/);
    assert.equal(error.data?.kind, 'auth');
    assert.equal(error.data?.sourceName, 'prod');
  });

  it('adds the pulled folder to aq.json as a local source, once', async () => {
    const added = (await session.connection.sendRequest('aq/addLocalSource', { uri: uri(), name: 'prod-offline', path: 'data/prod', timezoneOf: 'prod' })) as {
      added: boolean;
      message: string;
    };
    assert.equal(added.added, true, added.message);
    assert.equal(
      readFileSync(join(root, 'aq.json'), 'utf8'),
      AQ_JSON.replace('"projectId": 55 }', '"projectId": 55 },\n    "prod-offline": { "kind": "local", "path": "data/prod" }'),
    );
    const again = (await session.connection.sendRequest('aq/addLocalSource', { uri: uri(), name: 'prod-offline', path: 'data/prod' })) as { added: boolean };
    assert.equal(again.added, false);
    await assert.rejects(
      session.connection.sendRequest('aq/addLocalSource', { uri: uri(), name: 'prod', path: 'data/prod' }),
      /already has a source named "prod"/,
    );
  });
});
