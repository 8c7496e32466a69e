import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { driftCounts, formatDriftText, hasDrift, schemaDrift } from '../../../server/src/queryContract/schemaDrift';
import type { AnalyticsSchema, EventSchema, PropertyType } from '../../../server/src/queryContract/schemaTypes';

function event(name: string, properties: Record<string, PropertyType>): EventSchema {
  return { name, properties: Object.fromEntries(Object.entries(properties).map(([property, type]) => [property, { name: property, type }])) };
}

function schema(events: EventSchema[], kind: 'file' | 'lexicon' | 'listing' | 'derived' = 'derived'): AnalyticsSchema {
  return { events: Object.fromEntries(events.map((e) => [e.name, e])), userProperties: {}, origin: { kind, label: kind } };
}

const committed = schema(
  [
    event('Sign Up', { plan: 'string', referrer: 'string' }),
    event('Purchase', { amount: 'number', coupon: 'string', paid_at: 'datetime' }),
    event('Page View', { page: 'string' }),
  ],
  'file',
);

describe('schema drift', () => {
  it('reports an added event, a removed property and a changed type, in the JSON of aq schema diff', () => {
    const live = schema([
      event('Sign Up', { plan: 'string' }),
      event('Purchase', { amount: 'string', coupon: 'string', paid_at: 'datetime', items: 'list' }),
      event('Page View', { page: 'string' }),
      event('Refund', { amount: 'number' }),
    ]);
    assert.deepEqual(schemaDrift('shop', committed, live), {
      source: 'shop',
      addedEvents: ['Refund'],
      removedEvents: [],
      addedProperties: [{ event: 'Purchase', property: 'items' }],
      removedProperties: [{ event: 'Sign Up', property: 'referrer' }],
      changedTypes: [{ event: 'Purchase', property: 'amount', from: 'number', to: 'string' }],
    });
  });

  it('names types as a Lexicon file writes them: array for a list, date-time for a date', () => {
    const live = schema([
      event('Sign Up', { plan: 'list', referrer: 'string' }),
      event('Purchase', { amount: 'number', coupon: 'string', paid_at: 'string' }),
      event('Page View', { page: 'string' }),
    ]);
    assert.deepEqual(schemaDrift('shop', committed, live).changedTypes, [
      { event: 'Purchase', property: 'paid_at', from: 'date-time', to: 'string' },
      { event: 'Sign Up', property: 'plan', from: 'string', to: 'array' },
    ]);
  });

  it('finds no drift between a schema and itself, and none where one side does not know a type', () => {
    assert.equal(hasDrift(schemaDrift('shop', committed, committed)), false);
    const untyped = schema([
      event('Sign Up', { plan: 'unknown', referrer: 'string' }),
      event('Purchase', { amount: 'unknown', coupon: 'string', paid_at: 'datetime' }),
      event('Page View', { page: 'string' }),
    ]);
    assert.equal(hasDrift(schemaDrift('shop', committed, untyped)), false);
  });

  it('reports a removed event once, not each of its properties', () => {
    const live = schema([
      event('Sign Up', { plan: 'string', referrer: 'string' }),
      event('Purchase', { amount: 'number', coupon: 'string', paid_at: 'datetime' }),
    ]);
    const drift = schemaDrift('shop', committed, live);
    assert.deepEqual(drift.removedEvents, ['Page View']);
    assert.deepEqual(drift.removedProperties, []);
    assert.deepEqual(driftCounts(drift), { events: 1, properties: 0 });
  });

  it('compares properties only of the events a listing listed properties for', () => {
    const listing = schema([event('Sign Up', {}), event('Purchase', { amount: 'unknown', coupon: 'unknown' }), event('Page View', {})], 'listing');
    const drift = schemaDrift('prod', committed, listing);
    assert.deepEqual(drift.removedProperties, [{ event: 'Purchase', property: 'paid_at' }]);
    assert.deepEqual(drift.changedTypes, []);
  });

  it('is read as text grouped by event, + arrived, - gone, ~ changed', () => {
    const live = schema([
      event('Sign Up', { plan: 'string' }),
      event('Purchase', { amount: 'string', coupon: 'string', paid_at: 'datetime', items: 'list' }),
      event('Refund', { amount: 'number' }),
    ]);
    assert.equal(
      formatDriftText(schemaDrift('shop', committed, live)),
      ['- "Page View"', '~ "Purchase"', '    ~ "amount": number → string', '    + "items"', '+ "Refund"', '~ "Sign Up"', '    - "referrer"'].join('\n'),
    );
    assert.equal(formatDriftText(schemaDrift('shop', committed, committed)), '');
  });
});
