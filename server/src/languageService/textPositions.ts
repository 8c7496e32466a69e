/**
 * Line and character positions of character offsets, counted the way editors and LSP count them
 * (zero-based; characters are UTF-16 code units; `\r\n`, `\n` and `\r` end a line), for hosts that
 * report positions without an editor document, such as `aq lint`.
 */
import type { TextSpan } from './parser/textSpan';

export interface LinePosition {
  line: number;
  character: number;
}

export interface LineRange {
  start: LinePosition;
  end: LinePosition;
}

function isLineEnd(code: number): boolean {
  return code === 13 || code === 10;
}

export class LineIndex {
  /** The offset each line starts at; the first line starts at 0. */
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (!isLineEnd(code)) continue;
      if (code === 13 && text.charCodeAt(i + 1) === 10) i++;
      this.lineStarts.push(i + 1);
    }
  }

  /** The position of an offset (clamped to the text); an offset inside a line break counts as the end of its line. */
  positionAt(offset: number): LinePosition {
    let clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (this.lineStarts[mid] > clamped) high = mid;
      else low = mid + 1;
    }
    const line = low - 1;
    const lineStart = this.lineStarts[line];
    while (clamped > lineStart && isLineEnd(this.text.charCodeAt(clamped - 1))) clamped--;
    return { line, character: clamped - lineStart };
  }

  /** The range of a span; a span whose end is before its start is empty. */
  rangeOf(span: TextSpan): LineRange {
    return { start: this.positionAt(span.start), end: this.positionAt(Math.max(span.start, span.end)) };
  }
}
