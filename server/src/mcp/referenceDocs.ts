/**
 * The language reference and the diagnostics list, served as MCP resources so an agent learns the
 * grammar from the same pages a person reads. They are read from the docs/ folder beside the
 * bundle (the VSIX and the npm package ship it; .vscodeignore allows these two pages) or, when
 * running from sources, beside the repository root.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ReferenceDoc {
  name: string;
  uri: string;
  title: string;
  description: string;
  file: string;
}

export const REFERENCE_DOCS: readonly ReferenceDoc[] = [
  {
    name: 'aq-language',
    uri: 'aq://docs/language',
    title: 'aq language reference',
    description: 'The .aq query language: query kinds (segmentation, funnel, retention, jql, …), clauses, expressions, dates and sources.',
    file: 'language.md',
  },
  {
    name: 'aq-diagnostics',
    uri: 'aq://docs/diagnostics',
    title: 'aq diagnostics',
    description: 'Every lint diagnostic code aq reports, what it means and how to fix it.',
    file: 'diagnostics.md',
  },
];

/** The text of a reference page, or a sentence saying it is missing from this installation. */
export function readReferenceDoc(doc: ReferenceDoc, startDir: string = __dirname): string {
  let dir = startDir;
  for (let depth = 0; depth < 5; depth++) {
    const candidate = join(dir, 'docs', doc.file);
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return `${doc.title} is not part of this installation (docs/${doc.file} was not found beside aq).`;
}
