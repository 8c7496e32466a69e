/**
 * `aq test` as a CI job runs it: files and folders of `.aq` checks over a local workspace, each
 * output format (text, the JSON contract, JUnit XML parsed back), `--output`, and the exit codes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliIo } from '../../../server/src/cli/cliIo';
import { runCli } from '../../../server/src/cli/cliMain';
import { makeExpectWorkspace } from '../workflows/expectations/expectationFixture';

let dir: string;

const WEEK = '  from 2026-10-01 to 2026-10-07\n';
const PASSING = `### Sign-ups\nsegmentation "Sign Up"\n${WEEK}  expect total == 4\n  expect rows == 7\n`;
// Entered: u1 u2 u3 u4; bought within 7 days: u1 u3.
const FAILING = `### Checkout <funnel> & "co"\nfunnel "Sign Up" -> "Purchase"\n${WEEK}  expect conversion > 90%\n  expect step "Sign Up" count == 4\n`;
const ERRORING = `use local "missing.ndjson"\n### Broken source\nsegmentation "Sign Up"\n${WEEK}  expect total > 1\n`;
const UNCHECKED = `### Not a test\nsegmentation "Sign Up"\n  on properties["nope"]\n${WEEK}`;

before(() => {
  dir = makeExpectWorkspace();
  mkdirSync(join(dir, 'checks', 'nested'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', 'pkg'), { recursive: true });
  writeFileSync(join(dir, 'checks', 'passing.aq'), PASSING + UNCHECKED);
  writeFileSync(join(dir, 'checks', 'nested', 'failing.aq'), FAILING);
  writeFileSync(join(dir, 'checks', 'notes.txt'), 'not a query file');
  writeFileSync(join(dir, 'erroring.aq'), ERRORING);
  // Never searched: a dependency's files are not the team's checks.
  writeFileSync(join(dir, 'node_modules', 'pkg', 'x.aq'), FAILING);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function io(cwd = dir): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    cwd,
    env: { AQ_CACHE_DIR: join(dir, '.aq-cache') },
    stdout: (text: string) => void (captured.out += text),
    stderr: (text: string) => void (captured.err += text),
  };
  return captured;
}

interface JsonElement {
  file: string;
  query: string;
  expectation: string;
  status: string;
  actual: number | null;
  message: string;
}

describe('aq test', () => {
  it('exits 0 when every expectation passes, printing one line per expectation and the summary', async () => {
    const cli = io();
    assert.equal(await runCli(['test', 'checks/passing.aq'], cli), 0, cli.err);
    assert.equal(
      cli.out,
      [
        join('checks', 'passing.aq'),
        '  Sign-ups',
        '    ✓ expect total == 4  · total 4',
        '    ✓ expect rows == 7  · rows 7',
        '',
        '2 passed, 0 failed, 0 errors',
        '',
      ].join('\n'),
    );
  });

  it('exits 1 on a failed expectation, saying actual against expected and the line', async () => {
    const cli = io();
    assert.equal(await runCli(['test', join('checks', 'nested', 'failing.aq')], cli), 1, cli.err);
    assert.match(cli.out, /✗ expect conversion > 90%\n {6}conversion 50%, expected > 90% {2}\(line 4\)/);
    assert.match(cli.out, /✓ expect step "Sign Up" count == 4/);
    assert.match(cli.out, /1 passed, 1 failed, 0 errors\n$/);
  });

  it('exits 1 when a query errors, marking its expectations as errors', async () => {
    const cli = io();
    assert.equal(await runCli(['test', 'erroring.aq'], cli), 1);
    assert.match(cli.out, /! expect total > 1\n {6}error: The query failed: .*missing\.ndjson/);
    assert.match(cli.out, /0 passed, 0 failed, 1 error\n$/);
  });

  it('searches folders recursively (skipping node_modules) and defaults to the current folder', async () => {
    const named = io();
    assert.equal(await runCli(['test', 'checks', '--format', 'json'], named), 1, named.err);
    const files = (JSON.parse(named.out) as JsonElement[]).map((element) => element.file);
    assert.deepEqual([...new Set(files)], [join('checks', 'nested', 'failing.aq'), join('checks', 'passing.aq')]);
    const current = io(join(dir, 'checks'));
    assert.equal(await runCli(['test', '--format', 'json'], current), 1);
    assert.deepEqual([...new Set((JSON.parse(current.out) as JsonElement[]).map((element) => element.file))], [join('nested', 'failing.aq'), 'passing.aq']);
  });

  it('--format json: one array, one element per expectation with exactly the documented keys; queries without expect are not run', async () => {
    const cli = io();
    assert.equal(await runCli(['test', 'checks/passing.aq', 'checks/nested/failing.aq', '--format', 'json'], cli), 1);
    const elements = JSON.parse(cli.out) as JsonElement[];
    assert.deepEqual(
      elements.map((element) => Object.keys(element)),
      elements.map(() => ['file', 'query', 'expectation', 'status', 'actual', 'message']),
    );
    assert.deepEqual(
      elements.map((element) => [element.query, element.expectation, element.status, element.actual]),
      [
        ['Sign-ups', 'total == 4', 'passed', 4],
        ['Sign-ups', 'rows == 7', 'passed', 7],
        ['Checkout <funnel> & "co"', 'conversion > 90%', 'failed', 0.5],
        ['Checkout <funnel> & "co"', 'step "Sign Up" count == 4', 'passed', 4],
      ],
    );
    assert.equal(elements[2].message, 'conversion 50%, expected > 90%');
    // The unchecked query would fail (an unknown property is only a lint warning, but it is never even run).
    assert.ok(!cli.err.includes('Not a test'), cli.err);
  });

  it('--format junit: valid XML, a testsuite per file, a testcase per expectation, failure and error elements, escaped', async () => {
    const cli = io();
    assert.equal(await runCli(['test', 'checks', 'erroring.aq', '--format', 'junit'], cli), 1);
    const parsed = parseXml(cli.out);
    assert.equal(parsed.root?.name, 'testsuites');
    assert.deepEqual(parsed.root?.attributes, { name: 'aq test', tests: '5', failures: '1', errors: '1' });
    const suites = parsed.root!.children;
    assert.deepEqual(
      suites.map((suite) => [suite.attributes.name, suite.attributes.tests, suite.attributes.failures, suite.attributes.errors]),
      [
        [join('checks', 'nested', 'failing.aq'), '2', '1', '0'],
        [join('checks', 'passing.aq'), '2', '0', '0'],
        ['erroring.aq', '1', '0', '1'],
      ],
    );
    const failing = suites[0].children[0];
    assert.deepEqual(failing.attributes, {
      name: 'expect conversion > 90%',
      classname: 'Checkout <funnel> & "co"',
      file: join('checks', 'nested', 'failing.aq'),
      line: '4',
    });
    assert.deepEqual(
      failing.children.map((child) => [child.name, child.attributes.message, child.text]),
      [['failure', 'conversion 50%, expected > 90%', 'conversion 50%, expected > 90%']],
    );
    assert.deepEqual(suites[0].children[1].children, []);
    assert.equal(suites[2].children[0].children[0].name, 'error');
    // The reader is strict: what a careless writer produces does not pass it.
    const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';
    for (const bad of ['<a>&</a>', '<a b="<"/>', '<a><b></a></b>', '<a>\u0001</a>', '<a/><b/>']) assert.throws(() => parseXml(declaration + bad), bad);
    assert.match(suites[2].children[0].children[0].text, /missing\.ndjson/);
  });

  it('--output writes the report to the file and says the summary on standard error', async () => {
    const cli = io();
    assert.equal(await runCli(['test', 'checks/passing.aq', '--format', 'junit', '--output', 'report.xml'], cli), 0, cli.err);
    assert.equal(cli.out, '');
    assert.match(cli.err, /2 passed, 0 failed, 0 errors · report written to report\.xml/);
    const written = parseXml(readFileSync(join(dir, 'report.xml'), 'utf8'));
    assert.equal(written.root?.children[0].children.length, 2);
    const json = io();
    assert.equal(await runCli(['test', 'checks/passing.aq', '-f', 'json', '-o', 'report.json'], json), 0);
    assert.equal((JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as unknown[]).length, 2);
  });

  it('--output masks a secret of the environment as standard output does', async () => {
    const secret = 'hunter2-very-secret-value';
    writeFileSync(join(dir, 'leaky.aq'), `### Titled ${secret}\nsegmentation "Sign Up"\n${WEEK}  expect total == 4\n`);
    const cli = { ...io(), env: { AQ_CACHE_DIR: join(dir, '.aq-cache'), AQ_SHOP_SECRET: secret } };
    assert.equal(await runCli(['test', 'leaky.aq', '--format', 'junit', '--output', 'leaky.xml'], cli), 0, cli.err);
    const written = readFileSync(join(dir, 'leaky.xml'), 'utf8');
    assert.ok(!written.includes(secret), written);
    assert.match(written, /classname="Titled \*\*\*\*"/);
  });

  it('exits 2 on a usage or file error', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['test', 'nope.aq'], /nope\.aq: no such file or folder/],
      [['test', '--format', 'xml'], /--format must be one of text, json, junit/],
      [['test', '--bogus'], /unknown option --bogus/],
      [['test', 'checks', '--source', 'nosuch'], /no source named "nosuch"/],
      [['test', 'checks/passing.aq', '--output', join('no', 'such', 'dir', 'r.xml')], /cannot write/],
    ];
    for (const [args, message] of cases) {
      const cli = io();
      assert.equal(await runCli(args, cli), 2, args.join(' '));
      assert.match(cli.err, message, args.join(' '));
    }
  });

  it('--source runs every query on the named source', async () => {
    const cli = io();
    // erroring.aq's own `use local "missing.ndjson"` is replaced by the configured source.
    assert.equal(await runCli(['test', 'erroring.aq', '--source', 'shop'], cli), 0, cli.out + cli.err);
  });

  it('is listed in aq --help', async () => {
    const cli = io();
    assert.equal(await runCli(['--help'], cli), 0);
    assert.match(cli.out, /test \[FILE\|FOLDER\.\.\.\] \[--source NAME\] \[--format text\|json\|junit\] \[--output FILE\]/);
  });
});

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes text or an attribute value, throwing on a bare `&` or `<`, an unknown entity or a character XML 1.0 cannot hold. */
function decodeXml(raw: string): string {
  if (/[<]/.test(raw)) throw new Error(`unescaped < in ${JSON.stringify(raw)}`);
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(raw)) throw new Error(`a character XML cannot hold in ${JSON.stringify(raw)}`);
  return raw.replace(/&([^;]*);|&/g, (match, name: string | undefined) => {
    if (name === undefined || !Object.hasOwn(ENTITIES, name)) throw new Error(`bad entity ${match} in ${JSON.stringify(raw)}`);
    return ENTITIES[name];
  });
}

/** A strict reader of the XML subset a JUnit report uses (prolog, elements, attributes, text); throws on anything not well-formed. */
function parseXml(text: string): { root: XmlElement | undefined } {
  const prolog = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(text);
  if (!prolog) throw new Error('no XML declaration');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"]*")*)\s*(\/?)>/y;
  let position = prolog[0].length;
  while (position < text.length) {
    const next = text.indexOf('<', position);
    const chunk = text.slice(position, next === -1 ? text.length : next);
    if (chunk.trim() !== '') {
      if (stack.length === 0) throw new Error(`text outside the root: ${chunk}`);
      stack[stack.length - 1].text += decodeXml(chunk).trim();
    }
    if (next === -1) break;
    tag.lastIndex = next;
    const match = tag.exec(text);
    if (!match) throw new Error(`malformed tag at ${next}: ${text.slice(next, next + 40)}`);
    const [whole, closing, name, attributeText, selfClosing] = match;
    position = next + whole.length;
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of attributeText.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
      if (Object.hasOwn(attributes, key)) throw new Error(`attribute ${key} twice`);
      attributes[key] = decodeXml(value);
    }
    const element: XmlElement = { name, attributes, children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1].children.push(element);
    else if (root) throw new Error('a second root element');
    else root = element;
    if (!selfClosing) stack.push(element);
  }
  if (stack.length > 0) throw new Error(`<${stack[stack.length - 1].name}> is never closed`);
  return { root };
}
