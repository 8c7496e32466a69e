// get_schema's pages: a 10,000-event schema read a bounded page at a time, best first, every event
// exactly once; search by name, description and typo; one event's properties with their top values.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalyticsSchema, EventSchema } from '../../../server/src/queryContract/schemaTypes';
import { eventPage, eventPropertyPage, MAX_PAGE_SIZE, similarEventNames, userPropertyPage } from '../../../server/src/mcp/schemaCatalog';

function bigSchema(count: number): AnalyticsSchema {
  const events: Record<string, EventSchema> = {};
  for (let i = 0; i < count; i++) {
    const name = `Event ${String(i).padStart(5, '0')}`;
    // Volumes fall with i, except every 1,000th event, which is retired (hidden) though busy.
    events[name] = { name, volume: count - i, hidden: i % 1000 === 0 ? true : undefined, properties: {} };
  }
  events['Checkout Completed'] = {
    name: 'Checkout Completed',
    description: 'The payment went through and the order was placed.',
    volume: 5,
    properties: {
      amount: { name: 'amount', type: 'number', description: 'Order total in EUR' },
      coupon: { name: 'coupon', type: 'string', examples: ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L'] },
      legacy_id: { name: 'legacy_id', type: 'string', hidden: true },
    },
  };
  return { events, userProperties: { plan: { name: 'plan', type: 'string', description: 'Billing plan' } } };
}

describe('get_schema pages', () => {
  const schema = bigSchema(10_000);

  it('a first page of 50 by default, busiest visible events first, saying where the next page starts', () => {
    const page = eventPage(schema, {});
    assert.equal(page.matched, 10_001);
    assert.equal(page.items.length, 50);
    assert.equal(page.nextOffset, 50);
    // Event 00000 is the busiest but hidden: it comes after every visible event.
    assert.equal(page.items[0].name, 'Event 00001');
    assert.equal(page.items[0].volume, 9_999);
    assert.ok(!page.items.some((event) => event.hidden));
  });

  it('walking the pages yields every event once, and a page never exceeds the maximum', () => {
    const seen = new Set<string>();
    let offset: number | undefined = 0;
    let pages = 0;
    while (offset !== undefined) {
      const page = eventPage(schema, { offset, limit: 10_000 });
      assert.ok(page.items.length <= MAX_PAGE_SIZE);
      for (const event of page.items) {
        assert.ok(!seen.has(event.name), `${event.name} twice`);
        seen.add(event.name);
      }
      offset = page.nextOffset;
      pages++;
    }
    assert.equal(seen.size, 10_001);
    assert.equal(pages, Math.ceil(10_001 / MAX_PAGE_SIZE));
    const last = eventPage(schema, { offset: 10_000, limit: 5 });
    assert.equal(last.items.length, 1);
    assert.equal(last.nextOffset, undefined);
    assert.deepEqual(eventPage(schema, { offset: 20_000 }).items, []);
  });

  it('search finds names ignoring case and spacing, words anywhere, descriptions, and typos', () => {
    assert.deepEqual(
      eventPage(schema, { search: 'checkout completed' }).items.map((event) => event.name),
      ['Checkout Completed'],
    );
    assert.equal(eventPage(schema, { search: 'CHECKOUT' }).items[0].name, 'Checkout Completed');
    assert.equal(eventPage(schema, { search: 'order placed' }).items[0].name, 'Checkout Completed');
    assert.equal(eventPage(schema, { search: 'payment' }).items[0].description, 'The payment went through and the order was placed.');
    assert.equal(eventPage(schema, { search: 'Chekout Completd' }).items[0].name, 'Checkout Completed');
    const prefixed = eventPage(schema, { search: 'event 0999', limit: 5 });
    // Ten names start with it; "Event 00999" holds both of its words, so it comes after them.
    assert.equal(prefixed.matched, 11);
    assert.equal(eventPage(schema, { search: 'event 0999', offset: 10 }).items[0].name, 'Event 00999');
    assert.deepEqual(
      prefixed.items.map((event) => event.name),
      ['Event 09990', 'Event 09991', 'Event 09992', 'Event 09993', 'Event 09994'],
    );
    assert.equal(prefixed.nextOffset, 5);
    assert.equal(eventPage(schema, { search: 'zzzzqqq' }).matched, 0);
  });

  it("one event's properties: type, description, at most ten top values, hidden ones last", () => {
    const detail = eventPropertyPage(schema, 'Checkout Completed', {});
    assert.ok(detail);
    assert.equal(detail.event.description, 'The payment went through and the order was placed.');
    assert.deepEqual(
      detail.properties.items.map((property) => property.name),
      ['amount', 'coupon', 'legacy_id'],
    );
    assert.deepEqual(detail.properties.items[0], { name: 'amount', type: 'number', description: 'Order total in EUR' });
    assert.deepEqual(detail.properties.items[1].topValues, ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J']);
    assert.equal(detail.properties.items[2].hidden, true);
    assert.deepEqual(
      eventPropertyPage(schema, 'Checkout Completed', { search: 'total' })?.properties.items.map((property) => property.name),
      ['amount'],
    );
  });

  it('an unknown event is undefined, with the close names to suggest', () => {
    assert.equal(eventPropertyPage(schema, 'Checkout Complete', {}), undefined);
    assert.deepEqual(similarEventNames(schema, 'Checkout Complete'), ['Checkout Completed']);
    assert.equal(eventPropertyPage(schema, 'constructor', {}), undefined);
  });

  it('profile properties page the same way', () => {
    assert.deepEqual(userPropertyPage(schema, {}).items, [{ name: 'plan', type: 'string', description: 'Billing plan' }]);
  });
});
