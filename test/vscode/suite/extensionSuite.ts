// Runs inside the VS Code extension host (loaded by @vscode/test-electron as extensionTestsPath).
// The scenarios of the code-server suite that the extension API can express: diagnostics with a
// quick fix, property completion, hover. The results panel is a webview the API cannot read; those
// scenarios live only in test/e2e.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const TIMEOUT_MS = 30_000;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the test workspace is not open');
  return vscode.Uri.joinPath(folder.uri, name);
}

async function open(name: string): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument(workspaceFile(name));
  await vscode.window.showTextDocument(document);
  return document;
}

function positionAfter(document: vscode.TextDocument, text: string): vscode.Position {
  const offset = document.getText().indexOf(text);
  assert.ok(offset >= 0, `"${text}" is in ${document.fileName}`);
  return document.positionAt(offset + text.length);
}

const scenarios: Array<[string, () => Promise<void>]> = [
  [
    'misspelt event: a "did you mean" diagnostic whose quick fix corrects the text',
    async () => {
      const document = await open('misspelt.aq');
      const diagnostic = await until('the did-you-mean diagnostic', () =>
        vscode.languages.getDiagnostics(document.uri).find((candidate) => /did you mean/i.test(candidate.message)),
      );
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, diagnostic.range);
      const fix = actions.find((action) => /Purchase/.test(action.title));
      assert.ok(fix?.edit, `a quick fix naming Purchase among ${actions.map((action) => action.title).join(', ')}`);
      await vscode.workspace.applyEdit(fix.edit);
      assert.match(document.getText(), /segmentation "Purchase"/);
    },
  ],
  [
    'completion inside properties[" lists the event\'s properties',
    async () => {
      const document = await open('complete.aq');
      const editor = vscode.window.activeTextEditor;
      assert.ok(editor);
      const where = positionAfter(document, '  where ');
      await editor.edit((edit) => edit.insert(where, 'properties[""]'));
      const inside = positionAfter(document, 'properties["');
      const labels = await until('the property completions', async () => {
        const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', document.uri, inside, '"');
        const names = list.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
        return ['$browser', 'plan', 'revenue'].every((name) => names.includes(name)) ? names : undefined;
      });
      assert.ok(labels.length >= 3);
    },
  ],
  [
    'hovering an event shows its description',
    async () => {
      const document = await open('hover.aq');
      const position = positionAfter(document, 'segmentation "Purch');
      const text = await until('the event hover', async () => {
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, position);
        const shown = hovers
          .flatMap((hover) => hover.contents)
          .map((content) => (typeof content === 'string' ? content : content.value))
          .join('\n');
        return /A completed checkout/.test(shown) ? shown : undefined;
      });
      assert.match(text, /Purchase/);
    },
  ],
];

/** The entry @vscode/test-electron calls; a rejection fails the run. */
export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [title, body] of scenarios) {
    const started = Date.now();
    try {
      await body();
      console.log(`ok   ${title} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failures.push(title);
      console.error(`FAIL ${title}\n${error instanceof Error ? error.stack : String(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`${failures.length} of ${scenarios.length} scenarios failed: ${failures.join('; ')}`);
}
