// The MCP servers the extension offers agent mode: one per trusted local folder, run by the editor's
// own Node from the installed bundle, none when the workspace is untrusted or the setting is off.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MCP_PROVIDER_ID, mcpServerSpecs, type McpDefinitionContext } from '../../../client/src/mcpDefinitions';

const context: McpDefinitionContext = {
  enabled: true,
  trusted: true,
  execPath: '/opt/editor/code',
  serverBundle: '/ext/aq/dist/mcp.js',
  version: '0.1.0',
};

test('one trusted folder gets one server named aq, run from the bundle as Node', () => {
  assert.deepEqual(mcpServerSpecs([{ name: 'shop', fsPath: '/work/shop' }], context), [
    {
      label: 'aq',
      command: '/opt/editor/code',
      args: ['/ext/aq/dist/mcp.js', '--workspace', '/work/shop'],
      env: { ELECTRON_RUN_AS_NODE: '1' },
      version: '0.1.0',
      cwd: '/work/shop',
    },
  ]);
});

test('several folders get one server each, told apart by name; a folder not on disk gets none', () => {
  const specs = mcpServerSpecs(
    [
      { name: 'web', fsPath: '/work/web' },
      { name: 'remote', fsPath: undefined },
      { name: 'app', fsPath: '/work/app' },
    ],
    context,
  );
  assert.deepEqual(
    specs.map((spec) => [spec.label, spec.args[2]]),
    [
      ['aq · web', '/work/web'],
      ['aq · app', '/work/app'],
    ],
  );
});

test('an untrusted workspace or aq.mcp.enabled = false gets no server', () => {
  const folders = [{ name: 'shop', fsPath: '/work/shop' }];
  assert.deepEqual(mcpServerSpecs(folders, { ...context, trusted: false }), []);
  assert.deepEqual(mcpServerSpecs(folders, { ...context, enabled: false }), []);
});

test('the manifest contributes the provider, its setting and its activation event', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
  assert.deepEqual(manifest.contributes.mcpServerDefinitionProviders, [{ id: MCP_PROVIDER_ID, label: 'aq' }]);
  assert.equal(manifest.contributes.configuration.properties['aq.mcp.enabled'].default, true);
  assert.ok(manifest.activationEvents.includes(`onMcpCollection:${MCP_PROVIDER_ID}`));
});
