import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAqLanguageService } from '../../../../server/src/languageService/analyticsLanguageService';
import type { AnalyticsSchema, HoverInfo } from '../../../../server/src/languageService/analyticsTypes';
import { caret, shopSchema } from '../languageServiceHelpers';

const service = getAqLanguageService();
const schema = shopSchema();

function hover(marked: string, lookup: () => AnalyticsSchema | undefined = () => schema): { text: string; info: HoverInfo | undefined } {
  const { text, offset } = caret(marked);
  return { text, info: service.hover(service.parse(text), text, offset, lookup) };
}

describe('hover', () => {
  it('on an event: description, display name, tags, property count', () => {
    const { text, info } = hover('segmentation "Sign| Up"\n  last 30 days\n');
    assert.ok(info);
    assert.equal(text.slice(info.span.start, info.span.end), '"Sign Up"');
    assert.match(info.markdown, /\*\*Sign Up\*\* \(event\)/);
    assert.match(info.markdown, /submitted the sign-up form/);
    assert.match(info.markdown, /5 properties/);
    assert.match(info.markdown, /tags: Acquisition, Core/);
  });

  it('on a hidden or dropped event says so, and on an unknown event says it is not in the schema', () => {
    assert.match(hover('funnel "Sign Up" -> "Legacy| Checkout"\n').info!.markdown, /Hidden/);
    assert.match(hover('segmentation "Debug |Ping"\n').info!.markdown, /Dropped/);
    assert.match(hover('segmentation "Nope|"\n').info!.markdown, /not in the schema \(shop-lexicon\.json\)/);
  });

  it('on an event with a volume shows it', () => {
    const withVolume: AnalyticsSchema = { events: { A: { name: 'A', volume: 1234567, properties: {} } }, userProperties: {} };
    assert.match(hover('segmentation "|A"', () => withVolume).info!.markdown, /1,234,567 events/);
  });

  it('on a property: type, description, examples', () => {
    const { text, info } = hover('segmentation "Sign Up"\n  where properties["pl|an"] == "free"\n');
    assert.ok(info);
    assert.equal(text.slice(info.span.start, info.span.end), 'properties["plan"]');
    assert.match(info.markdown, /\*\*plan\*\* \(event property on "Sign Up"\)/);
    assert.match(info.markdown, /Type: string/);
    assert.match(info.markdown, /Examples: `"free"`, `"premium"`, `"team"`/);
  });

  it('on a Mixpanel default property, a hidden property and a user property', () => {
    assert.match(hover('segmentation "Sign Up"\n  on properties["$o|s"]\n').info!.markdown, /Mixpanel default property/);
    assert.match(hover('segmentation "Created Account"\n  on properties["internal|_ab_bucket"]\n').info!.markdown, /Hidden/);
    assert.match(hover('segmentation "Sign Up"\n  where user["company|_size"] > 3\n').info!.markdown, /user property[\s\S]*Type: number/);
    assert.equal(hover('segmentation "Sign Up"\n  on properties["nope|"]\n').info, undefined);
  });

  it('on a clause keyword: description, API parameter, values', () => {
    const { text, info } = hover('segmentation "Sign Up"\n  un|it day\n');
    assert.ok(info);
    assert.equal(text.slice(info.span.start, info.span.end), 'unit');
    assert.match(info.markdown, /API parameter: `unit`/);
    assert.match(info.markdown, /Values: `minute`, `hour`, `day`, `week`, `month`/);
  });

  it("on the reentry clause: Mixpanel's mode and its values", () => {
    const { info } = hover('funnel "Sign Up" -> "Purchase"\n  reen|try optimized\n');
    assert.ok(info);
    assert.match(info.markdown, /Optimized Re-entry/);
    assert.match(info.markdown, /Values: `default`, `optimized`/);
  });

  it('on a function and on the query kind', () => {
    assert.match(hover('segmentation "Sign Up"\n  where def|ined(properties["plan"])\n').info!.markdown, /True when the property is set/);
    assert.match(hover('ret|ention "Sign Up"\n').info!.markdown, /\*\*retention\*\* \(query\)/);
  });

  it('on enum values, Piwik PRO event types and source kinds', () => {
    assert.match(hover('segmentation "Sign Up"\n  type uni|que\n').info!.markdown, /\*\*unique\*\* — a value of `type`[\s\S]*distinct users/);
    assert.equal(hover('use piwik "s"\ndebugger "x"\n  event_type goal, bro|ken\n').info!.markdown, '**broken** — Piwik PRO event type 17');
    assert.equal(hover('use piwik "s"\ndebugger "x"\n  event_type 1|7\n').info!.markdown, '**broken** — Piwik PRO event type 17');
    assert.match(hover('use pi|wik "s"\n').info!.markdown, /\*\*piwik\*\* \(source\)/);
    assert.equal(hover('segmentation "Sign Up"\n  unit fort|night\n').info, undefined);
  });

  it('nothing outside queries or without a schema for names', () => {
    assert.equal(hover('# com|ment\n').info, undefined);
    assert.equal(hover('segmentation "Sign| Up"\n', () => undefined).info, undefined);
  });
});
