import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemaFromLexicon, validateLexiconFile } from '../../../server/src/queryContract/lexiconSchema';
import { lexiconFileText, schemaToLexicon } from '../../../server/src/queryContract/lexiconWriter';
import type { AnalyticsSchema } from '../../../server/src/queryContract/schemaTypes';
import { deriveSchema } from '../../../server/src/queryEngine/backends/local/deriveSchema';
import type { LocalEvent } from '../../../server/src/queryEngine/backends/local/localEvent';
import { readShopLexicon } from '../languageService/languageServiceHelpers';

/** What a schema read back from a file holds: everything but where it came from and the volumes Lexicon has no place for. */
function comparable(schema: AnalyticsSchema): unknown {
  const events = Object.fromEntries(Object.entries(schema.events).map(([name, event]) => [name, { ...event, volume: undefined }]));
  return { events, userProperties: schema.userProperties };
}

function readBack(text: string): AnalyticsSchema {
  return schemaFromLexicon(JSON.parse(text), { kind: 'file', label: 'written.json' });
}

describe('the Lexicon writer', () => {
  it('round-trips a realistic Lexicon list response through the schemaFile reader, with no problems reported', () => {
    const original = schemaFromLexicon(readShopLexicon());
    const text = lexiconFileText(original);
    assert.deepEqual(validateLexiconFile(JSON.parse(text)), []);
    assert.deepEqual(comparable(readBack(text)), comparable(original));
  });

  it('round-trips every type, with the JSON Schema type (and date-time format) Lexicon uses', () => {
    const schema: AnalyticsSchema = {
      events: {
        Purchase: {
          name: 'Purchase',
          description: 'An order was paid.',
          displayName: 'Order Paid',
          tags: ['Revenue'],
          properties: {
            amount: { name: 'amount', type: 'number', examples: [30, 20] },
            coupon: { name: 'coupon', type: 'string', description: 'Code used at checkout.', examples: ['SPRING'] },
            first_order: { name: 'first_order', type: 'boolean' },
            items: { name: 'items', type: 'list' },
            address: { name: 'address', type: 'object', hidden: true },
            paid_at: { name: 'paid_at', type: 'datetime' },
            legacy: { name: 'legacy', type: 'unknown', dropped: true },
          },
        },
        'Debug Ping': { name: 'Debug Ping', hidden: true, dropped: true, properties: {} },
      },
      userProperties: { plan: { name: 'plan', type: 'string', displayName: 'Plan' } },
    };
    const written = schemaToLexicon(schema);
    const properties = written.results.find((entry) => entry.name === 'Purchase')!.schemaJson.properties;
    assert.deepEqual(Object.fromEntries(Object.entries(properties).map(([name, node]) => [name, [node.type, node.format]])), {
      address: ['object', undefined],
      amount: ['number', undefined],
      coupon: ['string', undefined],
      first_order: ['boolean', undefined],
      items: ['array', undefined],
      legacy: [undefined, undefined],
      paid_at: ['string', 'date-time'],
    });
    assert.deepEqual(comparable(readBack(lexiconFileText(schema))), comparable(schema));
  });

  it('sorts entries (events by name, then the $user profile) and properties by name, whatever order they came in', () => {
    const one: AnalyticsSchema = {
      events: {
        b: { name: 'b', properties: { z: { name: 'z', type: 'string' }, a: { name: 'a', type: 'number' } } },
        a: { name: 'a', properties: {} },
        B: { name: 'B', properties: {} },
      },
      userProperties: { y: { name: 'y', type: 'string' }, x: { name: 'x', type: 'string' } },
    };
    const other: AnalyticsSchema = {
      events: { B: one.events.B, a: one.events.a, b: { name: 'b', properties: { a: one.events.b.properties.a, z: one.events.b.properties.z } } },
      userProperties: { x: one.userProperties.x, y: one.userProperties.y },
    };
    const written = schemaToLexicon(one);
    assert.deepEqual(
      written.results.map((entry) => `${entry.entityType}:${entry.name}`),
      ['event:B', 'event:a', 'event:b', 'profile:$user'],
    );
    assert.deepEqual(Object.keys(written.results[2].schemaJson.properties), ['a', 'z']);
    assert.deepEqual(Object.keys(written.results[3].schemaJson.properties), ['x', 'y']);
    assert.equal(lexiconFileText(one), lexiconFileText(other));
    assert.ok(lexiconFileText(one).endsWith('}\n'));
  });

  it('writes each entry with the keys of the list response in a fixed order, and a description even when there is none', () => {
    const text = lexiconFileText({
      events: { Open: { name: 'Open', properties: { a: { name: 'a', type: 'string', description: 'A.' } } } },
      userProperties: {},
    });
    assert.equal(
      text,
      `{
  "results": [
    {
      "entityType": "event",
      "name": "Open",
      "schemaJson": {
        "description": "",
        "properties": {
          "a": {
            "type": "string",
            "description": "A."
          }
        }
      }
    }
  ]
}
`,
    );
  });

  it('writes a schema derived from local data so that reading it back gives the same events, properties and types', () => {
    const event = (name: string, time: number, properties: Record<string, unknown>): LocalEvent => ({
      name,
      distinctId: 'u1',
      time,
      insertId: undefined,
      properties: { time, distinct_id: 'u1', ...properties },
    });
    const derived = deriveSchema(
      {
        events: [
          event('Sign Up', 1, { plan: 'free', referred: true, signup_at: '2026-10-01T10:00:00Z' }),
          event('Purchase', 2, { amount: 30, items: ['a'], address: { city: 'Oslo' }, note: null }),
        ],
        profiles: [{ distinctId: 'u1', properties: { $email: 'u1@example.com' } }],
        skipped: [],
        duplicates: 0,
        files: [],
      },
      'derived from test data',
      '2026-11-01T00:00:00Z',
    );
    assert.deepEqual(comparable(readBack(lexiconFileText(derived))), comparable(derived));
  });

  it('keeps a property named __proto__ as a property', () => {
    const schema: AnalyticsSchema = { events: { E: { name: 'E', properties: { ['__proto__']: { name: '__proto__', type: 'string' } } } }, userProperties: {} };
    Object.defineProperty(schema.events.E.properties, '__proto__', { value: { name: '__proto__', type: 'string' }, enumerable: true });
    const back = readBack(lexiconFileText(schema));
    assert.deepEqual(Object.keys(back.events.E.properties), ['__proto__']);
  });
});
