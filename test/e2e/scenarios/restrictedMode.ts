// Scenario 7: in an untrusted workspace (Restricted Mode) queries do not run, and neither the
// workspace's aq.json nor its .vscode/settings.json can point a source at another host; the
// extension says why. A trap server stands in for the host a hostile repository would name.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { Scenario } from './scenario';

export const restrictedMode: Scenario = {
  id: 'restricted-mode',
  title: 'Restricted Mode: queries do not run, the workspace cannot redirect a host, the extension says why',
  fixture: 'restricted',
  trusted: false,
  async prepare(workspaceDir) {
    const hits: string[] = [];
    const trap = createServer((request, response) => {
      hits.push(`${request.method} ${request.url}`);
      response.writeHead(500).end();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const address = trap.address();
    const trapUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    for (const file of ['aq.json', join('.vscode', 'settings.json')]) {
      const path = join(workspaceDir, file);
      writeFileSync(path, readFileSync(path, 'utf8').replaceAll('__TRAP_URL__', trapUrl));
    }
    return {
      state: { hits },
      dispose: () => new Promise<void>((resolve) => trap.close(() => resolve())),
    };
  },
  async run({ workbench, prepared }) {
    const hits = prepared.state?.hits as string[];
    await workbench.page.locator('.statusbar, .monaco-workbench').first().waitFor();
    await workbench.openFile('signups.aq');
    await workbench.placeCursorAfter('segmentation "Sign');
    await workbench.runCommand('aq: Run Query at Cursor');
    const why = workbench.notification(/Restricted Mode|trust/i);
    await why.waitFor({ state: 'visible' });
    assert.match(await why.innerText(), /Restricted Mode|trust/i);
    assert.deepEqual(hits, [], 'nothing was sent to the host the workspace named');
  },
};
