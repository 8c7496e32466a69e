/** The modal that asks before a stored secret goes to a host it was not entered for. */
import * as vscode from 'vscode';

export async function confirmCredentialHost(sourceName: string, host: string, storedHosts: string[], concern?: string): Promise<boolean> {
  // The same rule the CLI applies (--allow-host there); here the user may decide in the moment.
  const why = concern ? `The command-line aq would refuse: ${concern}. ` : '';
  const choice = await vscode.window.showWarningMessage(
    `Send the credentials for '${sourceName}' to ${host}?`,
    {
      modal: true,
      detail: `${why}They were entered for ${storedHosts.join(', ')}. A workspace's aq.json or settings can point a source at any host; only send them if you trust ${host}.`,
    },
    'Send',
  );
  return choice === 'Send';
}
