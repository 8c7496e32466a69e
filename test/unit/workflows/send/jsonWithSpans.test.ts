/**
 * The position-keeping JSON parser behind event-file lint and per-line send failures: it must
 * agree with JSON.parse on what is valid and what the value is, and its spans must cover the text
 * of each value and key.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseJsonWithSpans, toPlainValue, type JsonNode } from '../../../../server/src/workflows/send/jsonWithSpans';

function everyNode(node: JsonNode, visit: (node: JsonNode) => void): void {
  visit(node);
  if (node.type === 'object') for (const property of node.properties) everyNode(property.value, visit);
  if (node.type === 'array') for (const item of node.items) everyNode(item, visit);
}

describe('parseJsonWithSpans', () => {
  it('gives the same value as JSON.parse, with spans that re-parse to each value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        const text = JSON.stringify(value, null, pretty ? 2 : undefined);
        const parsed = parseJsonWithSpans(text);
        assert.ok(parsed.ok);
        assert.deepEqual(toPlainValue(parsed.node), JSON.parse(text));
        everyNode(parsed.node, (node) => assert.deepEqual(JSON.parse(text.slice(node.span.start, node.span.end)), toPlainValue(node)));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a "__proto__" key as data, as JSON.parse does', () => {
    const text = '{"__proto__": {"polluted": true}, "event": "x"}';
    const parsed = parseJsonWithSpans(text);
    assert.ok(parsed.ok);
    const value = toPlainValue(parsed.node) as Record<string, unknown>;
    assert.deepEqual(value, JSON.parse(text));
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ['__proto__', 'event']);
  });

  it('rejects what JSON.parse rejects', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        assert.equal(parseJsonWithSpans(text).ok, valid, JSON.stringify(text));
      }),
      { numRuns: 500 },
    );
  });

  it('points at the character where the JSON goes wrong', () => {
    const text = '{"a": 1,\n "b": tru}';
    const parsed = parseJsonWithSpans(text);
    assert.ok(!parsed.ok);
    assert.equal(parsed.error.span.start, text.indexOf('tru'));
    const unclosed = parseJsonWithSpans('[1, 2');
    assert.ok(!unclosed.ok);
    assert.match(unclosed.error.message, /array is not closed/);
  });

  it('keeps key spans and parses a slice of a larger text with offsets into it', () => {
    const text = 'xx{"name": "v"}yy';
    const parsed = parseJsonWithSpans(text, 2, 15);
    assert.ok(parsed.ok && parsed.node.type === 'object');
    assert.equal(text.slice(parsed.node.properties[0].keySpan.start, parsed.node.properties[0].keySpan.end), '"name"');
  });
});
