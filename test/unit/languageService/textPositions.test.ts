/**
 * `aq lint` reports positions without an editor document; they must be the positions the editor
 * shows for the same offsets, whatever the line endings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { LineIndex } from '../../../server/src/languageService/textPositions';

test('positions match the editor document for \\n, \\r\\n and \\r line ends and characters outside the BMP', () => {
  const text = 'segmentation "Sign Up"\r\n  where properties["x"] == "😀"\n\rlast 7 days\r';
  const document = TextDocument.create('file:///a.aq', 'aq', 0, text);
  const lines = new LineIndex(text);
  for (let offset = -2; offset <= text.length + 2; offset++) {
    assert.deepEqual(lines.positionAt(offset), document.positionAt(offset), `offset ${offset}`);
  }
  assert.deepEqual(lines.rangeOf({ start: 26, end: 31 }), { start: { line: 1, character: 2 }, end: { line: 1, character: 7 } });
});

test('a span whose end is before its start is an empty range at its start', () => {
  assert.deepEqual(new LineIndex('ab\ncd').rangeOf({ start: 4, end: 1 }), { start: { line: 1, character: 1 }, end: { line: 1, character: 1 } });
});

test('any text: every offset maps as the editor maps it', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a', ' ', '\n', '\r', '\r\n', '😀', 'é'), { maxLength: 40 }), (parts) => {
      const text = parts.join('');
      const document = TextDocument.create('file:///a.aq', 'aq', 0, text);
      const lines = new LineIndex(text);
      for (let offset = 0; offset <= text.length; offset++) assert.deepEqual(lines.positionAt(offset), document.positionAt(offset));
    }),
  );
});
