import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { planLimitEdit, type LimitEdit } from '../../../client/src/limitEdit';

function apply(lines: string[], edit: LimitEdit): string {
  const copy = [...lines];
  copy[edit.line] = copy[edit.line].slice(0, edit.startCharacter) + edit.text + copy[edit.line].slice(edit.endCharacter);
  return copy.join('\n');
}

test("the query's own limit line gets the new number", () => {
  const lines = ['### Top', 'segmentation "Purchase"', '  on properties["$browser"]', '  limit 5', '  chart bar'];
  assert.equal(apply(lines, planLimitEdit(lines, 0, 4, 12)!), '### Top\nsegmentation "Purchase"\n  on properties["$browser"]\n  limit 12\n  chart bar');
});

test('a query without limit gets one after its last clause, not after the comments of the next query', () => {
  const lines = ['segmentation "Purchase"', '    on properties["$browser"]', '', '# next', 'segmentation "Sign Up"', '  limit 3'];
  assert.equal(
    apply(lines, planLimitEdit(lines, 0, 3, 312)!),
    'segmentation "Purchase"\n    on properties["$browser"]\n    limit 312\n\n# next\nsegmentation "Sign Up"\n  limit 3',
  );
});

test('a limit of another query is never touched', () => {
  const lines = ['segmentation "A"', '  on properties["x"]', 'segmentation "B"', '  limit 3'];
  const edit = planLimitEdit(lines, 0, 1, 100)!;
  assert.equal(edit.line, 1);
  assert.equal(edit.text, '\n  limit 100');
});
