// `aq mcp [--workspace DIR]`: the folder defaults to the current one; a wrong argument is a usage error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseMcpArguments } from '../../../server/src/mcp/mcpMain';

test('the workspace is --workspace DIR, relative to the current folder, or the current folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aq-mcp-args-'));
  try {
    writeFileSync(join(dir, 'file.aq'), '');
    assert.deepEqual(parseMcpArguments([], dir), { workspace: dir });
    assert.deepEqual(parseMcpArguments(['--workspace', '.'], dir), { workspace: dir });
    assert.deepEqual(parseMcpArguments([`--workspace=${dir}`], '/'), { workspace: dir });
    assert.equal(parseMcpArguments(['--help'], dir), 'help');
    assert.equal(parseMcpArguments(['--workspace'], dir), '--workspace needs a folder');
    assert.equal(parseMcpArguments(['--workspace', 'a', '--workspace', 'b'], dir), '--workspace is given twice');
    assert.equal(parseMcpArguments(['--stdio'], dir), 'unknown argument --stdio');
    assert.equal(parseMcpArguments(['--workspace', 'missing'], dir), 'missing: no such folder');
    assert.equal(parseMcpArguments(['--workspace', 'file.aq'], dir), 'file.aq: not a folder');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
