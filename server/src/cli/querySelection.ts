/** Which queries of a file `--query TITLE|N` picks, for `aq run` and `aq watch` alike. */
import type { QueryBlock } from '../languageService/parser/queryAst';

/** The queries that can run (those with a head line), in file order; `--query N` counts these from 1. */
export function runnableQueries(queries: readonly QueryBlock[]): QueryBlock[] {
  return queries.filter((query) => query.head !== undefined);
}

/** The runnable queries `wanted` names: a number picks one, a title every query with it (case-insensitive). Empty when none. */
export function queriesNamed(runnable: readonly QueryBlock[], wanted: string): QueryBlock[] {
  if (isQueryNumber(wanted)) {
    const block = runnable[Number(wanted) - 1];
    return block ? [block] : [];
  }
  return runnable.filter((query) => query.title?.toLowerCase() === wanted.toLowerCase());
}

export function isQueryNumber(wanted: string): boolean {
  return /^\d+$/.test(wanted);
}
