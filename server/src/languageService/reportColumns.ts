/**
 * What completion, hover and the analyser share about `report` queries: the column catalogue a
 * query is checked against (the website's listing when loaded, else the bundled standard
 * columns), every column a report names with its clause, and how a column is described.
 */
import type { AnalyticsSchema } from './analyticsTypes';
import type { ColumnRefNode, QueryBlock, ReportFilterNode } from './parser/queryAst';
import { BUNDLED_PIWIK_COLUMNS, type PiwikColumn, type PiwikColumnCatalog } from '../queryContract/piwikColumns';

/** The catalogue a report query is checked against. */
export function reportCatalog(schema: AnalyticsSchema | undefined): PiwikColumnCatalog {
  return schema?.piwikColumns ?? BUNDLED_PIWIK_COLUMNS;
}

export type ReportColumnClause = 'dimensions' | 'metrics' | 'where' | 'having' | 'order';

export interface ReportColumnUse {
  clause: ReportColumnClause;
  node: ColumnRefNode;
}

function filterColumns(filter: ReportFilterNode, clause: 'where' | 'having', into: ReportColumnUse[]): void {
  if (filter.type === 'condition') into.push({ clause, node: filter.column });
  else if (filter.type === 'group') for (const child of filter.conditions) filterColumns(child, clause, into);
}

/** Every column a report names, in text order, with the clause it is in. */
export function reportColumnUses(block: QueryBlock): ReportColumnUse[] {
  const uses: ReportColumnUse[] = [];
  for (const clause of block.clauses) {
    const value = clause.value;
    if (value.type === 'columnList' && (clause.name === 'dimensions' || clause.name === 'metrics')) {
      for (const node of value.columns) uses.push({ clause: clause.name, node });
    } else if (value.type === 'reportFilter' && (clause.name === 'where' || clause.name === 'having')) {
      filterColumns(value.filter, clause.name, uses);
    } else if (value.type === 'order' && value.column) {
      uses.push({ clause: 'order', node: value.column });
    }
  }
  return uses;
}

/** Whether `column` with `transformation` yields a metric (else a dimension, or nothing valid). */
export function columnRole(column: PiwikColumn, transformation: string | undefined): 'metric' | 'dimension' | 'unsupported' | 'unknown' {
  if (!transformation) return column.kind;
  if (column.kind === 'metric') return 'unsupported';
  if (column.toMetric?.includes(transformation)) return 'metric';
  if (column.toDimension?.includes(transformation)) return 'dimension';
  if (column.toMetric === undefined && column.toDimension === undefined) return 'unknown';
  return 'unsupported';
}

/** The transformations a dimension supports, metric-making first. */
export function transformationsOf(column: PiwikColumn): string[] {
  return [...(column.toMetric ?? []), ...(column.toDimension ?? [])];
}

/** The hover / completion documentation of a column: name, type, scope, description, values. */
export function columnDocumentation(column: PiwikColumn, catalog: PiwikColumnCatalog): string {
  const lines = [`**${column.name}** \`${column.id}\` — ${column.kind}`];
  const facts = [`type ${column.type}`];
  if (column.scope) facts.push(`scope ${column.scope}`);
  lines.push(facts.join(' · '));
  if (column.description) lines.push(column.description);
  if (column.enumValues && column.enumValues.length > 0) {
    const shown = column.enumValues.slice(0, 12).map(([id, label]) => `${label} (${JSON.stringify(id)})`);
    lines.push(`Values: ${shown.join(', ')}${column.enumValues.length > 12 ? ', …' : ''}`);
  }
  const transformations = transformationsOf(column);
  if (column.kind === 'dimension' && transformations.length > 0)
    lines.push(`Transformations: ${transformations.map((t) => `\`${t}(${column.id})\``).join(', ')}`);
  lines.push(
    catalog.origin === 'listing' ? "From the website's column listing." : "From Piwik PRO's standard columns (the website's own listing is not loaded).",
  );
  return lines.join('\n\n');
}
