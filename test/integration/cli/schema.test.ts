/**
 * `aq schema pull` and `aq schema diff` as a user runs them: a local source's live schema derived
 * from its data and written to its schemaFile (resolved against aq.json's folder), drift after the
 * data changed (an event added, a property gone, a type changed) as exact JSON and as text, the exit
 * codes 0 / 1 / 2, and a Mixpanel source's Lexicon pulled over real HTTP from the fake on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { CliIo } from '../../../server/src/cli/cliIo';
import { runCli } from '../../../server/src/cli/cliMain';
import { schemaFromLexicon, validateLexiconFile } from '../../../server/src/queryContract/lexiconSchema';
import { startFakeMixpanel, type FakeMixpanel } from '../../fake-apis/fakeMixpanel';

let dir: string;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function aq(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    cwd: options.cwd ?? dir,
    env: { AQ_CACHE_DIR: join(dir, '.aq-cache'), ...options.env },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

function line(name: string, day: number, properties: Record<string, unknown>): string {
  return JSON.stringify({
    event: name,
    properties: { time: Date.UTC(2026, 9, day) / 1000, distinct_id: `u${day}`, $insert_id: `${name}-${day}`, ...properties },
  });
}

const FIRST_DATA = [
  line('Sign Up', 1, { plan: 'free' }),
  line('Sign Up', 2, { plan: 'pro' }),
  line('Purchase', 2, { amount: 30, coupon: 'SPRING' }),
  line('Purchase', 3, { amount: 20, coupon: 'SPRING' }),
];

/** The same data a week later: `Refund` arrived, `coupon` is gone and `plan` became a number. */
const LATER_DATA = [
  line('Sign Up', 1, { plan: 1 }),
  line('Sign Up', 2, { plan: 2 }),
  line('Purchase', 2, { amount: 30 }),
  line('Purchase', 3, { amount: 20 }),
  line('Refund', 4, { amount: 20 }),
];

function writeData(lines: string[]): void {
  writeFileSync(join(dir, 'data', 'events.ndjson'), `${lines.join('\n')}\n`);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'aq-schema-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'queries'));
  writeFileSync(
    join(dir, 'aq.json'),
    JSON.stringify({
      sources: {
        shop: { kind: 'local', path: 'data/events.ndjson', schemaFile: 'schema/shop.lexicon.json' },
        bare: { kind: 'local', path: 'data/events.ndjson' },
        site: { kind: 'piwik', url: 'https://example.piwik.pro' },
      },
      default: 'shop',
    }),
  );
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('aq schema on a local source', () => {
  beforeEach(() => {
    writeData(FIRST_DATA);
    rmSync(join(dir, 'schema'), { recursive: true, force: true });
  });

  it('pull writes the schema derived from the data to the schemaFile, next to aq.json even when run from a subfolder', async () => {
    const result = await aq(['schema', 'pull', 'shop'], { cwd: join(dir, 'queries') });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Wrote schema\/shop\.lexicon\.json: 2 events, 9 event properties \(derived from events\.ndjson\)\.\n$/);
    const json = JSON.parse(readFileSync(join(dir, 'schema', 'shop.lexicon.json'), 'utf8')) as { results: Array<{ entityType: string; name: string }> };
    assert.deepEqual(validateLexiconFile(json), []);
    assert.deepEqual(
      json.results.map((entry) => `${entry.entityType}:${entry.name}`),
      ['event:Purchase', 'event:Sign Up'],
    );
    const schema = schemaFromLexicon(json);
    assert.deepEqual(Object.fromEntries(Object.entries(schema.events.Purchase.properties).map(([name, property]) => [name, property.type])), {
      $insert_id: 'string',
      amount: 'number',
      coupon: 'string',
      distinct_id: 'string',
      time: 'number',
    });
    assert.deepEqual(schema.events['Sign Up'].properties.plan.examples, ['free', 'pro']);
  });

  it('pull twice over unchanged data writes the same bytes', async () => {
    assert.equal((await aq(['schema', 'pull', 'shop'])).code, 0);
    const first = readFileSync(join(dir, 'schema', 'shop.lexicon.json'), 'utf8');
    assert.equal((await aq(['schema', 'pull', 'shop'])).code, 0);
    assert.equal(readFileSync(join(dir, 'schema', 'shop.lexicon.json'), 'utf8'), first);
  });

  it('diff right after a pull finds no drift (exit 0)', async () => {
    await aq(['schema', 'pull', 'shop']);
    const text = await aq(['schema', 'diff', 'shop']);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, 'No drift: schema/shop.lexicon.json matches the live schema of "shop" (derived from events.ndjson).\n');
    const json = await aq(['schema', 'diff', 'shop', '--format', 'json']);
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.stdout), {
      source: 'shop',
      addedEvents: [],
      removedEvents: [],
      addedProperties: [],
      removedProperties: [],
      changedTypes: [],
    });
  });

  it('diff after the data changed reports the added event, the removed property and the changed type (exit 1)', async () => {
    await aq(['schema', 'pull', 'shop']);
    writeData(LATER_DATA);
    const json = await aq(['schema', 'diff', 'shop', '--format', 'json']);
    assert.equal(json.code, 1, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
      source: 'shop',
      addedEvents: ['Refund'],
      removedEvents: [],
      addedProperties: [],
      removedProperties: [{ event: 'Purchase', property: 'coupon' }],
      changedTypes: [{ event: 'Sign Up', property: 'plan', from: 'string', to: 'number' }],
    });
    const text = await aq(['schema', 'diff', 'shop']);
    assert.equal(text.code, 1);
    assert.equal(
      text.stdout,
      [
        'schema/shop.lexicon.json → live schema of "shop" (derived from events.ndjson):',
        '~ "Purchase"',
        '    - "coupon"',
        '+ "Refund"',
        '~ "Sign Up"',
        '    ~ "plan": string → number',
        'Schema drift: 1 event, 2 properties. "aq schema pull shop" updates the file.',
        '',
      ].join('\n'),
    );
    // Pulling again takes the new schema in: the drift is gone.
    assert.equal((await aq(['schema', 'pull', 'shop'])).code, 0);
    assert.equal((await aq(['schema', 'diff', 'shop'])).code, 0);
  });

  it('pull keeps the descriptions the replaced file had for what remains, as data carries none', async () => {
    mkdirSync(join(dir, 'schema'), { recursive: true });
    writeFileSync(
      join(dir, 'schema', 'shop.lexicon.json'),
      JSON.stringify({
        results: [
          {
            entityType: 'event',
            name: 'Purchase',
            schemaJson: {
              description: 'An order was paid.',
              metadata: { 'com.mixpanel': { displayName: 'Order', tags: ['Revenue'] } },
              properties: { amount: { type: 'number', description: 'Order total in EUR.' }, gone: { type: 'string', description: 'Old.' } },
            },
          },
          { entityType: 'event', name: 'Old Event', schemaJson: { description: 'Not tracked any more.', properties: {} } },
        ],
      }),
    );
    assert.equal((await aq(['schema', 'pull', 'shop'])).code, 0);
    const schema = schemaFromLexicon(JSON.parse(readFileSync(join(dir, 'schema', 'shop.lexicon.json'), 'utf8')));
    assert.deepEqual(
      [schema.events.Purchase.description, schema.events.Purchase.displayName, schema.events.Purchase.tags],
      ['An order was paid.', 'Order', ['Revenue']],
    );
    assert.equal(schema.events.Purchase.properties.amount.description, 'Order total in EUR.');
    assert.equal(schema.events.Purchase.properties.gone, undefined);
    assert.equal(schema.events['Old Event'], undefined);
  });

  it('pull --output writes where it says, relative to the working directory, and leaves the schemaFile alone', async () => {
    const result = await aq(['schema', 'pull', 'bare', '--output', 'out/bare.json'], { cwd: join(dir, 'queries') });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(join(dir, 'queries', 'out', 'bare.json')));
    assert.equal(existsSync(join(dir, 'schema', 'shop.lexicon.json')), false);
  });
});

describe('aq schema help', () => {
  it('aq --help lists both subcommands, and aq schema --help prints their usage (exit 0)', async () => {
    const help = await aq(['--help']);
    assert.match(help.stdout, /schema pull SOURCE \[--output FILE\]/);
    assert.match(help.stdout, /schema diff SOURCE \[--format text\|json\]/);
    const own = await aq(['schema', '--help']);
    assert.equal(own.code, 0);
    assert.equal(
      own.stdout,
      'usage: aq schema pull SOURCE [--output FILE] [--allow-host HOST]...\n       aq schema diff SOURCE [--format text|json] [--allow-host HOST]...\n',
    );
  });
});

describe('aq schema exit codes for usage and file errors (2)', () => {
  beforeEach(() => writeData(FIRST_DATA));

  const cases: Array<[string, string[], RegExp]> = [
    ['no subcommand', ['schema'], /usage: aq schema pull SOURCE/],
    ['an unknown subcommand', ['schema', 'push', 'shop'], /unknown subcommand "push"/],
    ['no source', ['schema', 'diff'], /missing SOURCE/],
    ['an unknown source', ['schema', 'pull', 'nope'], /no source named "nope" in aq\.json \(known: shop, bare, site\)/],
    [
      'pull of a source without schemaFile and no --output',
      ['schema', 'pull', 'bare'],
      /source "bare" has no "schemaFile" in aq\.json; add one .* or pass --output FILE/,
    ],
    ['diff of a source without schemaFile', ['schema', 'diff', 'bare'], /source "bare" has no "schemaFile" in aq\.json to compare with/],
    ['an unknown format', ['schema', 'diff', 'shop', '--format', 'xml'], /--format must be one of text, json/],
    [
      'a Piwik PRO source',
      ['schema', 'pull', 'site', '--output', 'site.json'],
      /"site" is a Piwik PRO source: schema snapshots are for Mixpanel and local sources/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const result = await aq(args);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      assert.match(result.stderr, message);
    });
  }

  it('diff with a schemaFile that is missing or not JSON', async () => {
    rmSync(join(dir, 'schema'), { recursive: true, force: true });
    const missing = await aq(['schema', 'diff', 'shop']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /the schema file .*shop\.lexicon\.json cannot be read: no such file/);
    mkdirSync(join(dir, 'schema'));
    writeFileSync(join(dir, 'schema', 'shop.lexicon.json'), '{"results": [');
    const broken = await aq(['schema', 'diff', 'shop']);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /cannot be read: .*JSON/);
    writeFileSync(join(dir, 'schema', 'shop.lexicon.json'), '{"events": {}}');
    const notLexicon = await aq(['schema', 'diff', 'shop']);
    assert.equal(notLexicon.code, 2);
    assert.match(notLexicon.stderr, /Not a Lexicon schema file/);
  });

  it('no aq.json above the working directory', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'aq-schema-none-'));
    try {
      const result = await aq(['schema', 'diff', 'shop'], { cwd: elsewhere });
      assert.equal(result.code, 2);
      assert.match(result.stderr, /no aq\.json in /);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('aq schema on a Mixpanel source, over HTTP to the fake Lexicon Schemas API', () => {
  let fake: FakeMixpanel;
  let workspace: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    fake = await startFakeMixpanel({
      projects: {
        77: { region: 'US', serviceAccounts: [{ username: 'sa.user', secret: 'sa-secret-4242' }] },
        78: { region: 'US', serviceAccounts: [{ username: 'sa.user', secret: 'sa-secret-4242' }], lexiconForbidden: true },
      },
    });
    workspace = mkdtempSync(join(tmpdir(), 'aq-schema-mixpanel-'));
    writeFileSync(
      join(workspace, 'aq.json'),
      JSON.stringify({
        sources: {
          prod: { kind: 'mixpanel', projectId: 77, region: 'US', schemaFile: 'schema/prod.lexicon.json' },
          locked: { kind: 'mixpanel', projectId: 78, region: 'US', schemaFile: 'schema/locked.lexicon.json' },
        },
      }),
    );
    env = {
      AQ_PROD_USERNAME: 'sa.user',
      AQ_PROD_SECRET: 'sa-secret-4242',
      AQ_PROD_BASE_URL: fake.url,
      AQ_LOCKED_USERNAME: 'sa.user',
      AQ_LOCKED_SECRET: 'sa-secret-4242',
      AQ_LOCKED_BASE_URL: fake.url,
    };
  });

  after(async () => {
    await fake.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('pull asks Lexicon once with the service account and writes its schemas sorted, the $user profile last', async () => {
    const before = fake.store.requests.length;
    const result = await aq(['schema', 'pull', 'prod'], { cwd: workspace, env });
    assert.equal(result.code, 0, result.stderr);
    const requests = fake.store.requests.slice(before);
    assert.deepEqual(
      requests.map((request) => request.path),
      ['/api/app/projects/77/schemas'],
    );
    assert.equal(requests[0].headers.authorization, `Basic ${Buffer.from('sa.user:sa-secret-4242').toString('base64')}`);
    const json = JSON.parse(readFileSync(join(workspace, 'schema', 'prod.lexicon.json'), 'utf8')) as {
      results: Array<{
        entityType: string;
        name: string;
        schemaJson: { description: string; properties: Record<string, { type?: string; examples?: unknown[] }> };
      }>;
    };
    assert.deepEqual(
      json.results.map((entry) => [entry.entityType, entry.name, entry.schemaJson.description, Object.keys(entry.schemaJson.properties)]),
      [
        ['event', 'Purchase', 'An order was paid.', ['amount', 'browser']],
        ['event', 'Sign Up', 'A new account.', ['browser', 'plan']],
        ['profile', '$user', '', ['$email', 'plan']],
      ],
    );
    assert.deepEqual(json.results[1].schemaJson.properties.plan, { type: 'string', examples: ['free', 'pro'] });
    assert.doesNotMatch(result.stdout + result.stderr, /sa-secret-4242/);

    const diff = await aq(['schema', 'diff', 'prod', '--format', 'json'], { cwd: workspace, env });
    assert.equal(diff.code, 0, diff.stderr);
  });

  it('diff reports what the committed file has that Lexicon no longer has', async () => {
    mkdirSync(join(workspace, 'schema'), { recursive: true });
    writeFileSync(
      join(workspace, 'schema', 'prod.lexicon.json'),
      JSON.stringify({
        results: [
          { entityType: 'event', name: 'Sign Up', schemaJson: { properties: { browser: { type: 'string' }, plan: { type: 'number' } } } },
          { entityType: 'event', name: 'Checkout', schemaJson: { properties: {} } },
        ],
      }),
    );
    const diff = await aq(['schema', 'diff', 'prod', '--format', 'json'], { cwd: workspace, env });
    assert.equal(diff.code, 1, diff.stderr);
    assert.deepEqual(JSON.parse(diff.stdout), {
      source: 'prod',
      addedEvents: ['Purchase'],
      removedEvents: ['Checkout'],
      addedProperties: [],
      removedProperties: [],
      changedTypes: [{ event: 'Sign Up', property: 'plan', from: 'number', to: 'string' }],
    });
  });

  it('without Lexicon access, pull falls back to the event listing (names and properties, no types)', async () => {
    const result = await aq(['schema', 'pull', 'locked'], { cwd: workspace, env });
    assert.equal(result.code, 0, result.stderr);
    const schema = schemaFromLexicon(JSON.parse(readFileSync(join(workspace, 'schema', 'locked.lexicon.json'), 'utf8')));
    assert.deepEqual(Object.keys(schema.events), ['Page View', 'Purchase', 'Sign Up']);
    assert.deepEqual(Object.keys(schema.events['Sign Up'].properties), ['browser', 'plan']);
    assert.equal(schema.events['Sign Up'].properties.plan.type, 'unknown');
  });

  it('without credentials pull fails with the fix (exit 1) and diff with exit 2, as drift would be 1', async () => {
    const pull = await aq(['schema', 'pull', 'prod', '--output', 'x.json'], { cwd: workspace, env: { AQ_PROD_BASE_URL: fake.url } });
    assert.equal(pull.code, 1);
    assert.match(pull.stderr, /No credentials for Mixpanel source "prod"[\s\S]*hint: .*AQ_PROD_USERNAME/);
    const diff = await aq(['schema', 'diff', 'prod'], { cwd: workspace, env: { AQ_PROD_BASE_URL: fake.url } });
    assert.equal(diff.code, 2);
  });
});
