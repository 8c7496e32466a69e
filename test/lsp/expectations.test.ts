/**
 * `expect` through a real server over LSP: its diagnostics, completion and hover, and the two
 * requests the Test Explorer makes (list a document's expectations; run them), on a local source.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CompletionList, Hover, MarkupContent } from 'vscode-languageserver-protocol';
import type { ExpectationTestItem, ExpectationTestResult } from '../../server/src/protocol/customRequests';
import { makeExpectWorkspace } from '../integration/workflows/expectations/expectationFixture';
import { fileUri, messageOf, positionOf, startSession, type LspSession } from './lspHarness';

const TEXT = `### Checkout
funnel "Sign Up" -> "Added To Cart" -> "Purchase"
  from 2026-10-01 to 2026-10-07
  expect conversion >= 50%
  expect step "Purchse" count > 1
  expect conversion > 90%

### Sign-ups
segmentation "Sign Up"
  from 2026-10-01 to 2026-10-07
  expect total == 4
`;

let root: string;
let session: LspSession;
let uri: string;

before(async () => {
  root = makeExpectWorkspace();
  session = await startSession({ rootDir: root });
  uri = fileUri(join(root, 'checks.aq'));
  await session.open(uri, TEXT);
});

after(async () => {
  await session.close();
});

describe('expect over LSP', () => {
  it('publishes the lint of expectations: an unknown step, with did-you-mean', async () => {
    const diagnostics = await session.waitForDiagnostics(uri, (found) => found.some((d) => d.code === 'unknown-step'));
    const unknown = diagnostics.find((d) => d.code === 'unknown-step')!;
    assert.deepEqual(unknown.range, { start: { line: 4, character: 14 }, end: { line: 4, character: 23 } });
    assert.match(messageOf(unknown), /Did you mean "Purchase"\?/);
  });

  it('completes measures and step names, and explains a measure on hover', async () => {
    const completionUri = fileUri(join(root, 'completion.aq'));
    const text = 'funnel "Sign Up" -> "Purchase"\n  last 7 days\n  expect \n  expect step \n';
    await session.open(completionUri, text);
    const measures = (await session.connection.sendRequest('textDocument/completion', {
      textDocument: { uri: completionUri },
      position: { line: 2, character: 9 },
    })) as CompletionList;
    assert.deepEqual(
      measures.items.map((item) => item.label),
      ['rows', 'conversion', 'step'],
    );
    const steps = (await session.connection.sendRequest('textDocument/completion', {
      textDocument: { uri: completionUri },
      position: { line: 3, character: 14 },
    })) as CompletionList;
    assert.deepEqual(
      steps.items.map((item) => item.label),
      ['Sign Up', 'Purchase'],
    );
    const hover = (await session.connection.sendRequest('textDocument/hover', {
      textDocument: { uri },
      position: positionOf(TEXT, 'conversion >= 50%', 3),
    })) as Hover;
    assert.match((hover.contents as MarkupContent).value, /expect conversion\*\* \(a share\)/);
  });

  it('aq/listExpectations lists each expectation with its query and range, running nothing', async () => {
    const items = (await session.connection.sendRequest('aq/listExpectations', { uri })) as ExpectationTestItem[];
    assert.deepEqual(
      items.map((item) => [item.query, item.queryIndex, item.expectationIndex, item.expectation, item.range.start.line, item.queryRange.start.line]),
      [
        ['Checkout', 0, 0, 'conversion >= 50%', 3, 1],
        ['Checkout', 0, 1, 'step "Purchse" count > 1', 4, 1],
        ['Checkout', 0, 2, 'conversion > 90%', 5, 1],
        ['Sign-ups', 1, 0, 'total == 4', 10, 8],
      ],
    );
  });

  it('aq/listExpectations reads a closed file from the text the client sends', async () => {
    const closed = join(root, 'closed.aq');
    const items = (await session.connection.sendRequest('aq/listExpectations', {
      uri: fileUri(closed),
      text: 'segmentation "A"\n  last 7 days\n  expect rows > 0\n',
    })) as ExpectationTestItem[];
    assert.deepEqual(
      items.map((item) => item.expectation),
      ['rows > 0'],
    );
    await assert.rejects(session.connection.sendRequest('aq/listExpectations', { uri: fileUri(join(root, 'nowhere.aq')) }), /neither open/);
  });

  it('aq/runExpectations runs them: passed, failed with actual against expected, errored for a wrong step', async () => {
    const results = (await session.connection.sendRequest('aq/runExpectations', { uri })) as ExpectationTestResult[];
    assert.deepEqual(
      results.map((result) => [result.expectation, result.status, result.actual]),
      [
        ['conversion >= 50%', 'passed', 0.5],
        ['step "Purchse" count > 1', 'error', null],
        ['conversion > 90%', 'failed', 0.5],
        ['total == 4', 'passed', 4],
      ],
    );
    assert.equal(results[2].message, 'conversion 50%, expected > 90%');
    assert.equal(results[2].observed, 'conversion 50%');
  });

  it('aq/runExpectations runs only what it is asked for', async () => {
    const results = (await session.connection.sendRequest('aq/runExpectations', { uri, only: [{ queryIndex: 1 }] })) as ExpectationTestResult[];
    assert.deepEqual(
      results.map((result) => [result.query, result.status]),
      [['Sign-ups', 'passed']],
    );
    // The examples' own checks stay green through the server as through the CLI.
    const examples = join(__dirname, '..', '..', 'examples', 'shop.aq');
    const text = readFileSync(examples, 'utf8');
    const listed = (await session.connection.sendRequest('aq/listExpectations', { uri: fileUri(examples), text })) as ExpectationTestItem[];
    assert.ok(listed.length >= 5, String(listed.length));
  });
});
