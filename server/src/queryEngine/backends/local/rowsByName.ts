/**
 * The rows of a dataset grouped by event name, which the query index splits into one table per
 * name. Kept in the dataset cache too, so a next process builds its tables without sorting.
 */

/** Row numbers grouped by name number (name 0's rows first), each group in row order (so in time order). */
export function rowsGroupedByName(nameIds: Int32Array, nameCount: number): Int32Array {
  const starts = new Int32Array(nameCount + 1);
  for (let row = 0; row < nameIds.length; row++) starts[nameIds[row] + 1]++;
  for (let name = 0; name < nameCount; name++) starts[name + 1] += starts[name];
  const order = new Int32Array(nameIds.length);
  for (let row = 0; row < nameIds.length; row++) order[starts[nameIds[row]]++] = row;
  return order;
}

/** Rows grouped by name and where each name's group starts, per `nameIds` array. */
const groupings = new WeakMap<Int32Array, { order: Int32Array; starts: Int32Array }>();

/**
 * The rows grouped by name (`order`) and where each name's group starts: as stored with the rows
 * (the dataset cache keeps them), else `rowsGroupedByName` and `groupStartsOf`, computed once per
 * `nameIds` array (the query index groups the rows of a first load for its tables, and the cache
 * entry written after the answer stores the same grouping).
 */
export function nameGroupsOf(rows: { nameIds: Int32Array; names: readonly string[]; nameOrder?: Int32Array; nameStarts?: Int32Array }): {
  order: Int32Array;
  starts: Int32Array;
} {
  if (rows.nameOrder && rows.nameStarts) return { order: rows.nameOrder, starts: rows.nameStarts };
  const { nameIds } = rows;
  const nameCount = rows.names.length;
  let grouping = groupings.get(nameIds);
  if (!grouping || grouping.starts.length !== nameCount + 1) {
    const order = rowsGroupedByName(nameIds, nameCount);
    grouping = { order, starts: groupStartsOf(order, nameIds, nameCount) };
    groupings.set(nameIds, grouping);
  }
  return grouping;
}

/**
 * Where each name's group starts in `order` (and, last, its length): the name numbers along
 * `order` never decrease, so each boundary is a binary search away.
 */
export function groupStartsOf(order: Int32Array, nameIds: Int32Array, nameCount: number): Int32Array {
  const starts = new Int32Array(nameCount + 1);
  for (let name = 1; name <= nameCount; name++) {
    let low = starts[name - 1];
    let high = order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (nameIds[order[middle]] < name) low = middle + 1;
      else high = middle;
    }
    starts[name] = low;
  }
  return starts;
}

/** `values[rowIds[i]]` for each i. */
export function gatherFloat64(values: Float64Array, rowIds: Int32Array): Float64Array {
  const gathered = new Float64Array(rowIds.length);
  for (let i = 0; i < rowIds.length; i++) gathered[i] = values[rowIds[i]];
  return gathered;
}

/** `values[rowIds[i]]` for each i. */
export function gatherInt32(values: Int32Array, rowIds: Int32Array): Int32Array {
  const gathered = new Int32Array(rowIds.length);
  for (let i = 0; i < rowIds.length; i++) gathered[i] = values[rowIds[i]];
  return gathered;
}

/** 0, 1, …, count - 1. */
export function everyRowOf(count: number): Int32Array {
  const rows = new Int32Array(count);
  for (let row = 0; row < count; row++) rows[row] = row;
  return rows;
}
