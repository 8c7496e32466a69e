/**
 * Which aq.json serves a document when a workspace has several: the nearest one above the document
 * (as the CLI finds it), else the workspace folder holding it, else the first folder.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createQueryEngine } from '../../../server/src/queryEngine/queryEngine';
import { WorkspaceEngines } from '../../../server/src/queryEngine/workspaceEngines';

let base: string;
let shop: string;
let site: string;
let plain: string;

function writeConfig(dir: string, sources: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'aq.json'), JSON.stringify({ sources, ...extra }));
}

before(() => {
  base = mkdtempSync(join(tmpdir(), 'aq-roots-'));
  shop = join(base, 'shop');
  site = join(base, 'site');
  plain = join(base, 'plain');
  writeConfig(shop, { sample: { kind: 'local', path: 'data/events.ndjson' }, app: { kind: 'mparticle', pod: 'EU1' } }, { default: 'sample' });
  writeConfig(join(shop, 'apps', 'checkout'), { checkout: { kind: 'local', path: 'checkout.ndjson' } });
  writeConfig(site, { web: { kind: 'mixpanel', projectId: 42 } }, { default: 'web' });
  mkdirSync(join(plain, 'queries'), { recursive: true });
});

after(() => rmSync(base, { recursive: true, force: true }));

function engines(folders: string[]): WorkspaceEngines {
  const workspace = new WorkspaceEngines(() => createQueryEngine({ cacheDir: join(base, '.cache') }));
  workspace.configureFolders(folders, {});
  return workspace;
}

describe('WorkspaceEngines', () => {
  it('gives each folder of a multi-root workspace its own sources and default', () => {
    const workspace = engines([shop, site]);
    assert.deepEqual([...workspace.knownSources(join(shop, 'q.aq'))], ['sample']);
    assert.deepEqual([...workspace.knownSources(join(site, 'reports', 'q.aq'))], ['web']);
    assert.deepEqual(workspace.defaultSource(join(site, 'q.aq')), { kind: 'mixpanel', name: 'web' });
    assert.equal(workspace.resolveSource({ kind: 'mixpanel', name: 'web' }, join(shop, 'q.aq')), undefined, 'a source of another folder is unknown here');
    assert.equal(workspace.ingestionSource('app', join(shop, 'a.mparticle.json'))?.pod, 'EU1');
    assert.equal(workspace.ingestionSource('app', join(site, 'a.mparticle.json')), undefined);
    workspace.dispose();
  });

  it('serves a file below a nested aq.json from it, and without a document answers for the first folder', () => {
    const workspace = engines([shop, site]);
    assert.deepEqual([...workspace.knownSources(join(shop, 'apps', 'checkout', 'funnel.aq'))], ['checkout']);
    const resolved = workspace.resolveSource({ kind: 'local', name: 'checkout' }, join(shop, 'apps', 'checkout', 'funnel.aq'));
    assert.equal(resolved?.kind === 'local' && resolved.path, join(shop, 'apps', 'checkout', 'checkout.ndjson'), 'paths resolve against that aq.json');
    assert.deepEqual(workspace.defaultSource(), { kind: 'local', name: 'sample' });
    workspace.dispose();
  });

  it('lists the sources a document sees, or every source in use once', () => {
    const workspace = engines([shop, site]);
    assert.deepEqual(
      workspace.status(join(site, 'q.aq')).map((source) => source.name),
      ['web'],
    );
    assert.deepEqual(
      workspace
        .status()
        .map((source) => `${source.name}:${source.kind}`)
        .sort(),
      ['app:mparticle', 'sample:local', 'web:mixpanel'],
    );
    workspace.status(join(shop, 'apps', 'checkout', 'q.aq'));
    assert.ok(
      workspace.status().some((source) => source.name === 'checkout'),
      'a nested aq.json in use is listed too',
    );
    workspace.dispose();
  });

  it('a folder without aq.json uses its own (empty) configuration, and a file outside every folder the first folder', () => {
    const workspace = engines([plain, shop]);
    assert.deepEqual([...workspace.knownSources(join(plain, 'queries', 'q.aq'))], []);
    // `base` holds no aq.json and is in no folder: the first folder answers.
    assert.deepEqual([...workspace.knownSources(join(base, 'loose.aq'))], []);
    workspace.configureFolders([shop, plain], {});
    assert.deepEqual([...workspace.knownSources(join(base, 'loose.aq'))], ['sample']);
    workspace.dispose();
  });

  it('picks up an aq.json written after the first lookup once reconfigured', () => {
    const workspace = engines([plain]);
    const query = join(plain, 'queries', 'q.aq');
    assert.deepEqual([...workspace.knownSources(query)], []);
    writeConfig(join(plain, 'queries'), { fresh: { kind: 'local', path: 'x.ndjson' } });
    workspace.configureFolders([plain], {});
    assert.deepEqual([...workspace.knownSources(query)], ['fresh']);
    workspace.dispose();
  });
});
