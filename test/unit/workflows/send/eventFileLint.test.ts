/**
 * Lint of event files: each check points at the right text, and each "did you mean" or conversion
 * fix, applied to the text, gives a file without that problem.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalyticsSchema, QueryDiagnostic, QuickFix } from '../../../../server/src/languageService/analyticsTypes';
import { lintEventFile } from '../../../../server/src/workflows/send/eventFileLint';

const NOW = Date.parse('2026-10-05T12:00:00Z');
const T = Date.parse('2026-10-01T00:00:00Z') / 1000;
const SCHEMA: AnalyticsSchema = {
  events: {
    'Sign Up': { name: 'Sign Up', properties: { plan: { name: 'plan', type: 'string' }, referrer: { name: 'referrer', type: 'string' } } },
    Purchase: { name: 'Purchase', properties: { amount: { name: 'amount', type: 'number' } } },
  },
  userProperties: {},
};

function lint(name: string, text: string): QueryDiagnostic[] {
  return lintEventFile(name, text, { schema: SCHEMA, now: NOW });
}

function only(diagnostics: QueryDiagnostic[], code: string): QueryDiagnostic {
  const found = diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `expected one ${code}, got ${JSON.stringify(diagnostics.map((d) => d.code))}`);
  return found[0];
}

function covered(text: string, diagnostic: QueryDiagnostic): string {
  return text.slice(diagnostic.span.start, diagnostic.span.end);
}

function apply(text: string, fix: QuickFix): string {
  const edits = [...fix.edits].sort((a, b) => b.span.start - a.span.start);
  let result = text;
  for (const edit of edits) result = result.slice(0, edit.span.start) + edit.newText + result.slice(edit.span.end);
  return result;
}

const good = (name: string, extra = ''): string => `{"event": "${name}", "properties": {"time": ${T}, "distinct_id": "u1", "$insert_id": "id-1"${extra}}}`;

describe('Mixpanel event files', () => {
  it('accepts a clean file', () => {
    assert.deepEqual(lint('a.events.ndjson', `${good('Sign Up', ', "plan": "pro"')}\n${good('Purchase', ', "amount": 3')}\n`), []);
  });

  it('reports a JSON syntax error at its position on its line', () => {
    const text = `${good('Sign Up')}\n{"event": "Purchase" "properties": {}}\n`;
    const diagnostic = only(lint('a.events.ndjson', text), 'json-syntax');
    assert.equal(diagnostic.severity, 'error');
    assert.equal(diagnostic.span.start, text.indexOf('"properties": {}}'));
    assert.match(diagnostic.message, /Expected "," or "}"/);
  });

  it('reports missing and mistyped required fields where they are', () => {
    const text = '{"properties": {"time": "yesterday", "$insert_id": "x"}}\n{"event": "Purchase"}\n';
    const diagnostics = lint('a.events.ndjson', text);
    const missingEvent = diagnostics.find((d) => d.code === 'missing-field' && /no "event"/.test(d.message));
    assert.equal(missingEvent?.span.start, 0);
    assert.equal(covered(text, only(diagnostics, 'wrong-type')), '"yesterday"');
    assert.ok(diagnostics.some((d) => d.code === 'missing-field' && /distinct_id is missing/.test(d.message)));
    assert.ok(
      diagnostics.some((d) => d.code === 'missing-field' && /no "properties"/.test(d.message) && d.span.start === text.indexOf('{"event": "Purchase"')),
    );
  });

  it('flags milliseconds as information with a fix, and times in the future or before 1971', () => {
    const ms = T * 1000;
    const future = NOW / 1000 + 3 * 3600;
    const text = [
      good('Sign Up').replace(String(T), String(ms)),
      good('Sign Up').replace(String(T), String(future)),
      good('Sign Up').replace(String(T), '12'),
    ].join('\n');
    const diagnostics = lint('a.events.ndjson', text);
    const millis = only(diagnostics, 'time-in-milliseconds');
    assert.equal(millis.severity, 'information');
    assert.equal(covered(text, millis), String(ms));
    assert.match(millis.message, /accepts milliseconds/);
    assert.ok(!lint('a.events.ndjson', apply(text, millis.fixes![0])).some((d) => d.code === 'time-in-milliseconds'));
    const ahead = only(diagnostics, 'time-in-future');
    assert.equal(covered(text, ahead), String(future));
    assert.equal(covered(text, only(diagnostics, 'time-too-old')), '12');
  });

  it('checks $insert_id and distinct_id, and the fix adds the stable id aq send would use', () => {
    const text = [
      `{"event": "Sign Up", "properties": {"time": ${T}, "distinct_id": "u1", "$insert_id": "has spaces!"}}`,
      `{"event": "Sign Up", "properties": {"time": ${T}, "distinct_id": "undefined", "$insert_id": "id-2"}}`,
      `{"event": "Sign Up", "properties": {"time": ${T}, "distinct_id": "u3"}}`,
    ].join('\n');
    const diagnostics = lint('a.events.ndjson', text);
    assert.equal(covered(text, only(diagnostics, 'invalid-insert-id')), '"has spaces!"');
    assert.equal(covered(text, only(diagnostics, 'invalid-distinct-id')), '"undefined"');
    const missing = only(diagnostics, 'missing-insert-id');
    assert.equal(missing.severity, 'information');
    const fixed = apply(text, missing.fixes![0]);
    assert.match(fixed.split('\n')[2], /^\{"event": "Sign Up", "properties": \{"\$insert_id": "[0-9a-f]{36}", "time":/);
    assert.ok(!lint('a.events.ndjson', fixed).some((d) => d.code === 'missing-insert-id'));
  });

  it('suggests the event and property names of the schema, and the fixes apply', () => {
    const text = `[\n  ${good('Sign Upp', ', "plna": "pro"')},\n  ${good('Purchase', ', "amout": 2')}\n]`;
    const diagnostics = lint('a.events.json', text);
    const event = only(diagnostics, 'unknown-event');
    assert.equal(covered(text, event), '"Sign Upp"');
    assert.match(event.message, /did you mean "Sign Up"\?/);
    const afterEventFix = apply(text, event.fixes![0]);
    const property = lint('a.events.json', afterEventFix).filter((d) => d.code === 'unknown-property');
    assert.deepEqual(
      property.map((d) => covered(afterEventFix, d)),
      ['"plna"', '"amout"'],
    );
    const allFixed = apply(apply(afterEventFix, property[1].fixes![0]), property[0].fixes![0]);
    assert.deepEqual(lint('a.events.json', allFixed), []);
    assert.match(allFixed, /"plan": "pro"/);
    assert.match(allFixed, /"amount": 2/);
  });

  it('says a file of more than 2,000 events is split', () => {
    const lines = Array.from({ length: 2001 }, (_, i) => good('Purchase').replace('id-1', `id-${i}`));
    const text = lines.join('\n');
    const diagnostic = only(lint('big.events.ndjson', text), 'too-many-events');
    assert.equal(diagnostic.severity, 'information');
    assert.equal(diagnostic.span.start, text.lastIndexOf('{"event"'));
    assert.match(diagnostic.message, /splits them into 2 requests/);
  });

  it('ignores files that are not event files', () => {
    assert.deepEqual(lintEventFile('package.json', '{'), []);
  });
});

describe('mParticle batch files', () => {
  const batch = (events: string, extra = ''): string => `{"environment": "production", "user_identities": {"customer_id": "1"}${extra}, "events": [${events}]}`;
  const custom = (name: string, type = 'navigation', ts = T * 1000): string =>
    `{"event_type": "custom_event", "data": {"event_name": "${name}", "custom_event_type": "${type}", "timestamp_unixtime_ms": ${ts}}}`;

  it('accepts a single clean batch and an array of them, with sessions that start and end', () => {
    const one = batch(
      `{"event_type": "session_start", "data": {"session_uuid": "s1"}}, ${custom('Sign Up')}, {"event_type": "session_end", "data": {"session_uuid": "s1"}}`,
    );
    assert.deepEqual(lint('u.mparticle.json', one), []);
    assert.deepEqual(lint('u.mparticle.json', `[${one}, ${one}]`), []);
  });

  it('reports wrong environment, identity, field and event_type names with fixes', () => {
    const text = `{"environment": "producton", "user_identities": {"customerid": "1"}, "devce_info": {}, "events": [{"event_type": "custom_evnt", "data": {}}]}`;
    const diagnostics = lint('u.mparticle.json', text);
    const checks: Array<[string, string, string]> = [
      ['"producton"', 'invalid-value', '"production"'],
      ['"customerid"', 'unknown-field', '"customer_id"'],
      ['"devce_info"', 'unknown-field', '"device_info"'],
      ['"custom_evnt"', 'invalid-value', '"custom_event"'],
    ];
    for (const [textCovered, code, replacement] of checks) {
      const diagnostic = diagnostics.find((d) => covered(text, d) === textCovered);
      assert.ok(diagnostic, `nothing reported on ${textCovered}`);
      assert.equal(diagnostic.code, code);
      assert.equal(diagnostic.severity, 'error');
      assert.equal(diagnostic.fixes?.[0].edits[0].newText, replacement);
    }
    let fixed = text;
    for (const [textCovered] of checks.reverse()) {
      const diagnostic = lint('u.mparticle.json', fixed).find((d) => covered(fixed, d) === textCovered)!;
      fixed = apply(fixed, diagnostic.fixes![0]);
    }
    assert.equal(
      fixed,
      `{"environment": "production", "user_identities": {"customer_id": "1"}, "device_info": {}, "events": [{"event_type": "custom_event", "data": {}}]}`,
    );
    // What is left is the custom event's empty data, which no rename can fix.
    assert.deepEqual(
      lint('u.mparticle.json', fixed).map((d) => d.code),
      ['missing-field', 'missing-field'],
    );
  });

  it('requires event_name and custom_event_type on a custom_event and checks names against the schema', () => {
    const text = batch(`{"event_type": "custom_event", "data": {"event_name": "Sign Upp"}}`);
    const diagnostics = lint('u.mparticle.json', text);
    assert.ok(diagnostics.some((d) => d.code === 'missing-field' && /custom_event_type/.test(d.message)));
    const unknown = only(diagnostics, 'unknown-event');
    assert.equal(covered(text, unknown), '"Sign Upp"');
    assert.equal(unknown.fixes?.[0].edits[0].newText, '"Sign Up"');
  });

  it('flags a session end without its start, and seconds where milliseconds are expected', () => {
    const text = batch(`${custom('Sign Up', 'navigation', T)}, {"event_type": "session_end", "data": {"session_uuid": "s9"}}`);
    const diagnostics = lint('u.mparticle.json', text);
    const end = only(diagnostics, 'session-end-without-start');
    assert.equal(covered(text, end), '"session_end"');
    assert.match(end.message, /session s9/);
    const seconds = only(diagnostics, 'time-in-seconds');
    assert.equal(covered(text, seconds), String(T));
    assert.equal(seconds.fixes?.[0].edits[0].newText, String(T * 1000));
  });

  it('says more than 100 batches are split over several requests', () => {
    const text = `[${Array.from({ length: 101 }, () => batch(custom('Purchase'))).join(',\n')}]`;
    const diagnostic = only(lint('many.mparticle.json', text), 'too-many-batches');
    assert.equal(diagnostic.span.start, text.lastIndexOf('{"environment"'));
    assert.match(diagnostic.message, /2 requests/);
  });
});
