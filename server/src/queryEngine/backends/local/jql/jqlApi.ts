/**
 * The JQL language surface (docs/api-notes.md, "Mixpanel JQL"): Events, People, join, the collection
 * transformations, the mixpanel.* builtins, a small `_` and the global `params`.
 *
 * `installJqlApi` runs INSIDE the sandbox realm: jqlSandbox turns it into source text and evaluates
 * it in the script's vm context. Everything a script can reach (collections, reducers, events,
 * results) is therefore created by the sandbox realm, whose Function constructor cannot compile
 * strings, and nothing leads back to the host realm. That is also why the function must not use
 * anything outside its own body: no module-level helpers, no imports at run time.
 *
 * The host's data stays in this function's closure; values are copied out of it, never handed over.
 */

/** One event as the host holds it (a LocalEvent, read-only). */
export interface JqlHostEvent {
  name: string;
  /** "" when the event was sent without a distinct_id. */
  distinctId: string;
  properties: Record<string, unknown>;
}

/** One profile as the host holds it. */
export interface JqlHostProfile {
  distinctId: string;
  properties: Record<string, unknown>;
}

/** Read-only access to one loaded dataset, handed to `installJqlApi` by the host. */
export interface JqlHostData {
  /**
   * Answers a `JqlDataRequest` (as JSON) with positions into `events` / `profiles` (a join answers
   * flat `[eventIndex, profileIndex, …]` pairs, -1 for "none"), or with an error message string.
   */
  select(requestJson: string): number[] | string;
  events: readonly JqlHostEvent[];
  /** Event times as JQL reports them: milliseconds since the epoch in the project's time zone. */
  eventTimes: ArrayLike<number>;
  profiles: readonly JqlHostProfile[];
  /** Profile `$last_seen` in the project's time zone, when known. */
  profileTimes: ReadonlyArray<number | undefined>;
}

export interface JqlEventSelector {
  event?: string;
  selector?: string;
}

/** What the sandbox asks the host for. Dates are `YYYY-MM-DD`, inclusive, in the project time zone. */
export type JqlDataRequest =
  | { kind: 'events'; from: string; to: string; selectors: JqlEventSelector[] }
  | { kind: 'people'; selectors: Array<{ selector?: string }> }
  | {
      kind: 'join';
      events: { from: string; to: string; selectors: JqlEventSelector[] };
      people: { selectors: Array<{ selector?: string }> };
      type: 'full' | 'left' | 'right' | 'inner';
      selectors: JqlEventSelector[];
    };

// The names and prefixes below are repeated as literals inside installJqlApi, which cannot read
// module constants; the tests run through both sides.

/** Global the host calls (via runInContext, under the time limit) to run `main()`. */
export const RUN_MAIN_GLOBAL = '__aqRunMain';
/** Global the host calls to describe an error thrown by the script's top level; returns JSON text. */
export const DESCRIBE_ERROR_GLOBAL = '__aqDescribeError';
/** Where the host puts that error for `DESCRIBE_ERROR_GLOBAL` to read. */
export const PENDING_ERROR_GLOBAL = '__aqPendingError';

/**
 * What `RUN_MAIN_GLOBAL` returns: this prefix and the output's JSON, or `RUN_FAILED` and a
 * JqlScriptError's JSON. Text, so a large output crosses to the host without being parsed on the way.
 */
export const RUN_SUCCEEDED = 'O';
export const RUN_FAILED = 'E';

/** A script failure, described inside the sandbox so the host never touches the thrown value. */
export interface JqlScriptError {
  name: string;
  message: string;
  /** 1-based position in the script of the innermost frame that belongs to it. */
  line?: number;
  column?: number;
}

/** The file name scripts run under; stack frames with it are the user's. */
export const SCRIPT_FILENAME = 'script.jql';

/** The API's values are whatever scripts pass. */
type Any = any;

export function installJqlApi(host: JqlHostData, paramsJson: string): void {
  'use strict';
  const sandbox = globalThis as unknown as Record<string, unknown>;
  // Captured before the script runs, so a script that replaces these only breaks its own results.
  const stringify = JSON.stringify;
  const parseJson = JSON.parse;
  const objectKeys = Object.keys;
  const defineProperty = Object.defineProperty;
  const freeze = Object.freeze;
  const isArray = Array.isArray;
  const floor = Math.floor;
  const sqrt = Math.sqrt;
  const dateUtc = Date.UTC;
  const DAY_MS = 86400000;
  // Custom reducers see items in batches, as on Mixpanel, so a reducer that ignores its accumulators shows it.
  const REDUCE_BATCH = 5000;

  const collections = new WeakMap<object, { source: Source; ops: Op[] }>();
  const builtinReducers = new WeakMap<object, (items: Any[]) => unknown>();
  const multipleKeys = new WeakMap<object, Any[]>();
  const slices = new WeakMap<object, { path: string; start: number; end: number | undefined }>();

  type Source = { kind: 'events'; request: Any } | { kind: 'people'; request: Any } | { kind: 'join'; request: Any };
  type Op =
    | { kind: 'filter'; fn: (item: Any) => unknown }
    | { kind: 'map'; fn: (item: Any) => unknown }
    | { kind: 'reduce'; reducer: Any }
    | { kind: 'groupBy'; keys: Any; reducer: Any }
    | { kind: 'groupByUser'; keys: Any; reducer: Any }
    | { kind: 'flatten' }
    | { kind: 'sort'; accessor: Any; descending: boolean }
    | { kind: 'groupLimits'; limits: Any; globalLimit: Any };

  function fail(message: string): never {
    throw new Error(message);
  }

  // ---------------------------------------------------------------------------------------------
  // Values
  // ---------------------------------------------------------------------------------------------

  function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
    // A plain assignment to "__proto__" would change the prototype instead of adding the key.
    if (key === '__proto__') defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    else target[key] = value;
  }

  function copyValue(value: unknown): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (isArray(value)) {
      const copy: unknown[] = [];
      for (let index = 0; index < value.length; index++) copy.push(copyValue(value[index]));
      return copy;
    }
    const copy: Record<string, unknown> = {};
    const record = value as Record<string, unknown>;
    const keys = objectKeys(record);
    for (let index = 0; index < keys.length; index++) setOwn(copy, keys[index], copyValue(record[keys[index]]));
    return copy;
  }

  function typeRank(value: unknown): number {
    if (value === null || value === undefined) return 0;
    if (typeof value === 'boolean') return 1;
    if (typeof value === 'number') return 2;
    if (typeof value === 'string') return 3;
    return 4;
  }

  function compareScalars(a: Any, b: Any): number {
    const rankA = typeRank(a);
    const rankB = typeRank(b);
    if (rankA !== rankB) return rankA - rankB;
    if (rankA === 4) {
      a = stringify(a);
      b = stringify(b);
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function compareKeys(a: unknown[], b: unknown[]): number {
    const length = a.length < b.length ? a.length : b.length;
    for (let index = 0; index < length; index++) {
      const order = compareScalars(a[index], b[index]);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }

  function asNumber(value: unknown): number | undefined {
    return typeof value === 'number' && value === value ? value : undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Accessors: a function, a dotted path string, or a builtin mapper (which is a function too)
  // ---------------------------------------------------------------------------------------------

  function pathAccessor(path: string): (item: Any) => unknown {
    const parts = path.split('.');
    return (item) => {
      let value = item;
      for (let index = 0; index < parts.length; index++) {
        if (value === null || value === undefined) return undefined;
        value = value[parts[index]];
      }
      return value;
    };
  }

  function toAccessor(accessor: unknown, what: string): (item: Any) => unknown {
    if (accessor === undefined || accessor === null) return (item) => item;
    if (typeof accessor === 'string') return pathAccessor(accessor);
    if (typeof accessor === 'function') return (item) => (accessor as (item: unknown) => unknown)(item);
    return fail(`${what} expects a property path string or a function, got ${stringify(accessor) ?? typeof accessor}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Data sources
  // ---------------------------------------------------------------------------------------------

  function askHost(request: Record<string, unknown>): number[] {
    let answer: number[] | string;
    try {
      answer = host.select(stringify(request));
    } catch {
      // The host's own error object must not reach the script; say what failed instead.
      throw new Error('The local data could not be read for this query');
    }
    if (typeof answer === 'string') throw new Error(answer);
    return answer;
  }

  function eventRequest(options: Any, caller: string): { from: string; to: string; selectors: Any[] } {
    if (options === null || typeof options !== 'object') fail(`${caller} expects an object such as {from_date: "2024-01-01", to_date: "2024-01-31"}`);
    const from = options.from_date;
    const to = options.to_date;
    if (typeof from !== 'string' || typeof to !== 'string') fail(`${caller} needs from_date and to_date, as "YYYY-MM-DD" strings`);
    return { from: String(from), to: String(to), selectors: selectorList(options.event_selectors, 'event_selectors') };
  }

  function selectorList(list: Any, name: string): Array<{ event?: string; selector?: string }> {
    if (list === undefined || list === null) return [];
    if (!isArray(list)) fail(`${name} must be an array of {event, selector} objects`);
    const selectors: Array<{ event?: string; selector?: string }> = [];
    for (let index = 0; index < list.length; index++) {
      const entry = list[index];
      if (entry === null || typeof entry !== 'object') fail(`${name}[${index}] must be an object such as {event: "Sign Up"}`);
      const selector: { event?: string; selector?: string } = {};
      if (entry.event !== undefined) selector.event = String(entry.event);
      if (entry.selector !== undefined) selector.selector = String(entry.selector);
      selectors.push(selector);
    }
    return selectors;
  }

  function peopleRequest(options: Any): { selectors: Array<{ selector?: string }> } {
    if (options === undefined || options === null) return { selectors: [] };
    if (typeof options !== 'object') fail('People() expects an optional object such as {user_selectors: [{selector: "..."}]}');
    return { selectors: selectorList(options.user_selectors, 'user_selectors') };
  }

  // Mixpanel's event object: `distinct_id` is undefined when the event was sent without one, and
  // `properties` holds the event's own properties; the export line's `time` and `distinct_id`
  // (kept inside its `properties`) are the object's top-level fields, not copies in `properties`.
  function eventObject(index: number): Record<string, unknown> {
    const event = host.events[index];
    return {
      name: event.name,
      distinct_id: event.distinctId === '' ? undefined : event.distinctId,
      time: host.eventTimes[index],
      sampling_factor: 1,
      properties: eventProperties(event.properties),
    };
  }

  function eventProperties(record: Record<string, unknown>): Record<string, unknown> {
    const copy: Record<string, unknown> = {};
    const keys = objectKeys(record);
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index];
      if (key !== 'time' && key !== 'distinct_id') setOwn(copy, key, copyValue(record[key]));
    }
    return copy;
  }

  function userObject(index: number): Record<string, unknown> {
    const profile = host.profiles[index];
    const time = host.profileTimes[index];
    return { distinct_id: profile.distinctId, time, last_seen: time, properties: copyValue(profile.properties) };
  }

  function materialize(source: Source): Any[] {
    const positions = askHost({ kind: source.kind, ...source.request });
    const items: Any[] = [];
    if (source.kind === 'events') {
      for (let index = 0; index < positions.length; index++) items.push(eventObject(positions[index]));
    } else if (source.kind === 'people') {
      for (let index = 0; index < positions.length; index++) items.push(userObject(positions[index]));
    } else {
      for (let index = 0; index + 1 < positions.length; index += 2) {
        const eventIndex = positions[index];
        const profileIndex = positions[index + 1];
        const event = eventIndex >= 0 ? eventObject(eventIndex) : undefined;
        const user = profileIndex >= 0 ? userObject(profileIndex) : undefined;
        items.push({ distinct_id: event ? event.distinct_id : (user as Any).distinct_id, event, user });
      }
    }
    return items;
  }

  // ---------------------------------------------------------------------------------------------
  // Reducers
  // ---------------------------------------------------------------------------------------------

  function builtin(compute: (items: Any[]) => unknown): (accumulators: unknown[], items: Any[]) => unknown {
    const reducer = function (_accumulators: unknown[], items: Any[]): unknown {
      return compute(items);
    };
    builtinReducers.set(reducer, compute);
    return freeze(reducer);
  }

  function numbersOf(items: Any[], accessor: unknown, what: string): number[] {
    const read = toAccessor(accessor, what);
    const numbers: number[] = [];
    for (let index = 0; index < items.length; index++) {
      const value = asNumber(read(items[index]));
      if (value !== undefined) numbers.push(value);
    }
    return numbers;
  }

  function extremeBy(items: Any[], accessor: unknown, what: string, better: (a: number, b: number) => boolean): unknown {
    const read = toAccessor(accessor, what);
    let best: unknown = null;
    let bestValue: number | undefined;
    for (let index = 0; index < items.length; index++) {
      const value = asNumber(read(items[index]));
      if (value !== undefined && (bestValue === undefined || better(value, bestValue))) {
        best = items[index];
        bestValue = value;
      }
    }
    return best;
  }

  function percentile(sorted: number[], p: number): number | null {
    if (sorted.length === 0) return null;
    const rank = (p / 100) * (sorted.length - 1);
    const low = floor(rank);
    const high = low + 1 < sorted.length ? low + 1 : low;
    return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
  }

  function mergeObjects(target: Record<string, unknown>, source: unknown): void {
    if (source === null || typeof source !== 'object' || isArray(source)) return;
    const record = source as Record<string, unknown>;
    const keys = objectKeys(record);
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index];
      const value = record[key];
      const existing = target[key];
      if (typeof value === 'number' && (typeof existing === 'number' || existing === undefined)) {
        setOwn(target, key, (existing === undefined ? 0 : existing) + value);
      } else if (value !== null && typeof value === 'object' && !isArray(value)) {
        const nested = existing !== null && typeof existing === 'object' && !isArray(existing) ? (existing as Record<string, unknown>) : {};
        mergeObjects(nested, value);
        setOwn(target, key, nested);
      } else {
        setOwn(target, key, copyValue(value));
      }
    }
  }

  function topItems(items: Any[], limit: unknown): Any[] {
    const count = asNumber(limit);
    if (count === undefined || count < 0) fail('mixpanel.reducer.top() expects a number of items, e.g. top(10)');
    const ranked = items.slice();
    ranked.sort((a, b) => (asNumber(b && b.value) ?? -Infinity) - (asNumber(a && a.value) ?? -Infinity));
    return ranked.slice(0, count);
  }

  /**
   * Keeps, level by level, the `limits[d]` key values with the largest total value under each
   * parent key, then at most `globalLimit` items (the largest values), in their input order.
   */
  function groupLimits(items: Any[], limits: unknown, globalLimit: unknown): Any[] {
    if (!isArray(limits)) fail('applyGroupLimits() expects an array of limits per key level, e.g. applyGroupLimits([5, 5], 20)');
    let kept = items.slice();
    for (let depth = 0; depth < limits.length; depth++) {
      const limit = asNumber(limits[depth]);
      if (limit === undefined) fail(`applyGroupLimits(): limit ${depth + 1} is not a number`);
      const totals = new Map<string, Map<string, number>>();
      for (const item of kept) {
        const key: unknown[] = isArray(item && item.key) ? item.key : [item && item.key];
        const parent = stringify(key.slice(0, depth));
        const child = stringify(key[depth] === undefined ? null : key[depth]);
        let children = totals.get(parent);
        if (!children) totals.set(parent, (children = new Map()));
        children.set(child, (children.get(child) ?? 0) + (asNumber(item && item.value) ?? 0));
      }
      const allowed = new Set<string>();
      for (const [parent, children] of totals) {
        const ranked = [...children].sort((a, b) => b[1] - a[1]).slice(0, limit);
        for (const [child] of ranked) allowed.add(parent + '\u0000' + child);
      }
      kept = kept.filter((item) => {
        const key: unknown[] = isArray(item && item.key) ? item.key : [item && item.key];
        return allowed.has(stringify(key.slice(0, depth)) + '\u0000' + stringify(key[depth] === undefined ? null : key[depth]));
      });
    }
    const global = asNumber(globalLimit);
    if (global !== undefined && kept.length > global) {
      const winners = new Set(topItems(kept, global));
      kept = kept.filter((item) => winners.has(item));
    }
    return kept;
  }

  function isReducer(candidate: unknown): boolean {
    if (typeof candidate === 'function') return true;
    if (!isArray(candidate) || candidate.length === 0) return false;
    for (let index = 0; index < candidate.length; index++) if (typeof candidate[index] !== 'function') return false;
    return true;
  }

  /** Applies a reducer (or an array of them) the way reduce()/groupBy() do: `function(accumulators, items)`. */
  function applyReducer(reducer: Any, items: Any[], caller: string): unknown {
    if (isArray(reducer)) return reducer.map((one: Any) => applyReducer(one, items, caller));
    if (typeof reducer !== 'function') fail(`${caller} expects a reducer function (e.g. mixpanel.reducer.count()) or an array of them`);
    const compute = builtinReducers.get(reducer);
    if (compute) return compute(items);
    if (items.length <= REDUCE_BATCH) return reducer([], items);
    const accumulators: unknown[] = [];
    for (let start = 0; start < items.length; start += REDUCE_BATCH) accumulators.push(reducer([], items.slice(start, start + REDUCE_BATCH)));
    return reducer(accumulators, []);
  }

  /** Applies a reducer the way groupByUser() does: `function(state, events)`, state first undefined. */
  function applyUserReducer(reducer: Any, events: Any[]): unknown {
    if (isArray(reducer)) return reducer.map((one: Any) => applyUserReducer(one, events));
    if (typeof reducer !== 'function') fail('groupByUser() expects a reducer function(state, events) or an array of them');
    const compute = builtinReducers.get(reducer);
    return compute ? compute(events) : reducer(undefined, events);
  }

  // ---------------------------------------------------------------------------------------------
  // Group keys
  // ---------------------------------------------------------------------------------------------

  type KeyPart = { read: (item: Any) => unknown; mode: 'inline' | 'multiple' | 'slice'; start?: number; end?: number };

  function keyParts(keys: Any, caller: string): KeyPart[] {
    const list = isArray(keys) ? keys : [keys];
    const parts: KeyPart[] = [];
    for (let index = 0; index < list.length; index++) {
      const key = list[index];
      const multiple = key !== null && typeof key === 'object' ? multipleKeys.get(key) : undefined;
      const slice = key !== null && typeof key === 'object' ? slices.get(key) : undefined;
      if (multiple) for (const inner of multiple) parts.push({ read: toAccessor(inner, caller), mode: 'multiple' });
      else if (slice) parts.push({ read: pathAccessor(slice.path), mode: 'slice', start: slice.start, end: slice.end });
      else if (typeof key === 'string' || typeof key === 'function') parts.push({ read: toAccessor(key, caller), mode: 'inline' });
      else fail(`${caller}: key ${index + 1} must be a property path, a function, mixpanel.multiple_keys() or mixpanel.slice()`);
    }
    return parts;
  }

  function scalar(value: unknown): unknown {
    if (value === undefined) return null;
    if (value !== null && typeof value === 'object') return stringify(value);
    return value;
  }

  /** Every key an item falls under: one, or several when a multiple_keys() part is a list. */
  function keysOf(item: Any, parts: KeyPart[]): unknown[][] {
    let keys: unknown[][] = [[]];
    for (const part of parts) {
      const value = part.read(item);
      if (part.mode === 'multiple' && isArray(value)) {
        const next: unknown[][] = [];
        for (const key of keys) for (const element of value) next.push([...key, scalar(element)]);
        keys = next;
      } else {
        const components = part.mode === 'slice' && isArray(value) ? value.slice(part.start, part.end) : isArray(value) ? value : [value];
        for (const key of keys) for (const component of components) key.push(scalar(component));
      }
    }
    return keys;
  }

  function group(items: Any[], keysFor: (item: Any) => unknown[][]): Array<{ key: unknown[]; items: Any[] }> {
    const groups = new Map<string, { key: unknown[]; items: Any[] }>();
    for (const item of items) {
      for (const key of keysFor(item)) {
        const id = stringify(key);
        let entry = groups.get(id);
        if (!entry) groups.set(id, (entry = { key, items: [] }));
        entry.items.push(item);
      }
    }
    return [...groups.values()].sort((a, b) => compareKeys(a.key, b.key));
  }

  function timeOf(item: Any): number {
    if (item && typeof item.time === 'number') return item.time;
    if (item && item.event && typeof item.event.time === 'number') return item.event.time;
    return -Infinity;
  }

  // ---------------------------------------------------------------------------------------------
  // Collections
  // ---------------------------------------------------------------------------------------------

  function makeCollection(source: Source, ops: Op[]): object {
    const collection = Object.create(collectionMethods);
    collections.set(collection, { source, ops });
    return freeze(collection);
  }

  function stateOf(collection: unknown): { source: Source; ops: Op[] } {
    const state = collection !== null && typeof collection === 'object' ? collections.get(collection) : undefined;
    return state ?? fail('This method must be called on a collection from Events(), People() or join()');
  }

  function chain(collection: unknown, op: Op): object {
    const state = stateOf(collection);
    return makeCollection(state.source, [...state.ops, op]);
  }

  function checkFunction(fn: unknown, caller: string): void {
    if (typeof fn !== 'function') fail(`${caller} expects a function`);
  }

  const collectionMethods = freeze({
    filter(this: unknown, fn: Any) {
      checkFunction(fn, 'filter()');
      return chain(this, { kind: 'filter', fn });
    },
    map(this: unknown, fn: Any) {
      checkFunction(fn, 'map()');
      return chain(this, { kind: 'map', fn });
    },
    reduce(this: unknown, reducer: Any) {
      if (!isReducer(reducer)) fail('reduce() expects a reducer function (e.g. mixpanel.reducer.count()) or an array of them');
      return chain(this, { kind: 'reduce', reducer });
    },
    groupBy(this: unknown, keys: Any, reducer: Any) {
      if (!isReducer(reducer)) fail('groupBy() expects a list of keys and a reducer, e.g. groupBy(["name"], mixpanel.reducer.count())');
      keyParts(keys, 'groupBy()');
      return chain(this, { kind: 'groupBy', keys, reducer });
    },
    groupByUser(this: unknown, keysOrReducer: Any, reducer?: Any) {
      const keys = reducer === undefined ? [] : keysOrReducer;
      const userReducer = reducer === undefined ? keysOrReducer : reducer;
      if (!isReducer(userReducer)) fail('groupByUser() expects a reducer function(state, events), optionally after a list of extra keys');
      keyParts(keys, 'groupByUser()');
      const state = stateOf(this);
      if (state.ops.length > 1 || (state.ops.length === 1 && state.ops[0].kind !== 'filter')) {
        fail('groupByUser() can only be applied to Events(), People() or join() directly, or after a single filter()');
      }
      return chain(this, { kind: 'groupByUser', keys, reducer: userReducer });
    },
    flatten(this: unknown) {
      return chain(this, { kind: 'flatten' });
    },
    sortAsc(this: unknown, accessor: Any) {
      toAccessor(accessor, 'sortAsc()');
      return chain(this, { kind: 'sort', accessor, descending: false });
    },
    sortDesc(this: unknown, accessor: Any) {
      toAccessor(accessor, 'sortDesc()');
      return chain(this, { kind: 'sort', accessor, descending: true });
    },
    applyGroupLimits(this: unknown, limits: Any, globalLimit: Any) {
      if (!isArray(limits)) fail('applyGroupLimits() expects an array of limits per key level, e.g. applyGroupLimits([5, 5], 20)');
      return chain(this, { kind: 'groupLimits', limits, globalLimit });
    },
  });

  function applyOp(items: Any[], op: Op): Any[] {
    switch (op.kind) {
      case 'filter': {
        const kept: Any[] = [];
        for (let index = 0; index < items.length; index++) if (op.fn(items[index])) kept.push(items[index]);
        return kept;
      }
      case 'map': {
        const mapped: Any[] = [];
        for (let index = 0; index < items.length; index++) mapped.push(op.fn(items[index]));
        return mapped;
      }
      case 'reduce':
        return [applyReducer(op.reducer, items, 'reduce()')];
      case 'groupBy': {
        const parts = keyParts(op.keys, 'groupBy()');
        return group(items, (item) => keysOf(item, parts)).map((entry) => ({ key: entry.key, value: applyReducer(op.reducer, entry.items, 'groupBy()') }));
      }
      case 'groupByUser': {
        const parts = keyParts(op.keys, 'groupByUser()');
        const ordered = items.slice().sort((a, b) => timeOf(a) - timeOf(b));
        const groups = group(ordered, (item) => keysOf(item, parts).map((key) => [scalar(item && item.distinct_id), ...key]));
        return groups.map((entry) => ({ key: entry.key, value: applyUserReducer(op.reducer, entry.items) }));
      }
      case 'flatten': {
        const flat: Any[] = [];
        for (const item of items) {
          if (isArray(item)) for (const element of item) flat.push(element);
          else flat.push(item);
        }
        return flat;
      }
      case 'sort': {
        const read = toAccessor(op.accessor, op.descending ? 'sortDesc()' : 'sortAsc()');
        const keyed = items.map((item, index) => ({ item, key: read(item), index }));
        keyed.sort((a, b) => (op.descending ? compareScalars(b.key, a.key) : compareScalars(a.key, b.key)) || a.index - b.index);
        return keyed.map((entry) => entry.item);
      }
      case 'groupLimits':
        return groupLimits(items, op.limits, op.globalLimit);
    }
  }

  function evaluate(collection: object): Any[] {
    const state = stateOf(collection);
    let items = materialize(state.source);
    for (const op of state.ops) items = applyOp(items, op);
    return items;
  }

  // ---------------------------------------------------------------------------------------------
  // Globals
  // ---------------------------------------------------------------------------------------------

  function Events(options: Any): object {
    return makeCollection({ kind: 'events', request: eventRequest(options, 'Events()') }, []);
  }

  function People(options?: Any): object {
    return makeCollection({ kind: 'people', request: peopleRequest(options) }, []);
  }

  function join(events: unknown, people: unknown, options?: Any): object {
    const left = stateOf(events);
    const right = stateOf(people);
    if (left.source.kind !== 'events' || right.source.kind !== 'people' || left.ops.length > 0 || right.ops.length > 0) {
      fail('join() takes Events(...) and People(...) as they are: no transformations are allowed on the collections inside join()');
    }
    const type = options && options.type !== undefined ? String(options.type) : 'full';
    if (type !== 'full' && type !== 'left' && type !== 'right' && type !== 'inner')
      fail(`join(): type must be "full", "left", "right" or "inner", not "${type}"`);
    const request = {
      events: left.source.request,
      people: right.source.request,
      type,
      selectors: selectorList(options && options.selectors, 'join() selectors'),
    };
    return makeCollection({ kind: 'join', request }, []);
  }

  function numericBucket(accessor: unknown, spec: Any): (item: Any) => unknown {
    const read = toAccessor(accessor, 'mixpanel.numeric_bucket()');
    if (isArray(spec)) {
      const bounds = spec.map((bound: unknown) => asNumber(bound) ?? fail('mixpanel.numeric_bucket(): bucket bounds must be numbers'));
      return (item) => {
        const value = asNumber(read(item));
        if (value === undefined || bounds.length === 0 || value < bounds[0]) return null;
        let low = 0;
        let high = bounds.length - 1;
        while (low < high) {
          const middle = (low + high + 1) >> 1;
          if (bounds[middle] <= value) low = middle;
          else high = middle - 1;
        }
        return bounds[low];
      };
    }
    const size = asNumber(spec && spec.bucket_size);
    if (size === undefined || size <= 0) fail('mixpanel.numeric_bucket() expects a list of bounds or {bucket_size, offset}');
    const offset = asNumber(spec.offset) ?? 0;
    return (item) => {
      const value = asNumber(read(item));
      return value === undefined ? null : floor((value - offset) / size) * size + offset;
    };
  }

  function toNumber(accessor: unknown): (item: Any) => unknown {
    const read = toAccessor(accessor, 'mixpanel.to_number()');
    return (item) => {
      const value = read(item);
      if (typeof value === 'number') return value === value ? value : undefined;
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'string' && value.trim() !== '') {
        const number = Number(value);
        return number === number ? number : undefined;
      }
      if (value instanceof Date) return value.getTime();
      return undefined;
    };
  }

  /** Calendar bucket bounds (ms, as JQL times are: wall clock in the project zone) from 1970 to 2100. */
  function calendarBounds(monthsPerBucket: number): readonly number[] {
    const bounds: number[] = [];
    for (let month = 0; month < 131 * 12; month += monthsPerBucket) bounds.push(dateUtc(1970 + floor(month / 12), month % 12, 1));
    return freeze(bounds);
  }

  const reducer = freeze({
    count: () => builtin((items) => items.length),
    sum: (accessor?: unknown) => builtin((items) => numbersOf(items, accessor, 'mixpanel.reducer.sum()').reduce((total, value) => total + value, 0)),
    avg: (accessor?: unknown) =>
      builtin((items) => {
        const numbers = numbersOf(items, accessor, 'mixpanel.reducer.avg()');
        return numbers.length === 0 ? null : numbers.reduce((total, value) => total + value, 0) / numbers.length;
      }),
    min: (accessor?: unknown) =>
      builtin((items) => {
        const numbers = numbersOf(items, accessor, 'mixpanel.reducer.min()');
        return numbers.length === 0 ? null : numbers.reduce((low, value) => (value < low ? value : low));
      }),
    max: (accessor?: unknown) =>
      builtin((items) => {
        const numbers = numbersOf(items, accessor, 'mixpanel.reducer.max()');
        return numbers.length === 0 ? null : numbers.reduce((high, value) => (value > high ? value : high));
      }),
    min_by: (accessor?: unknown) => builtin((items) => extremeBy(items, accessor, 'mixpanel.reducer.min_by()', (a, b) => a < b)),
    max_by: (accessor?: unknown) => builtin((items) => extremeBy(items, accessor, 'mixpanel.reducer.max_by()', (a, b) => a > b)),
    numeric_summary: (accessor?: unknown) =>
      builtin((items) => {
        const numbers = numbersOf(items, accessor, 'mixpanel.reducer.numeric_summary()');
        let sum = 0;
        let squares = 0;
        for (const value of numbers) {
          sum += value;
          squares += value * value;
        }
        const count = numbers.length;
        const avg = count === 0 ? 0 : sum / count;
        // Population standard deviation, as Mixpanel's documented example computes it.
        const variance = count === 0 ? 0 : squares / count - avg * avg;
        return { count, sum, sum_squares: squares, avg, stddev: sqrt(variance > 0 ? variance : 0) };
      }),
    numeric_percentiles: (accessor: unknown, percentiles: unknown) =>
      builtin((items) => {
        const sorted = numbersOf(items, accessor, 'mixpanel.reducer.numeric_percentiles()').sort((a, b) => a - b);
        if (!isArray(percentiles))
          return percentile(sorted, asNumber(percentiles) ?? fail('numeric_percentiles() expects a percentile number or a list of them'));
        return percentiles.map((p: unknown) => {
          const value = asNumber(p) ?? fail('numeric_percentiles() expects a percentile number or a list of them');
          return { percentile: value, value: percentile(sorted, value) };
        });
      }),
    top: (limit: unknown) => builtin((items) => topItems(items, limit)),
    object_merge: () =>
      builtin((items) => {
        const merged: Record<string, unknown> = {};
        for (const item of items) mergeObjects(merged, item);
        return merged;
      }),
    any: () => builtin((items) => (items.length === 0 ? null : items[0])),
    null: () => builtin(() => null),
    applyGroupLimits: (limits: unknown, globalLimit?: unknown) => builtin((items) => groupLimits(items, limits, globalLimit)),
  });

  const mixpanel = freeze({
    reducer,
    multiple_keys(keys: unknown) {
      if (!isArray(keys)) fail('mixpanel.multiple_keys() expects a list of keys, e.g. mixpanel.multiple_keys(["properties.tags"])');
      const marker = freeze({});
      multipleKeys.set(marker, keys.slice());
      return marker;
    },
    slice(path: unknown, start: unknown, limit?: unknown) {
      if (typeof path !== 'string') fail('mixpanel.slice() expects a property path, e.g. mixpanel.slice("key", 1)');
      const marker = freeze({});
      slices.set(marker, { path, start: asNumber(start) ?? 0, end: asNumber(limit) });
      return marker;
    },
    numeric_bucket: numericBucket,
    to_number: toNumber,
    daily_time_buckets: freeze({ bucket_size: DAY_MS, offset: 0 }),
    // 1970-01-05 was the first Monday after the epoch.
    weekly_time_buckets: freeze({ bucket_size: 7 * DAY_MS, offset: 4 * DAY_MS }),
    monthly_time_buckets: calendarBounds(1),
    quarterly_time_buckets: calendarBounds(3),
    annual_time_buckets: calendarBounds(12),
  });

  // ---------------------------------------------------------------------------------------------
  // _ (the Underscore subset JQL scripts commonly use)
  // ---------------------------------------------------------------------------------------------

  function iteratee(fn: unknown): (value: Any, key: Any) => unknown {
    if (fn === undefined || fn === null) return (value) => value;
    if (typeof fn === 'function') return fn as (value: Any, key: Any) => unknown;
    if (typeof fn === 'string' || typeof fn === 'number') return (value) => (value === null || value === undefined ? undefined : value[fn]);
    return fail('_: expected a function or a property name');
  }

  function entriesOf(list: Any): Array<[Any, Any]> {
    if (list === null || list === undefined) return [];
    if (isArray(list) || typeof list === 'string') return Array.prototype.map.call(list, (value: Any, index: number) => [value, index]) as Array<[Any, Any]>;
    return objectKeys(list).map((key) => [list[key], key]);
  }

  function extreme(list: Any, fn: unknown, better: (a: Any, b: Any) => boolean, empty: number): unknown {
    const read = iteratee(fn);
    let best: unknown = empty;
    let bestValue: Any;
    for (const [value, key] of entriesOf(list)) {
      const score = read(value, key);
      if (bestValue === undefined || better(score, bestValue)) {
        best = value;
        bestValue = score;
      }
    }
    return best;
  }

  const underscore = freeze({
    each: (list: Any, fn: Any) => {
      for (const [value, key] of entriesOf(list)) fn(value, key, list);
      return list;
    },
    forEach: (list: Any, fn: Any) => underscore.each(list, fn),
    map: (list: Any, fn: Any) => entriesOf(list).map(([value, key]) => iteratee(fn)(value, key)),
    filter: (list: Any, fn: Any) =>
      entriesOf(list)
        .filter(([value, key]) => iteratee(fn)(value, key))
        .map(([value]) => value),
    reject: (list: Any, fn: Any) =>
      entriesOf(list)
        .filter(([value, key]) => !iteratee(fn)(value, key))
        .map(([value]) => value),
    reduce: (list: Any, fn: Any, memo?: Any) => {
      const entries = entriesOf(list);
      let start = 0;
      if (memo === undefined && entries.length > 0) {
        memo = entries[0][0];
        start = 1;
      }
      for (let index = start; index < entries.length; index++) memo = fn(memo, entries[index][0], entries[index][1], list);
      return memo;
    },
    find: (list: Any, fn: Any) => {
      for (const [value, key] of entriesOf(list)) if (iteratee(fn)(value, key)) return value;
      return undefined;
    },
    some: (list: Any, fn?: Any) => entriesOf(list).some(([value, key]) => iteratee(fn)(value, key)),
    every: (list: Any, fn?: Any) => entriesOf(list).every(([value, key]) => iteratee(fn)(value, key)),
    contains: (list: Any, target: Any) => entriesOf(list).some(([value]) => value === target),
    includes: (list: Any, target: Any) => underscore.contains(list, target),
    keys: (object: Any) => (object !== null && typeof object === 'object' ? objectKeys(object) : []),
    values: (object: Any) => (object !== null && typeof object === 'object' ? objectKeys(object).map((key) => object[key]) : []),
    pairs: (object: Any) => (object !== null && typeof object === 'object' ? objectKeys(object).map((key) => [key, object[key]]) : []),
    pluck: (list: Any, name: Any) => entriesOf(list).map(([value]) => (value === null || value === undefined ? undefined : value[name])),
    sortBy: (list: Any, fn: Any) => {
      const read = iteratee(fn);
      return entriesOf(list)
        .map(([value, key], index) => ({ value, score: read(value, key), index }))
        .sort((a, b) => compareScalars(a.score, b.score) || a.index - b.index)
        .map((entry) => entry.value);
    },
    groupBy: (list: Any, fn: Any) => {
      const groups: Record<string, unknown[]> = {};
      for (const [value, key] of entriesOf(list)) {
        const name = String(iteratee(fn)(value, key));
        if (!Object.prototype.hasOwnProperty.call(groups, name)) setOwn(groups, name, []);
        groups[name].push(value);
      }
      return groups;
    },
    countBy: (list: Any, fn: Any) => {
      const counts: Record<string, number> = {};
      for (const [value, key] of entriesOf(list)) {
        const name = String(iteratee(fn)(value, key));
        setOwn(counts, name, (Object.prototype.hasOwnProperty.call(counts, name) ? counts[name] : 0) + 1);
      }
      return counts;
    },
    uniq: (list: Any) => [...new Set(entriesOf(list).map(([value]) => value))],
    flatten: (list: Any, shallow?: boolean) => {
      const flat: unknown[] = [];
      const visit = (value: Any, depth: number) => {
        if (isArray(value) && (depth === 0 || !shallow)) for (const element of value) visit(element, depth + 1);
        else flat.push(value);
      };
      visit(isArray(list) ? list : [], 0);
      return flat;
    },
    compact: (list: Any) =>
      entriesOf(list)
        .map(([value]) => value)
        .filter((value) => value),
    first: (list: Any, count?: number) => (count === undefined ? (isArray(list) ? list[0] : undefined) : isArray(list) ? list.slice(0, count) : []),
    last: (list: Any, count?: number) => (count === undefined ? (isArray(list) ? list[list.length - 1] : undefined) : isArray(list) ? list.slice(-count) : []),
    range: (start: number, stop?: number, step?: number) => {
      if (stop === undefined) {
        stop = start;
        start = 0;
      }
      const by = step ?? 1;
      const values: number[] = [];
      if (by === 0) return values;
      for (let value = start; by > 0 ? value < stop : value > stop; value += by) values.push(value);
      return values;
    },
    max: (list: Any, fn?: Any) => extreme(list, fn, (a, b) => a > b, -Infinity),
    min: (list: Any, fn?: Any) => extreme(list, fn, (a, b) => a < b, Infinity),
    sum: (list: Any, fn?: Any) => entriesOf(list).reduce((total, [value, key]) => total + (Number(iteratee(fn)(value, key)) || 0), 0),
    size: (list: Any) => entriesOf(list).length,
    has: (object: Any, key: string) => object !== null && object !== undefined && Object.prototype.hasOwnProperty.call(object, key),
    extend: (target: Any, ...sources: Any[]) => {
      for (const source of sources) if (source !== null && typeof source === 'object') for (const key of objectKeys(source)) setOwn(target, key, source[key]);
      return target;
    },
    pick: (object: Any, ...names: Any[]) => {
      const picked: Record<string, unknown> = {};
      for (const name of names.flat()) if (object !== null && object !== undefined && name in Object(object)) setOwn(picked, String(name), object[name]);
      return picked;
    },
    omit: (object: Any, ...names: Any[]) => {
      const omitted = new Set(names.flat().map(String));
      const kept: Record<string, unknown> = {};
      if (object !== null && typeof object === 'object') for (const key of objectKeys(object)) if (!omitted.has(key)) setOwn(kept, key, object[key]);
      return kept;
    },
    isArray: (value: unknown) => isArray(value),
    isObject: (value: unknown) => (value !== null && typeof value === 'object') || typeof value === 'function',
    isString: (value: unknown) => typeof value === 'string',
    isNumber: (value: unknown) => typeof value === 'number',
    isFunction: (value: unknown) => typeof value === 'function',
    isEmpty: (value: Any) => value === null || value === undefined || entriesOf(value).length === 0,
  });

  // ---------------------------------------------------------------------------------------------
  // Entry points for the host
  // ---------------------------------------------------------------------------------------------

  function describeError(error: Any): string {
    const described: { name: string; message: string; line?: number; column?: number } = { name: 'Error', message: '' };
    try {
      if (error !== null && (typeof error === 'object' || typeof error === 'function')) {
        described.name = String(error.name ?? 'Error');
        described.message = String(error.message ?? '');
        const stack = String(error.stack ?? '');
        const frame = /script\.jql:(\d+):(\d+)/.exec(stack);
        if (frame) {
          described.line = Number(frame[1]);
          described.column = Number(frame[2]);
        }
      } else {
        described.message = String(error);
      }
    } catch {
      described.message = 'the script threw a value that cannot be described';
    }
    return stringify(described);
  }

  function runMain(): string {
    try {
      const main = sandbox.main;
      if (typeof main !== 'function') {
        return 'E' + stringify({ name: 'MainMissing', message: 'main() is not defined: a JQL script must define function main() that returns a collection' });
      }
      const result = (main as () => unknown)();
      const state = result !== null && typeof result === 'object' ? collections.get(result) : undefined;
      const output = state ? evaluate(result as object) : isArray(result) ? result : [result];
      let text: string;
      try {
        text = 'O' + stringify(output);
      } catch (error) {
        return 'E' + stringify({ name: 'OutputError', message: `main() returned a value that cannot be turned into JSON (${String((error as Any).message)})` });
      }
      return text;
    } catch (error) {
      return 'E' + describeError(error);
    }
  }

  // Binary buffers live outside the JS heap, where the worker's memory limit does not reach; JQL
  // scripts have no use for them, so they are removed along with Atomics (which can block a thread)
  // and FinalizationRegistry (its callbacks would run after the script, outside the time limit).
  const offHeap = [
    'FinalizationRegistry',
    'ArrayBuffer',
    'SharedArrayBuffer',
    'DataView',
    'Atomics',
    'WebAssembly',
    'Int8Array',
    'Uint8Array',
    'Uint8ClampedArray',
    'Int16Array',
    'Uint16Array',
    'Int32Array',
    'Uint32Array',
    'Float32Array',
    'Float64Array',
    'BigInt64Array',
    'BigUint64Array',
  ];
  for (const name of offHeap) delete sandbox[name];

  sandbox.Events = Events;
  sandbox.People = People;
  sandbox.join = join;
  sandbox.mixpanel = mixpanel;
  sandbox._ = underscore;
  sandbox.params = parseJson(paramsJson);
  defineProperty(sandbox, '__aqRunMain', { value: runMain, writable: false, enumerable: false, configurable: false });
  defineProperty(sandbox, '__aqDescribeError', {
    value: () => describeError(sandbox.__aqPendingError),
    writable: false,
    enumerable: false,
    configurable: false,
  });
}
