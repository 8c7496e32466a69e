/**
 * Property value completion from the live source, through the built server over LSP: inside the
 * string after `where properties["x"] ==` (or in an `in [...]` list) the values Mixpanel's
 * `/events/properties/values` gives (over real HTTP to the fake), cached per (source, event,
 * property) so a second completion sends nothing; a completion cancelled while the lookup runs
 * answers nothing and aborts the HTTP call; a local source gives the values of its data, most
 * frequent first. An editor slow to answer its settings is waited for: the lookup and a run go to
 * the configured URL, not to Mixpanel's own; one that never answers is waited for a few seconds.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource, type CompletionItem, type CompletionList } from 'vscode-languageserver-protocol';
import { startFakeMixpanel, type FakeMixpanel } from '../fake-apis/fakeMixpanel';
import { fileUri, startSession, writeWorkspace, type LspSession } from './lspHarness';

const LEXICON = {
  results: [
    { entityType: 'event', name: 'Sign Up', schemaJson: { properties: { browser: { type: 'string' }, plan: { type: 'string', examples: ['enterprise'] } } } },
    { entityType: 'event', name: 'Purchase', schemaJson: { properties: { amount: { type: 'number' } } } },
  ],
};

const localLine = (plan: string, i: number): string =>
  JSON.stringify({ event: 'Sign Up', properties: { time: 1_790_000_000 + i, distinct_id: `u${i}`, $insert_id: `s${i}`, plan } });

let fake: FakeMixpanel;
let root: string;
let session: LspSession;

before(async () => {
  fake = await startFakeMixpanel({ projects: { 77: { region: 'US', serviceAccounts: [{ username: 'sa.user', secret: 'sa-secret-4242' }] } } });
  root = writeWorkspace({
    'aq.json': JSON.stringify({
      sources: { prod: { kind: 'mixpanel', projectId: 77, region: 'US', schemaFile: 'lexicon.json' }, events: { kind: 'local', path: 'events.ndjson' } },
      default: 'prod',
    }),
    'lexicon.json': JSON.stringify(LEXICON),
    'events.ndjson': `${['free', 'pro', 'free', 'team', 'free', 'pro'].map(localLine).join('\n')}\n`,
  });
  session = await startSession({ rootDir: root, settings: { baseUrlOverrides: { prod: fake.url } } });
  session.connection.onRequest('aq/credentials', (params: unknown) =>
    (params as { sourceName: string }).sourceName === 'prod' ? { username: 'sa.user', secret: 'sa-secret-4242' } : null,
  );
});

after(async () => {
  await session?.close();
  await fake?.close();
  rmSync(root, { recursive: true, force: true });
});

let documents = 0;

/** Opens a new document with `text` (in the main session unless `on` says otherwise) and asks for completion at its end. */
async function completeAtEnd(
  text: string,
  { token, on = { session, root } }: { token?: CancellationTokenSource; on?: { session: LspSession; root: string } } = {},
): Promise<CompletionItem[]> {
  const uri = fileUri(join(on.root, `values-${++documents}.aq`));
  await on.session.open(uri, text);
  const lines = text.split('\n');
  const params = { textDocument: { uri }, position: { line: lines.length - 1, character: lines.at(-1)!.length } };
  const list = (await (token
    ? on.session.connection.sendRequest('textDocument/completion', params, token.token)
    : on.session.connection.sendRequest('textDocument/completion', params))) as CompletionList | CompletionItem[] | null;
  return Array.isArray(list) ? list : (list?.items ?? []);
}

const valuesRequests = () => fake.store.requestsTo('/api/query/events/properties/values');

describe('live property value completion', () => {
  it('offers the values Mixpanel knows for the property on the query’s event, then the schema’s examples', async () => {
    const before = valuesRequests().length;
    const items = await completeAtEnd('use mixpanel "prod"\n\n### Plans\nsegmentation "Sign Up"\n  last 7 days\n  where properties["plan"] == "');
    assert.deepEqual(
      items.map((item) => item.label),
      ['"free"', '"pro"', '"enterprise"'],
    );
    const sent = valuesRequests().slice(before);
    assert.equal(sent.length, 1);
    assert.deepEqual(
      { event: sent[0].query.event, name: sent[0].query.name, project_id: sent[0].query.project_id },
      { event: 'Sign Up', name: 'plan', project_id: '77' },
    );
  });

  it('answers a second completion of the same property from the cache, without an HTTP call', async () => {
    const before = fake.store.requests.length;
    const items = await completeAtEnd('use mixpanel "prod"\n\n### Plans again\nsegmentation "Sign Up"\n  last 7 days\n  where properties["plan"] in ["pro", "');
    assert.deepEqual(
      items.map((item) => item.label),
      ['"free"', '"pro"', '"enterprise"'],
    );
    assert.equal(fake.store.requests.length, before);
  });

  it('writes the values of a number property as numbers', async () => {
    const items = await completeAtEnd('use mixpanel "prod"\n\n### Big orders\nsegmentation "Purchase"\n  last 7 days\n  where properties["amount"] == ');
    assert.deepEqual(
      items.map((item) => item.label),
      ['30', '20', '50'],
    );
  });

  it('a completion cancelled while the lookup waits answers nothing and hangs up on Mixpanel', async () => {
    fake.setFault({ kind: 'slow', delayMs: 5_000 }, { times: 1, path: /properties\/values/ });
    const before = valuesRequests().length;
    const source = new CancellationTokenSource();
    const pending = completeAtEnd('use mixpanel "prod"\n\n### Browsers\nsegmentation "Sign Up"\n  last 7 days\n  where properties["browser"] == "', {
      token: source,
    });
    while (valuesRequests().length === before) await new Promise((resolve) => setTimeout(resolve, 10));
    source.cancel();
    await assert.rejects(pending, (error: { code?: number }) => error.code === -32800);
    const sent = valuesRequests().at(-1)!;
    for (let waited = 0; !sent.closedEarly && waited < 3_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sent.closedEarly, true);
    // Nothing was cached from the cancelled lookup: asking again asks Mixpanel again, and gets the values.
    const items = await completeAtEnd('use mixpanel "prod"\n\n### Browsers again\nsegmentation "Sign Up"\n  last 7 days\n  where properties["browser"] == "');
    assert.deepEqual(
      items.map((item) => item.label),
      ['"Chrome"', '"Firefox"'],
    );
    assert.equal(valuesRequests().length, before + 2);
  });

  it('a local source offers the values of its data, most frequent first', async () => {
    const before = fake.store.requests.length;
    const items = await completeAtEnd('use local "events"\n\n### Local plans\nsegmentation "Sign Up"\n  last 7 days\n  where properties["plan"] != "');
    assert.deepEqual(
      items.map((item) => item.label),
      ['"free"', '"pro"', '"team"'],
    );
    assert.equal(fake.store.requests.length, before);
  });

  it('user properties and places that are no value get no lookup', async () => {
    const before = fake.store.requests.length;
    await completeAtEnd('use mixpanel "prod"\n\n### Users\nsegmentation "Sign Up"\n  last 7 days\n  where user["plan"] == "');
    await completeAtEnd('use mixpanel "prod"\n\n### Props\nsegmentation "Sign Up"\n  last 7 days\n  where properties["');
    assert.equal(fake.store.requests.length, before);
  });
});

describe('an editor that answers its settings late', () => {
  let slowRoot: string;
  let slow: LspSession;

  before(async () => {
    slowRoot = writeWorkspace({
      'aq.json': JSON.stringify({ sources: { prod: { kind: 'mixpanel', projectId: 77, region: 'US', schemaFile: 'lexicon.json' } }, default: 'prod' }),
      'lexicon.json': JSON.stringify(LEXICON),
    });
    slow = await startSession({ rootDir: slowRoot, settings: { baseUrlOverrides: { prod: fake.url } }, settingsDelayMs: 700 });
    slow.connection.onRequest('aq/credentials', () => ({ username: 'sa.user', secret: 'sa-secret-4242' }));
  });

  after(async () => {
    await slow?.close();
    rmSync(slowRoot, { recursive: true, force: true });
  });

  it('completes values and runs a query right after start against the configured URL', async () => {
    const runUri = fileUri(join(slowRoot, 'run.aq'));
    await slow.open(runUri, 'use mixpanel "prod"\n\n### Sign ups\nsegmentation "Sign Up"\n  last 7 days\n');
    const valuesBefore = valuesRequests().length;
    const runsBefore = fake.store.requestsTo('/api/query/segmentation').length;
    const [items, result] = await Promise.all([
      completeAtEnd('use mixpanel "prod"\n\n### Plans\nsegmentation "Sign Up"\n  last 7 days\n  where properties["plan"] == "', {
        on: { session: slow, root: slowRoot },
      }),
      slow.connection.sendRequest('aq/runQuery', { uri: runUri, queryIndex: 0 }).then(
        () => 'ran',
        (error: { message: string }) => error.message,
      ),
    ]);
    assert.deepEqual(
      items.map((item) => item.label),
      ['"free"', '"pro"', '"enterprise"'],
    );
    assert.equal(valuesRequests().length, valuesBefore + 1);
    assert.equal(result, 'ran');
    assert.equal(fake.store.requestsTo('/api/query/segmentation').length, runsBefore + 1);
  });
});

describe('an editor that never answers its settings', () => {
  let silentRoot: string;
  let silent: LspSession;

  before(async () => {
    silentRoot = writeWorkspace({
      'aq.json': JSON.stringify({ sources: { events: { kind: 'local', path: 'events.ndjson' } }, default: 'events' }),
      'events.ndjson': `${['free', 'pro', 'free'].map(localLine).join('\n')}\n`,
    });
    silent = await startSession({ rootDir: silentRoot, settingsDelayMs: Infinity });
  });

  after(async () => {
    await silent?.close();
    rmSync(silentRoot, { recursive: true, force: true });
  });

  it('completion answers after a few seconds, with aq.json and the defaults, and the log says why', async () => {
    const items = await completeAtEnd('use local "events"\n\n### Plans\nsegmentation "Sign Up"\n  last 7 days\n  where properties["plan"] == "', {
      on: { session: silent, root: silentRoot },
    });
    assert.deepEqual(
      items.map((item) => item.label),
      ['"free"', '"pro"'],
    );
    assert.ok(
      silent.logs.some((line) => /has not sent its settings after 3 s/.test(line)),
      silent.logs.join('\n'),
    );
  });
});
