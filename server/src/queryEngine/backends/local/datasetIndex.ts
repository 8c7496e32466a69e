/**
 * Column-oriented views of a loaded dataset, built once per dataset and shared by every query on
 * it (the warm path). Queries loop over row numbers and read times, user numbers, bucket numbers
 * and property values from flat arrays instead of chasing a million event objects around the heap:
 * that is what makes a warm query fast. Columns and bucket arrays are built on first use.
 */
import { compileExpressionWith, compilePredicateWith, segmentKey, type CompiledExpressionOf, type PropertyReader } from './evaluateExpression';
import type { Expression } from '../../../languageService/parser/queryAst';
import { eventsIfBuilt, loadedRowsOf, propertiesOfRow, readColumnsFromLines, type LoadedRows } from './eventStore';
import type { ExtractRequest } from './parseEventChunk';
import type { GroupColumn, LocalDataset, LocalEvent } from './localEvent';
import { everyRowOf, gatherFloat64, gatherInt32, nameGroupsOf } from './rowsByName';
import { TimeBucketer, ZoneClock, type BucketUnit } from './timeBuckets';

/** What a property holds on an event without it (a plain object's inherited member, if any). */
const NO_PROPERTIES: Record<string, unknown> = {};
/** Up to this many rows of a column are parsed straight from their lines, without building every event object. */
const FEW_ROWS = 256;
/**
 * Reading a property out of every line (the byte scanner, about 0.5 µs a line) beats parsing the
 * lines of the query's events (`JSON.parse`, about 2 µs a line) once they are this share of all events.
 */
const WHOLE_PASS_SHARE = 0.25;

/** Where a table's per-row arrays come from: each is made (or read from the dataset cache) on first use. */
export interface TableParts {
  rowIds: () => Int32Array;
  times: () => Float64Array;
  users: () => Int32Array;
}

/** Events of one name (or all events), sorted by time, with per-row arrays. */
export class EventTable {
  private readonly columns = new Map<string, unknown[]>();
  /** Stored columns in this table's row order (see `typedColumn`), or null when some row's value is not in one. */
  private readonly typedColumns = new Map<string, GroupColumn | null>();
  private readonly bucketColumns = new Map<TimeBucketer, Int32Array>();
  private firstRows: FirstRows | undefined;
  private rowIdsMade: Int32Array | undefined;
  private timesMade: Float64Array | undefined;
  private usersMade: Int32Array | undefined;

  constructor(
    private readonly index: DatasetIndex,
    /** The event name's number, or -1 for the table of every event (or of a name the data does not have). */
    readonly nameId: number,
    private readonly parts: TableParts,
  ) {}

  /** Row number in the whole dataset (`dataset.events`) per row. */
  get rowIds(): Int32Array {
    return (this.rowIdsMade ??= this.parts.rowIds());
  }

  get times(): Float64Array {
    return (this.timesMade ??= this.parts.times());
  }

  /** User number (below `DatasetIndex.userCount`) per row. */
  get users(): Int32Array {
    return (this.usersMade ??= this.parts.users());
  }

  /** The rows with `start <= time < end`, as `[from, to)`. */
  rowsBetween(start: number, end: number): { from: number; to: number } {
    return { from: lowerBoundOf(this.times, start), to: lowerBoundOf(this.times, end) };
  }

  /** One property's value per row. */
  column(name: string): unknown[] {
    let column = this.columns.get(name);
    if (!column) {
      column = this.index.readColumn(name, this.rowIds);
      this.columns.set(name, column);
    }
    return column;
  }

  /** The bucket number of each row for one bucketer (unit and zone). */
  bucketsFor(bucketer: TimeBucketer): Int32Array {
    let buckets = this.bucketColumns.get(bucketer);
    if (!buckets) {
      buckets = new Int32Array(this.times.length);
      bucketer.fillBuckets(this.times, buckets);
      this.bucketColumns.set(bucketer, buckets);
    }
    return buckets;
  }

  /**
   * The bucket of a row: from its time by arithmetic where the bucketer has it (UTC, below a
   * month: no column to build, which in a fresh process costs more than the arithmetic), else from
   * the bucket column (`bucketsFor`).
   */
  bucketReader(bucketer: TimeBucketer): (row: number) => number {
    const plain = bucketer.plainBucketOf();
    if (plain) {
      const times = this.times;
      return (row) => plain(times[row]);
    }
    const column = this.bucketsFor(bucketer);
    return (row) => column[row];
  }

  /**
   * Each user's first row of this table over the whole data, built once and kept: a birth
   * retention's cohorts are "the first time in the whole data", and with this a query finds its
   * newcomers from the births alone instead of scanning every born event before the range again.
   */
  firstRowsOfUsers(): FirstRows {
    return (this.firstRows ??= firstRowsOf(this, this.index.userCount));
  }

  /** Compiles an expression into a function of the row number. */
  compile(expression: Expression): CompiledExpressionOf<number> {
    return compileExpressionWith(expression, this.readProperty);
  }

  /** Compiles a `where` into a test of the row number. */
  compilePredicate(expression: Expression): (row: number) => boolean {
    return compilePredicateWith(expression, this.readProperty);
  }

  private readonly readProperty: PropertyReader<number> = (scope, name) => {
    if (scope === 'user') {
      const profiles = this.index.profilesByUser;
      const users = this.users;
      return (row) => profiles[users[row]]?.[name];
    }
    const columnName = columnNameOf(scope, name);
    const stored = this.storedColumnReader(columnName);
    if (stored) return stored;
    const column = this.column(columnName);
    return (row) => column[row];
  };

  /**
   * A reader of `properties[name]` (a column name) by row, straight from its stored column (see
   * `typedColumn`): the values `readColumn` gives, decoded on each read instead of into an array
   * first. Undefined when there is no stored column or some row's value must come from its line.
   */
  storedColumnReader(name: string): ((row: number) => unknown) | undefined {
    const typed = this.typedColumn(name);
    return typed ? typedReader(typed, name) : undefined;
  }

  /**
   * `on` as a segment number per row, when `on` is a bare event property whose stored column holds
   * on every row a text or a value without one (missing, true, false or null): a query then counts
   * by number instead of making each row's segment key and looking it up. `keys[id]` is the
   * segment key (`segmentKey`) of number `id`; two numbers may share a key (the text "true" and
   * true), so a counter is found by key once per number. Undefined for any other `on`.
   */
  segmentIdsOf(expression: Expression): { idOf: (row: number) => number; keys: string[] } | undefined {
    if (expression.type !== 'property' || expression.scope === 'user') return undefined;
    const name = columnNameOf(expression.scope, expression.name);
    const column = this.typedColumn(name);
    if (!column) return undefined;
    const { kinds, values, texts } = column;
    // The numbers after the texts': kinds 0 (missing), 3 (true), 4 (false) and 5 (null).
    const keyOf = segmentKey;
    const keys = [...texts, ...[NO_PROPERTIES[name], true, false, null].map((value) => keyOf(value))];
    const idOfKind = [texts.length, -1, -1, texts.length + 1, texts.length + 2, texts.length + 3];
    if (typeof kinds === 'number') {
      if (kinds === 2) return { idOf: (row) => values[row], keys };
      const id = idOfKind[kinds] ?? -1;
      return id < 0 ? undefined : { idOf: () => id, keys };
    }
    for (let row = 0; row < kinds.length; row++) if (kinds[row] === 1 || kinds[row] > 5) return undefined;
    return { idOf: (row) => (kinds[row] === 2 ? values[row] : idOfKind[kinds[row]]), keys };
  }

  /**
   * A property's stored column (the loader's, or the dataset cache's) in this table's row order:
   * kinds and values as typed arrays, so a query reads a row's value with two array reads and no
   * value is boxed. From the dataset cache it is the name's part of the column, read on its own;
   * otherwise gathered from the loader's column once (two typed arrays as long as the table, much
   * less than an array of values). Null when some row's value is not in the column (left to its line).
   */
  private typedColumn(name: string): GroupColumn | null {
    let column = this.typedColumns.get(name);
    if (column === undefined) {
      column = this.index.typedColumnOf(name, this) ?? null;
      this.typedColumns.set(name, column);
    }
    return column;
  }
}

/**
 * Turns a stored value of `properties[name]` (its kind and number, as in `LoadedColumn`; not 7,
 * which is left to its line) into the value parsing the line gives: objects and arrays parsed once
 * per distinct text, so rows with equal text share one value.
 */
function storedValueDecoder(
  texts: string[],
  name: string,
): { missing: unknown; parsed: (text: number) => unknown; decode: (kind: number, value: number) => unknown } {
  const parsedTexts = new Map<number, unknown>();
  const missing = NO_PROPERTIES[name];
  const parsed = (text: number): unknown => {
    let value = parsedTexts.get(text);
    if (value === undefined && !parsedTexts.has(text)) parsedTexts.set(text, (value = JSON.parse(texts[text]) as unknown));
    return value;
  };
  const decode = (kind: number, value: number): unknown => {
    if (kind === 1) return value;
    if (kind === 2) return texts[value];
    if (kind === 0) return missing;
    if (kind === 3) return true;
    if (kind === 4) return false;
    if (kind === 5) return null;
    return parsed(value);
  };
  return { missing, parsed, decode };
}

/** Reads a value of a typed column, as `readColumn` would give it. */
function typedReader({ kinds, values, texts }: GroupColumn, name: string): (row: number) => unknown {
  const { missing, parsed, decode } = storedValueDecoder(texts, name);
  // Every row of one kind (the usual case): a reader that does not look at the kind.
  if (typeof kinds === 'number') {
    if (kinds === 1) return (row) => values[row];
    if (kinds === 2) return (row) => texts[values[row]];
    if (kinds === 6) return (row) => parsed(values[row]);
    const value = kinds === 3 ? true : kinds === 4 ? false : kinds === 5 ? null : missing;
    return () => value;
  }
  return (row) => decode(kinds[row], values[row]);
}

/** Each user's first row of a table (that passes a test). */
export interface FirstRows {
  /** Per user number: the row of the user's first event, or -1 for a user without one. */
  rowOfUser: Int32Array;
  /** Those rows in ascending order, so also in time order: a time range of them is a binary search away. */
  rows: Int32Array;
}

/** Each user's first row of `table` among those `accept` keeps (all without it), in one pass. */
export function firstRowsOf(table: EventTable, userCount: number, accept?: (row: number) => boolean): FirstRows {
  const rowOfUser = new Int32Array(userCount).fill(-1);
  const rows = new Int32Array(Math.min(userCount, table.times.length));
  let count = 0;
  const users = table.users;
  for (let row = 0; row < users.length; row++) {
    const user = users[row];
    if (rowOfUser[user] >= 0 || (accept && !accept(row))) continue;
    rowOfUser[user] = row;
    rows[count++] = row;
  }
  return { rowOfUser, rows: rows.slice(0, count) };
}

/** The event property an expression's reference reads (`$time` is the event's `time`). */
export function columnNameOf(scope: 'properties' | 'event', name: string): string {
  return scope === 'event' && name === '$time' ? 'time' : name;
}

export class DatasetIndex {
  /** Users with events: user numbers of events are below this. */
  readonly userCount: number;
  readonly names: string[];
  private readonly byName = new Map<string, EventTable>();
  private allRows: EventTable | undefined;
  private readonly rows: Pick<LoadedRows, 'times' | 'users' | 'nameIds' | 'userIds' | 'names'> &
    Partial<Pick<LoadedRows, 'nameGroups' | 'nameOrder' | 'nameStarts'>>;
  /** Row numbers grouped by name, and where each name's group starts: a name's table is built from its group on first use. */
  private grouped: { order: Int32Array; starts: Int32Array } | undefined;
  private profiles: { userIds: string[]; profilesByUser: Array<Record<string, unknown> | undefined> } | undefined;
  /** Bucketers shared by queries, so bucket columns are reused across queries. */
  private readonly bucketers = new Map<string, TimeBucketer>();

  constructor(private readonly dataset: LocalDataset) {
    const loaded = loadedRowsOf(dataset);
    // From the dataset cache, the user ids (and every whole-dataset array) are read only when used.
    this.rows = loaded ?? rowsOf(dataset.events);
    this.userCount = loaded?.userCount ?? this.rows.userIds.length;
    this.names = this.rows.names.slice();
  }

  /** distinct_id per user number: the users with events, then those with only a profile (built on first use). */
  get userIds(): string[] {
    return this.profilesAttached().userIds;
  }

  /** Profile properties per user number (built on first use: only `user[…]` properties read them). */
  get profilesByUser(): Array<Record<string, unknown> | undefined> {
    return this.profilesAttached().profilesByUser;
  }

  private profilesAttached(): NonNullable<DatasetIndex['profiles']> {
    if (!this.profiles) {
      // A copy: profile-only users are appended, and the loader's array stays as loaded.
      const profiles = { userIds: this.rows.userIds.slice(), profilesByUser: [] as Array<Record<string, unknown> | undefined> };
      attachProfiles(profiles.userIds, profiles.profilesByUser, this.dataset.profiles);
      this.profiles = profiles;
    }
    return this.profiles;
  }

  /** Name number per row of `all` (read on first use: from the dataset cache, only funnels need it). */
  get nameIds(): Int32Array {
    return this.rows.nameIds;
  }

  /** Every event, in time order (built on first use: a query over named events never needs it). */
  get all(): EventTable {
    return (this.allRows ??= new EventTable(this, -1, {
      rowIds: () => everyRowOf(this.rows.times.length),
      times: () => this.rows.times,
      users: () => this.rows.users,
    }));
  }

  /** Rows grouped by name: as loaded (the dataset cache stores them), else grouped here on first use. */
  private groupedRows(): { order: Int32Array; starts: Int32Array } {
    return (this.grouped ??= nameGroupsOf(this.rows));
  }

  /**
   * The events of one name; an empty table for a name the data does not have. Built on first use:
   * a query reads the tables of the names it asks about, and each costs memory proportional to its events.
   */
  table(name: string): EventTable {
    let table = this.byName.get(name);
    if (!table) {
      const id = this.names.indexOf(name);
      const groups = this.rows.nameGroups;
      if (id < 0) {
        table = new EventTable(this, -1, { rowIds: () => new Int32Array(0), times: () => new Float64Array(0), users: () => new Int32Array(0) });
      } else if (groups) {
        // From the dataset cache: the name's own rows, read on their own (not gathered from the whole-dataset arrays).
        table = new EventTable(this, id, { rowIds: () => groups.rowIds(id), times: () => groups.times(id), users: () => groups.users(id) });
      } else {
        const rowIds = (): Int32Array => {
          const { order, starts } = this.groupedRows();
          return order.subarray(starts[id], starts[id + 1]);
        };
        table = new EventTable(this, id, {
          rowIds,
          times: () => gatherFloat64(this.rows.times, rowIds()),
          users: () => gatherInt32(this.rows.users, rowIds()),
        });
      }
      this.byName.set(name, table);
    }
    return table;
  }

  /**
   * The stored column of `name` in `table`'s row order (see `EventTable.typedColumn`), or
   * undefined when there is none or some row's value is left to its line (kind 7).
   */
  typedColumnOf(name: string, table: EventTable): GroupColumn | undefined {
    const rows = loadedRowsOf(this.dataset);
    if (!rows) return undefined;
    let column: GroupColumn | undefined;
    const stored = table.nameId >= 0 ? rows.nameGroups?.column(name, table.nameId) : undefined;
    if (stored) column = stored;
    else {
      const loaded = rows.columns.get(name);
      if (!loaded) return undefined;
      const { rowIds } = table;
      const { fileRows } = rows;
      const kinds = new Uint8Array(rowIds.length);
      const values = new Float64Array(rowIds.length);
      for (let row = 0; row < rowIds.length; row++) {
        const at = fileRows[rowIds[row]];
        kinds[row] = loaded.kinds[at];
        values[row] = loaded.values[at];
      }
      column = { kinds, values, texts: loaded.texts };
    }
    return (typeof column.kinds === 'number' ? column.kinds === 7 : column.kinds.includes(7)) ? undefined : column;
  }

  nameId(name: string): number {
    return this.names.indexOf(name);
  }

  /** One shared bucketer per unit and zone, so bucket columns built by one query serve the next. */
  bucketer(unit: BucketUnit, timezone: string | undefined): TimeBucketer {
    const zone = timezone ?? 'UTC';
    const key = `${unit}|${zone}`;
    let bucketer = this.bucketers.get(key);
    if (!bucketer) {
      bucketer = new TimeBucketer(unit, new ZoneClock(zone));
      this.bucketers.set(key, bucketer);
    }
    return bucketer;
  }

  /**
   * Makes sure the properties a query reads have columns before it runs. Properties the load was
   * not asked for are read out of all the lines in one pass when the query's events are a large
   * part of the data (else each is read from its events' lines on first use, as before).
   */
  prepare(request: ExtractRequest | undefined): void {
    const rows = loadedRowsOf(this.dataset);
    if (!rows || !request || request.properties.every((name) => rows.columns.has(name))) return;
    const read = request.events ? request.events.reduce((sum, name) => sum + this.table(name).times.length, 0) : rows.times.length;
    if (read >= WHOLE_PASS_SHARE * rows.times.length) readColumnsFromLines(rows, request.properties);
  }

  /**
   * `properties[name]` of the events at `rowIds`. From the column the loader read out of the lines
   * when it has one (values equal to parsing the line: numbers, strings, booleans, null, and
   * objects or arrays parsed from their text, once per distinct text), else from the events'
   * properties, parsed from their lines on first read.
   */
  readColumn(name: string, rowIds: Int32Array): unknown[] {
    const column = new Array<unknown>(rowIds.length);
    const rows = loadedRowsOf(this.dataset);
    const loaded = rows?.columns.get(name);
    if (!rows || !loaded) {
      const events = this.dataset.events;
      for (let row = 0; row < rowIds.length; row++) column[row] = events[rowIds[row]].properties[name];
      return column;
    }
    const { kinds, values, texts } = loaded;
    const { fileRows } = rows;
    // Rows the loader did not read (other event names, lines it left to JSON.parse): from the
    // event objects when there are many or they exist already, else straight from the lines.
    let unread = 0;
    for (let row = 0; row < rowIds.length; row++) if (kinds[fileRows[rowIds[row]]] === 7) unread++;
    const events = unread === 0 ? undefined : (eventsIfBuilt(this.dataset) ?? (unread > FEW_ROWS ? this.dataset.events : undefined));
    const { decode } = storedValueDecoder(texts, name);
    for (let row = 0; row < rowIds.length; row++) {
      const id = rowIds[row];
      const at = fileRows[id];
      const kind = kinds[at];
      column[row] = kind === 7 ? (events ? events[id].properties[name] : propertiesOfRow(rows, id)[name]) : decode(kind, values[at]);
    }
    return column;
  }
}

/**
 * Gives each user their profile's properties (the last profile of a distinct_id wins), and users
 * with a profile but no event numbers after the others, in the order of their first profile.
 * Keyed by the profiles rather than by every user: there are usually fewer of them, and a lookup
 * costs less than an insertion.
 */
function attachProfiles(userIds: string[], profilesByUser: Array<Record<string, unknown> | undefined>, profiles: LocalDataset['profiles']): void {
  if (profiles.length === 0) return;
  const lastProfileOf = new Map<string, number>();
  for (let i = 0; i < profiles.length; i++) lastProfileOf.set(profiles[i].distinctId, i);
  const eventUsers = userIds.length;
  for (let user = 0; user < eventUsers; user++) {
    const id = userIds[user];
    const profile = lastProfileOf.get(id);
    if (profile === undefined) continue;
    profilesByUser[user] = profiles[profile].properties;
    lastProfileOf.delete(id);
  }
  // What is left belongs to users without events; a Map iterates in first-insertion order.
  for (const [id, profile] of lastProfileOf) {
    profilesByUser[userIds.length] = profiles[profile].properties;
    userIds.push(id);
  }
}

/** The per-row arrays of a dataset built by hand rather than loaded (tests, other producers). */
function rowsOf(events: LocalEvent[]): Pick<LoadedRows, 'times' | 'users' | 'userIds' | 'nameIds' | 'names'> {
  const userNumbers = new Map<string, number>();
  const nameNumbers = new Map<string, number>();
  const rows = {
    times: new Float64Array(events.length),
    users: new Int32Array(events.length),
    userIds: [] as string[],
    nameIds: new Int32Array(events.length),
    names: [] as string[],
  };
  const numberOf = (map: Map<string, number>, list: string[], key: string): number => {
    let number = map.get(key);
    if (number === undefined) {
      number = list.length;
      list.push(key);
      map.set(key, number);
    }
    return number;
  };
  for (let row = 0; row < events.length; row++) {
    rows.times[row] = events[row].time;
    rows.users[row] = numberOf(userNumbers, rows.userIds, events[row].distinctId);
    rows.nameIds[row] = numberOf(nameNumbers, rows.names, events[row].name);
  }
  return rows;
}

const indexes = new WeakMap<LocalDataset, DatasetIndex>();

export function indexOf(dataset: LocalDataset): DatasetIndex {
  let index = indexes.get(dataset);
  if (!index) {
    index = new DatasetIndex(dataset);
    indexes.set(dataset, index);
  }
  return index;
}

/** The first position whose time is at or after `time`, in events sorted by time. */
export function lowerBound(events: LocalEvent[], time: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (events[middle].time < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

function lowerBoundOf(times: Float64Array, time: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle] < time) low = middle + 1;
    else high = middle;
  }
  return low;
}
