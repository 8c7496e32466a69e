import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { DIST_DIR, ensureBuilt, REPO_ROOT, shopLexicon, writeWorkspace } from '../../lsp/lspHarness';

function aq(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(DIST_DIR, 'cli.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, AQ_CACHE_DIR: join(cwd, '.aq-cache') },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const CLEAN = `use mixpanel "shop"

### Sign-ups by plan
segmentation "Sign Up"
  on properties["plan"]
  last 30 days
`;

// Line 4 (1-based), column 14: the event's string literal starts after `segmentation `.
const TYPO = `use mixpanel "shop"

### Typo
segmentation "Sign Upp"
  last 7 days
`;

const JQL_TYPO = `function main() {
  return Events({ from_date: params.from_date, to_date: params.to_date, event_selectors: [{ event: "Purchse" }] })
    .groupBy(["properties.plan"], mixpanel.reducer.count());
}
`;

const OTHER_LEXICON = {
  status: 'ok',
  results: [{ entityType: 'event', name: 'Refund', schemaJson: { description: 'Money back', properties: { amount: { type: 'number' } } } }],
};

describe('aq lint (built CLI)', () => {
  let dir: string;
  before(() => {
    ensureBuilt();
    dir = writeWorkspace({
      'schema.json': JSON.stringify(shopLexicon()),
      'other-schema.json': JSON.stringify(OTHER_LEXICON),
      'broken-schema.json': '{ "results": [',
      'clean.aq': CLEAN,
      'typo.aq': TYPO,
      'refund.aq': 'use mixpanel "shop"\n### Refunds\nsegmentation "Refund"\n  on properties["amount"]\n  last 7 days\n',
      'script.jql': JQL_TYPO,
      'missing-script.aq': 'use mixpanel "shop"\n### Script\njql "scripts/nope.jql"\n  last 7 days\n',
      'project/aq.json': JSON.stringify({ sources: { shop: { kind: 'mixpanel', projectId: 1, region: 'US', schemaFile: 'lexicon.json' } }, default: 'shop' }),
      'project/lexicon.json': JSON.stringify(shopLexicon()),
      'project/queries/typo.aq': TYPO,
      'project/queries/clean.aq': CLEAN,
      'lonely/typo.aq': TYPO,
      'remote/aq.json': JSON.stringify({ sources: { shop: { kind: 'mixpanel', projectId: 1, region: 'US' } }, default: 'shop' }),
      'remote/typo.aq': TYPO + '\n### Again\nsegmentation "Sign Upp"\n  last 7 days\n',
      'project/events/day.events.ndjson': `${JSON.stringify({ event: 'Sign Up', properties: { time: 1793350800, distinct_id: 'u1', plan: 'team' } })}\n${JSON.stringify({ event: 'Sign Upp', properties: { time: 1793350800000, distinct_id: 'u2' } })}\n`,
      'project/events/app.mparticle.json': JSON.stringify([
        { user_identities: { customer_id: 'u1' }, events: [{ event_type: 'custom_event', data: { event_name: 'Sign Up', custom_event_type: 'other' } }] },
      ]),
    });
  });

  it('checks event files to send against the project schema, in a folder walk too', () => {
    const result = aq(['lint', 'project/events'], dir);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /project\/events\/day\.events\.ndjson:2:\d+: \w+ [\w-]+: .*"Sign Upp".*did you mean "Sign Up"/);
    assert.match(result.stdout, /project\/events\/day\.events\.ndjson:2:\d+: \w+ [\w-]+: .*millisecond/i);
    assert.match(result.stdout, /project\/events\/app\.mparticle\.json:1:\d+: error [\w-]+: .*environment/);
    assert.match(result.stdout, /^2 files checked: [1-9]\d* errors?/m);
  });

  it('exits 0 and prints a summary when a file has no problems', () => {
    const result = aq(['lint', '--schema', 'schema.json', 'clean.aq'], dir);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '1 file checked: 0 errors, 0 warnings\n');
  });

  it('exits 1 and prints compiler-style lines with 1-based positions for errors', () => {
    const result = aq(['lint', '--schema', 'schema.json', 'typo.aq'], dir);
    assert.equal(result.status, 1, result.stderr);
    const [first] = result.stdout.split('\n');
    assert.match(first, /^typo\.aq:4:14: error unknown-event: .*Sign Upp/);
    assert.match(first, /Sign Up"?/);
    assert.match(result.stdout, /1 file checked: 1 error, 0 warnings\n$/);
  });

  it('prints one JSON array with LSP 0-based ranges in --format json', () => {
    const result = aq(['lint', '--format', 'json', '--schema', 'schema.json', 'typo.aq', 'clean.aq'], dir);
    assert.equal(result.status, 1, result.stderr);
    const problems = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    assert.equal(problems.length, 1);
    assert.deepEqual(Object.keys(problems[0]).sort(), ['code', 'file', 'message', 'range', 'severity']);
    assert.equal(problems[0].file, 'typo.aq');
    assert.equal(problems[0].severity, 'error');
    assert.equal(problems[0].code, 'unknown-event');
    assert.deepEqual(problems[0].range, { start: { line: 3, character: 13 }, end: { line: 3, character: 23 } });
  });

  it('merges several --schema files so events from each are known', () => {
    assert.equal(aq(['lint', '--schema', 'schema.json', 'refund.aq'], dir).status, 1);
    const merged = aq(['lint', '--schema', 'schema.json', '--schema=other-schema.json', 'refund.aq', 'clean.aq'], dir);
    assert.equal(merged.status, 0, merged.stdout + merged.stderr);
  });

  it('lints .jql files against the schema', () => {
    const result = aq(['lint', '--schema', 'schema.json', 'script.jql'], dir);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /^script\.jql:2:\d+: error unknown-event: .*Purchse/m);
  });

  it('reports a jql script that does not exist next to the .aq file', () => {
    const result = aq(['lint', '--schema', 'schema.json', 'missing-script.aq'], dir);
    assert.match(result.stdout, /missing-script\.aq:3:5: \w+ missing-script: /);
  });

  it('without --schema, uses the aq.json found above the file', () => {
    const result = aq(['lint', 'queries/typo.aq', 'queries/clean.aq'], join(dir, 'project'));
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /^queries\/typo\.aq:4:14: error unknown-event: /m);
    assert.doesNotMatch(result.stdout, /clean\.aq/);
  });

  it('without --schema or aq.json, reports the source as not configured instead of guessing names', () => {
    const result = aq(['lint', 'typo.aq'], join(dir, 'lonely'));
    assert.match(result.stdout, /^typo\.aq:1:\d+: \w+ unknown-source: /m);
    assert.doesNotMatch(result.stdout, /unknown-event/);
  });

  it('says when a configured source has no schema, so names are not checked', () => {
    const result = aq(['lint', 'typo.aq'], join(dir, 'remote'));
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stderr, /no schema for source "shop"/);
    assert.equal(result.stderr.match(/no schema for source/g)?.length, 1);
  });

  it('lints every .aq, .jql and event file in a folder', () => {
    const result = aq(['lint', '--format', 'json', 'project'], dir);
    const files = new Set((JSON.parse(result.stdout) as Array<{ file: string }>).map((p) => p.file));
    assert.deepEqual(
      [...files],
      [join('project', 'events', 'app.mparticle.json'), join('project', 'events', 'day.events.ndjson'), join('project', 'queries', 'typo.aq')],
    );
    assert.equal(result.status, 1);
  });

  it('exits 2 on a missing file but still lints the others', () => {
    const result = aq(['lint', '--schema', 'schema.json', 'nope.aq', 'typo.aq'], dir);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /nope\.aq: no such file/);
    assert.match(result.stdout, /typo\.aq:4:14/);
  });

  it('exits 2 when a schema file is missing or not JSON', () => {
    const broken = aq(['lint', '--schema', 'broken-schema.json', 'clean.aq'], dir);
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /broken-schema\.json: not valid JSON/);
    const missing = aq(['lint', '--schema', 'absent.json', 'clean.aq'], dir);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /absent\.json: no such file/);
  });

  it('exits 2 on usage errors', () => {
    for (const args of [['lint'], ['lint', '--format', 'xml', 'clean.aq'], ['lint', '--schema'], ['lint', '--bogus', 'clean.aq']]) {
      const result = aq(args, dir);
      assert.equal(result.status, 2, args.join(' '));
      assert.match(result.stderr, /usage: aq lint/);
    }
  });
});

describe('aq lint on the shipped examples', () => {
  before(() => ensureBuilt());

  it('finds no problems in examples/ with its own aq.json and schema', () => {
    const result = aq(['lint', 'examples'], REPO_ROOT);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^\d+ files checked: 0 errors, 0 warnings$/m);
  });
});

describe('aq (built CLI)', () => {
  before(() => ensureBuilt());

  it('prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = aq(['--version'], REPO_ROOT);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, `${version}\n`);
  });

  it('prints help listing the commands', () => {
    const result = aq(['--help'], REPO_ROOT);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /lint \[--schema FILE\]/);
    assert.match(result.stdout, /run FILE/);
  });

  it('refuses bad usage and unknown commands with exit 2', () => {
    const watch = aq(['watch', 'examples/shop.aq'], REPO_ROOT);
    assert.equal(watch.status, 2);
    assert.match(watch.stderr, /no debugger query to watch/);
    const unknown = aq(['frobnicate'], REPO_ROOT);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });
});
