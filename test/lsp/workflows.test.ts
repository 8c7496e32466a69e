/**
 * "Send Events" and "Start Watching" as the editor drives them: the built server over stdio,
 * a fake editor answering credentials and the Slack webhook, and the fake Mixpanel /import,
 * mParticle /v2/bulkevents, Piwik PRO debugger and Slack webhook on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeMixpanelImport, type FakeMixpanelImport } from '../fake-apis/fakeMixpanelImport';
import { startFakeMparticle, type FakeMparticle } from '../fake-apis/fakeMparticle';
import { startFakePiwikWatch, WATCH_APP_ID, type FakePiwikWatch } from '../fake-apis/fakePiwikWatch';
import { SLACK_HOOK_PATH, startFakeSlack, type FakeSlack } from '../fake-apis/fakeSlack';
import { fileUri, startSession, writeWorkspace, type LspSession } from './lspHarness';

interface WatchAlertParams {
  uri: string;
  queryIndex: number;
  title: string;
  text: string;
  kind: string;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `condition` holds, checking every 20 ms (the test runner's timeout bounds it). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await delay(20);
}

describe('analyst workflows over stdio', () => {
  let session: LspSession;
  let mixpanel: FakeMixpanelImport;
  let mparticle: FakeMparticle;
  let piwik: FakePiwikWatch;
  let slack: FakeSlack;
  let root: string;
  const alerts: WatchAlertParams[] = [];
  const progress: Array<{ uri: string; percent: number }> = [];
  const credentialRequests: Array<{ sourceName: string; sourceKind: string; host: string }> = [];

  before(async () => {
    mixpanel = await startFakeMixpanelImport({ projectId: 77, username: 'sa.user', secret: 'sa-secret-4242' });
    mparticle = await startFakeMparticle({ apiKey: 'mp-key-9', apiSecret: 'mp-secret-9' });
    piwik = await startFakePiwikWatch({ clientId: 'cid', clientSecret: 'csecret-77', now: Date.now });
    slack = await startFakeSlack();
    root = writeWorkspace({
      'aq.json': JSON.stringify({
        sources: {
          prod: { kind: 'mixpanel', projectId: 77, region: 'US' },
          site: { kind: 'piwik', url: 'https://shop.piwik.pro', appId: WATCH_APP_ID },
          app: { kind: 'mparticle', pod: 'EU1' },
          'app-staging': { kind: 'mparticle', pod: 'US2' },
        },
        default: 'prod',
      }),
    });
    session = await startEditorSession();
  });

  /** The built server as the editor starts it: settings, stored secrets and the Slack webhook answered. */
  async function startEditorSession(): Promise<LspSession> {
    const started = await startSession({ rootDir: root, settings: { baseUrlOverrides: { prod: mixpanel.url, site: piwik.url, app: mparticle.url } } });
    const secrets: Record<string, Record<string, string>> = {
      prod: { username: 'sa.user', secret: 'sa-secret-4242' },
      site: { clientId: 'cid', clientSecret: 'csecret-77' },
      app: { apiKey: 'mp-key-9', apiSecret: 'mp-secret-9' },
    };
    started.connection.onRequest('aq/credentials', (params: unknown) => {
      const asked = params as { sourceName: string; sourceKind: string; host: string };
      credentialRequests.push(asked);
      return secrets[asked.sourceName] ?? null;
    });
    started.connection.onRequest('aq/slackWebhook', () => ({ url: slack.webhookUrl }));
    started.connection.onNotification('aq/watchAlert', (params: unknown) => {
      alerts.push(params as WatchAlertParams);
    });
    started.connection.onNotification('aq/sendProgress', (params: unknown) => {
      progress.push(params as { uri: string; percent: number });
    });
    return started;
  }
  after(async () => {
    await session?.close();
    await Promise.all([mixpanel?.close(), mparticle?.close(), piwik?.close(), slack?.close()]);
  });

  it('sends an open events file, and reports the record Mixpanel rejected with its line', async () => {
    const uri = fileUri(join(root, 'day.events.ndjson'));
    const time = Math.floor(Date.now() / 1000) - 3600;
    const lines = [
      { event: 'Sign Up', properties: { time, distinct_id: 'u1' } },
      { event: 'Purchase', properties: { time, distinct_id: 'u2', price: 12 } },
      { event: 'Purchase', properties: { time } },
    ];
    await session.open(uri, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`, 'json');
    const result = (await session.connection.sendRequest('aq/sendEvents', { uri, sourceName: 'prod' })) as {
      sent: number;
      skipped: number;
      failedRecords: Array<{ line: number; message: string }>;
      summary: string;
    };
    assert.deepEqual([...mixpanel.store.values()].map((stored) => `${stored.event}/${String(stored.properties.distinct_id)}`).sort(), [
      'Purchase/u2',
      'Sign Up/u1',
    ]);
    assert.equal(result.sent, 2, result.summary);
    assert.equal(result.failedRecords.length, 1, JSON.stringify(result));
    assert.equal(result.failedRecords[0].line, 3);
    assert.match(result.failedRecords[0].message, /distinct_id/);
    assert.match(result.summary, /Sent 2 events to "prod".*1 event rejected/);
    assert.ok(
      progress.some((update) => update.uri === uri && update.percent === 100),
      JSON.stringify(progress),
    );
  });

  it('lists mParticle inputs as sources with the host their secrets go to', async () => {
    const sources = (await session.connection.sendRequest('aq/listSources', {})) as Array<{ name: string; kind: string; isDefault: boolean; host?: string }>;
    const app = sources.find((source) => source.name === 'app');
    const staging = sources.find((source) => source.name === 'app-staging');
    assert.deepEqual(app, { name: 'app', kind: 'mparticle', isDefault: false, host: new URL(mparticle.url).host });
    assert.equal(staging?.host, 's2s.us2.mparticle.com');
    assert.equal(sources.find((source) => source.name === 'prod')?.kind, 'mixpanel');
  });

  it('sends an open mParticle batch file to the input, asking the editor for its key and secret for that host', async () => {
    const uri = fileUri(join(root, 'app.mparticle.json'));
    const batches = ['u1', 'u2', 'u3'].map((customer) => ({
      environment: 'development',
      user_identities: { customer_id: customer },
      events: [{ event_type: 'custom_event', data: { event_name: 'Viewed Product', custom_event_type: 'navigation' } }],
    }));
    credentialRequests.length = 0;
    progress.length = 0;
    await session.open(uri, `${JSON.stringify(batches, null, 2)}\n`, 'json');
    const result = (await session.connection.sendRequest('aq/sendEvents', { uri, sourceName: 'app' })) as {
      sent: number;
      failedRecords: unknown[];
      summary: string;
    };
    assert.deepEqual(
      mparticle.batches.map((batch) => (batch.user_identities as { customer_id: string }).customer_id),
      ['u1', 'u2', 'u3'],
    );
    assert.equal(result.sent, 3, result.summary);
    assert.deepEqual(result.failedRecords, []);
    assert.match(result.summary, /Sent 3 batches to "app" in 1 request/);
    // (The server may also ask for "prod" in the background, to refresh its schema.)
    assert.deepEqual(
      credentialRequests.filter((request) => request.sourceName === 'app'),
      [{ sourceName: 'app', sourceKind: 'mparticle', host: new URL(mparticle.url).host, url: new URL(mparticle.url).origin, fromUserOverride: true }],
    );
    assert.ok(
      progress.some((update) => update.uri === uri && update.percent === 100),
      JSON.stringify(progress),
    );

    // Sending the same file again delivers nothing twice: each batch carries a stable source_request_id.
    await session.connection.sendRequest('aq/sendEvents', { uri, sourceName: 'app' });
    assert.equal(mparticle.batches.length, 3);
    assert.ok(!session.logs.join('\n').includes('mp-secret-9'), 'the API secret is never logged');
  });

  it('asks for mParticle credentials by name and kind when none are stored, and sends nothing', async () => {
    const uri = fileUri(join(root, 'staging.mparticle.json'));
    await session.open(uri, JSON.stringify({ environment: 'development', events: [{ event_type: 'session_start', data: {} }] }), 'json');
    const requestsBefore = mparticle.requests();
    const error = await session.connection.sendRequest('aq/sendEvents', { uri, sourceName: 'app-staging' }).then(
      () => assert.fail('the send should fail'),
      (failure: { message: string; data?: { kind: string; sourceName?: string; sourceKind?: string } }) => failure,
    );
    assert.match(error.message, /Sending to "app-staging" needs an input's API key and secret/);
    assert.deepEqual(error.data, { kind: 'auth', sourceName: 'app-staging', sourceKind: 'mparticle' });
    assert.equal(mparticle.requests(), requestsBefore);
  });

  it('refuses to send a file to a source of the other vendor, saying which kind it needs', async () => {
    const mparticleFile = fileUri(join(root, 'app.mparticle.json'));
    await assert.rejects(
      session.connection.sendRequest('aq/sendEvents', { uri: mparticleFile, sourceName: 'prod' }),
      /"prod" is a Mixpanel source, but app\.mparticle\.json holds mParticle batches/,
    );
    const eventsFile = fileUri(join(root, 'day.events.ndjson'));
    await assert.rejects(
      session.connection.sendRequest('aq/sendEvents', { uri: eventsFile, sourceName: 'app' }),
      /"app" is an mParticle source, but day\.events\.ndjson holds Mixpanel events/,
    );
  });

  it('refuses to send to an unknown source with a message naming it', async () => {
    const uri = fileUri(join(root, 'day.events.ndjson'));
    await assert.rejects(session.connection.sendRequest('aq/sendEvents', { uri, sourceName: 'nope' }), /No source named "nope"/);
  });

  it('watches a debugger query: one alert and one Slack post per broken event, and no polls after stop', async () => {
    const recent = new Date(Date.now() - 5 * 60_000).toISOString().slice(0, 19);
    piwik.putSession({
      id: '5632530715433106129',
      entryUrl: 'https://shop.example/',
      events: [
        {
          id: '6719694023305478883',
          type: [17, 'Broken event'],
          time: recent,
          errorMessage: 'Invalid <idsite>',
          log: { idsite: WATCH_APP_ID, url: 'https://shop.example/' },
        },
      ],
    });
    const uri = fileUri(join(root, 'watch.aq'));
    await session.open(uri, `use piwik "site"\n### Broken events\ndebugger "${WATCH_APP_ID}"\n  event_type broken\n  lookup_window 60\n`);
    assert.deepEqual(await session.connection.sendRequest('aq/startWatch', { uri, queryIndex: 0, everyMinutes: 0.01 }), { watching: true });

    await until(() => alerts.length > 0);
    const pollsAtFirstAlert = piwik.debuggerRequests().length;
    await until(() => piwik.debuggerRequests().length >= pollsAtFirstAlert + 2);
    assert.equal(alerts.length, 1, JSON.stringify(alerts));
    assert.equal(alerts[0].kind, 'event');
    assert.equal(alerts[0].queryIndex, 0);
    assert.match(alerts[0].title, /Broken events: Broken event — Invalid <idsite>/);
    assert.match(alerts[0].text, /6719694023305478883.*Invalid <idsite>/);
    assert.equal(slack.messages.length, 1);
    assert.match(slack.messages[0], /Invalid &lt;idsite&gt;/);

    assert.deepEqual(await session.connection.sendRequest('aq/stopWatch', { uri, queryIndex: 0 }), { stopped: true });
    // A poll already on the wire when stop arrived may still land; none may start afterwards.
    await delay(200);
    const pollsAfterStop = piwik.debuggerRequests().length;
    await delay(1500);
    assert.equal(piwik.debuggerRequests().length, pollsAfterStop);
    assert.deepEqual(await session.connection.sendRequest('aq/stopWatch', { uri, queryIndex: 0 }), { stopped: false });
    assert.ok(!session.logs.join('\n').includes(SLACK_HOOK_PATH), 'the webhook URL is a secret');
  });

  it('a watch started again, even by a restarted server, reports nothing it reported before', async () => {
    const uri = fileUri(join(root, 'watch.aq'));
    const alertsBefore = alerts.length;
    const slackBefore = slack.messages.length;
    await session.close();
    session = await startEditorSession();
    await session.open(uri, `use piwik "site"\n### Broken events\ndebugger "${WATCH_APP_ID}"\n  event_type broken\n  lookup_window 60\n`);
    const pollsBefore = piwik.debuggerRequests().length;
    await session.connection.sendRequest('aq/startWatch', { uri, queryIndex: 0, everyMinutes: 0.01 });
    await until(() => piwik.debuggerRequests().length >= pollsBefore + 3);
    assert.equal(alerts.length, alertsBefore, JSON.stringify(alerts.slice(alertsBefore)));
    assert.equal(slack.messages.length, slackBefore);
    // It asks only for the minutes since the last poll (plus overlap), not the query's 60-minute window.
    const window = Number(piwik.debuggerRequests()[pollsBefore].query.lookup_window);
    assert.ok(window <= 5, `lookup_window ${window}`);
    await session.connection.sendRequest('aq/stopWatch', { uri, queryIndex: 0 });
  });

  it('turns more new events than maxAlertsPerPoll in one poll into one summary alert', async () => {
    const recent = new Date(Date.now() - 2 * 60_000).toISOString().slice(0, 19);
    for (const n of [1, 2]) {
      piwik.putSession({
        id: `77000000000000000${n}`,
        entryUrl: 'https://shop.example/',
        events: [{ id: `88000000000000000${n}`, type: [17, 'Broken event'], time: recent, errorMessage: `Broken ${n}`, log: { idsite: WATCH_APP_ID } }],
      });
    }
    const uri = fileUri(join(root, 'summary.aq'));
    await session.open(uri, `use piwik "site"\n### Summary check\ndebugger "${WATCH_APP_ID}"\n  event_type broken\n  lookup_window 60\n`);
    const pollsBefore = piwik.debuggerRequests().length;
    await session.connection.sendRequest('aq/startWatch', { uri, queryIndex: 0, everyMinutes: 0.01, maxAlertsPerPoll: 2 });
    await until(() => piwik.debuggerRequests().length >= pollsBefore + 3);
    await session.connection.sendRequest('aq/stopWatch', { uri, queryIndex: 0 });
    const mine = alerts.filter((alert) => alert.uri === uri);
    // Three broken events are in the window (the two new ones and the one of the first test): over 2, so one summary.
    assert.deepEqual(
      mine.map((alert) => alert.kind),
      ['summary'],
      JSON.stringify(mine),
    );
    assert.match(mine[0].title, /Summary check: 3 new events/);
    await assert.rejects(
      session.connection.sendRequest('aq/startWatch', { uri, queryIndex: 0, everyMinutes: 1, maxAlertsPerPoll: 0 }),
      /maxAlertsPerPoll must be a whole number/,
    );
  });

  it('stops watching when the document is closed', async () => {
    const uri = fileUri(join(root, 'watch.aq'));
    await session.connection.sendRequest('aq/startWatch', { uri, queryIndex: 0, everyMinutes: 0.01 });
    const pollsAtStart = piwik.debuggerRequests().length;
    await until(() => piwik.debuggerRequests().length >= pollsAtStart + 1);
    await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    await delay(200);
    const pollsAfterClose = piwik.debuggerRequests().length;
    const alertsAfterClose = alerts.length;
    await delay(1500);
    assert.equal(piwik.debuggerRequests().length, pollsAfterClose);
    assert.equal(alerts.length, alertsAfterClose);
    assert.deepEqual(await session.connection.sendRequest('aq/stopWatch', { uri, queryIndex: 0 }), { stopped: false });
  });

  it('refuses to watch a query that is not a debugger query', async () => {
    const uri = fileUri(join(root, 'seg.aq'));
    await session.open(uri, 'use mixpanel "prod"\n### Sign ups\nsegmentation "Sign Up"\n  last 7 days\n');
    await assert.rejects(session.connection.sendRequest('aq/startWatch', { uri, queryIndex: 0, everyMinutes: 0.01 }), /Only debugger queries can be watched/);
  });
});

describe('analyst workflows in an untrusted workspace', () => {
  it('refuses to send events with the Restricted Mode message', async () => {
    const root = writeWorkspace({ 'aq.json': JSON.stringify({ sources: { prod: { kind: 'mixpanel', projectId: 77, region: 'US' } } }) });
    const session = await startSession({ rootDir: root, initializationOptions: { trusted: false } });
    try {
      const uri = fileUri(join(root, 'day.events.ndjson'));
      await session.open(uri, '{"event":"A","properties":{"time":1,"distinct_id":"u"}}\n', 'json');
      await assert.rejects(session.connection.sendRequest('aq/sendEvents', { uri, sourceName: 'prod' }), /Restricted Mode/);
      assert.deepEqual(session.credentialRequests, []);
    } finally {
      await session.close();
    }
  });
});
