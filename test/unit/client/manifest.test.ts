import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CommandId } from '../../../client/src/commands/commandIds';

const root = join(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const contributes = manifest.contributes;

test('every command id is contributed under the aq category, and nothing else is', () => {
  const declared = contributes.commands.map((command: { command: string }) => command.command).sort();
  assert.deepEqual(declared, Object.values(CommandId).sort());
  for (const command of contributes.commands) assert.equal(command.category, 'aq', command.command);
});

test('keybindings, menus and activation events name contributed commands', () => {
  const ids = new Set<string>(Object.values(CommandId));
  const referenced = [
    ...contributes.keybindings.map((binding: { command: string }) => binding.command),
    ...Object.values(contributes.menus as Record<string, Array<{ command: string }>>)
      .flat()
      .map((item) => item.command),
    ...manifest.activationEvents.filter((event: string) => event.startsWith('onCommand:')).map((event: string) => event.slice('onCommand:'.length)),
  ];
  for (const command of referenced) assert.ok(ids.has(command), command);
  assert.ok(manifest.activationEvents.includes('onLanguage:aq') && manifest.activationEvents.includes('onLanguage:jql'));
  assert.equal(contributes.keybindings.find((binding: { command: string }) => binding.command === CommandId.runQueryAtCursor)?.mac, 'cmd+enter');
});

test('files the manifest points at exist', () => {
  const paths = [
    manifest.icon,
    ...contributes.languages.map((language: { configuration: string }) => language.configuration),
    ...contributes.grammars.map((grammar: { path: string }) => grammar.path),
    ...contributes.walkthroughs.flatMap((walkthrough: { steps: Array<{ media: { markdown: string } }> }) =>
      walkthrough.steps.map((step) => step.media.markdown),
    ),
  ];
  for (const path of paths) assert.ok(existsSync(join(root, path)), path);
});

test('host settings cannot come from a workspace; queries do not run in Restricted Mode', () => {
  const properties = contributes.configuration.properties;
  assert.equal(properties['aq.baseUrlOverrides'].scope, 'machine');
  assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('aq.sources'));
  for (const [key, property] of Object.entries(properties as Record<string, { description?: string; markdownDescription?: string; default?: unknown }>)) {
    assert.ok(property.description ?? property.markdownDescription, `${key} has a description`);
    assert.ok('default' in property, `${key} has a default`);
  }
});

test('mParticle batch files are validated by the bundled JSON schema, which is a real draft-07 schema', () => {
  const entry = contributes.jsonValidation.find((validation: { fileMatch: string[] }) => validation.fileMatch.includes('*.mparticle.json'));
  assert.ok(entry);
  const schema = JSON.parse(readFileSync(join(root, entry.url), 'utf8'));
  assert.match(schema.$schema, /draft-07/);
  assert.ok(readFileSync(join(root, '.vscodeignore'), 'utf8').includes('!schemas/**'), 'the schema ships in the VSIX');
});
