import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { composeChanges, PieceTextDocument } from '../../../server/src/lsp/pieceTextDocument';

/** Kept small for CI; set AQ_FUZZ_RUNS=5000 for a longer hunt. */
const NUM_RUNS = Number(process.env.AQ_FUZZ_RUNS) || 150;

/** Fragments rich in every kind of line break, including ones an edit can join or split. */
const fragment = fc.constantFrom('a', 'bc', ' ', '\n', '\r', '\r\n', '\n\n', '### T\n', 'segmentation "A"\n', '  unit day', '\u{1F600}', 'é');
const text = fc.string({ unit: fragment, maxLength: 40 });

/** A position that may lie past the end of its line or of the text, or before the start. */
const position = fc.record({ line: fc.integer({ min: -1, max: 25 }), character: fc.integer({ min: -1, max: 30 }) });

const change: fc.Arbitrary<TextDocumentContentChangeEvent> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ range: fc.record({ start: position, end: position }), text: fc.string({ unit: fragment, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ text }) },
);

/** Asserts that every read of the piece document answers what the reference document does. */
function assertSameDocument(pieces: PieceTextDocument, reference: TextDocument): void {
  const content = reference.getText();
  assert.equal(pieces.getText(), content);
  assert.equal(pieces.length, content.length);
  assert.equal(pieces.lineCount, reference.lineCount);
  assert.equal(pieces.version, reference.version);
  for (let offset = -1; offset <= content.length + 1; offset++) {
    assert.deepStrictEqual(pieces.positionAt(offset), reference.positionAt(offset), `positionAt(${offset}) of ${JSON.stringify(content)}`);
    for (let end = offset; end <= content.length + 1; end += 3) assert.equal(pieces.slice(offset, end), content.slice(Math.max(0, offset), Math.max(0, end)));
  }
  for (let line = -1; line <= reference.lineCount + 1; line++) {
    assert.deepStrictEqual(pieces.getLineRange(line), reference.getLineRange(line), `getLineRange(${line})`);
    assert.equal(pieces.getEOLCharacters(line), reference.getEOLCharacters(line), `getEOLCharacters(${line})`);
    for (let character = -1; character <= 12; character++) {
      const at = { line, character };
      assert.equal(pieces.offsetAt(at), reference.offsetAt(at), `offsetAt(${JSON.stringify(at)}) of ${JSON.stringify(content)}`);
      const range = { start: at, end: { line: line + 1, character: 2 } };
      assert.equal(pieces.getText(range), reference.getText(range));
      assert.equal(pieces.getText({ start: range.end, end: range.start }), reference.getText({ start: range.end, end: range.start }));
    }
  }
}

/**
 * `TextDocument.update` on the reference, one change at a time. Its line table goes wrong for a
 * range on a line past the last one (it trusts the range's line numbers; its text stays right),
 * which no editor sends; after such a change the reference is rebuilt from its text, which is
 * what a correct update gives.
 */
function updateReference(reference: TextDocument, changes: TextDocumentContentChangeEvent[], version: number): TextDocument {
  let updated = reference;
  for (const next of changes) {
    const pastTheEnd = 'range' in next && Math.max(next.range.start.line, next.range.end.line) >= updated.lineCount;
    updated = TextDocument.update(updated, [next], version);
    if (pastTheEnd) updated = TextDocument.create(updated.uri, updated.languageId, version, updated.getText());
  }
  return updated;
}

test('after any edits, a piece document reads exactly like vscode-languageserver-textdocument', () => {
  fc.assert(
    fc.property(
      text,
      fc.array(fc.array(change, { minLength: 1, maxLength: 3 }), { maxLength: 8 }),
      fc.integer({ min: 1, max: 12 }),
      (initial, edits, pieceLength) => {
        const pieces = new PieceTextDocument('file:///a.aq', 'aq', 1, initial, pieceLength);
        let reference = TextDocument.create('file:///a.aq', 'aq', 1, initial);
        assertSameDocument(pieces, reference);
        edits.forEach((changes, index) => {
          // Only some versions are read whole: the others must stay right without the cached text.
          if (index % 2 === 0) pieces.getText();
          PieceTextDocument.update(pieces, changes, index + 2);
          reference = updateReference(reference, changes, index + 2);
          assertSameDocument(pieces, reference);
        });
      },
    ),
    { numRuns: NUM_RUNS },
  );
});

test('changeSince names a range outside of which an earlier version and this one agree', () => {
  fc.assert(
    fc.property(text, fc.array(change, { maxLength: 12 }), fc.nat(), (initial, changes, pick) => {
      const document = new PieceTextDocument('file:///a.aq', 'aq', 1, initial, 4);
      const versions = [{ revision: document.revision, text: document.getText() }];
      changes.forEach((next, index) => {
        PieceTextDocument.update(document, [next], index + 2);
        versions.push({ revision: document.revision, text: document.getText() });
      });
      const earlier = versions[pick % versions.length];
      const since = versions.slice(versions.indexOf(earlier) + 1);
      const found = document.changeSince(earlier.revision);
      if (since.length === 0) {
        assert.deepStrictEqual(found, {
          start: initialOrLast(versions).length,
          oldEnd: initialOrLast(versions).length,
          newEnd: initialOrLast(versions).length,
        });
        return;
      }
      // A whole-text replacement since then leaves the change unknown.
      const replaced = changes.slice(versions.indexOf(earlier)).some((next) => !('range' in next));
      if (replaced) {
        assert.equal(found, undefined);
        return;
      }
      assert.ok(found, 'a change over remembered edits is known');
      const now = document.getText();
      assert.ok(found.start <= found.oldEnd && found.start <= found.newEnd);
      assert.equal(earlier.text.length - found.oldEnd, now.length - found.newEnd);
      assert.equal(now.slice(0, found.start), earlier.text.slice(0, found.start));
      assert.equal(now.slice(found.newEnd), earlier.text.slice(found.oldEnd));
    }),
    { numRuns: NUM_RUNS },
  );
});

function initialOrLast(versions: Array<{ text: string }>): string {
  return versions[versions.length - 1].text;
}

test('composing two edits gives the smallest change that covers both', () => {
  // "abcdef": [1,3) → "XYZ" gives "aXYZdef"; then [5,7) of that → "" gives "aXYZd".
  const first = composeChanges(undefined, 1, 3, 3);
  assert.deepStrictEqual(first, { start: 1, oldEnd: 3, newEnd: 4 });
  assert.deepStrictEqual(composeChanges(first, 5, 7, 0), { start: 1, oldEnd: 6, newEnd: 5 });
  // An edit before the earlier one widens it to the left and shifts its end.
  assert.deepStrictEqual(composeChanges(first, 0, 0, 2), { start: 0, oldEnd: 3, newEnd: 6 });
});

test('another document, or a version too old to remember, has no known change', () => {
  const document = new PieceTextDocument('file:///a.aq', 'aq', 1, 'a\nb\n');
  const other = new PieceTextDocument('file:///a.aq', 'aq', 1, 'a\nb\n');
  assert.equal(document.changeSince(other.revision), undefined);
  const first = document.revision;
  for (let version = 2; version < 400; version++) {
    PieceTextDocument.update(document, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, text: 'c' }], version);
  }
  assert.equal(document.changeSince(first), undefined);
  assert.equal(document.getText(), 'c\nb\n');
});

test('a large file is kept in pieces: an edit leaves the other pieces as they were', () => {
  const line = 'segmentation "Event 00001"\n';
  const content = line.repeat(2000);
  const document = new PieceTextDocument('file:///big.aq', 'aq', 1, content);
  const position = { line: 1500, character: 14 };
  PieceTextDocument.update(document, [{ range: { start: position, end: { line: 1500, character: 19 } }, text: 'Other' }], 2);
  assert.equal(document.getText({ start: { line: 1500, character: 0 }, end: { line: 1501, character: 0 } }), 'segmentation "Other 00001"\n');
  assert.equal(document.getText({ start: { line: 1499, character: 0 }, end: { line: 1500, character: 0 } }), line);
  assert.equal(document.lineCount, 2001);
  assert.equal(document.offsetAt({ line: 1999, character: 0 }), 1999 * line.length);
  assert.deepStrictEqual(document.changeSince(document.revision), { start: content.length, oldEnd: content.length, newEnd: content.length });
});

test('a change that is neither a range edit nor a whole text is refused, as by vscode-languageserver-textdocument', () => {
  for (const malformed of [null, {}, { text: 1 }, { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }]) {
    const document = new PieceTextDocument('file:///a.aq', 'aq', 1, 'a\n');
    const reference = TextDocument.create('file:///a.aq', 'aq', 1, 'a\n');
    const changes = [malformed as unknown as TextDocumentContentChangeEvent];
    assert.throws(() => TextDocument.update(reference, changes, 2));
    assert.throws(() => PieceTextDocument.update(document, changes, 2), /Unknown change event received/);
    assert.equal(document.getText(), 'a\n');
  }
});
