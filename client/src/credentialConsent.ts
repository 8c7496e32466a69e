/** The modal that asks before a stored secret goes to a host it was not entered for. */
import * as vscode from 'vscode';

export async function confirmCredentialHost(sourceName: string, host: string, storedHosts: string[]): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    `Send the credentials for '${sourceName}' to ${host}?`,
    {
      modal: true,
      detail: `They were entered for ${storedHosts.join(', ')}. A workspace's aq.json or settings can point a source at any host; only send them if you trust ${host}.`,
    },
    'Send',
  );
  return choice === 'Send';
}
