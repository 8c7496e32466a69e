/**
 * The language server on an event file with one event nested 100,000 deep: that line gets a JSON
 * diagnostic, the other lines are still checked against the schema, and the server keeps answering.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { deepEventLine, eventLine } from '../fixtures/hostileKit';
import { fileUri, messageOf, shopWorkspace, startSession, type LspSession } from './lspHarness';

describe('language server on hostile event files', () => {
  let session: LspSession;
  let root: string;

  before(async () => {
    root = shopWorkspace();
    session = await startSession({ rootDir: root });
  });

  after(async () => {
    await session?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('publishes diagnostics for an event file with a line nested 100,000 deep, and still answers after', async () => {
    const uri = fileUri(join(root, 'deep.events.ndjson'));
    const text =
      [eventLine('Sign Upp', 1_790_000_000, 'u1', 'a1'), deepEventLine(100_000, 1_790_000_060), eventLine('Sign Up', 1_790_000_120, 'u2', 'a2')].join('\n') +
      '\n';
    await session.open(uri, text, 'json');
    const complete = (diagnostics: Diagnostic[]): boolean =>
      diagnostics.some((d) => d.code === 'json-syntax') && diagnostics.some((d) => d.code === 'unknown-event');
    const diagnostics = await session.waitForDiagnostics(uri, complete);
    const syntax = diagnostics.find((d) => d.code === 'json-syntax')!;
    assert.equal(syntax.range.start.line, 1);
    assert.match(messageOf(syntax), /Nested deeper than 256 levels/);
    assert.equal(diagnostics.find((d) => d.code === 'unknown-event')!.range.start.line, 0, 'the other lines are checked');

    // The server is alive: a second, ordinary file gets its diagnostics too.
    const other = fileUri(join(root, 'other.events.ndjson'));
    await session.open(other, `${eventLine('Purchasee', 1_790_000_000, 'u3', 'a3')}\n`, 'json');
    const next = await session.waitForDiagnostics(other, (found) => found.some((d) => d.code === 'unknown-event'));
    assert.equal(next.length > 0, true);
    assert.doesNotMatch(session.logs.join(''), /Maximum call stack/);
  });
});
