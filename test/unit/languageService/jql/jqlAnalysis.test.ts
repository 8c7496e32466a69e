import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAqLanguageService } from '../../../../server/src/languageService/analyticsLanguageService';
import type { QueryDiagnostic } from '../../../../server/src/languageService/analyticsTypes';
import { acceptCompletion, applyEdits, caret, markedSpans, shopSchema } from '../languageServiceHelpers';

const service = getAqLanguageService();
const schema = shopSchema();

function expectAt(marked: string, code: string): { text: string; found: QueryDiagnostic[] } {
  const { text, spans } = markedSpans(marked);
  const all = service.validateJql(text, schema);
  const found = all.filter((d) => d.code === code);
  assert.deepEqual(
    found.map((d) => text.slice(d.span.start, d.span.end)),
    spans.map((s) => text.slice(s.start, s.end)),
    JSON.stringify(all.map((d) => d.message)),
  );
  return { text, found };
}

const TOP_BROWSERS = `// Top browsers among sign-ups, by plan
function main() {
  return Events({
    from_date: params.from_date,
    to_date: params.to_date,
    event_selectors: [{ event: "Sign Up", selector: 'properties["plan"] == "free"' }, { event: "Purchase" }],
  })
    .filter(function (e) { return e.properties.plan !== "team" && e.properties["$browser"]; })
    .groupBy(["properties.$browser", mixpanel.slice("properties.State", 0, 2)], [mixpanel.reducer.count(), mixpanel.reducer.sum("properties.price")])
    .map(function (row) { return { browser: row.key[0], count: row.value[0] }; });
}
`;

describe('validateJql', () => {
  it('a realistic script lints clean', () => {
    assert.deepEqual(service.validateJql(TOP_BROWSERS, schema), []);
  });

  it('reports a syntax error at its position and skips the rest', () => {
    const text = 'function main() {\n  return Events({ event_selectors: [{ event: "Nope" }] }\n}\n';
    const diagnostics = service.validateJql(text, schema);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].code, 'jql-syntax-error');
    assert.equal(diagnostics[0].span.start, text.lastIndexOf('}'));
    assert.match(diagnostics[0].message, /^JavaScript syntax error: Unexpected token/);
  });

  it('user["…"] in event_selectors is an error; join() selectors may read it', () => {
    const text = `function main() { return Events({ event_selectors: [{ event: "Purchase", selector: 'properties["price"] > 1 and user["plan"] == "team"' }] }); }`;
    const found = service.validateJql(text, schema).filter((d) => d.code === 'jql-user-in-event-selector');
    assert.deepEqual(
      found.map((d) => [d.severity, text.slice(d.span.start, d.span.end)]),
      [['error', 'user["plan"]']],
    );
    assert.match(found[0].message, /event_selectors can only read event properties, not user\["plan"\]/);
    expectAt(`function main() { return join(Events({}), People(), { selectors: [{ selector: 'user["plan"] == "team"' }] }); }`, 'jql-user-in-event-selector');
  });

  it('Events() dates written in the script must be calendar days', () => {
    const { found } = expectAt(
      'function main() { return Events({ from_date: [["2026-08-32"]], to_date: "2026-09-01" }).reduce(mixpanel.reducer.count()); }',
      'invalid-date',
    );
    assert.equal(found[0].message, 'from_date "2026-08-32" is not a calendar day of the form YYYY-MM-DD.');
    expectAt('function main() { return Events({ from_date: "2024-02-29", to_date: [["2026-9-1"]] }); }', 'invalid-date');
    expectAt('function main() { return Events({ from_date: params.from_date, to_date: "2026-09-01" }); }', 'invalid-date');
  });

  it('requires a main function (declaration or assigned function)', () => {
    expectAt('[[var x = Events({});]]\n', 'jql-missing-main');
    expectAt('const main = () => Events({});\n', 'jql-missing-main');
    expectAt('var main = function () { return People(); };\n', 'jql-missing-main');
  });

  it('unknown event names in event_selectors and join selectors, with fixes', () => {
    const { text, found } = expectAt(
      'function main() { return join(Events({ event_selectors: [{ event: [["Sign Upp"]] }] }), People(), { selectors: [{ event: [["Purchse"]] }] }); }',
      'unknown-event',
    );
    assert.match(found[0].message, /Did you mean "Sign Up"/);
    assert.ok(applyEdits(text, found[0].fixes![0].edits).includes('{ event: "Sign Up" }'));
    assert.ok(applyEdits(text, found[1].fixes![0].edits).includes('{ event: "Purchase" }'));
  });

  it('hidden and dropped events are warnings', () => {
    expectAt('function main() { return Events({ event_selectors: [{ event: [["Legacy Checkout"]] }] }); }', 'hidden-event');
    expectAt('function main() { return Events({ event_selectors: [{ event: [["Debug Ping"]] }] }); }', 'dropped-event');
  });

  it('property paths in strings, scoped to the selected events, with fixes', () => {
    const { text, found } = expectAt(
      'function main() { return Events({ event_selectors: [{ event: "Sign Up" }] }).groupBy(["properties.[[plna]]", "properties.$os", "properties.utm_campaign"], mixpanel.reducer.sum("properties.[[price]]")); }',
      'unknown-property',
    );
    assert.ok(applyEdits(text, found[0].fixes![0].edits).includes('"properties.plan"'));
    assert.match(found[1].message, /on "Sign Up"/);
  });

  it('member access e.properties.x and e.properties["x"], with fixes in the written form', () => {
    const { text, found } = expectAt(
      'function main() { return Events({ event_selectors: [{ event: "Purchase" }] }).filter(e => e.properties.[[prcie]] > 1 && e.properties[[["curency"]]]); }',
      'unknown-property',
    );
    assert.ok(applyEdits(text, found[0].fixes![0].edits).includes('e.properties.price > 1'));
    assert.ok(applyEdits(text, found[1].fixes![0].edits).includes('e.properties["currency"]'));
  });

  it("without event selectors every event's properties count", () => {
    expectAt(
      'function main() { return Events({}).groupBy(["properties.category", "properties.[[nothing_like_it]]"], mixpanel.reducer.count()); }',
      'unknown-property',
    );
  });

  it('user properties: user.properties.x, "user.properties.x" and People() scripts', () => {
    expectAt(
      'function main() { return join(Events({}), People()).filter(t => t.user.properties.company_size > 5 && t.user.properties.[[compnay]]).groupBy(["user.properties.[[plna]]"], mixpanel.reducer.count()); }',
      'unknown-user-property',
    );
    expectAt('function main() { return People().filter(u => u.properties.is_paying && u.properties.[[is_payin]]); }', 'unknown-user-property');
  });

  it('hidden and dropped properties are warnings', () => {
    expectAt(
      'function main() { return Events({ event_selectors: [{ event: "Added To Cart" }] }).groupBy(["properties.[[raw_payload]]"], mixpanel.reducer.count()); }',
      'dropped-property',
    );
    expectAt(
      'function main() { return Events({ event_selectors: [{ event: "Created Account" }] }).filter(e => e.properties.[[internal_ab_bucket]]); }',
      'hidden-property',
    );
  });

  it('property names and syntax inside selector expressions', () => {
    const { text, found } = expectAt(
      `function main() { return Events({ event_selectors: [{ event: "Sign Up", selector: 'properties[[["plna"]]] == "free"' }] }); }`,
      'unknown-property',
    );
    assert.ok(applyEdits(text, found[0].fixes![0].edits).includes(`selector: 'properties["plan"] == "free"'`));
    expectAt(`function main() { return People({ user_selectors: [{ selector: 'user[[["is_payin"]]]' }] }); }`, 'unknown-user-property');
    const broken = service.validateJql(
      `function main() { return Events({ event_selectors: [{ event: "Sign Up", selector: 'properties["plan"] = "free"' }] }); }`,
      schema,
    );
    assert.equal(broken.length, 1);
    assert.match(broken[0].message, /^In the selector: Use '==' to compare/);
  });

  it('unknown reducers and mixpanel helpers, with did-you-mean', () => {
    const { text, found } = expectAt(
      'function main() { return Events({}).reduce([mixpanel.reducer.[[cuont]](), mixpanel.reducer.numeric_percentiles("time", 50), mixpanel.reducer.applyGroupLimits([1])]); }',
      'unknown-reducer',
    );
    assert.ok(applyEdits(text, found[0].fixes![0].edits).includes('mixpanel.reducer.count()'));
    expectAt(
      'function main() { return Events({}).groupBy([mixpanel.[[multi_keys]]("x"), mixpanel.numeric_bucket("time", mixpanel.daily_time_buckets)], mixpanel.reducer.count()); }',
      'unknown-mixpanel-helper',
    );
  });

  it('without a schema only syntax, main and builtins are checked', () => {
    const text = 'function main() { return Events({ event_selectors: [{ event: "Nope" }] }).reduce(mixpanel.reducer.cont()); }';
    assert.deepEqual(
      service.validateJql(text, undefined).map((d) => d.code),
      ['unknown-reducer'],
    );
  });
});

describe('completeJql', () => {
  function accept(marked: string, label: string): string {
    const { text, offset } = caret(marked);
    const items = service.completeJql(text, offset, schema);
    const item = items.find((c) => c.label === label);
    assert.ok(item, `no ${label} among ${items.map((c) => c.label).join(', ')}`);
    return acceptCompletion(text, offset, item);
  }

  it('event names inside event: "…"', () => {
    const { text, offset } = caret('Events({ event_selectors: [{ event: "Si|" }] })');
    const items = service.completeJql(text, offset, schema);
    assert.equal(items.length, 8);
    assert.equal(accept('Events({ event_selectors: [{ event: "Si|" }] })', 'Sign Up'), 'Events({ event_selectors: [{ event: "Sign Up" }] })');
    assert.equal(accept("Events({ event_selectors: [{ event: '|", 'Sign Up'), "Events({ event_selectors: [{ event: 'Sign Up'");
  });

  it('property paths inside "properties.…" strings, scoped to the selected events', () => {
    const marked = 'Events({ event_selectors: [{ event: "Purchase" }] }).groupBy(["properties.pr|"], mixpanel.reducer.count())';
    const { text, offset } = caret(marked);
    const items = service.completeJql(text, offset, schema);
    assert.ok(items.some((c) => c.label === 'price') && !items.some((c) => c.label === 'signup_method'));
    assert.equal(accept(marked, 'price'), 'Events({ event_selectors: [{ event: "Purchase" }] }).groupBy(["properties.price"], mixpanel.reducer.count())');
    assert.equal(accept('x.groupBy(["user.properties.|', 'company_size'), 'x.groupBy(["user.properties.company_size"');
  });

  it('property names inside selector expressions', () => {
    assert.equal(
      accept(`Events({ event_selectors: [{ event: "Purchase", selector: 'properties["cur|"] == "USD"' }] })`, 'currency'),
      `Events({ event_selectors: [{ event: "Purchase", selector: 'properties["currency"] == "USD"' }] })`,
    );
    assert.equal(
      accept(`People({ user_selectors: [{ selector: 'user["|' }] })`, 'is_paying'),
      `People({ user_selectors: [{ selector: 'user["is_paying"]' }] })`,
    );
  });

  it('member access after e.properties.', () => {
    assert.equal(
      accept('Events({ event_selectors: [{ event: "Sign Up" }] }).filter(e => e.properties.pl|)', 'plan'),
      'Events({ event_selectors: [{ event: "Sign Up" }] }).filter(e => e.properties.plan)',
    );
    assert.equal(accept('Events({}).filter(e => e.properties.|)', 'State'), 'Events({}).filter(e => e.properties.State)');
  });

  it('reducers after mixpanel.reducer. and helpers after mixpanel.', () => {
    const { text, offset } = caret('x.reduce(mixpanel.reducer.|)');
    assert.ok(service.completeJql(text, offset, undefined).some((c) => c.label === 'numeric_percentiles'));
    assert.equal(accept('x.reduce(mixpanel.reducer.su|())', 'sum'), 'x.reduce(mixpanel.reducer.sum())');
    assert.equal(accept('x.groupBy([mixpanel.mul|', 'multiple_keys'), 'x.groupBy([mixpanel.multiple_keys');
  });
});

describe('hoverJql', () => {
  function hover(marked: string) {
    const { text, offset } = caret(marked);
    return service.hoverJql(text, offset, schema);
  }

  it('on event names, property paths, member access and reducers', () => {
    assert.match(hover(TOP_BROWSERS.replace('event: "Sign Up"', 'event: "Sign| Up"'))!.markdown, /\*\*Sign Up\*\* \(event\)/);
    assert.match(hover(TOP_BROWSERS.replace('"properties.$browser"', '"properties.$brow|ser"'))!.markdown, /\*\*\$browser\*\*[\s\S]*Type: string/);
    assert.match(hover(TOP_BROWSERS.replace('e.properties.plan', 'e.properties.pl|an'))!.markdown, /Subscription plan chosen/);
    assert.match(hover(TOP_BROWSERS.replace('reducer.count', 'reducer.cou|nt'))!.markdown, /number of items/);
    assert.equal(hover('function main() {|'), undefined);
  });
});
