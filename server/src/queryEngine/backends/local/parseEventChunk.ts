/**
 * Parses a line-aligned chunk of a Mixpanel raw export into compact columns (`$insert_id` is left
 * in the line: only de-duplication reads it, and only for events that share time, user and name). It runs either on the
 * loading thread or inside a parse worker, which receives this function's source text: so it must
 * stay self-contained (no imports, no helpers outside its body, no nested functions).
 */

/** What one chunk yields; plain data that crosses a worker boundary cheaply. */
export interface ParsedChunk {
  /** Lines in the chunk, counted as the loader counts them (blank ones included). */
  lineCount: number;
  /** Per valid event: epoch ms, name number and user number (into this chunk's `names`/`users`). */
  times: Float64Array;
  nameIndexes: Int32Array;
  userIndexes: Int32Array;
  names: string[];
  users: string[];
  /** Byte range of each valid event's line in the chunk, so its properties can be parsed on demand. */
  starts: Int32Array;
  ends: Int32Array;
  /** Malformed lines: 1-based line number within the chunk, and why. */
  skippedLines: number[];
  skippedReasons: string[];
}

/**
 * `final` says the chunk ends the file, so text after its last newline is a line too; otherwise
 * a chunk ends with a newline. Reasons and time handling match the loader's documented rules.
 */
export function parseEventChunk(chunk: Uint8Array, final: boolean): ParsedChunk {
  const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const times: number[] = [];
  const nameIndexes: number[] = [];
  const userIndexes: number[] = [];
  const names: string[] = [];
  const users: string[] = [];
  const nameNumbers = new Map<string, number>();
  const userNumbers = new Map<string, number>();
  const starts: number[] = [];
  const ends: number[] = [];
  const skippedLines: number[] = [];
  const skippedReasons: string[] = [];
  let lineCount = 0;
  let start = 0;
  while (start < text.length) {
    let newline = text.indexOf(10, start);
    if (newline < 0) {
      if (!final) break;
      newline = text.length;
    }
    lineCount++;
    // Exports written on Windows end lines with \r\n.
    const end = newline > start && text[newline - 1] === 13 ? newline - 1 : newline;
    const line = text.toString('utf8', start, end);
    const lineStart = start;
    start = newline + 1;
    if (line.trim() === '') continue;
    let reason = '';
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      reason = 'not valid JSON';
    }
    let props: Record<string, unknown> = {};
    let name = '';
    let time = 0;
    if (reason === '') {
      const record = value as { event?: unknown; properties?: unknown } | null;
      if (typeof record !== 'object' || record === null || Array.isArray(record)) reason = 'not a JSON object';
      else if (typeof record.event !== 'string' || record.event === '') reason = 'no "event" name';
      else if (typeof record.properties !== 'object' || record.properties === null || Array.isArray(record.properties)) reason = 'no "properties" object';
      else {
        name = record.event;
        props = record.properties as Record<string, unknown>;
        const rawTime = typeof props.time === 'string' && props.time.trim() !== '' ? Number(props.time) : props.time;
        if (typeof rawTime !== 'number' || !Number.isFinite(rawTime)) reason = 'no numeric "properties.time"';
        // Below 10^11 a timestamp is seconds (year 5138), otherwise milliseconds.
        else time = Math.abs(rawTime) < 1e11 ? Math.round(rawTime * 1000) : Math.round(rawTime);
      }
    }
    if (reason !== '') {
      skippedLines.push(lineCount);
      skippedReasons.push(reason);
      continue;
    }
    const distinct = props.distinct_id;
    const distinctId = distinct === undefined || distinct === null ? '' : String(distinct);
    let nameNumber = nameNumbers.get(name);
    if (nameNumber === undefined) {
      nameNumber = names.length;
      names.push(name);
      nameNumbers.set(name, nameNumber);
    }
    let userNumber = userNumbers.get(distinctId);
    if (userNumber === undefined) {
      userNumber = users.length;
      users.push(distinctId);
      userNumbers.set(distinctId, userNumber);
    }
    times.push(time);
    nameIndexes.push(nameNumber);
    userIndexes.push(userNumber);
    starts.push(lineStart);
    ends.push(end);
  }
  return {
    lineCount,
    times: Float64Array.from(times),
    nameIndexes: Int32Array.from(nameIndexes),
    userIndexes: Int32Array.from(userIndexes),
    names,
    users,
    starts: Int32Array.from(starts),
    ends: Int32Array.from(ends),
    skippedLines,
    skippedReasons,
  };
}
