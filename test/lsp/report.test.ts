/**
 * `report` queries through the built server, as the editor drives them, against the fake Piwik PRO
 * (Analytics Query API and column listing): completion of column ids, first from the standard
 * columns and then from the website's listing, and an API error shown on the clause it concerns.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CompletionList, Diagnostic } from 'vscode-languageserver-protocol';
import { PIWIK_WEBSITE_ID } from '../fake-apis/fakePiwikAnalytics';
import { startFakePiwikPro, type FakePiwikPro } from '../fake-apis/fakePiwikPro';
import { fileUri, positionOf, startSession, writeWorkspace, type LspSession } from './lspHarness';

const SECRETS = { clientId: 'report-cid', clientSecret: 'report-secret-51' };

describe('report queries in the editor', () => {
  let fake: FakePiwikPro;
  let session: LspSession;
  let root: string;

  before(async () => {
    fake = await startFakePiwikPro({ clients: [SECRETS] });
    root = writeWorkspace({
      'aq.json': JSON.stringify({ sources: { site: { kind: 'piwik', url: 'https://shop.piwik.pro', appId: PIWIK_WEBSITE_ID } }, default: 'site' }),
    });
    session = await startSession({ rootDir: root, pull: true, settings: { baseUrlOverrides: { site: fake.url } } });
    session.connection.onRequest('aq/credentials', (params: unknown) => ((params as { sourceName: string }).sourceName === 'site' ? SECRETS : null));
  });

  after(async () => {
    await session.close();
    await fake.close();
  });

  async function completionLabels(uri: string, text: string, after: string): Promise<string[]> {
    const list = (await session.connection.sendRequest('textDocument/completion', {
      textDocument: { uri },
      position: positionOf(text, after, after.length),
    })) as CompletionList;
    return list.items.map((item) => item.label);
  }

  it("completes column ids: the website's own columns once its listing is fetched", async () => {
    const uri = fileUri(join(root, 'complete.aq'));
    const text = `use piwik "site"\nreport "${PIWIK_WEBSITE_ID}"\n  dimensions source_medium, \n  metrics \n  last 7 days\n`;
    await session.open(uri, text);
    // The listing is fetched in the background with the editor's credentials; until then the standard columns answer.
    let labels: string[] = [];
    for (let attempt = 0; attempt < 100 && !labels.includes('event_custom_dimension_1'); attempt++) {
      labels = await completionLabels(uri, text, 'source_medium, ');
      if (!labels.includes('event_custom_dimension_1')) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(labels.includes('event_custom_dimension_1'), `the listed custom dimension is offered: ${labels.join(', ')}`);
    assert.ok(labels.includes('device_type'));
    assert.ok(!labels.includes('sessions'), 'no metric under dimensions');
    assert.ok(!labels.includes('source_medium'), 'a column already listed is not offered again');
    assert.deepEqual((await completionLabels(uri, text, '  metrics ')).sort(), ['bounce_rate', 'bounces', 'page_views', 'sessions', 'visitors']);
    assert.ok(fake.store.requestsTo('/analytics/api/engine/dimensions/').length >= 1);
  });

  it('shows what the API rejects on the clause, until the query changes', async () => {
    const uri = fileUri(join(root, 'run.aq'));
    // The lint flags the transformation too; the run sends it anyway and shows the API's own words.
    const text = `use piwik "site"\nreport "${PIWIK_WEBSITE_ID}"\n  dimensions device_type\n  metrics sessions, median(device_type)\n  from 2026-11-01 to 2026-11-30\n`;
    await session.open(uri, text);
    await assert.rejects(session.connection.sendRequest('aq/runQuery', { uri, queryIndex: 0 }), (error: { message: string; data: { kind: string } }) => {
      assert.equal(error.data.kind, 'badRequest');
      assert.match(error.message, /Transformation "median" is not supported by column "device_type"\. \(in 'metrics'\)/);
      return true;
    });
    const rejected = (items: Diagnostic[]) => items.some((d) => d.code === 'api-rejected');
    const diagnostics = await session.pullDiagnostics(uri, rejected);
    const onClause = diagnostics.find((d) => d.code === 'api-rejected')!;
    assert.deepEqual(onClause.range.start, positionOf(text, 'median(device_type)'));
    assert.deepEqual(onClause.range.end, positionOf(text, 'median(device_type)', 'median(device_type)'.length));

    const fixed = text.replace('median(device_type)', 'visitors');
    await session.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: fixed }] });
    const after = await session.pullDiagnostics(uri, (items) => !rejected(items));
    assert.deepEqual(after, []);
    const result = (await session.connection.sendRequest('aq/runQuery', { uri, queryIndex: 0 })) as { queryKind: string; meta: { rowCount: number } };
    assert.equal(result.queryKind, 'report');
    assert.equal(result.meta.rowCount, 3);
  });
});
