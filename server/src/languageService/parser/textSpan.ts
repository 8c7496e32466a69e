/** Positions in a document's text and the edits that change it: what the parser, the analyser and the editor features share. */

/** A half-open range of character offsets into the document text. */
export interface TextSpan {
  start: number;
  end: number;
}

/** A replacement of `span` by `newText` (an insertion when the span is empty). */
export interface TextEdit {
  span: TextSpan;
  newText: string;
}

/** A quick fix offered for a diagnostic. */
export interface QuickFix {
  title: string;
  edits: TextEdit[];
  /** The fix the editor applies on "Fix all" / the preferred one. */
  isPreferred?: boolean;
}
