/**
 * The retention mode clauses `unbounded_retention` and `calendar_windows`, the compounded checks,
 * and the expression help for `boolean()` and `not`, through the language service: spec, lint,
 * completion and hover.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAqLanguageService } from '../../../server/src/languageService/analyticsLanguageService';
import { buildQuerySpec } from '../../../server/src/queryContract/buildQuerySpec';
import { parseAqDocument } from '../../../server/src/languageService/parser/queryParser';
import { acceptCompletion, applyEdits, caret, shopSchema } from './languageServiceHelpers';

const service = getAqLanguageService();
const schema = shopSchema();
const NOW = new Date('2026-10-10T12:00:00Z');

function retentionSpec(text: string) {
  const result = buildQuerySpec(parseAqDocument(text).queries[0], { now: NOW, timezone: 'UTC' });
  if (!result.ok) assert.fail(JSON.stringify(result.errors));
  assert.ok(result.spec.kind === 'retention');
  return result.spec;
}

const lint = (text: string) => service.validate(service.parse(text), text, () => schema);

describe('retention mode clauses', () => {
  it('default windows are rolling and bounded; the clauses switch them', () => {
    const plain = retentionSpec('retention "Sign Up" -> "Purchase"\n  last 30 days\n');
    assert.deepEqual([plain.windows, plain.unbounded], ['rolling', false]);
    const both = retentionSpec('retention "Sign Up" -> "Purchase"\n  calendar_windows\n  unbounded_retention\n  last 30 days\n');
    assert.deepEqual([both.windows, both.unbounded], ['calendar', true]);
  });

  it('lint: both are retention-only flags, calendar_windows is for local sources only', () => {
    const misplaced = lint('segmentation "Sign Up"\n  unbounded_retention\n  last 30 days\n');
    assert.deepEqual(
      misplaced.map((d) => d.code),
      ['clause-not-allowed'],
    );
    assert.deepEqual(lint('use local "data"\nretention "Sign Up"\n  calendar_windows\n  unbounded_retention\n  last 30 days\n'), []);
    const text = 'use mixpanel "shop"\nretention "Sign Up"\n  calendar_windows\n  last 30 days\n';
    const [remote] = lint(text).filter((d) => d.code === 'wrong-source-kind');
    assert.ok(remote, 'calendar_windows on Mixpanel is reported');
    assert.equal(text.slice(remote.span.start, remote.span.end), 'calendar_windows');
    assert.match(remote.message, /local data only.*Mixpanel/);
    assert.equal(applyEdits(text, remote.fixes![0].edits), 'use mixpanel "shop"\nretention "Sign Up"\n  last 30 days\n');
    assert.deepEqual(lint('use mixpanel "shop"\nretention "Sign Up"\n  unbounded_retention\n  last 30 days\n'), []);
  });

  it('lint: born_where does nothing on compounded retention', () => {
    const text = 'retention "Sign Up" -> "Purchase"\n  retention_type compounded\n  born_where properties["plan"] == "free"\n  last 30 days\n';
    const found = lint(text).filter((d) => d.code === 'clause-not-allowed');
    assert.equal(found.length, 1);
    assert.equal(found[0].severity, 'warning');
    assert.match(found[0].message, /ignores the birth event/);
    assert.deepEqual(lint(text.replace('compounded', 'birth')), []);
  });

  it('lint: compounded retention warns about a birth event it will ignore', () => {
    const other = 'retention "Sign Up" -> "Purchase"\n  retention_type compounded\n  last 30 days\n';
    const [ignored] = lint(other).filter((d) => d.code === 'ignored-birth-event');
    assert.equal(other.slice(ignored.span.start, ignored.span.end), '"Sign Up"');
    assert.equal(ignored.severity, 'warning');
    assert.match(ignored.message, /ignores the birth event "Sign Up": cohorts are the users who did "Purchase"/);
    assert.deepEqual(lint(other.replace('"Sign Up"', '"Purchase"')), [], 'the same event twice says what is meant');
    assert.deepEqual(lint(other.replace('compounded', 'birth')), []);

    const alone = 'retention "Purchase"\n  retention_type compounded\n  last 30 days\n';
    const [anyEvent] = lint(alone).filter((d) => d.code === 'ignored-birth-event');
    assert.match(anyEvent.message, /cohorts and returns are any event/);
    assert.equal(applyEdits(alone, anyEvent.fixes![0].edits), 'retention "Purchase" -> "Purchase"\n  retention_type compounded\n  last 30 days\n');
  });

  it('completion offers both flags on a retention query, and hover explains them', () => {
    const { text, offset } = caret('retention "Sign Up"\n  last 30 days\n  unb|\n');
    const items = service.complete(service.parse(text), text, offset, () => schema);
    const flag = items.find((item) => item.label === 'unbounded_retention');
    assert.ok(flag, items.map((item) => item.label).join(', '));
    assert.equal(acceptCompletion(text, offset, flag), 'retention "Sign Up"\n  last 30 days\n  unbounded_retention\n');
    const all = caret('retention "Sign Up"\n  last 30 days\n  |\n');
    const names = service.complete(service.parse(all.text), all.text, all.offset, () => schema).map((item) => item.label);
    assert.ok(names.includes('calendar_windows') && names.includes('unbounded_retention'));

    const hover = (marked: string) => {
      const at = caret(marked);
      return service.hover(service.parse(at.text), at.text, at.offset, () => schema)?.markdown ?? '';
    };
    assert.match(hover('retention "Sign Up"\n  unbounded_re|tention\n  last 30 days\n'), /On or after[\s\S]*API parameter: `unbounded_retention`/);
    assert.match(hover('retention "Sign Up"\n  calendar_win|dows\n  last 30 days\n'), /calendar day, week or month[\s\S]*local sources only/);
  });
});

describe("expression help follows Mixpanel's rules", () => {
  it('hover on boolean() and completion of not say what they do to non-boolean values', () => {
    const at = caret('segmentation "Sign Up"\n  where boo|lean(properties["plan"])\n  last 30 days\n');
    assert.match(service.hover(service.parse(at.text), at.text, at.offset, () => schema)?.markdown ?? '', /"false", 0, null, undefined and "" are false/);
    const { text, offset } = caret('segmentation "Sign Up"\n  where n|\n  last 30 days\n');
    const not = service.complete(service.parse(text), text, offset, () => schema).find((item) => item.label === 'not');
    assert.match(String(not?.documentation), /true for a missing value; any other value gives undefined/);
  });
});
