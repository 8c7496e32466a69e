/**
 * Warnings about the input itself, the same for every kind of query on it (the JQL worker sends
 * them too): skipped lines with their numbers and first reason, and dropped duplicates.
 */
import { basename } from 'node:path';
import type { ResultWarning } from '../../../protocol/resultModel';
import type { LocalDataset } from './localEvent';

/** Line numbers listed per file before "…". */
const LISTED_LINES = 10;

export function datasetWarnings(dataset: Pick<LocalDataset, 'skipped' | 'duplicates'>, dataPath: string): ResultWarning[] {
  const warnings: ResultWarning[] = [];
  const byFile = new Map<string, number[]>();
  for (const skipped of dataset.skipped) {
    let lines = byFile.get(skipped.file);
    if (!lines) byFile.set(skipped.file, (lines = []));
    lines.push(skipped.line);
  }
  for (const [file, lines] of byFile) {
    const listed = lines.slice(0, LISTED_LINES).join(', ') + (lines.length > LISTED_LINES ? ', …' : '');
    const first = dataset.skipped.find((skipped) => skipped.file === file)!;
    const where = file === dataPath ? '' : ` in ${basename(file)}`;
    warnings.push({
      code: 'skippedLines',
      message: `skipped ${lines.length} malformed line${lines.length === 1 ? '' : 's'}${where} (${listed}); line ${first.line}: ${first.reason}`,
    });
  }
  if (dataset.duplicates > 0) {
    warnings.push({
      code: 'duplicates',
      message: `dropped ${dataset.duplicates} duplicate event${dataset.duplicates === 1 ? '' : 's'} (same $insert_id, event, distinct_id and time)`,
    });
  }
  return warnings;
}
