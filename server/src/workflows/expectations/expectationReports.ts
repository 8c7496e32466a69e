/**
 * The reports of a test run, for people (text, as test runners print), for programs (the JSON
 * array whose element shape is a contract) and for CI servers (JUnit XML). Pure: `aq test` and any
 * other host print or send them as they like.
 */
import type { ExpectationResult } from './runExpectations';

/** `--format json`: one array, one element per expectation, with exactly the documented keys. */
export function expectationsJson(results: readonly ExpectationResult[]): string {
  return `${JSON.stringify(results.map(expectationJsonElement), null, 2)}\n`;
}

/** An element of `--format json`: exactly the documented keys. */
export function expectationJsonElement(result: ExpectationResult): Record<string, unknown> {
  return { file: result.file, query: result.query, expectation: result.expectation, status: result.status, actual: result.actual, message: result.message };
}

/** `N passed, M failed, K errors`. */
export function expectationsSummary(results: readonly ExpectationResult[]): string {
  const count = (status: ExpectationResult['status']) => results.filter((result) => result.status === status).length;
  const errors = count('error');
  return `${count('passed')} passed, ${count('failed')} failed, ${errors} ${errors === 1 ? 'error' : 'errors'}`;
}

const MARKS: Record<ExpectationResult['status'], string> = { passed: '✓', failed: '✗', error: '!' };

/** Grouped by file and query, one line per expectation, as test runners print. */
export function expectationsText(results: readonly ExpectationResult[]): string {
  const lines: string[] = [];
  let file: string | undefined;
  let query: string | undefined;
  for (const result of results) {
    if (result.file !== file) {
      if (file !== undefined) lines.push('');
      lines.push(result.file);
      file = result.file;
      query = undefined;
    }
    if (result.query !== query) {
      lines.push(`  ${result.query}`);
      query = result.query;
    }
    const detail =
      result.status === 'passed' ? '' : `\n      ${result.status === 'error' ? 'error: ' : ''}${result.message}  (line ${result.range.start.line + 1})`;
    const observed = result.status === 'passed' && result.observed ? `  · ${result.observed}` : '';
    lines.push(`    ${MARKS[result.status]} expect ${result.expectation}${observed}${detail}`);
  }
  if (lines.length > 0) lines.push('');
  lines.push(expectationsSummary(results));
  return `${lines.join('\n')}\n`;
}

/** Text for an XML attribute or element: escaped, and without the characters XML 1.0 cannot hold. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** JUnit XML as CI servers read it: a testsuite per file, a testcase per expectation. */
export function expectationsJunit(results: readonly ExpectationResult[]): string {
  const byFile = new Map<string, ExpectationResult[]>();
  for (const result of results) {
    const list = byFile.get(result.file) ?? [];
    list.push(result);
    byFile.set(result.file, list);
  }
  const count = (list: readonly ExpectationResult[], status: ExpectationResult['status']) => list.filter((result) => result.status === status).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="aq test" tests="${results.length}" failures="${count(results, 'failed')}" errors="${count(results, 'error')}">`,
  ];
  for (const [file, list] of byFile) {
    lines.push(`  <testsuite name="${xml(file)}" tests="${list.length}" failures="${count(list, 'failed')}" errors="${count(list, 'error')}" skipped="0">`);
    for (const result of list) {
      const open = `    <testcase name="${xml(`expect ${result.expectation}`)}" classname="${xml(result.query)}" file="${xml(file)}" line="${result.range.start.line + 1}"`;
      if (result.status === 'passed') {
        lines.push(`${open}/>`);
        continue;
      }
      const element = result.status === 'failed' ? 'failure' : 'error';
      lines.push(
        `${open}>`,
        `      <${element} message="${xml(result.message)}" type="${result.status === 'failed' ? 'expectation' : 'query'}">${xml(result.message)}</${element}>`,
        '    </testcase>',
      );
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
