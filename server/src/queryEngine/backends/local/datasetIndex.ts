/**
 * Column-oriented views of a loaded dataset, built once per dataset and shared by every query on
 * it (the warm path). Queries loop over row numbers and read times, user numbers, bucket numbers
 * and property values from flat arrays instead of chasing a million event objects around the heap:
 * that is what makes a warm query fast. Columns and bucket arrays are built on first use.
 */
import { compileExpressionWith, compilePredicateWith, type CompiledExpressionOf, type PropertyReader } from '../../../languageService/evaluateExpression';
import type { Expression } from '../../../languageService/parser/queryAst';
import { loadedRowsOf, type LoadedRows } from './eventStore';
import type { LocalDataset, LocalEvent } from './localEvent';
import { TimeBucketer, ZoneClock, type BucketUnit } from './timeBuckets';

/** Events of one name (or all events), sorted by time, with per-row arrays. */
export class EventTable {
  private readonly columns = new Map<string, unknown[]>();
  private readonly bucketColumns = new Map<TimeBucketer, Int32Array>();

  constructor(
    readonly events: LocalEvent[],
    private readonly index: DatasetIndex,
    readonly times: Float64Array,
    /** User number (index into `DatasetIndex.userIds`) per row. */
    readonly users: Int32Array,
  ) {}

  /** The rows with `start <= time < end`, as `[from, to)`. */
  rowsBetween(start: number, end: number): { from: number; to: number } {
    return { from: lowerBoundOf(this.times, start), to: lowerBoundOf(this.times, end) };
  }

  /** One property's value per row. */
  column(name: string): unknown[] {
    let column = this.columns.get(name);
    if (!column) {
      column = new Array<unknown>(this.events.length);
      for (let row = 0; row < this.events.length; row++) column[row] = this.events[row].properties[name];
      this.columns.set(name, column);
    }
    return column;
  }

  /** The bucket number of each row for one bucketer (unit and zone). */
  bucketsFor(bucketer: TimeBucketer): Int32Array {
    let buckets = this.bucketColumns.get(bucketer);
    if (!buckets) {
      buckets = new Int32Array(this.events.length);
      for (let row = 0; row < this.events.length; row++) buckets[row] = bucketer.bucketOf(this.times[row]);
      this.bucketColumns.set(bucketer, buckets);
    }
    return buckets;
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
    const column = this.column(scope === 'event' && name === '$time' ? 'time' : name);
    return (row) => column[row];
  };
}

export class DatasetIndex {
  /** distinct_id per user number. */
  readonly userIds: string[];
  /** Profile properties per user number. */
  readonly profilesByUser: Array<Record<string, unknown> | undefined> = [];
  /** Every event, in time order. */
  readonly all: EventTable;
  /** Name number per row of `all`. */
  readonly nameIds: Int32Array;
  readonly names: string[];
  private readonly byName = new Map<string, EventTable>();
  /** Bucketers shared by queries, so bucket columns are reused across queries. */
  private readonly bucketers = new Map<string, TimeBucketer>();

  constructor(dataset: LocalDataset) {
    const { events } = dataset;
    const rows = loadedRowsOf(dataset) ?? rowsOf(events);
    // Copies: profile-only users are appended below, and the loader's arrays stay as loaded.
    this.userIds = rows.userIds.slice();
    this.names = rows.names.slice();
    this.nameIds = rows.nameIds;
    this.all = new EventTable(events, this, rows.times, rows.users);

    const counts = new Array<number>(this.names.length).fill(0);
    for (let row = 0; row < events.length; row++) counts[rows.nameIds[row]]++;
    const groups = counts.map((count) => ({ events: new Array<LocalEvent>(count), times: new Float64Array(count), users: new Int32Array(count), size: 0 }));
    for (let row = 0; row < events.length; row++) {
      const group = groups[rows.nameIds[row]];
      group.events[group.size] = events[row];
      group.times[group.size] = rows.times[row];
      group.users[group.size] = rows.users[row];
      group.size++;
    }
    this.names.forEach((name, id) => this.byName.set(name, new EventTable(groups[id].events, this, groups[id].times, groups[id].users)));

    const userNumbers = new Map(this.userIds.map((id, number) => [id, number]));
    for (const profile of dataset.profiles) {
      let number = userNumbers.get(profile.distinctId);
      if (number === undefined) {
        number = this.userIds.length;
        this.userIds.push(profile.distinctId);
        userNumbers.set(profile.distinctId, number);
      }
      this.profilesByUser[number] = profile.properties;
    }
  }

  /** The events of one name; an empty table for a name the data does not have. */
  table(name: string): EventTable {
    let table = this.byName.get(name);
    if (!table) {
      table = new EventTable([], this, new Float64Array(0), new Int32Array(0));
      this.byName.set(name, table);
    }
    return table;
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
}

/** The per-row arrays of a dataset built by hand rather than loaded (tests, other producers). */
function rowsOf(events: LocalEvent[]): LoadedRows {
  const userNumbers = new Map<string, number>();
  const nameNumbers = new Map<string, number>();
  const rows: LoadedRows = { times: new Float64Array(events.length), users: new Int32Array(events.length), userIds: [], nameIds: new Int32Array(events.length), names: [] };
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
