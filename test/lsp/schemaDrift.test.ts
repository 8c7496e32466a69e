/**
 * Schema drift through the built server over LSP: a local source whose committed schemaFile differs
 * from its data reports the drift (`aq/schemaDrift`), answers again from memory instead of comparing
 * again, and "Update Schema Snapshot" (`aq/updateSchemaSnapshot`) rewrites the file so the drift
 * clears and lint reads the new file.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { schemaFromLexicon } from '../../server/src/queryContract/lexiconSchema';
import type { SourceSchemaDrift } from '../../server/src/protocol/customRequests';
import { fileUri, messageOf, startSession, writeWorkspace, type LspSession } from './lspHarness';

const event = (name: string, i: number, properties: Record<string, unknown>): string =>
  JSON.stringify({ event: name, properties: { time: 1_790_000_000 + i, distinct_id: `u${i}`, $insert_id: `${name}-${i}`, ...properties } });

/** The committed file still has `coupon` on Purchase and `plan` as a string; the data has a Refund event. */
const COMMITTED = {
  results: [
    {
      entityType: 'event',
      name: 'Purchase',
      schemaJson: {
        properties: {
          $insert_id: { type: 'string' },
          amount: { type: 'number' },
          coupon: { type: 'string' },
          distinct_id: { type: 'string' },
          time: { type: 'number' },
        },
      },
    },
    {
      entityType: 'event',
      name: 'Sign Up',
      schemaJson: { properties: { $insert_id: { type: 'string' }, distinct_id: { type: 'string' }, plan: { type: 'string' }, time: { type: 'number' } } },
    },
  ],
};

let root: string;
let session: LspSession;
let uri: string;

before(async () => {
  root = writeWorkspace({
    'aq.json': JSON.stringify({ sources: { shop: { kind: 'local', path: 'events.ndjson', schemaFile: 'schema/shop.lexicon.json' } }, default: 'shop' }),
    'schema/shop.lexicon.json': JSON.stringify(COMMITTED),
    'events.ndjson': `${[event('Sign Up', 1, { plan: 1 }), event('Purchase', 2, { amount: 30 }), event('Refund', 3, { amount: 30 })].join('\n')}\n`,
    'shop.aq': '### Refunds\nsegmentation "Refund"\n  last 7 days\n',
  });
  session = await startSession({ rootDir: root });
  uri = fileUri(join(root, 'shop.aq'));
  await session.open(uri, readFileSync(join(root, 'shop.aq'), 'utf8'));
});

after(async () => {
  await session?.close();
  rmSync(root, { recursive: true, force: true });
});

const driftOf = async (): Promise<SourceSchemaDrift[]> => (await session.connection.sendRequest('aq/schemaDrift', { uri })) as SourceSchemaDrift[];

describe('schema drift in the editor', () => {
  it('reports what the data has that the committed schemaFile does not, with the text the drift view shows', async () => {
    const [shop, ...others] = await driftOf();
    assert.deepEqual(others, []);
    assert.equal(shop.source, 'shop');
    assert.equal(shop.schemaFile, join(root, 'schema', 'shop.lexicon.json'));
    assert.equal(shop.error, undefined);
    assert.deepEqual(shop.drift, {
      source: 'shop',
      addedEvents: ['Refund'],
      removedEvents: [],
      addedProperties: [],
      removedProperties: [{ event: 'Purchase', property: 'coupon' }],
      changedTypes: [{ event: 'Sign Up', property: 'plan', from: 'string', to: 'number' }],
    });
    assert.deepEqual([shop.events, shop.properties], [1, 2]);
    assert.equal(shop.text, ['~ "Purchase"', '    - "coupon"', '+ "Refund"', '~ "Sign Up"', '    ~ "plan": string → number'].join('\n'));
  });

  it('answers a second question from memory (the comparison is not made again)', async () => {
    const [first] = await driftOf();
    const [second] = await driftOf();
    assert.equal(second.checkedAt, first.checkedAt);
  });

  it('reads the committed file again at each question: an edit shows at once, without fetching the live schema again', async () => {
    const [before] = await driftOf();
    const edited = structuredClone(COMMITTED);
    edited.results.push({ entityType: 'event', name: 'Refund', schemaJson: { properties: {} } } as (typeof edited.results)[number]);
    writeFileSync(join(root, 'schema', 'shop.lexicon.json'), JSON.stringify(edited));
    const [after] = await driftOf();
    assert.equal(after.checkedAt, before.checkedAt);
    assert.deepEqual(after.drift?.addedEvents, []);
    // Refund's properties are now what the file lacks.
    assert.deepEqual(
      after.drift?.addedProperties.map((ref) => `${ref.event}.${ref.property}`),
      ['Refund.$insert_id', 'Refund.amount', 'Refund.distinct_id', 'Refund.time'],
    );
    writeFileSync(join(root, 'schema', 'shop.lexicon.json'), JSON.stringify(COMMITTED));
  });

  it('Update Schema Snapshot rewrites the file with the live schema, and the drift clears', async () => {
    // Before: lint checks against the committed file, which does not know Refund.
    await session.waitForDiagnostics(uri, (items) => items.some((item) => /Refund/.test(messageOf(item))));
    const updated = (await session.connection.sendRequest('aq/updateSchemaSnapshot', { uri, sourceName: 'shop' })) as SourceSchemaDrift;
    assert.deepEqual([updated.events, updated.properties, updated.text], [0, 0, '']);
    const written = schemaFromLexicon(JSON.parse(readFileSync(join(root, 'schema', 'shop.lexicon.json'), 'utf8')));
    assert.deepEqual(Object.keys(written.events), ['Purchase', 'Refund', 'Sign Up']);
    assert.equal(written.events['Sign Up'].properties.plan.type, 'number');
    const [after] = await driftOf();
    assert.deepEqual([after.events, after.properties], [0, 0]);
    // Lint reads the new file: the Refund event is known now.
    const diagnostics = await session.waitForDiagnostics(uri, (items) => !items.some((item) => /Refund/.test(messageOf(item))));
    assert.equal(
      diagnostics.some((item) => /Refund/.test(messageOf(item))),
      false,
    );
  });

  it('a source without schemaFile cannot be updated, with a message that says so', async () => {
    await assert.rejects(session.connection.sendRequest('aq/updateSchemaSnapshot', { uri, sourceName: 'nope' }), /has no "schemaFile" in aq\.json/);
  });
});
