/**
 * `--add-source`: the local source goes into aq.json as one inserted entry, every other byte of the
 * file as it was, whatever its layout (indented, on one line, empty sources, CRLF line ends).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { addLocalSourceText } from '../../../../server/src/workflows/pull/addLocalSource';

const added = (text: string, name = 'offline', path = 'data/prod', timezone?: string): string => {
  const outcome = addLocalSourceText(text, name, path, timezone);
  assert.equal(outcome.kind, 'added', JSON.stringify(outcome));
  return (outcome as { text: string }).text;
};

test('an indented file gets the entry on its own line with the same indentation', () => {
  const text = '{\n\t"sources": {\n\t\t"prod": { "kind": "mixpanel", "projectId": 1 }\n\t},\n\t"default": "prod"\n}\n';
  assert.equal(
    added(text, 'offline', 'data/prod', 'Europe/Berlin'),
    '{\n\t"sources": {\n\t\t"prod": { "kind": "mixpanel", "projectId": 1 },\n\t\t"offline": { "kind": "local", "path": "data/prod", "timezone": "Europe/Berlin" }\n\t},\n\t"default": "prod"\n}\n',
  );
});

test('sources on one line stay on one line; CRLF files keep CRLF', () => {
  assert.equal(
    added('{"sources": {"prod": {"kind": "mixpanel", "projectId": 1}}}'),
    '{"sources": {"prod": {"kind": "mixpanel", "projectId": 1}, "offline": { "kind": "local", "path": "data/prod" }}}',
  );
  assert.equal(
    added('{\r\n  "sources": {\r\n    "a": { "kind": "local", "path": "x" }\r\n  }\r\n}\r\n'),
    '{\r\n  "sources": {\r\n    "a": { "kind": "local", "path": "x" },\r\n    "offline": { "kind": "local", "path": "data/prod" }\r\n  }\r\n}\r\n',
  );
});

test('empty sources and a file without sources get one', () => {
  assert.equal(JSON.parse(added('{\n  "sources": {}\n}\n')).sources.offline.path, 'data/prod');
  assert.deepEqual(JSON.parse(added('{\n  "default": "x"\n}\n')), { sources: { offline: { kind: 'local', path: 'data/prod' } }, default: 'x' });
  assert.deepEqual(JSON.parse(added('{}')), { sources: { offline: { kind: 'local', path: 'data/prod' } } });
});

test('the same source again changes nothing; a taken name or broken JSON is refused', () => {
  const text = '{ "sources": { "offline": { "kind": "local", "path": "./data/prod/" }, "prod": { "kind": "mixpanel", "projectId": 1 } } }';
  assert.deepEqual(addLocalSourceText(text, 'offline', 'data/prod', undefined), { kind: 'present' });
  assert.match((addLocalSourceText(text, 'prod', 'data/prod', undefined) as { message: string }).message, /already has a source named "prod"/);
  assert.match((addLocalSourceText('{ "sources": ', 'x', 'data', undefined) as { message: string }).message, /aq\.json is not valid JSON/);
  assert.match((addLocalSourceText('{ "sources": [] }', 'x', 'data', undefined) as { message: string }).message, /"sources" is not an object/);
});
