/**
 * Puts a load's events in ascending, stable time order (ties keep file order). Two ways: a radix
 * sort of whole time units (an export's times are whole seconds, sometimes milliseconds), and, for
 * any other times, a counting sort into about one bucket per event. A comparison sort of a million
 * events costs more than parsing them.
 */

/** A load's events in file order: time, user and name number per event. */
export interface TimedRows {
  times: Float64Array;
  users: Int32Array;
  nameIds: Int32Array;
}

/** Bits of the time key sorted per pass: 2,048 counters stay in the fastest cache. */
const DIGIT_BITS = 11;
const DIGIT_COUNT = 1 << DIGIT_BITS;

/**
 * What the sort needs to know of a load's times, gathered in one pass: their range, whether they
 * are already in order, and whether they are whole seconds or whole milliseconds.
 */
export interface TimeProfile {
  count: number;
  min: number;
  max: number;
  /** The last time added: the next one must not be earlier for the times to stay in order. */
  last: number;
  sorted: boolean;
  wholeSeconds: boolean;
  wholeMilliseconds: boolean;
}

export function emptyTimeProfile(): TimeProfile {
  return { count: 0, min: Infinity, max: -Infinity, last: -Infinity, sorted: true, wholeSeconds: true, wholeMilliseconds: true };
}

/**
 * Adds `times`, the next ones in file order, to `profile`. A load adds each chunk's times as it
 * arrives, while this thread mostly waits for the parse workers: the pass runs optimised after
 * the first chunks and is spread over the loading, instead of running once after it over every
 * time, mostly unoptimised (50-60 ms at 1M events).
 */
export function addToTimeProfile(profile: TimeProfile, times: Float64Array): void {
  let { min, max, last, sorted, wholeSeconds, wholeMilliseconds } = profile;
  for (let i = 0; i < times.length; i++) {
    const time = times[i];
    if (time < min) min = time;
    if (time > max) max = time;
    if (time < last) sorted = false;
    last = time;
    if (wholeMilliseconds && !Number.isInteger(time)) {
      wholeMilliseconds = wholeSeconds = false;
    } else if (wholeSeconds) {
      // A whole number of seconds, without `%` (a call to fmod, the slowest step of this loop):
      // the quotient is whole and gives the time back exactly. That holds for whole numbers up
      // to 2^53; past it a quotient can round to a whole number, and `%` decides.
      const seconds = time / 1000;
      wholeSeconds = Math.abs(time) <= Number.MAX_SAFE_INTEGER ? Math.floor(seconds) === seconds && seconds * 1000 === time : time % 1000 === 0;
    }
  }
  Object.assign(profile, { count: profile.count + times.length, min, max, last, sorted, wholeSeconds, wholeMilliseconds });
}

/**
 * The events in time order. Times that are whole seconds (or whole milliseconds) spanning less
 * than 2^32 of that unit — 136 years of seconds, 49 days of milliseconds — are radix sorted:
 * about four times faster than the buckets on a million events spread over months, whose moves
 * jump about all of memory. `rows`' arrays may be reused for the result. `profile` is that of
 * `rows.times` when the caller gathered it already.
 */
export function sortByTime(rows: TimedRows, profile?: TimeProfile): SortedRows {
  const { times } = rows;
  const count = times.length;
  if (!profile) {
    profile = emptyTimeProfile();
    addToTimeProfile(profile, times);
  }
  if (profile.count !== count) throw new Error(`the time profile covers ${profile.count} events, not ${count}`);
  const { min, max, sorted, wholeSeconds, wholeMilliseconds } = profile;
  if (sorted) {
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    return { order, times, users: rows.users, nameIds: rows.nameIds };
  }
  const unit = wholeSeconds ? 1000 : wholeMilliseconds ? 1 : 0;
  if (unit > 0 && (max - min) / unit < 2 ** 32) return radixSortByTime(rows, min, unit, (max - min) / unit);
  return sortByTimeInBuckets(rows);
}

/**
 * Least-significant-digit radix sort of the keys `(time - min) / unit` (below 2^32, `largest` the
 * largest), carrying each event's file position; every pass is stable, so ties keep file order.
 * Then times are rebuilt from the keys and users and names gathered in the new order.
 *
 * Each loop over the events is a function of its own. A load sorts once per process, so V8
 * optimises this while it runs (on-stack replacement, at the first hot loop): optimised as one
 * function, the code for the loops that had not run yet had no type feedback and was thrown away
 * when each was reached (seven compilations). A function per loop is optimised for its loop alone:
 * a fresh process's sort of 1M events took 171-190 ms before, 132-141 ms after (70 ms once warm).
 */
function radixSortByTime(rows: TimedRows, min: number, unit: number, largest: number): SortedRows {
  const { times, users, nameIds } = rows;
  const count = times.length;
  let keys = new Uint32Array(count);
  let order = new Int32Array(count);
  timeKeysOf(times, min, unit, keys, order);
  let spareKeys = new Uint32Array(count);
  let spareOrder = new Int32Array(count);
  const counts = new Uint32Array(DIGIT_COUNT);
  for (let shift = 0; shift < 32 && largest >= 2 ** shift; shift += DIGIT_BITS) {
    countDigits(keys, shift, counts);
    let start = 0;
    for (let digit = 0; digit < DIGIT_COUNT; digit++) {
      const size = counts[digit];
      counts[digit] = start;
      start += size;
    }
    placeByDigit(keys, order, shift, counts, spareKeys, spareOrder);
    [keys, spareKeys] = [spareKeys, keys];
    [order, spareOrder] = [spareOrder, order];
  }
  // The file-order arrays are not needed after this: times are rebuilt into theirs, and the spare
  // key and order arrays take the gathered users and names (same byte size, 4 per event).
  const sortedUsers = new Int32Array(spareKeys.buffer, spareKeys.byteOffset, count);
  const sortedNames = spareOrder;
  gatherSorted(order, keys, min, unit, users, nameIds, times, sortedUsers, sortedNames);
  return { order, times, users: sortedUsers, nameIds: sortedNames };
}

function timeKeysOf(times: Float64Array, min: number, unit: number, keys: Uint32Array, order: Int32Array): void {
  for (let i = 0; i < times.length; i++) {
    keys[i] = (times[i] - min) / unit;
    order[i] = i;
  }
}

function countDigits(keys: Uint32Array, shift: number, counts: Uint32Array): void {
  counts.fill(0);
  for (let i = 0; i < keys.length; i++) counts[(keys[i] >>> shift) & (DIGIT_COUNT - 1)]++;
}

/** One stable pass: each key and its position moved to the next place of its digit (`counts` holds each digit's first place). */
function placeByDigit(keys: Uint32Array, order: Int32Array, shift: number, counts: Uint32Array, toKeys: Uint32Array, toOrder: Int32Array): void {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const at = counts[(key >>> shift) & (DIGIT_COUNT - 1)]++;
    toKeys[at] = key;
    toOrder[at] = order[i];
  }
}

function gatherSorted(
  order: Int32Array,
  keys: Uint32Array,
  min: number,
  unit: number,
  users: Int32Array,
  nameIds: Int32Array,
  times: Float64Array,
  sortedUsers: Int32Array,
  sortedNames: Int32Array,
): void {
  for (let i = 0; i < order.length; i++) {
    const from = order[i];
    sortedUsers[i] = users[from];
    sortedNames[i] = nameIds[from];
    times[i] = min + keys[i] * unit;
  }
}

/** Events in time order: position in file order, time, user and name number. */
export interface SortedRows {
  order: Int32Array;
  times: Float64Array;
  users: Int32Array;
  nameIds: Int32Array;
}

/**
 * The events in ascending, stable time order, in linear time, whatever the times: a counting sort of the positions
 * into about one bucket per event, then an insertion pass that only moves entries within their
 * bucket. A comparison sort of a million events costs more than parsing them. Times, users and
 * names are moved into that order in place, along the permutation's cycles (the file order's
 * arrays are not needed after this, and a second set would be most of the load's peak memory);
 * the insertion pass then reads them in order.
 */
export function sortByTimeInBuckets(rows: TimedRows): SortedRows {
  const { times, users, nameIds } = rows;
  const count = times.length;
  const order = new Int32Array(count);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const time = times[i];
    order[i] = i;
    if (time < min) min = time;
    if (time > max) max = time;
  }
  const bucketCount = Math.max(1, Math.min(count, 1 << 22));
  const width = (max - min) / bucketCount || 1;
  const scale = 1 / width;
  // Each event's bucket is computed twice (counting, then placing) rather than kept: 4 bytes an event less.
  const bucketOf = (time: number): number => Math.min(bucketCount - 1, Math.floor((time - min) * scale));
  const starts = new Uint32Array(bucketCount + 1);
  for (let i = 0; i < count; i++) starts[bucketOf(times[i]) + 1]++;
  for (let bucket = 0; bucket < bucketCount; bucket++) starts[bucket + 1] += starts[bucket];
  for (let i = 0; i < count; i++) order[starts[bucketOf(times[i])]++] = i;
  // Position p takes what was at order[p]: each cycle of the permutation is walked once.
  const placed = new Uint8Array(count);
  for (let first = 0; first < count; first++) {
    if (placed[first] === 1 || order[first] === first) continue;
    const time = times[first];
    const user = users[first];
    const nameId = nameIds[first];
    let position = first;
    for (let from = order[position]; from !== first; from = order[position]) {
      times[position] = times[from];
      users[position] = users[from];
      nameIds[position] = nameIds[from];
      placed[position] = 1;
      position = from;
    }
    times[position] = time;
    users[position] = user;
    nameIds[position] = nameId;
    placed[position] = 1;
  }
  for (let i = 1; i < count; i++) {
    const time = times[i];
    if (times[i - 1] <= time) continue;
    const position = order[i];
    const user = users[i];
    const nameId = nameIds[i];
    let j = i - 1;
    while (j >= 0 && times[j] > time) {
      times[j + 1] = times[j];
      order[j + 1] = order[j];
      users[j + 1] = users[j];
      nameIds[j + 1] = nameIds[j];
      j--;
    }
    times[j + 1] = time;
    order[j + 1] = position;
    users[j + 1] = user;
    nameIds[j + 1] = nameId;
  }
  return { order, times, users, nameIds };
}
