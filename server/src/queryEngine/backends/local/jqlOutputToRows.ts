/**
 * Turns the array a JQL script returns into table rows, for the local and the Mixpanel backend
 * alike: `groupBy` output (`{key: [...], value}`) becomes key columns plus value column(s); plain
 * values become one `value` column; objects become one column per field.
 */
import type { RowsData } from '../../../protocol/resultModel';

type Cell = string | number | boolean | null;
type ColumnType = RowsData['columns'][number]['type'];

export function jqlOutputToRows(output: unknown[]): RowsData {
  const only = output.length === 1 && Array.isArray(output[0]) ? (output[0] as unknown[]) : undefined;
  // `reduce(top(n))` and `reduce(numeric_percentiles(…))` wrap a list of objects in a one-element array: one row each.
  // `reduce([r1, r2])` answers `[[v1, v2]]`: one row, a column per reducer, as groupBy's list of values.
  if (only && !only.every(isPlainObject)) return build(valueNames(only.length), [only]);
  const items = only ?? output;
  if (items.length === 0) return { kind: 'rows', columns: [], rows: [] };
  if (items.every(isKeyValue)) return keyValueRows(items as Array<{ key: unknown; value: unknown }>);
  if (items.every(isPlainObject)) return objectRows(items as Array<Record<string, unknown>>);
  return build(
    ['value'],
    items.map((item) => [item]),
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isKeyValue(value: unknown): boolean {
  return isPlainObject(value) && 'key' in value && 'value' in value && Object.keys(value).length === 2;
}

function keyValueRows(items: Array<{ key: unknown; value: unknown }>): RowsData {
  // reduce, not Math.max(...items): a spread of a few hundred thousand groups overflows the stack.
  const keyCount = items.reduce((most, item) => Math.max(most, Array.isArray(item.key) ? item.key.length : 1), 0);
  const keyNames = keyCount === 1 ? ['key'] : Array.from({ length: keyCount }, (_, i) => `key ${i + 1}`);
  const keysOf = (item: { key: unknown }): unknown[] => {
    const keys = Array.isArray(item.key) ? item.key : [item.key];
    return Array.from({ length: keyCount }, (_, i) => keys[i]);
  };

  // Several reducers give an array value; a summary reducer gives an object value.
  if (items.every((item) => Array.isArray(item.value))) {
    const valueCount = items.reduce((most, item) => Math.max(most, (item.value as unknown[]).length), 0);
    return build(
      [...keyNames, ...valueNames(valueCount)],
      items.map((item) => [...keysOf(item), ...Array.from({ length: valueCount }, (_, i) => (item.value as unknown[])[i])]),
    );
  }
  if (items.every((item) => isPlainObject(item.value))) {
    const fields = unionOfKeys(items.map((item) => item.value as Record<string, unknown>));
    return build(
      [...keyNames, ...fields],
      items.map((item) => [...keysOf(item), ...fields.map((field) => (item.value as Record<string, unknown>)[field])]),
    );
  }
  return build(
    [...keyNames, 'value'],
    items.map((item) => [...keysOf(item), item.value]),
  );
}

/** `value`, or `value 1` … `value N` for several. */
function valueNames(count: number): string[] {
  return count === 1 ? ['value'] : Array.from({ length: count }, (_, i) => `value ${i + 1}`);
}

function objectRows(items: Array<Record<string, unknown>>): RowsData {
  const fields = unionOfKeys(items);
  return build(
    fields,
    items.map((item) => fields.map((field) => item[field])),
  );
}

function unionOfKeys(objects: Array<Record<string, unknown>>): string[] {
  const keys = new Set<string>();
  for (const object of objects) for (const key of Object.keys(object)) keys.add(key);
  return [...keys];
}

function build(names: string[], values: unknown[][]): RowsData {
  const types = names.map((_, column) => columnType(values.map((row) => row[column])));
  return {
    kind: 'rows',
    columns: names.map((name, column) => ({ name, type: types[column] })),
    rows: values.map((row) => row.map((value, column) => toCell(value, types[column]))),
  };
}

function columnType(values: unknown[]): ColumnType {
  const present = values.filter((value) => value !== null && value !== undefined);
  if (present.length === 0) return 'string';
  if (present.every((value) => typeof value === 'number')) return 'number';
  if (present.every((value) => typeof value === 'boolean')) return 'boolean';
  if (present.every((value) => typeof value === 'string')) return 'string';
  return 'json';
}

function toCell(value: unknown, type: ColumnType): Cell {
  if (value === null || value === undefined) return null;
  if (type === 'json') return JSON.stringify(value);
  return value as Cell;
}
