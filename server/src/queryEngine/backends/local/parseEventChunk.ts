/**
 * Parses a line-aligned chunk of a Mixpanel raw export into compact columns (`$insert_id` is left
 * in the line: only de-duplication reads it, and only for events that share time, user and name).
 * It runs either on the loading thread or inside a parse worker, which receives this function's
 * source text: so it must stay self-contained (no imports, no helpers outside its body, no nested
 * functions).
 *
 * Most lines never reach `JSON.parse`: a byte scanner checks that the line is valid JSON and picks
 * out `event`, `properties.time`, `properties.distinct_id` and the properties a query asked for,
 * without building an object per property (building them is most of `JSON.parse`'s cost; the
 * scanner reads string contents four bytes at a time, and is about three times faster). Whenever
 * the scanner meets anything it does not handle exactly like `JSON.parse` (invalid JSON, escapes in
 * a key at the top or in `properties`, a repeated `event`/`properties`/`time`/`distinct_id`, a
 * missing or odd field, deep nesting), the line takes the `JSON.parse` path, which decides and
 * names the reason: the scanner only ever accepts lines that path accepts, with the same values.
 */

/** Properties to read out of every line while it is parsed, so nobody has to parse the line again. */
export interface ExtractRequest {
  /** Property names (keys of `properties`). */
  properties: string[];
  /** Only for events of these names; all events when absent. */
  events?: string[];
}

/**
 * One requested property's values, per valid event of the chunk. `kinds[i]`: 0 the event has no
 * such property; 1 a number (`values[i]`); 2 a string (`texts[values[i]]`); 3 true; 4 false;
 * 5 null; 6 an object or array, as its JSON text (`texts[values[i]]`); 7 not read (an event name
 * not asked for, or a line the scanner left to JSON.parse): read it from the line.
 */
export interface ExtractedColumn {
  kinds: Uint8Array;
  values: Float64Array;
  texts: string[];
}

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
  /**
   * Each event's line is ended by one newline (`\n`, not `\r\n`) and directly followed by the next
   * event's line: the events' lines are one run of the chunk's text, as most of an export is.
   */
  linesBackToBack: boolean;
  /** Malformed lines: 1-based line number within the chunk, and why. */
  skippedLines: number[];
  skippedReasons: string[];
  /** The requested properties' values, in the order of `ExtractRequest.properties`. */
  columns: ExtractedColumn[];
  /** Added by the caller of `parseEventChunk`: see `insertIdsOfLikelyDuplicates`. */
  likelyDuplicates?: ChunkInsertIds;
}

/**
 * `final` says the chunk ends the file, so text after its last newline is a line too; otherwise
 * a chunk ends with a newline. Reasons and time handling match the loader's documented rules.
 */
/**
 * Starts a line that the reader put in place of a line it dropped (one past the line limit); the
 * rest of the line is the reason to report. A NUL byte never starts a line of JSON. (parseEventChunk
 * holds its own copies of this and the depth limit: parse workers run its source text alone.)
 */
export const TOO_LONG_MARKER = '\u0000aq:';

/**
 * Objects and arrays nested deeper than this (the event's own object is level 1) make an event
 * malformed, so no walk over a value (copying it to a worker, JSON.stringify) can overflow the stack.
 * Mixpanel accepts at most 3 levels inside a property, so real data never comes near it.
 */
export const MAX_NESTING_DEPTH = 256;

/** How deep `value` nests objects and arrays, counted without recursion; stops once past `limit`. */
export function nestingDepthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

export function parseEventChunk(chunk: Uint8Array, final: boolean, extract?: ExtractRequest): ParsedChunk {
  // Parse workers get this function's source text alone, so what it uses is defined inside it.
  const tooLongMarker = '\u0000aq:';
  const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  // Typed columns (a million pushes onto JS arrays cost more than the scanning), sized by the
  // chunk's lines: counting the newlines costs far less than growing the columns by doubling, whose
  // copies were garbage in the parse worker. The count stops at one line per 40 bytes: a chunk of
  // shorter lines (blank ones, or the shortest events, 38 bytes) starts with that and grows.
  let capacity = 0;
  for (let at = text.indexOf(10); at >= 0 && capacity <= chunk.byteLength / 40; at = text.indexOf(10, at + 1)) capacity++;
  capacity = Math.max(16, capacity + 1);
  let times = new Float64Array(capacity);
  let nameIndexes = new Int32Array(capacity);
  let userIndexes = new Int32Array(capacity);
  let starts = new Int32Array(capacity);
  let ends = new Int32Array(capacity);
  let count = 0;
  const names: string[] = [];
  const users: string[] = [];
  const nameNumbers = new Map<string, number>();
  const userNumbers = new Map<string, number>();
  const skippedLines: number[] = [];
  const skippedReasons: string[] = [];

  // The requested properties: their names as bytes, and per line where their values are.
  const wanted = extract ? extract.properties : [];
  const wantCount = wanted.length;
  const wantBytes: Buffer[] = [];
  for (let j = 0; j < wantCount; j++) wantBytes.push(Buffer.from(wanted[j], 'utf8'));
  const wantedEvents = extract && extract.events ? new Set(extract.events) : undefined;
  // Per name number of this chunk: 1 its events' properties are read, 0 not.
  const nameWanted: number[] = [];
  let kinds: Uint8Array[] = [];
  let values: Float64Array[] = [];
  const texts: string[][] = [];
  const textNumbers: Array<Map<string, number>> = [];
  for (let j = 0; j < wantCount; j++) {
    kinds.push(new Uint8Array(capacity));
    values.push(new Float64Array(capacity));
    texts.push([]);
    textNumbers.push(new Map());
  }
  // Per requested property, for the line being scanned: value kind (as in ExtractedColumn, and
  // 8 a string with escapes), byte range (strings without their quotes).
  const lineKinds = new Uint8Array(wantCount);
  const lineStarts = new Int32Array(wantCount);
  const lineEnds = new Int32Array(wantCount);
  // Per requested property, its last few string values (bytes and text number), as for names below.
  const RECENT_VALUES = 4;
  const recentValueStarts = new Int32Array(wantCount * RECENT_VALUES);
  const recentValueEnds = new Int32Array(wantCount * RECENT_VALUES);
  const recentValueNumbers = new Int32Array(wantCount * RECENT_VALUES).fill(-1);
  const recentValueNext = new Int32Array(wantCount);

  // Bytes that end a run of plain string content: '"', '\\' and control characters (invalid in a string).
  const SPECIAL = new Uint8Array(256);
  for (let b = 0; b < 32; b++) SPECIAL[b] = 1;
  SPECIAL[34] = 1;
  SPECIAL[92] = 1;
  // Containers open at each depth while scanning a line: 1 object, 2 array.
  const MAX_DEPTH = 256;
  // Deeper lines leave the scanner and are refused on the JSON.parse path (MAX_NESTING_DEPTH).
  const maxDepth = MAX_DEPTH;
  const stack = new Uint8Array(MAX_DEPTH + 1);
  // The names of the last few events (bytes and number): a name is mostly one of them, and
  // comparing bytes costs less than making its string and looking it up.
  const RECENT_NAMES = 4;
  const recentStarts = new Int32Array(RECENT_NAMES);
  const recentEnds = new Int32Array(RECENT_NAMES);
  const recentNumbers = new Int32Array(RECENT_NAMES).fill(-1);
  let recentNext = 0;
  // Likewise the previous event's user, when it was a string.
  let lastUserStart = -1;
  let lastUserEnd = -1;
  let lastUserNumber = -1;
  let lineCount = 0;
  let linesBackToBack = true;
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
    const lineStart = start;
    start = newline + 1;

    let name = '';
    let nameNumber = -1;
    let userNumber = -1;
    // The user came from a string without escapes, whose bytes the next line can compare with.
    let userIsText = false;
    let time = 0;
    let distinctId = '';
    for (let j = 0; j < wantCount; j++) lineKinds[j] = 0;

    // ---- Fast path: a byte scanner; `break scan` hands the line to JSON.parse below.
    let fast = false;
    scan: {
      // States: 0 a value, 1 after a value, 2 a key or '}' (object start), 3 a key (after ','), 4 a value or ']' (array start).
      let state = 0;
      let depth = 0;
      let p = lineStart;
      // The field the next value belongs to: 0 none, 1 event, 2 properties, 3 time, 4 distinct_id.
      let field = 0;
      // The requested property the next value belongs to, or -1.
      let want = -1;
      // The event's name is known, and its properties are not read: requested keys need no matching.
      let skipWanted = false;
      // A requested property whose object or array value is open (at depth 3), and where it began.
      let openWant = -1;
      let openWantStart = 0;
      let propertiesOpen = false;
      let propertiesSeen = false;
      let eventStart = -1;
      let eventEnd = -1;
      // Time: 0 missing, 1 number, 2 string (ranges exclude the quotes).
      let timeKind = 0;
      let timeStart = 0;
      let timeEnd = 0;
      // distinct_id: 0 missing or null, 1 number, 2 string, 3 true, 4 false.
      let distinctKind = 0;
      let distinctSeen = false;
      let distinctStart = 0;
      let distinctEnd = 0;
      for (;;) {
        let c = -1;
        while (p < end) {
          c = text[p];
          if (c === 32 || c === 9 || c === 13 || c === 10) p++;
          else break;
        }
        if (p >= end) {
          if (depth === 0 && state === 1) break;
          break scan;
        }
        c = text[p];
        if (state === 1) {
          if (depth === 0) break scan;
          const container = stack[depth];
          if (c === 44) {
            p++;
            state = container === 1 ? 3 : 0;
          } else if ((c === 125 && container === 1) || (c === 93 && container === 2)) {
            p++;
            if (depth === 2 && propertiesOpen) {
              propertiesOpen = false;
              propertiesSeen = true;
            } else if (depth === 3 && openWant >= 0) {
              lineKinds[openWant] = 6;
              lineStarts[openWant] = openWantStart;
              lineEnds[openWant] = p;
              openWant = -1;
            }
            depth--;
          } else {
            break scan;
          }
          continue;
        }
        if (state === 2 || state === 3) {
          if (c === 125 && state === 2) {
            p++;
            if (depth === 2 && propertiesOpen) {
              propertiesOpen = false;
              propertiesSeen = true;
            } else if (depth === 3 && openWant >= 0) {
              lineKinds[openWant] = 6;
              lineStarts[openWant] = openWantStart;
              lineEnds[openWant] = p;
              openWant = -1;
            }
            depth--;
            state = 1;
            continue;
          }
          if (c !== 34) break scan;
          const keyStart = p + 1;
          let q = keyStart;
          let escaped = false;
          for (;;) {
            // Four bytes at a time while none of them is special (a zero byte after xor, or below
            // 0x20); in the first word that has one, the lowest flagged byte is the first special one.
            let found = false;
            while (q + 4 <= end) {
              const w = view.getInt32(q, true);
              const quote = w ^ 0x22222222;
              const backslash = w ^ 0x5c5c5c5c;
              const flags = (((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash) | ((w - 0x20202020) & ~w)) & 0x80808080;
              if (flags === 0) {
                q += 4;
                continue;
              }
              q += (31 - Math.clz32(flags & -flags)) >> 3;
              found = true;
              break;
            }
            if (!found) while (q < end && SPECIAL[text[q]] === 0) q++;
            if (q >= end) break scan;
            const b = text[q];
            if (b === 34) break;
            if (b !== 92) break scan;
            escaped = true;
            q++;
            if (q >= end) break scan;
            const e = text[q];
            if (e === 117) {
              if (q + 4 >= end) break scan;
              for (let h = q + 1; h <= q + 4; h++) {
                const x = text[h];
                if (!((x >= 48 && x <= 57) || (x >= 65 && x <= 70) || (x >= 97 && x <= 102))) break scan;
              }
              q += 5;
            } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
              q++;
            } else {
              break scan;
            }
          }
          field = 0;
          want = -1;
          if (depth === 1 || (depth === 2 && propertiesOpen)) {
            // An escaped key may spell one of ours: leave it to JSON.parse.
            if (escaped) break scan;
            const length = q - keyStart;
            const k = keyStart;
            if (depth === 1) {
              // "event", "properties"
              if (length === 5 && text[k] === 101 && text[k + 1] === 118 && text[k + 2] === 101 && text[k + 3] === 110 && text[k + 4] === 116) field = 1;
              else if (
                length === 10 &&
                text[k] === 112 &&
                text[k + 1] === 114 &&
                text[k + 2] === 111 &&
                text[k + 3] === 112 &&
                text[k + 4] === 101 &&
                text[k + 5] === 114 &&
                text[k + 6] === 116 &&
                text[k + 7] === 105 &&
                text[k + 8] === 101 &&
                text[k + 9] === 115
              )
                field = 2;
            } else {
              // "time", "distinct_id"
              if (length === 4 && text[k] === 116 && text[k + 1] === 105 && text[k + 2] === 109 && text[k + 3] === 101) field = 3;
              else if (
                length === 11 &&
                text[k] === 100 &&
                text[k + 1] === 105 &&
                text[k + 2] === 115 &&
                text[k + 3] === 116 &&
                text[k + 4] === 105 &&
                text[k + 5] === 110 &&
                text[k + 6] === 99 &&
                text[k + 7] === 116 &&
                text[k + 8] === 95 &&
                text[k + 9] === 105 &&
                text[k + 10] === 100
              )
                field = 4;
              for (let j = 0; j < wantCount && want < 0 && !skipWanted; j++) {
                const bytes = wantBytes[j];
                if (bytes.length !== length) continue;
                let same = true;
                for (let i = 0; same && i < length; i++) same = text[k + i] === bytes[i];
                if (same) want = j;
              }
            }
            // A repeated key: JSON.parse keeps the last value; rare enough to leave to it (a
            // requested property just takes the last value, as JSON.parse does).
            if ((field === 1 && eventStart >= 0) || (field === 2 && propertiesSeen) || (field === 3 && timeKind !== 0) || (field === 4 && distinctSeen))
              break scan;
          }
          p = q + 1;
          while (p < end) {
            c = text[p];
            if (c === 32 || c === 9 || c === 13 || c === 10) p++;
            else break;
          }
          if (p >= end || text[p] !== 58) break scan;
          p++;
          state = 0;
          continue;
        }
        if (state === 4) {
          if (c === 93) {
            p++;
            if (depth === 3 && openWant >= 0) {
              lineKinds[openWant] = 6;
              lineStarts[openWant] = openWantStart;
              lineEnds[openWant] = p;
              openWant = -1;
            }
            depth--;
            state = 1;
            continue;
          }
          state = 0;
        }
        // state 0: a value.
        if (c === 123 || c === 91) {
          if (field === 1 || field === 3 || field === 4 || (field === 2 && c === 91)) break scan;
          if (depth >= MAX_DEPTH) break scan;
          if (field === 2) propertiesOpen = true;
          if (want >= 0) {
            openWant = want;
            openWantStart = p;
          }
          depth++;
          stack[depth] = c === 123 ? 1 : 2;
          p++;
          state = c === 123 ? 2 : 4;
          field = 0;
          want = -1;
          continue;
        }
        if (c === 34) {
          const valueStart = p + 1;
          let q = valueStart;
          let escaped = false;
          for (;;) {
            // Four bytes at a time while none of them is special (a zero byte after xor, or below
            // 0x20); in the first word that has one, the lowest flagged byte is the first special one.
            let found = false;
            while (q + 4 <= end) {
              const w = view.getInt32(q, true);
              const quote = w ^ 0x22222222;
              const backslash = w ^ 0x5c5c5c5c;
              const flags = (((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash) | ((w - 0x20202020) & ~w)) & 0x80808080;
              if (flags === 0) {
                q += 4;
                continue;
              }
              q += (31 - Math.clz32(flags & -flags)) >> 3;
              found = true;
              break;
            }
            if (!found) while (q < end && SPECIAL[text[q]] === 0) q++;
            if (q >= end) break scan;
            const b = text[q];
            if (b === 34) break;
            if (b !== 92) break scan;
            escaped = true;
            q++;
            if (q >= end) break scan;
            const e = text[q];
            if (e === 117) {
              if (q + 4 >= end) break scan;
              for (let h = q + 1; h <= q + 4; h++) {
                const x = text[h];
                if (!((x >= 48 && x <= 57) || (x >= 65 && x <= 70) || (x >= 97 && x <= 102))) break scan;
              }
              q += 5;
            } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
              q++;
            } else {
              break scan;
            }
          }
          if (field !== 0) {
            if (escaped || field === 2) break scan;
            if (field === 1) {
              if (q === valueStart) break scan;
              eventStart = valueStart;
              eventEnd = q;
              // Known already (one of the last few names)? Then whether its properties are read, too.
              const nameLength = q - valueStart;
              for (let r = 0; r < RECENT_NAMES && nameNumber < 0; r++) {
                const from = recentStarts[r];
                let same = recentNumbers[r] >= 0 && recentEnds[r] - from === nameLength;
                for (let i = 0; same && i < nameLength; i++) same = text[valueStart + i] === text[from + i];
                if (same) nameNumber = recentNumbers[r];
              }
              if (nameNumber >= 0 && nameWanted[nameNumber] === 0) skipWanted = true;
            } else if (field === 3) {
              timeKind = 2;
              timeStart = valueStart;
              timeEnd = q;
            } else {
              distinctSeen = true;
              distinctKind = 2;
              distinctStart = valueStart;
              distinctEnd = q;
            }
          }
          if (want >= 0) {
            lineKinds[want] = escaped ? 8 : 2;
            lineStarts[want] = valueStart;
            lineEnds[want] = q;
          }
          p = q + 1;
          state = 1;
          field = 0;
          want = -1;
          continue;
        }
        if (c === 45 || (c >= 48 && c <= 57)) {
          const numberStart = p;
          if (c === 45) {
            p++;
            if (p >= end) break scan;
            c = text[p];
          }
          if (c === 48) {
            p++;
          } else if (c >= 49 && c <= 57) {
            p++;
            while (p < end && text[p] >= 48 && text[p] <= 57) p++;
          } else {
            break scan;
          }
          if (p < end && text[p] === 46) {
            p++;
            if (p >= end || text[p] < 48 || text[p] > 57) break scan;
            while (p < end && text[p] >= 48 && text[p] <= 57) p++;
          }
          if (p < end && (text[p] === 101 || text[p] === 69)) {
            p++;
            if (p < end && (text[p] === 43 || text[p] === 45)) p++;
            if (p >= end || text[p] < 48 || text[p] > 57) break scan;
            while (p < end && text[p] >= 48 && text[p] <= 57) p++;
          }
          if (field !== 0) {
            if (field === 1 || field === 2) break scan;
            if (field === 3) {
              timeKind = 1;
              timeStart = numberStart;
              timeEnd = p;
            } else {
              distinctSeen = true;
              distinctKind = 1;
              distinctStart = numberStart;
              distinctEnd = p;
            }
          }
          if (want >= 0) {
            lineKinds[want] = 1;
            lineStarts[want] = numberStart;
            lineEnds[want] = p;
          }
          state = 1;
          field = 0;
          want = -1;
          continue;
        }
        // true (kind 3), false (4), null (5)
        let literal = 0;
        if (c === 116 && p + 3 < end && text[p + 1] === 114 && text[p + 2] === 117 && text[p + 3] === 101) literal = 3;
        else if (c === 102 && p + 4 < end && text[p + 1] === 97 && text[p + 2] === 108 && text[p + 3] === 115 && text[p + 4] === 101) literal = 4;
        else if (c === 110 && p + 3 < end && text[p + 1] === 117 && text[p + 2] === 108 && text[p + 3] === 108) literal = 5;
        else break scan;
        if (field !== 0) {
          if (field !== 4) break scan;
          distinctSeen = true;
          distinctKind = literal === 5 ? 0 : literal;
        }
        if (want >= 0) lineKinds[want] = literal;
        p += literal === 4 ? 5 : 4;
        state = 1;
        field = 0;
        want = -1;
      }
      // The whole line is valid JSON. An object at the top with the fields we need?
      if (eventStart < 0 || !propertiesSeen || timeKind === 0) break scan;
      let rawTime: number;
      if (timeKind === 1) {
        // Whole numbers of up to 15 digits (every seconds or milliseconds timestamp) are exact
        // when summed digit by digit; fractions and exponents go through Number.
        rawTime = 0;
        let digit = timeStart;
        if (timeEnd - timeStart <= 15 && text[digit] !== 45) {
          while (digit < timeEnd && text[digit] >= 48 && text[digit] <= 57) rawTime = rawTime * 10 + (text[digit++] - 48);
        }
        if (digit !== timeEnd) rawTime = Number(text.toString('latin1', timeStart, timeEnd));
      } else {
        const timeText = text.toString('utf8', timeStart, timeEnd);
        if (timeText.trim() === '') break scan;
        rawTime = Number(timeText);
      }
      if (!Number.isFinite(rawTime)) break scan;
      // Below 10^11 a timestamp is seconds (year 5138), otherwise milliseconds.
      time = Math.abs(rawTime) < 1e11 ? Math.round(rawTime * 1000) : Math.round(rawTime);
      if (distinctKind === 2) {
        let same = lastUserNumber >= 0 && distinctEnd - distinctStart === lastUserEnd - lastUserStart;
        for (let i = 0; same && i < distinctEnd - distinctStart; i++) same = text[distinctStart + i] === text[lastUserStart + i];
        if (same) userNumber = lastUserNumber;
        else distinctId = text.toString('utf8', distinctStart, distinctEnd);
        lastUserStart = distinctStart;
        lastUserEnd = distinctEnd;
        userIsText = true;
      } else if (distinctKind === 1) {
        distinctId = String(Number(text.toString('latin1', distinctStart, distinctEnd)));
      } else if (distinctKind === 3) {
        distinctId = 'true';
      } else if (distinctKind === 4) {
        distinctId = 'false';
      }
      if (nameNumber < 0) {
        name = text.toString('utf8', eventStart, eventEnd);
        // Remembered (below, once numbered) in place of the oldest.
        recentStarts[recentNext] = eventStart;
        recentEnds[recentNext] = eventEnd;
        recentNumbers[recentNext] = -1;
      }
      fast = true;
    }

    if (!fast) {
      // ---- The JSON.parse path: exact for every line, and names the reason for a malformed one.
      nameNumber = -1;
      const line = text.toString('utf8', lineStart, end);
      if (line.trim() === '') continue;
      let reason = '';
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        reason = line.startsWith(tooLongMarker) ? line.slice(tooLongMarker.length) : 'not valid JSON';
      }
      if (reason === '') {
        // Nesting depth, walked without recursion (no helper function: see the top of this function).
        const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
        while (stack.length > 0 && reason === '') {
          const top = stack.pop()!;
          if (typeof top.value !== 'object' || top.value === null) continue;
          if (top.depth + 1 > maxDepth) reason = `nested deeper than ${maxDepth} levels`;
          else for (const child of Array.isArray(top.value) ? top.value : Object.values(top.value)) stack.push({ value: child, depth: top.depth + 1 });
        }
      }
      let props: Record<string, unknown> = {};
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
      // The user as String() names it ("" when missing or null); a value String() cannot convert
      // (an object whose toString and valueOf are not functions, `{"toString": {}}`) is named by
      // its kind instead of failing the whole load.
      if (distinct === undefined || distinct === null) distinctId = '';
      else {
        try {
          distinctId = String(distinct);
        } catch {
          distinctId = Object.prototype.toString.call(distinct);
        }
      }
      // The requested properties are read from the line when needed.
      for (let j = 0; j < wantCount; j++) lineKinds[j] = 7;
    }

    if (nameNumber < 0) {
      nameNumber = nameNumbers.get(name) ?? -1;
      if (nameNumber < 0) {
        nameNumber = names.length;
        names.push(name);
        nameNumbers.set(name, nameNumber);
        nameWanted.push(wantedEvents === undefined || wantedEvents.has(name) ? 1 : 0);
      }
      if (fast) {
        recentNumbers[recentNext] = nameNumber;
        recentNext = (recentNext + 1) % RECENT_NAMES;
      }
    }
    if (userNumber < 0) {
      userNumber = userNumbers.get(distinctId) ?? -1;
      if (userNumber < 0) {
        userNumber = users.length;
        users.push(distinctId);
        userNumbers.set(distinctId, userNumber);
      }
    }
    lastUserNumber = userIsText ? userNumber : -1;
    if (count === capacity) {
      capacity *= 2;
      const grownTimes = new Float64Array(capacity);
      grownTimes.set(times);
      times = grownTimes;
      const grownNames = new Int32Array(capacity);
      grownNames.set(nameIndexes);
      nameIndexes = grownNames;
      const grownUsers = new Int32Array(capacity);
      grownUsers.set(userIndexes);
      userIndexes = grownUsers;
      const grownStarts = new Int32Array(capacity);
      grownStarts.set(starts);
      starts = grownStarts;
      const grownEnds = new Int32Array(capacity);
      grownEnds.set(ends);
      ends = grownEnds;
      const grownKinds: Uint8Array[] = [];
      const grownValues: Float64Array[] = [];
      for (let j = 0; j < wantCount; j++) {
        grownKinds.push(new Uint8Array(capacity));
        grownKinds[j].set(kinds[j]);
        grownValues.push(new Float64Array(capacity));
        grownValues[j].set(values[j]);
      }
      kinds = grownKinds;
      values = grownValues;
    }
    times[count] = time;
    nameIndexes[count] = nameNumber;
    userIndexes[count] = userNumber;
    starts[count] = lineStart;
    ends[count] = end;
    if (end === text.length || text[end] !== 10 || (count > 0 && lineStart !== ends[count - 1] + 1)) linesBackToBack = false;
    const readHere = nameWanted[nameNumber] === 1;
    for (let j = 0; j < wantCount; j++) {
      let kind = readHere ? lineKinds[j] : 7;
      let number = 0;
      if (kind === 1) {
        // Integers of up to 15 digits are exact when summed digit by digit; others go through Number.
        const from = lineStarts[j];
        const to = lineEnds[j];
        const negative = text[from] === 45;
        const digits = negative ? from + 1 : from;
        let digit = digits;
        if (to - digits <= 15) {
          while (digit < to && text[digit] >= 48 && text[digit] <= 57) number = number * 10 + (text[digit++] - 48);
        }
        if (digit === to) number = negative ? -number : number;
        else number = Number(text.toString('latin1', from, to));
      } else if (kind === 2 || kind === 6 || kind === 8) {
        number = -1;
        const from = lineStarts[j];
        const to = lineEnds[j];
        // A plain string equal (byte for byte) to one of the column's recent values has its number.
        if (kind === 2) {
          for (let r = j * RECENT_VALUES; r < (j + 1) * RECENT_VALUES && number < 0; r++) {
            const at = recentValueStarts[r];
            let same = recentValueNumbers[r] >= 0 && recentValueEnds[r] - at === to - from;
            for (let i = 0; same && i < to - from; i++) same = text[from + i] === text[at + i];
            if (same) number = recentValueNumbers[r];
          }
        }
        if (number < 0) {
          // Strings without escapes as they are, others (and object or array text) through JSON.parse's rules.
          const valueText = kind === 8 ? (JSON.parse(text.toString('utf8', from - 1, to + 1)) as string) : text.toString('utf8', from, to);
          const numbers = textNumbers[j];
          number = numbers.get(valueText) ?? -1;
          if (number < 0) {
            number = texts[j].length;
            texts[j].push(valueText);
            numbers.set(valueText, number);
          }
          if (kind === 2) {
            const r = j * RECENT_VALUES + recentValueNext[j];
            recentValueStarts[r] = from;
            recentValueEnds[r] = to;
            recentValueNumbers[r] = number;
            recentValueNext[j] = (recentValueNext[j] + 1) % RECENT_VALUES;
          }
        }
        if (kind === 8) kind = 2;
      }
      kinds[j][count] = kind;
      values[j][count] = number;
    }
    count++;
  }
  const columns: ExtractedColumn[] = [];
  // Nearly every line is an event: the columns are returned as they are, without a copy, unless
  // much of their room is unused (then a copy takes less memory where they go).
  const fit = count * 8 >= capacity * 7;
  for (let j = 0; j < wantCount; j++) {
    columns.push({
      kinds: fit ? kinds[j].subarray(0, count) : kinds[j].slice(0, count),
      values: fit ? values[j].subarray(0, count) : values[j].slice(0, count),
      texts: texts[j],
    });
  }
  return {
    lineCount,
    linesBackToBack,
    times: fit ? times.subarray(0, count) : times.slice(0, count),
    nameIndexes: fit ? nameIndexes.subarray(0, count) : nameIndexes.slice(0, count),
    userIndexes: fit ? userIndexes.subarray(0, count) : userIndexes.slice(0, count),
    names,
    users,
    starts: fit ? starts.subarray(0, count) : starts.slice(0, count),
    ends: fit ? ends.subarray(0, count) : ends.slice(0, count),
    skippedLines,
    skippedReasons,
    columns,
  };
}

/** The `$insert_id` of some events of a chunk, by their number in the chunk's valid events. */
export interface ChunkInsertIds {
  rows: Int32Array;
  /** As de-duplication compares them: null when missing, null or empty, else the value as String() names it. */
  ids: Array<string | null>;
}

/**
 * The `$insert_id` of each event of a parsed chunk that has the same time, name and user as
 * another event of the chunk. Those are the only events de-duplication compares (its rule: same
 * time, name, user and insert id), and a copy that a client sent twice is most often near its
 * event: read here, while the chunk's text is in memory, they need not be read back from the
 * cache entry after the load, one read per line (at 1M events with 4,000 copies, about 70 ms of
 * the load's last, single-threaded part). Events that share them only with an event of another
 * chunk are still read back. Runs where `parseEventChunk` runs, so it is self-contained too.
 */
export function insertIdsOfLikelyDuplicates(chunk: Uint8Array, parsed: ParsedChunk): ChunkInsertIds {
  const { times, nameIndexes, userIndexes, starts, ends } = parsed;
  const count = times.length;
  // Open addressing over (time, name, user): each slot holds a row number + 1, 0 when empty.
  let size = 16;
  while (size < count * 2) size *= 2;
  const slots = new Int32Array(size);
  const shared = new Uint8Array(count);
  let sharedCount = 0;
  for (let row = 0; row < count; row++) {
    const time = times[row];
    // Times are whole milliseconds: their low and high 32 bits, mixed with the name and user numbers.
    let hash = Math.imul((time % 4294967296) | 0, 0x9e3779b1) ^ Math.imul((time / 4294967296) | 0, 0x85ebca6b);
    hash = Math.imul(hash ^ nameIndexes[row], 0xc2b2ae35) ^ Math.imul(userIndexes[row], 0x27d4eb2f);
    let slot = (hash ^ (hash >>> 15)) & (size - 1);
    for (;;) {
      const other = slots[slot] - 1;
      if (other < 0) {
        slots[slot] = row + 1;
        break;
      }
      if (times[other] === time && nameIndexes[other] === nameIndexes[row] && userIndexes[other] === userIndexes[row]) {
        if (shared[other] === 0) sharedCount++;
        shared[other] = 1;
        shared[row] = 1;
        sharedCount++;
        break;
      }
      slot = (slot + 1) & (size - 1);
    }
  }
  const rows = new Int32Array(sharedCount);
  const ids: Array<string | null> = [];
  if (sharedCount === 0) return { rows, ids };
  const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let next = 0;
  for (let row = 0; row < count; row++) {
    if (shared[row] === 0) continue;
    rows[next++] = row;
    // The line parsed as an event when the chunk was, so it has a properties object.
    const insert = (JSON.parse(text.toString('utf8', starts[row], ends[row])) as { properties: Record<string, unknown> }).properties.$insert_id;
    let id: string | null = null;
    if (insert !== undefined && insert !== null && insert !== '') {
      try {
        id = String(insert);
      } catch {
        // An object String() cannot convert (`{"toString": {}}`) is named by its kind, as a user is.
        id = Object.prototype.toString.call(insert);
      }
    }
    ids.push(id);
  }
  return { rows, ids };
}
