/**
 * Show Schema Drift: the drift of a source of the active file as a read-only document (`+` arrived,
 * `-` gone, `~` changed, grouped by event). Update Schema Snapshot: after a confirmation, the server
 * rewrites the source's schemaFile with the live schema, and the drift clears.
 */
import * as vscode from 'vscode';
import { SchemaDriftRequest, UpdateSchemaSnapshotRequest, type SourceSchemaDrift } from '../../../server/src/protocol/customRequests';
import { showFailure } from '../errorNotifications';
import type { ExtensionState } from '../extensionState';

const DRIFT_SCHEME = 'aq-schema-drift';
/** The text of each drift document by its URI; a document is made once per comparison. */
const driftDocuments = new Map<string, string>();
let providerRegistered = false;

function registerProvider(state: ExtensionState): void {
  if (providerRegistered) return;
  providerRegistered = true;
  state.context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(DRIFT_SCHEME, { provideTextDocumentContent: (uri) => driftDocuments.get(uri.toString()) ?? '' }),
  );
}

/** The sources of the active file that have a schemaFile, as the server last compared them; undefined after telling why not. */
async function driftsOfActiveFile(state: ExtensionState): Promise<SourceSchemaDrift[] | undefined> {
  const client = await state.languageClient();
  if (!client) return undefined;
  const uri = vscode.window.activeTextEditor?.document.uri.toString();
  try {
    const drifts = await client.sendRequest(SchemaDriftRequest, { uri });
    if (drifts.length === 0) {
      void vscode.window.showInformationMessage('aq: no source of this file has a "schemaFile" in aq.json to compare with its live schema.');
      return undefined;
    }
    return drifts;
  } catch (error) {
    await showFailure(error, { action: 'Comparing the schema' });
    return undefined;
  }
}

async function pickDrift(drifts: SourceSchemaDrift[], title: string): Promise<SourceSchemaDrift | undefined> {
  if (drifts.length === 1) return drifts[0];
  const picked = await vscode.window.showQuickPick(
    drifts.map((drift) => ({ label: drift.source, description: summaryOf(drift), drift })),
    { title },
  );
  return picked?.drift;
}

function summaryOf(drift: SourceSchemaDrift): string {
  if (drift.error) return `not compared: ${drift.error}`;
  if (drift.events + drift.properties === 0) return 'no drift';
  return `${counted(drift.events, 'event', 'events')}, ${counted(drift.properties, 'property', 'properties')}`;
}

function counted(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

export async function showSchemaDrift(state: ExtensionState): Promise<void> {
  const drifts = await driftsOfActiveFile(state);
  if (!drifts) return;
  state.driftBar.drifts = drifts;
  const drifting = drifts.filter((drift) => drift.events + drift.properties > 0);
  const drift = await pickDrift(drifting.length > 0 ? drifting : drifts, 'aq: show the schema drift of');
  if (!drift) return;
  const file = vscode.workspace.asRelativePath(drift.schemaFile);
  if (drift.error) {
    void vscode.window.showWarningMessage(`aq: the schema of '${drift.source}' was not compared with ${file}: ${drift.error}`);
    return;
  }
  if (drift.events + drift.properties === 0) {
    void vscode.window.showInformationMessage(`aq: no schema drift: ${file} matches the live schema of '${drift.source}'.`);
    return;
  }
  registerProvider(state);
  const uri = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `/${drift.source} schema drift`, query: drift.checkedAt });
  driftDocuments.set(
    uri.toString(),
    [
      `Schema drift of "${drift.source}": ${file} compared with the live schema (${drift.liveLabel ?? 'live'}) at ${new Date(drift.checkedAt).toLocaleString()}`,
      `${summaryOf(drift)} differ. "+" arrived, "-" gone, "~" changed type.`,
      '',
      drift.text,
      '',
      `"aq: Update Schema Snapshot" rewrites ${file} with the live schema.`,
      '',
    ].join('\n'),
  );
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}

export async function updateSchemaSnapshot(state: ExtensionState): Promise<void> {
  const drifts = await driftsOfActiveFile(state);
  if (!drifts) return;
  const drifting = drifts.filter((drift) => drift.events + drift.properties > 0);
  const drift = await pickDrift(drifting.length > 0 ? drifting : drifts, 'aq: update the schema snapshot of');
  if (!drift) return;
  const file = vscode.workspace.asRelativePath(drift.schemaFile);
  const answer = await vscode.window.showWarningMessage(
    `Rewrite ${file} with the live schema of '${drift.source}'?`,
    { modal: true, detail: drift.error ? undefined : `Drift: ${summaryOf(drift)}.` },
    'Update',
  );
  if (answer !== 'Update') return;
  const client = await state.languageClient();
  if (!client) return;
  try {
    const updated = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `aq: updating ${file}`, cancellable: true },
      (_progress, token) =>
        client.sendRequest(UpdateSchemaSnapshotRequest, { uri: vscode.window.activeTextEditor?.document.uri.toString(), sourceName: drift.source }, token),
    );
    state.driftBar.replace(updated);
    void vscode.window.showInformationMessage(`aq: ${file} now holds the live schema of '${drift.source}'.`);
  } catch (error) {
    await showFailure(error, { action: `Updating ${file}`, retry: () => void updateSchemaSnapshot(state) });
  }
}
