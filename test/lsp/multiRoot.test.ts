/**
 * A multi-root workspace over stdio: each folder's aq.json decides what its files lint against and
 * run on, as `aq lint` / `aq run` would decide in that folder.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileUri, startSession, writeWorkspace, type LspSession } from './lspHarness';

const at = (day: number): number => Date.UTC(2026, 9, day, 12) / 1000;
const events = (names: string[]): string =>
  `${names.map((name, index) => JSON.stringify({ event: name, properties: { time: at(1 + (index % 2)), distinct_id: `u${index}`, $insert_id: `i${index}` } })).join('\n')}\n`;

describe('a multi-root workspace', () => {
  let session: LspSession;
  let shop: string;
  let site: string;

  before(async () => {
    shop = writeWorkspace({
      'aq.json': JSON.stringify({ sources: { sample: { kind: 'local', path: 'events.ndjson' } }, default: 'sample' }),
      'events.ndjson': events(['Sign Up', 'Sign Up', 'Sign Up']),
    });
    site = writeWorkspace({
      'aq.json': JSON.stringify({ sources: { sample: { kind: 'local', path: 'other.ndjson' }, web: { kind: 'mixpanel', projectId: 42 } }, default: 'sample' }),
      'other.ndjson': events(['Sign Up']),
    });
    session = await startSession({ rootDir: shop, moreFolders: [site] });
  });
  after(async () => {
    await session?.close();
  });

  it("lints each file against its own folder's sources", async () => {
    const text = 'use mixpanel "web"\n### Web sign-ups\nsegmentation "Sign Up"\n  last 7 days\n';
    const inShop = fileUri(join(shop, 'web.aq'));
    const inSite = fileUri(join(site, 'web.aq'));
    await session.open(inShop, text);
    await session.open(inSite, text);
    const shopDiagnostics = await session.waitForDiagnostics(inShop, (diagnostics) => diagnostics.some((d) => d.code === 'unknown-source'));
    assert.match(String(shopDiagnostics.find((d) => d.code === 'unknown-source')?.message), /web/);
    const siteDiagnostics = await session.waitForDiagnostics(inSite);
    assert.deepEqual(
      siteDiagnostics.filter((d) => d.code === 'unknown-source'),
      [],
    );
  });

  it("runs a query on the data of the file's own folder", async () => {
    const text = '### Sign-ups\nsegmentation "Sign Up"\n  from 2026-10-01 to 2026-10-02\n  unit day\n';
    const total = async (dir: string): Promise<number> => {
      const uri = fileUri(join(dir, 'signups.aq'));
      await session.open(uri, text);
      const result = (await session.connection.sendRequest('aq/runQuery', { uri, queryIndex: 0 })) as { data: { series: Array<{ total: number }> } };
      return result.data.series.reduce((sum, series) => sum + series.total, 0);
    };
    assert.equal(await total(shop), 3);
    assert.equal(await total(site), 1);
  });

  it('lists the sources of the active document, or of every folder', async () => {
    const names = async (uri?: string): Promise<string[]> =>
      ((await session.connection.sendRequest('aq/listSources', { uri })) as Array<{ name: string }>).map((source) => source.name).sort();
    assert.deepEqual(await names(fileUri(join(shop, 'web.aq'))), ['sample']);
    assert.deepEqual(await names(fileUri(join(site, 'web.aq'))), ['sample', 'web']);
    assert.deepEqual(await names(), ['sample', 'web']);
  });
});
