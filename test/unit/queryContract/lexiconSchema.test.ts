import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemaFromLexicon, validateLexiconFile } from '../../../server/src/queryContract/lexiconSchema';
import { readShopLexicon } from '../languageService/languageServiceHelpers';

describe('schemaFromLexicon', () => {
  const body = readShopLexicon();
  const schema = schemaFromLexicon(body, { kind: 'file', label: 'shop-lexicon.json', fetchedAt: '2026-11-01T00:00:00Z' });

  it('reads every event of a realistic list response', () => {
    assert.deepEqual(Object.keys(schema.events).sort(), [
      'Added To Cart',
      'Created Account',
      'Debug Ping',
      'Landed on Homepage',
      'Legacy Checkout',
      'Purchase',
      'Sign Up',
      'Viewed Product',
    ]);
    assert.deepEqual(schema.origin, { kind: 'file', label: 'shop-lexicon.json', fetchedAt: '2026-11-01T00:00:00Z' });
  });

  it('keeps event metadata: description, display name, tags, hidden, dropped', () => {
    const cart = schema.events['Added To Cart'];
    assert.equal(cart.description, 'Tracked when a user adds an item to their cart.');
    assert.equal(cart.displayName, 'Item Added');
    assert.deepEqual(cart.tags, ['Shopping']);
    assert.equal(cart.hidden, undefined);
    assert.equal(schema.events['Legacy Checkout'].hidden, true);
    assert.equal(schema.events['Debug Ping'].dropped, true);
  });

  it('maps property types: integer/number → number, date-time → datetime, array → list', () => {
    const purchase = schema.events.Purchase.properties;
    assert.equal(purchase.price.type, 'number');
    assert.equal(schema.events['Added To Cart'].properties.quantity.type, 'number');
    assert.equal(purchase.purchased_at.type, 'datetime');
    assert.equal(purchase.coupon_codes.type, 'list');
    assert.equal(purchase.is_first_purchase.type, 'boolean');
    assert.equal(schema.events['Added To Cart'].properties.raw_payload.type, 'object');
    assert.deepEqual(schema.events['Sign Up'].properties.plan, {
      name: 'plan',
      type: 'string',
      description: 'Subscription plan chosen.',
      displayName: 'Plan',
      examples: ['free', 'premium', 'team'],
    });
    assert.equal(schema.events['Added To Cart'].properties.raw_payload.dropped, true);
    assert.equal(schema.events['Created Account'].properties.internal_ab_bucket.hidden, true);
  });

  it('reads the $user profile schema as user properties', () => {
    assert.deepEqual(Object.keys(schema.userProperties).sort(), ['$email', 'company_size', 'is_paying', 'plan', 'signup_date']);
    assert.equal(schema.userProperties.signup_date.type, 'datetime');
  });

  it('accepts a bare array, an upload body and a single entry', () => {
    const entry = { entityType: 'event', name: 'A', schemaJson: { properties: { x: { type: ['null', 'integer'] } } } };
    assert.equal(schemaFromLexicon([entry]).events.A.properties.x.type, 'number');
    assert.ok(schemaFromLexicon({ entries: [entry], truncate: false }).events.A);
    assert.ok(schemaFromLexicon({ status: 'ok', results: entry }).events.A);
  });

  it('never throws on bad input and keeps what it can read', () => {
    for (const bad of [null, 42, 'x', {}, { results: 'no' }, [null, 1, 'x'], { results: [{ entityType: 'event' }] }]) {
      assert.deepEqual(schemaFromLexicon(bad), { events: {}, userProperties: {} });
    }
    const partial = schemaFromLexicon([
      { entityType: 'event', name: 'Good', schemaJson: { properties: { p: { type: 'string' }, q: 'broken', r: { type: 'weird' } } } },
      { entityType: 'event', name: 'NoSchema' },
      { entityType: 'profile', name: 'company' },
      'garbage',
    ]);
    assert.deepEqual(Object.keys(partial.events), ['Good', 'NoSchema']);
    assert.equal(partial.events.Good.properties.q.type, 'unknown');
    assert.equal(partial.events.Good.properties.r.type, 'unknown');
    assert.deepEqual(partial.userProperties, {});
  });

  it('stores names such as __proto__ and constructor as plain entries', () => {
    const odd = schemaFromLexicon([{ entityType: 'event', name: '__proto__', schemaJson: { properties: { constructor: { type: 'number' } } } }]);
    assert.equal(Object.getPrototypeOf(odd.events), Object.prototype);
    assert.deepEqual(Object.keys(odd.events), ['__proto__']);
    assert.equal(Object.getOwnPropertyDescriptor(odd.events, '__proto__')?.value.properties.constructor.type, 'number');
  });

  it('survives a JSON round trip (plain data)', () => {
    assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema);
  });
});

describe('validateLexiconFile', () => {
  it('finds nothing wrong in the fixture', () => {
    assert.deepEqual(validateLexiconFile(readShopLexicon()), []);
  });

  it('reports each unreadable part with its path', () => {
    const problems = validateLexiconFile({
      results: [
        { entityType: 'event', name: 'A', schemaJson: { properties: { p: { type: 'strng' }, q: 3 } } },
        { entityType: 'group', name: 'B' },
        { entityType: 'event' },
        { entityType: 'event', name: 'A' },
        7,
      ],
    });
    assert.deepEqual(
      problems.map((p) => p.path),
      ['results[0].schemaJson.properties.p.type', 'results[0].schemaJson.properties.q', 'results[1].entityType', 'results[2].name', 'results[3]', 'results[4]'],
    );
    assert.match(problems[0].message, /unknown type "strng"/);
  });

  it('rejects something that is not a schema file at all', () => {
    assert.equal(validateLexiconFile({ hello: 1 }).length, 1);
    assert.deepEqual(validateLexiconFile({ status: 'ok', results: [] }), []);
  });
});
