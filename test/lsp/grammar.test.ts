import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLAUSES, EXPRESSION_FUNCTIONS, QUERY_KINDS, SOURCE_KINDS } from '../../server/src/languageService/clauseCatalog';
import { REPO_ROOT } from './lspHarness';

interface Rule {
  match?: string;
  begin?: string;
  end?: string;
  patterns?: Rule[];
}

const grammar = JSON.parse(readFileSync(join(REPO_ROOT, 'syntaxes', 'aq.tmLanguage.json'), 'utf8')) as { scopeName: string; repository: Record<string, Rule> };
const rule = (name: string) => grammar.repository[name];
/** The rule's opening regex (TextMate's Oniguruma patterns here are JavaScript-compatible). */
const opening = (name: string) => new RegExp(rule(name).match ?? rule(name).begin ?? '');

function allRegexes(rules: Iterable<Rule>): string[] {
  const found: string[] = [];
  for (const r of rules) {
    for (const source of [r.match, r.begin, r.end]) if (source) found.push(source);
    if (r.patterns) found.push(...allRegexes(r.patterns));
  }
  return found;
}

describe('contributed language files', () => {
  it('exist for every grammar and language configuration package.json names, as valid JSON', () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      contributes?: { languages?: Array<{ id: string; configuration?: string }>; grammars?: Array<{ scopeName: string; path: string }> };
    };
    const files = [
      ...(manifest.contributes?.languages ?? []).flatMap((language) => (language.configuration ? [language.configuration] : [])),
      ...(manifest.contributes?.grammars ?? []).map((entry) => entry.path),
    ];
    assert.ok(files.includes('./syntaxes/aq.tmLanguage.json'), files.join(', '));
    for (const file of files) assert.doesNotThrow(() => JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')), file);
    for (const entry of manifest.contributes?.grammars ?? []) {
      assert.equal((JSON.parse(readFileSync(join(REPO_ROOT, entry.path), 'utf8')) as { scopeName: string }).scopeName, entry.scopeName, entry.path);
    }
  });
});

describe('aq TextMate grammar', () => {
  it('is scoped source.aq and every regex compiles', () => {
    assert.equal(grammar.scopeName, 'source.aq');
    const regexes = allRegexes(Object.values(grammar.repository));
    assert.ok(regexes.length > 20);
    for (const source of regexes) assert.doesNotThrow(() => new RegExp(source), source);
  });

  it('colours every clause of the catalog as a keyword on an indented line, and none at column 0', () => {
    const clauseRules = ['expression-clause', 'enum-clause', 'params-clause', 'expect-clause', 'clause'].map(opening);
    for (const clause of CLAUSES) {
      assert.ok(
        clauseRules.some((regex) => regex.test(`  ${clause.name} x`)),
        `clause "${clause.name}" is not in the grammar`,
      );
      assert.ok(!clauseRules.some((regex) => regex.test(`${clause.name} x`)), `clause "${clause.name}" matches at column 0`);
    }
    assert.ok(!clauseRules.some((regex) => regex.test('  online')), 'a clause keyword matched inside a longer word');
  });

  it('recognises every query kind at the start of a head line and every source kind after use', () => {
    const heads = [opening('head'), opening('script-head')];
    for (const kind of QUERY_KINDS) assert.equal(heads.filter((regex) => regex.test(`${kind} "x"`)).length, 1, kind);
    assert.ok(!heads.some((regex) => regex.test('  segmentation "x"')));
    // Only heads that name events scope their strings as events; a script path or app id is a plain string.
    assert.ok(JSON.stringify(rule('head').patterns).includes('#event-name'));
    assert.ok(!JSON.stringify(rule('script-head').patterns).includes('#event-name'));
    for (const kind of SOURCE_KINDS) assert.equal(opening('use').exec(`use ${kind} "x"`)?.[2], kind);
  });

  it('tells titles from comments', () => {
    assert.equal(opening('title').exec('### Sign-ups by browser')?.[2], 'Sign-ups by browser');
    assert.equal(opening('title').test('#### not a title'), false);
    assert.equal(opening('title').test('# a comment'), false);
    assert.ok(opening('comment').test('# a comment'));
  });

  it('knows every expression function, dates, and property names in brackets', () => {
    const functions = rule('expression').patterns!.find((p) => p.match?.includes('has_prefix'))!;
    for (const name of Object.keys(EXPRESSION_FUNCTIONS)) assert.ok(new RegExp(functions.match!).test(`${name}(x)`), name);
    assert.equal(opening('date').exec('from 2026-10-01 to 2026-10-31')?.[0], '2026-10-01');
    assert.equal(opening('date').exec('from 2026-10-01T10:30')?.[0], '2026-10-01T10:30');
    assert.deepEqual([...(opening('property').exec('on user["$email"]') ?? [])].slice(1), ['user', '[']);
  });
});
