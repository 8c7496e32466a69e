import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAqLanguageService, narrowCompletions } from '../../../../server/src/languageService/analyticsLanguageService';
import type { AnalyticsSchema, CompletionCandidate, EventSchema } from '../../../../server/src/languageService/analyticsTypes';
import { acceptCompletion, caret, shopSchema } from '../languageServiceHelpers';

const service = getAqLanguageService();
const schema = shopSchema();

function complete(marked: string, lookup: () => AnalyticsSchema | undefined = () => schema): { text: string; offset: number; items: CompletionCandidate[] } {
  const { text, offset } = caret(marked);
  return { text, offset, items: service.complete(service.parse(text), text, offset, lookup) };
}

/** Accepts the candidate labelled `label` and returns the resulting text. */
function accept(marked: string, label: string): string {
  const { text, offset, items } = complete(marked);
  const item = items.find((c) => c.label === label);
  assert.ok(item, `no candidate ${label} among ${items.map((c) => c.label).join(', ')}`);
  return acceptCompletion(text, offset, item);
}

const labels = (items: CompletionCandidate[]) => items.map((c) => c.label);

describe('complete: column 0', () => {
  it('offers query kinds, use and ### on an empty line', () => {
    const { items } = complete('|');
    assert.deepEqual(labels(items), ['segmentation', 'funnel', 'insights', 'retention', 'jql', 'debugger', 'report', 'use', '###']);
    assert.ok(items.find((c) => c.label === 'funnel')?.documentation?.includes('funnel "A" -> "B"'));
  });

  it('replaces the partial word', () => {
    assert.equal(accept('segm|\n', 'segmentation'), 'segmentation\n');
    assert.equal(accept('fu|nel "A"\n', 'funnel'), 'funnel "A"\n');
  });

  it('offers source kinds after use', () => {
    const { items } = complete('use mix|');
    assert.deepEqual(labels(items), ['mixpanel', 'piwik', 'local']);
    assert.equal(accept('use mix|', 'mixpanel'), 'use mixpanel');
  });

  it('offers nothing in a comment or a title', () => {
    assert.deepEqual(complete('# segm|').items, []);
    assert.deepEqual(complete('### Sign|').items, []);
  });
});

describe('complete: event names in heads', () => {
  it('lists events with volume-or-display detail and hidden/dropped last and deprecated', () => {
    const { items } = complete('segmentation "|"');
    assert.equal(items.length, 8);
    const last = items.slice(-2);
    assert.deepEqual(new Set(labels(last)), new Set(['Legacy Checkout', 'Debug Ping']));
    assert.ok(last.every((c) => c.deprecated === true));
    assert.ok(items.slice(0, 6).every((c) => !c.deprecated));
    const signUp = items.find((c) => c.label === 'Sign Up')!;
    assert.equal(signUp.kind, 'event');
    assert.match(signUp.documentation!, /submitted the sign-up form/);
    const sorted = [...items].sort((a, b) => (a.sortText! < b.sortText! ? -1 : 1));
    assert.deepEqual(labels(sorted), labels(items));
  });

  it('replaces the whole string content, keeping the closing quote', () => {
    assert.equal(accept('segmentation "Sig|n Up"\n  last 30 days\n', 'Purchase'), 'segmentation "Purchase"\n  last 30 days\n');
  });

  it('adds the closing quote when it is missing', () => {
    assert.equal(accept('segmentation "Sig|\n  last 30 days\n', 'Sign Up'), 'segmentation "Sign Up"\n  last 30 days\n');
  });

  it('works in later funnel steps and retention', () => {
    assert.equal(accept('funnel "Sign Up" -> "Pur|"', 'Purchase'), 'funnel "Sign Up" -> "Purchase"');
    assert.equal(accept('retention "Sign Up" -> "|', 'Purchase'), 'retention "Sign Up" -> "Purchase"');
  });

  it('inserts the quoted name before the opening quote', () => {
    assert.equal(accept('segmentation |', 'Sign Up'), 'segmentation "Sign Up"');
    assert.equal(accept('funnel "Sign Up" -> |\n  last 7 days', 'Purchase'), 'funnel "Sign Up" -> "Purchase"\n  last 7 days');
    assert.deepEqual(complete('funnel id |').items, []);
  });

  it('escapes names that need it', () => {
    const odd: AnalyticsSchema = { events: { 'Say "hi"': { name: 'Say "hi"', properties: {} } }, userProperties: {} };
    const { text, offset, items } = complete('segmentation "|"', () => odd);
    assert.equal(acceptCompletion(text, offset, items[0]), 'segmentation "Say \\"hi\\""');
  });

  it('shows volume as detail and orders by volume when known', () => {
    const events: Record<string, EventSchema> = {
      Small: { name: 'Small', volume: 10, properties: {} },
      Big: { name: 'Big', volume: 12345, properties: {} },
    };
    const { items } = complete('segmentation "|"', () => ({ events, userProperties: {} }));
    assert.deepEqual(labels(items), ['Big', 'Small']);
    assert.equal(items[0].detail, '12,345 events');
  });

  it('uses the schema of the use line above, and offers nothing without one', () => {
    let asked: unknown = 'not asked';
    const { text, offset } = caret('use mixpanel "other"\nsegmentation "|"');
    service.complete(service.parse(text), text, offset, (ref) => {
      asked = ref;
      return undefined;
    });
    assert.deepEqual(asked, { kind: 'mixpanel', name: 'other' });
    assert.deepEqual(complete('segmentation "|"', () => undefined).items, []);
    assert.deepEqual(complete('jql "|"').items, []);
  });
});

describe('complete: clause keywords', () => {
  it('offers the clauses of the query kind that are not used yet', () => {
    const { items } = complete('segmentation "Sign Up"\n  unit day\n  |');
    const names = labels(items);
    assert.ok(names.includes('where') && names.includes('on') && names.includes('last') && names.includes('type'));
    assert.ok(!names.includes('unit'), 'unit is used');
    assert.ok(!names.includes('window') && !names.includes('born_where') && !names.includes('event_type'));
    assert.match(items.find((c) => c.label === 'where')!.documentation!, /Keep only events/);
  });

  it('drops every date form once one is used', () => {
    const names = labels(complete('funnel "A" -> "B"\n  last 7 days\n  |').items);
    assert.ok(!names.includes('from') && !names.includes('today') && !names.includes('yesterday'));
    assert.ok(names.includes('window') && names.includes('reentry'));
    assert.match(complete('funnel "A" -> "B"\n  |').items.find((c) => c.label === 'reentry')!.documentation!, /Optimized Re-entry/);
  });

  it('offers the clause being typed on its own line and replaces the word', () => {
    assert.equal(accept('retention "Sign Up"\n  interval_count 4\n  born|\n', 'born_where'), 'retention "Sign Up"\n  interval_count 4\n  born_where\n');
    assert.equal(accept('segmentation "Sign Up"\n  un|it day\n', 'unit'), 'segmentation "Sign Up"\n  unit day\n');
  });

  it('offers debugger clauses under a debugger head', () => {
    assert.deepEqual(labels(complete('use piwik "s"\ndebugger "x"\n  |').items), ['limit', 'event_type', 'lookup_window', 'logs']);
  });
});

describe('complete: values', () => {
  it('enum values after unit, type, chart, measure and retention_type', () => {
    assert.deepEqual(labels(complete('segmentation "A"\n  type |').items), ['general', 'unique', 'average']);
    assert.deepEqual(labels(complete('segmentation "A"\n  chart |').items), ['line', 'bar', 'pie', 'table']);
    assert.deepEqual(labels(complete('segmentation "A"\n  measure |').items), ['sum', 'average', 'numeric']);
    assert.deepEqual(labels(complete('retention "A"\n  retention_type |').items), ['birth', 'compounded']);
    assert.deepEqual(labels(complete('funnel "A" -> "B"\n  reentry |').items), ['default', 'optimized']);
    assert.deepEqual(labels(complete('segmentation "A"\n  unit |').items), ['minute', 'hour', 'day', 'week', 'month']);
    assert.deepEqual(labels(complete('retention "A"\n  unit |').items), ['day', 'week', 'month']);
    assert.equal(accept('segmentation "A"\n  unit we|ek\n', 'month'), 'segmentation "A"\n  unit month\n');
  });

  it('Piwik PRO event types, skipping the ones already listed', () => {
    const { items } = complete('use piwik "s"\ndebugger "x"\n  event_type goal, |');
    assert.ok(!labels(items).includes('goal'));
    assert.ok(labels(items).includes('broken'));
    assert.equal(items.find((c) => c.label === 'broken')!.detail, 'event type 17');
    assert.equal(accept('use piwik "s"\ndebugger "x"\n  event_type goal, bro|', 'broken'), 'use piwik "s"\ndebugger "x"\n  event_type goal, broken');
  });

  it('duration units after last and window', () => {
    assert.deepEqual(labels(complete('segmentation "A"\n  last 3 |').items), ['days', 'weeks', 'months']);
    assert.deepEqual(labels(complete('funnel "A" -> "B"\n  window 3 h|').items), ['minutes', 'hours', 'days']);
  });
});

describe('complete: properties in expressions', () => {
  it("offers the event's properties first (type as detail), then Mixpanel defaults", () => {
    const { items } = complete('segmentation "Sign Up"\n  on properties["|"]\n');
    const own = ['$browser', 'State', 'plan', 'signup_method', 'utm_source'];
    assert.deepEqual(labels(items).slice(0, own.length), own);
    assert.equal(items.find((c) => c.label === 'plan')!.detail, 'string');
    assert.ok(labels(items).includes('$os') && labels(items).includes('mp_country_code'));
    assert.ok(!labels(items).includes('price'), 'price is not a Sign Up property');
    assert.equal(labels(items).filter((l) => l === '$browser').length, 1);
  });

  it('replaces the partial name inside the quotes', () => {
    assert.equal(accept('segmentation "Sign Up"\n  on properties["pl|an"]\n', 'plan'), 'segmentation "Sign Up"\n  on properties["plan"]\n');
  });

  it('closes the string and bracket when they are missing', () => {
    assert.equal(accept('segmentation "Sign Up"\n  on properties["pl|\n', 'plan'), 'segmentation "Sign Up"\n  on properties["plan"]\n');
    assert.equal(accept('segmentation "Sign Up"\n  on properties[|\n', 'plan'), 'segmentation "Sign Up"\n  on properties["plan"]\n');
    assert.equal(accept('segmentation "Sign Up"\n  on properties[|]\n', 'plan'), 'segmentation "Sign Up"\n  on properties["plan"]\n');
  });

  it('works after an operator and on continuation lines', () => {
    assert.equal(
      accept('segmentation "Purchase"\n  where properties["plan"] == "free" and properties["pr|"]\n', 'price'),
      'segmentation "Purchase"\n  where properties["plan"] == "free" and properties["price"]\n',
    );
    assert.equal(
      accept('segmentation "Purchase"\n  where properties["plan"] == "free"\n      and properties["cur|', 'currency'),
      'segmentation "Purchase"\n  where properties["plan"] == "free"\n      and properties["currency"]',
    );
  });

  it('marks hidden and dropped properties deprecated and sorts them last among own properties', () => {
    const { items } = complete('segmentation "Added To Cart"\n  on properties["|"]');
    const raw = items.find((c) => c.label === 'raw_payload')!;
    assert.equal(raw.deprecated, true);
    assert.ok(items.filter((c) => !c.deprecated).every((c) => c.sortText! < raw.sortText!));
  });

  it('offers profile properties inside user["', () => {
    const { items } = complete('segmentation "Sign Up"\n  where user["|"]');
    assert.ok(items.every((c) => c.kind === 'userProperty'));
    assert.deepEqual(labels(items).slice(0, 5), ['$email', 'company_size', 'is_paying', 'plan', 'signup_date']);
    assert.ok(labels(items).includes('$last_seen'));
  });
});

describe('complete: known values after a property', () => {
  it('offers example values quoted after == and !=', () => {
    const { items } = complete('segmentation "Sign Up"\n  where properties["plan"] == |');
    assert.deepEqual(labels(items), ['"free"', '"premium"', '"team"']);
    assert.equal(accept('segmentation "Sign Up"\n  where properties["plan"] != |', '"team"'), 'segmentation "Sign Up"\n  where properties["plan"] != "team"');
  });

  it('replaces a started string including its quotes', () => {
    assert.equal(
      accept('segmentation "Sign Up"\n  where properties["plan"] == "pr|"\n', '"premium"'),
      'segmentation "Sign Up"\n  where properties["plan"] == "premium"\n',
    );
    assert.equal(
      accept('segmentation "Sign Up"\n  where properties["plan"] == "pr|', '"premium"'),
      'segmentation "Sign Up"\n  where properties["plan"] == "premium"',
    );
  });

  it('inside in [ … ] lists, numbers unquoted', () => {
    assert.equal(
      accept('segmentation "Sign Up"\n  where properties["plan"] in ["free", |]', '"team"'),
      'segmentation "Sign Up"\n  where properties["plan"] in ["free", "team"]',
    );
    assert.equal(accept('segmentation "Purchase"\n  where properties["price"] == |', '19.99'), 'segmentation "Purchase"\n  where properties["price"] == 19.99');
  });

  it('true and false for boolean properties', () => {
    assert.deepEqual(labels(complete('segmentation "Purchase"\n  where properties["is_first_purchase"] == |').items), ['true', 'false']);
  });
});

describe('complete: live values of an event property', () => {
  function target(marked: string) {
    const { text, offset } = caret(marked);
    return service.propertyValueTarget(service.parse(text), text, offset, () => schema);
  }

  function withLive(marked: string, propertyValues: string[]): string[] {
    const { text, offset } = caret(marked);
    return labels(service.complete(service.parse(text), text, offset, () => schema, { propertyValues }));
  }

  it('names the property and the query event that has it, at a value after == or in a list', () => {
    assert.deepEqual(target('use mixpanel "prod"\n\nsegmentation "Sign Up"\n  where properties["plan"] == "|'), {
      source: { kind: 'mixpanel', name: 'prod' },
      event: 'Sign Up',
      property: 'plan',
    });
    // In a funnel the first step lacks `currency`; Purchase has it.
    assert.equal(target('funnel "Sign Up" -> "Purchase"\n  where properties["currency"] in ["USD", |]')?.event, 'Purchase');
    // A property no event of the query has in the schema: the first event is asked.
    assert.equal(target('funnel "Sign Up" -> "Purchase"\n  where properties["new_prop"] == |')?.event, 'Sign Up');
  });

  it('names nothing for profile properties, property names or a query without events', () => {
    assert.equal(target('segmentation "Sign Up"\n  where user["plan"] == |'), undefined);
    assert.equal(target('segmentation "Sign Up"\n  where properties["pl|'), undefined);
    assert.equal(target('segmentation "Sign Up"\n  where |'), undefined);
  });

  it('offers the live values first, then the examples not among them; numbers stay bare', () => {
    assert.deepEqual(withLive('segmentation "Sign Up"\n  where properties["plan"] == |', ['team', 'enterprise']), [
      '"team"',
      '"enterprise"',
      '"free"',
      '"premium"',
    ]);
    assert.deepEqual(withLive('segmentation "Purchase"\n  where properties["price"] == |', ['5.5', '12', 'n/a']), ['5.5', '12', '"n/a"', '19.99', '49']);
    // A property the schema does not know yet still gets the values the source has.
    assert.deepEqual(withLive('segmentation "Sign Up"\n  where properties["new_prop"] == |', ['x']), ['"x"']);
  });
});

describe('complete: expression starts', () => {
  it('offers functions and property accessors where an expression may start', () => {
    const { items } = complete('segmentation "Sign Up"\n  where |');
    const names = labels(items);
    assert.ok(['properties', 'user', 'defined', 'number', 'has_prefix', 'floor'].every((n) => names.includes(n)));
    assert.equal(accept('segmentation "Sign Up"\n  where def|', 'defined'), 'segmentation "Sign Up"\n  where defined(');
    assert.equal(
      accept('segmentation "Sign Up"\n  where properties["plan"] == "free" and |', 'properties'),
      'segmentation "Sign Up"\n  where properties["plan"] == "free" and properties["',
    );
  });

  it('offers nothing right after an operand', () => {
    assert.deepEqual(complete('segmentation "Sign Up"\n  where properties["plan"] |').items, []);
  });
});

describe('completeNarrowed', () => {
  /** Many events, some needing escapes, some hidden, sharing prefixes in different cases. */
  function manyEvents(): AnalyticsSchema {
    const events: Record<string, EventSchema> = {};
    for (let i = 0; i < 260; i++) {
      const name = [`Event ${i}`, `event_${i}`, `Sign "Up" ${i}`, `Ünïcode ${i}`, `Checkout\\Step ${i}`][i % 5];
      events[name] = { name, properties: {}, ...(i % 17 === 0 ? { hidden: true } : {}) };
    }
    return { events, userProperties: {} };
  }

  it('answers at every offset exactly what narrowing the whole list gives', () => {
    const text = [
      'use mixpanel "shop"',
      '### One',
      'segmentation "Ev',
      'segmentation ',
      'funnel "Sign \\"Up\\" 1" -> "e',
      'retention "Ü" -> "Checkout\\\\St"',
      'segmentation "event_2" -> ',
      '  where properties["plan"] == "fr',
      '',
    ].join('\n');
    const document = service.parse(text);
    for (const lookup of [() => manyEvents(), () => schema]) {
      const big = lookup();
      for (let offset = 0; offset <= text.length; offset++) {
        for (const limit of [100, 3, 1]) {
          const whole = service.complete(document, text, offset, () => big);
          const narrowed = service.completeNarrowed(document, text, offset, () => big, {}, limit);
          assert.deepStrictEqual(
            narrowed,
            narrowCompletions(whole, text, offset, limit),
            `at ${offset} (${JSON.stringify(text.slice(offset - 5, offset))}), limit ${limit}`,
          );
        }
      }
    }
  });
});
