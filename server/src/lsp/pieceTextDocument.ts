/**
 * The server's open documents: `TextDocument` (what every handler reads) kept as pieces of a few
 * thousand characters, each holding whole lines, instead of one string.
 *
 * Why: vscode-languageserver-textdocument rebuilds the whole text as one flat string on every
 * keystroke. For a file of a few hundred kilobytes, V8 allocates such a string in its large-object
 * space, which costs about a millisecond per keystroke — more than parsing and checking the edited
 * query. Here an edit rebuilds only the one or two pieces it touches and their line starts; the
 * rest only shifts. The whole text is built (and kept until the next edit) only when someone asks
 * for it with `getText()`; the incremental parser reads just the edited region through `slice`
 * and `changeSince` (the `EditedText` it accepts).
 *
 * Every answer equals what `TextDocument.create` plus the same `TextDocument.update` calls give
 * (a property test compares them after random edits): line breaks are `\n`, `\r\n` and `\r`,
 * positions are clamped the same way, and an offset inside a line break counts as the line's end.
 */
import type { Position, Range, TextDocument, TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import type { EditedText, TextChange } from '../languageService/parser/incrementalParser';

/**
 * Pieces are cut near this length, and a piece grows to twice this before it is cut again: far
 * below the size V8 moves to its large-object space, and long enough that a large file is a few
 * dozen pieces (their offsets are recounted on each edit).
 */
export const PIECE_LENGTH = 4096;
/** How many changes `changeSince` can look back over. */
const REMEMBERED_CHANGES = 256;

const LINE_FEED = 10;
const CARRIAGE_RETURN = 13;

function isLineBreak(code: number): boolean {
  return code === LINE_FEED || code === CARRIAGE_RETURN;
}

/**
 * Where the lines after the first start in `text`: after each `\n`, `\r\n` and lone `\r`. A `\r`
 * at the very end counts as a break: a piece never ends between `\r` and `\n`.
 */
function lineBreaksIn(text: string): number[] {
  const breaks: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isLineBreak(code)) continue;
    if (code === CARRIAGE_RETURN && text.charCodeAt(i + 1) === LINE_FEED) i++;
    breaks.push(i + 1);
  }
  return breaks;
}

/** A run of whole lines: every piece but the last ends with a complete line break. */
interface Piece {
  readonly text: string;
  /** Offsets in `text` right after each line break (so possibly `text.length`). */
  readonly breaks: readonly number[];
}

/**
 * Cuts `text` (whole lines, see `Piece`) into pieces of about `pieceLength` at its line breaks;
 * a line longer than that stays whole, and the last piece is never much shorter than the others.
 */
function cutIntoPieces(text: string, pieceLength: number): Piece[] {
  const breaks = lineBreaksIn(text);
  if (text.length <= 2 * pieceLength) return [{ text, breaks }];
  const pieces: Piece[] = [];
  let start = 0;
  let nextBreak = 0;
  while (start < text.length) {
    let cut = nextBreak;
    while (cut < breaks.length && breaks[cut] < start + pieceLength) cut++;
    const end = cut < breaks.length && breaks[cut] < text.length - pieceLength / 2 ? breaks[cut] : text.length;
    const own: number[] = [];
    for (; nextBreak < breaks.length && breaks[nextBreak] <= end; nextBreak++) own.push(breaks[nextBreak] - start);
    pieces.push({ text: text.slice(start, end), breaks: own });
    start = end;
  }
  return pieces;
}

// A malformed change (even null) is neither kind, and `update` throws, as vscode-languageserver-textdocument does.
function isIncrementalChange(change: TextDocumentContentChangeEvent): change is { range: Range; rangeLength?: number; text: string } {
  const candidate = change as { range?: Range; rangeLength?: number; text?: unknown } | null;
  return (
    typeof candidate?.text === 'string' && candidate.range !== undefined && (candidate.rangeLength === undefined || typeof candidate.rangeLength === 'number')
  );
}

function isFullChange(change: TextDocumentContentChangeEvent): change is { text: string } {
  const candidate = change as { range?: Range; rangeLength?: number; text?: unknown } | null;
  return typeof candidate?.text === 'string' && candidate.range === undefined && candidate.rangeLength === undefined;
}

/** The range with its ends in order, as the editor may send them reversed. */
function wellFormed(range: Range): Range {
  const { start, end } = range;
  return start.line > end.line || (start.line === end.line && start.character > end.character) ? { start: end, end: start } : range;
}

/** `earlier` followed by an edit that replaced `[start, end)` of the text after `earlier` with `insertedLength` characters, as one change. */
export function composeChanges(earlier: TextChange | undefined, start: number, end: number, insertedLength: number): TextChange {
  if (earlier === undefined) return { start, oldEnd: end, newEnd: start + insertedLength };
  const growth = insertedLength - (end - start);
  return {
    start: Math.min(earlier.start, start),
    // Past the earlier change, the text before it was the same, shifted by what that change added.
    oldEnd: Math.max(earlier.oldEnd, end - earlier.newEnd + earlier.oldEnd),
    newEnd: Math.max(earlier.newEnd, end) + growth,
  };
}

interface RememberedChange {
  /** The revision this change produced. */
  readonly revision: object;
  /** Undefined when the whole text was replaced. */
  readonly change: TextChange | undefined;
}

export class PieceTextDocument implements TextDocument, EditedText {
  private pieces: Piece[] = [];
  /** The offset each piece starts at. */
  private pieceStarts: number[] = [];
  /** How many line breaks come before each piece. */
  private breaksBefore: number[] = [];
  private textLength = 0;
  private breakCount = 0;
  /** The whole text, built on request and kept until the next change. */
  private wholeText: string | undefined;
  private changes: RememberedChange[] = [];
  private currentRevision: object = {};

  constructor(
    readonly uri: string,
    readonly languageId: string,
    private currentVersion: number,
    content: string,
    /** `PIECE_LENGTH`; tests make it tiny so that small texts are many pieces. */
    private readonly pieceLength = PIECE_LENGTH,
  ) {
    this.replaceAll(content);
    this.changes.push({ revision: this.currentRevision, change: undefined });
  }

  static create(uri: string, languageId: string, version: number, content: string): PieceTextDocument {
    return new PieceTextDocument(uri, languageId, version, content);
  }

  /** Applies the editor's changes in order, like `TextDocument.update`. */
  static update(document: PieceTextDocument, changes: readonly TextDocumentContentChangeEvent[], version: number): PieceTextDocument {
    document.update(changes, version);
    return document;
  }

  get version(): number {
    return this.currentVersion;
  }

  get lineCount(): number {
    return this.breakCount + 1;
  }

  get length(): number {
    return this.textLength;
  }

  get revision(): object {
    return this.currentRevision;
  }

  getText(range?: Range): string {
    if (range) {
      const start = this.offsetAt(range.start);
      const end = this.offsetAt(range.end);
      return start <= end ? this.slice(start, end) : this.slice(end, start);
    }
    this.wholeText ??= this.pieces.length === 1 ? this.pieces[0].text : this.pieces.map((piece) => piece.text).join('');
    return this.wholeText;
  }

  slice(start: number, end: number): string {
    const from = Math.max(0, Math.min(start, this.textLength));
    const to = Math.max(from, Math.min(end, this.textLength));
    if (this.wholeText !== undefined) return this.wholeText.slice(from, to);
    const first = this.pieceAt(from);
    const firstStart = this.pieceStarts[first];
    if (to <= firstStart + this.pieces[first].text.length) return this.pieces[first].text.slice(from - firstStart, to - firstStart);
    const parts = [this.pieces[first].text.slice(from - firstStart)];
    let index = first + 1;
    for (; index < this.pieces.length && this.pieceStarts[index] + this.pieces[index].text.length <= to; index++) parts.push(this.pieces[index].text);
    if (index < this.pieces.length && this.pieceStarts[index] < to) parts.push(this.pieces[index].text.slice(0, to - this.pieceStarts[index]));
    return parts.join('');
  }

  changeSince(revision: object): TextChange | undefined {
    let index = this.changes.length - 1;
    while (index >= 0 && this.changes[index].revision !== revision) index--;
    if (index < 0) return undefined;
    let combined: TextChange | undefined;
    for (let i = index + 1; i < this.changes.length; i++) {
      const change = this.changes[i].change;
      if (change === undefined) return undefined;
      combined = composeChanges(combined, change.start, change.oldEnd, change.newEnd - change.start);
    }
    // No change at all reads as an empty one at the end, which re-reads only the last line.
    return combined ?? { start: this.textLength, oldEnd: this.textLength, newEnd: this.textLength };
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(Math.min(offset, this.textLength), 0);
    const piece = this.pieceAt(clamped);
    const within = clamped - this.pieceStarts[piece];
    const breaks = this.pieces[piece].breaks;
    // The breaks of this piece at or before the offset.
    let low = 0;
    let high = breaks.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (breaks[middle] > within) high = middle;
      else low = middle + 1;
    }
    const line = this.breaksBefore[piece] + low;
    const lineStart = this.lineStart(line);
    return { line, character: this.beforeLineBreak(clamped, lineStart) - lineStart };
  }

  offsetAt(position: Position): number {
    if (position.line >= this.lineCount) return this.textLength;
    if (position.line < 0) return 0;
    const lineStart = this.lineStart(position.line);
    if (position.character <= 0) return lineStart;
    return this.beforeLineBreak(Math.min(lineStart + position.character, this.lineEnd(position.line)), lineStart);
  }

  getLineRange(line: number): Range {
    if (line >= this.lineCount) {
      const lastLine = this.lineCount - 1;
      return { start: { line: lastLine, character: 0 }, end: { line: lastLine, character: this.textLength - this.lineStart(lastLine) } };
    }
    if (line < 0) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const start = this.lineStart(line);
    const end = this.beforeLineBreak(this.lineEnd(line), start);
    return { start: { line, character: 0 }, end: { line, character: end - start } };
  }

  getEOLCharacters(line: number): string {
    if (line >= this.lineCount || line < 0) return '';
    const next = this.lineEnd(line);
    return this.slice(this.beforeLineBreak(next, this.lineStart(line)), next);
  }

  private update(changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    for (const change of changes) {
      if (isIncrementalChange(change)) {
        const range = wellFormed(change.range);
        const start = this.offsetAt(range.start);
        const end = this.offsetAt(range.end);
        this.replace(start, end, change.text);
        this.remember({ start, oldEnd: end, newEnd: start + change.text.length });
      } else if (isFullChange(change)) {
        this.replaceAll(change.text);
        this.remember(undefined);
      } else {
        throw new Error('Unknown change event received');
      }
    }
    this.currentVersion = version;
  }

  private remember(change: TextChange | undefined): void {
    this.currentRevision = {};
    this.changes.push({ revision: this.currentRevision, change });
    if (this.changes.length > REMEMBERED_CHANGES) this.changes.splice(0, this.changes.length - REMEMBERED_CHANGES);
  }

  private replaceAll(text: string): void {
    this.pieces = cutIntoPieces(text, this.pieceLength);
    this.wholeText = undefined;
    this.recount(0);
  }

  /**
   * Replaces `[start, end)` by `text`. The pieces re-cut run from the one holding the character
   * before `start` to the one holding the character at `end`: both characters stay, so the
   * neighbouring pieces still end and start at the same complete line breaks (an edit can join a
   * `\r` and a `\n`, or remove a break, only inside the re-cut run).
   */
  private replace(start: number, end: number, text: string): void {
    const first = this.pieceAt(Math.max(0, start - 1));
    const last = this.pieceAt(end);
    const runStart = this.pieceStarts[first];
    let run = this.pieces[first].text;
    for (let i = first + 1; i <= last; i++) run += this.pieces[i].text;
    const replaced = run.slice(0, start - runStart) + text + run.slice(end - runStart);
    // `replaced` keeps those two characters, so it is empty only when the whole text was deleted.
    this.pieces.splice(first, last - first + 1, ...cutIntoPieces(replaced, this.pieceLength));
    this.wholeText = undefined;
    this.recount(first);
  }

  /** Recomputes the running offsets and line counts from piece `from` on. */
  private recount(from: number): void {
    this.pieceStarts.length = this.pieces.length;
    this.breaksBefore.length = this.pieces.length;
    let offset = from === 0 ? 0 : this.pieceStarts[from - 1] + this.pieces[from - 1].text.length;
    let breaks = from === 0 ? 0 : this.breaksBefore[from - 1] + this.pieces[from - 1].breaks.length;
    for (let i = from; i < this.pieces.length; i++) {
      this.pieceStarts[i] = offset;
      this.breaksBefore[i] = breaks;
      offset += this.pieces[i].text.length;
      breaks += this.pieces[i].breaks.length;
    }
    this.textLength = offset;
    this.breakCount = breaks;
  }

  /** The last piece starting at or before `offset` (so the piece after a boundary, and the last piece at the end). */
  private pieceAt(offset: number): number {
    let low = 0;
    let high = this.pieces.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.pieceStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** Where line `line` (0 ≤ line < lineCount) starts. */
  private lineStart(line: number): number {
    if (line === 0) return 0;
    // The piece holding the line's break: the last one with fewer breaks before it than `line`.
    let low = 0;
    let high = this.pieces.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.breaksBefore[middle] < line) low = middle;
      else high = middle - 1;
    }
    return this.pieceStarts[low] + this.pieces[low].breaks[line - this.breaksBefore[low] - 1];
  }

  /** Where the line after `line` starts (the end of the text for the last line). */
  private lineEnd(line: number): number {
    return line + 1 < this.lineCount ? this.lineStart(line + 1) : this.textLength;
  }

  private charCodeAt(offset: number): number {
    const piece = this.pieceAt(offset);
    return this.pieces[piece].text.charCodeAt(offset - this.pieceStarts[piece]);
  }

  /** `offset` moved back out of a line break, but not before `lineStart`. */
  private beforeLineBreak(offset: number, lineStart: number): number {
    let result = offset;
    while (result > lineStart && isLineBreak(this.charCodeAt(result - 1))) result--;
    return result;
  }
}
