import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createDocumentModelCache } from '../../server/src/lsp/documentModelCache';
import { toEngineSettings } from '../../server/src/lsp/settingsResolver';

describe('toEngineSettings', () => {
  it('converts seconds to milliseconds and passes sources and URL overrides through', () => {
    const { settings, timezone, problems } = toEngineSettings(
      {
        sources: { shop: { kind: 'mixpanel', projectId: 3, region: 'EU' } },
        baseUrlOverrides: { shop: 'http://127.0.0.1:4010' },
        cacheTtlSeconds: 0,
        requestTimeoutSeconds: 30,
        timezone: 'Europe/Paris',
      },
      true,
    );
    assert.deepEqual(problems, []);
    assert.equal(timezone, 'Europe/Paris');
    assert.deepEqual(settings, {
      trusted: true,
      extraSources: { shop: { kind: 'mixpanel', projectId: 3, region: 'EU' } },
      baseUrlOverrides: { shop: 'http://127.0.0.1:4010' },
      cacheTtlMs: 0,
      requestTimeoutMs: 30000,
    });
  });

  it('ignores values of the wrong type and says which setting was wrong', () => {
    const { settings, problems } = toEngineSettings(
      {
        sources: ['shop'],
        baseUrlOverrides: { shop: 'file:///etc/passwd', site: 42 },
        cacheTtlSeconds: -1,
        requestTimeoutSeconds: '30',
        timezone: 'Mars/Olympus',
      },
      false,
    );
    assert.deepEqual(settings, { trusted: false, baseUrlOverrides: {} });
    assert.equal(problems.length, 6);
    for (const key of [
      'aq.sources',
      'aq.baseUrlOverrides: "shop"',
      'aq.baseUrlOverrides: "site"',
      'aq.cacheTtlSeconds',
      'aq.requestTimeoutSeconds',
      'aq.timezone',
    ]) {
      assert.ok(
        problems.some((problem) => problem.includes(key)),
        `no problem names ${key}: ${problems.join(' | ')}`,
      );
    }
  });

  it('treats missing and null settings as defaults', () => {
    assert.deepEqual(toEngineSettings({ sources: null, cacheTtlSeconds: undefined, timezone: '' }, true), {
      settings: { trusted: true },
      timezone: undefined,
      problems: [],
    });
  });
});

describe('documentModelCache', () => {
  it('parses each document version once and re-parses after a change', () => {
    let parses = 0;
    const cache = createDocumentModelCache((document) => {
      parses++;
      return document.getText().length;
    });
    const v1 = TextDocument.create('file:///a.aq', 'aq', 1, 'abc');
    assert.equal(cache.get(v1), 3);
    assert.equal(cache.get(v1), 3);
    assert.equal(parses, 1);
    const v2 = TextDocument.update(v1, [{ text: 'abcdef' }], 2);
    assert.equal(cache.get(v2), 6);
    assert.equal(parses, 2);
    cache.onDocumentRemoved('file:///a.aq');
    cache.get(v2);
    assert.equal(parses, 3);
    cache.dispose();
  });

  it('evicts the least recently used document beyond its size', () => {
    let parses = 0;
    const cache = createDocumentModelCache(() => ++parses, { maxEntries: 2 });
    const docs = ['a', 'b', 'c'].map((name) => TextDocument.create(`file:///${name}.aq`, 'aq', 1, name));
    cache.get(docs[0]);
    cache.get(docs[1]);
    cache.get(docs[0]);
    cache.get(docs[2]);
    assert.equal(parses, 3);
    cache.get(docs[0]);
    assert.equal(parses, 3, 'the recently used document was evicted');
    cache.get(docs[1]);
    assert.equal(parses, 4, 'the least recently used document was kept');
    cache.dispose();
  });

  it('drops an idle closed document after a while, but keeps an idle open one until it is closed', () => {
    mock.timers.enable({ apis: ['setInterval', 'Date'] });
    try {
      let parses = 0;
      const open = new Set(['file:///open.aq']);
      const cache = createDocumentModelCache(() => ++parses, { cleanupIntervalSeconds: 60, isOpen: (uri) => open.has(uri) });
      const opened = TextDocument.create('file:///open.aq', 'aq', 1, 'a');
      const closed = TextDocument.create('file:///closed.aq', 'aq', 1, 'b');
      cache.get(opened);
      cache.get(closed);
      assert.equal(parses, 2);
      mock.timers.tick(10 * 60 * 1000);
      cache.get(opened);
      assert.equal(parses, 2, 'the open document, idle for ten minutes, was not parsed again');
      cache.get(closed);
      assert.equal(parses, 3, 'the closed document was dropped and parsed again');
      open.delete('file:///open.aq');
      mock.timers.tick(3 * 60 * 1000);
      cache.get(opened);
      assert.equal(parses, 4, 'once closed, it is dropped like any other');
      cache.dispose();
    } finally {
      mock.timers.reset();
    }
  });
});

it('aq.defaultSource is passed on; a non-string is reported', () => {
  assert.equal(toEngineSettings({ defaultSource: 'shop' }, true).settings.defaultSource, 'shop');
  const bad = toEngineSettings({ defaultSource: 42 }, true);
  assert.equal(bad.settings.defaultSource, undefined);
  assert.match(bad.problems.join('\n'), /aq.defaultSource must be a source name/);
});
