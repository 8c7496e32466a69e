/**
 * How a query is named to the user everywhere (results panels, CodeLens, outline, CLI output,
 * watch alerts): its `## title`, or "Query N" (N counted from 1) when it has none or an empty one.
 */
export function queryTitle(query: { title?: string; index: number }): string {
  return query.title ? query.title : `Query ${query.index + 1}`;
}
