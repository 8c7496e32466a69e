/**
 * The pure parts of "Pull Events to Local Source…": reading the range and event names the user
 * typed, and switching an .aq file's `use` lines from the pulled source to the new local one.
 * No VS Code API here, so they are unit-tested directly.
 */

export interface PullRange {
  from: string;
  to: string;
}

/** `2026-10-01 to 2026-10-31` (also `..`, `–` or a single date); a sentence when it is not one. */
export function parsePullRange(text: string, today: string): PullRange | string {
  const parts = text
    .trim()
    .split(/\s*(?:\.\.|\bto\b|–|—|\s)\s*/)
    .filter((part) => part !== '');
  if (parts.length === 0 || parts.length > 2) return 'Type a range as YYYY-MM-DD to YYYY-MM-DD.';
  const [from, to = parts[0]] = parts;
  for (const date of [from, to]) if (!isCalendarDate(date)) return `"${date}" is not a date as YYYY-MM-DD.`;
  if (from > to) return `${from} is after ${to}.`;
  if (to > today) return `${to} is in the future; the export has nothing after today (${today}).`;
  return { from, to };
}

/** The seven full days before `today`, as the range the dialog proposes. */
export function lastWeek(today: string): PullRange {
  const day = (offset: number): string => new Date(Date.parse(`${today}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
  return { from: day(-7), to: day(-1) };
}

/** Event names separated by commas; empty means every event. A name may be quoted to hold a comma. */
export function parseEventNames(text: string): string[] {
  const names: string[] = [];
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|([^,]+))\s*(?:,|$)/g;
  for (const match of text.matchAll(pattern)) {
    const name = match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]?.trim();
    if (name) names.push(name);
  }
  return names;
}

export interface LineEdit {
  /** 0-based line. */
  line: number;
  /** The new text of the whole line, or a line inserted before `line` when `insert` is set. */
  text: string;
  insert?: boolean;
}

/**
 * The edits that make an .aq file read the local source: every `use mixpanel "SOURCE"` line
 * becomes `use local "NAME"`. A file without such a line (it used the default source) gets a
 * `use local` line at the top.
 */
export function switchUseLines(text: string, sourceName: string, localName: string): LineEdit[] {
  const target = `use local ${JSON.stringify(localName)}`;
  const edits: LineEdit[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const match = /^use\s+mixpanel\s+"((?:[^"\\]|\\.)*)"\s*(#.*)?$/.exec(line);
    if (match && JSON.parse(`"${match[1]}"`) === sourceName) edits.push({ line: index, text: match[2] ? `${target} ${match[2]}` : target });
  });
  if (edits.length > 0) return edits;
  if (lines.some((line) => /^use\s/.test(line))) return [];
  return [{ line: 0, text: target, insert: true }];
}

function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const time = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === text;
}
