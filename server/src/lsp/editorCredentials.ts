/**
 * Secrets come from the editor one request at a time (`aq/credentials`), for the host they will
 * reach; the server never stores them.
 */
import { CREDENTIAL_FIELDS, type CredentialsParams, type CredentialsResult } from '../protocol/customRequests';
import type { CredentialedSource, Credentials } from '../queryEngine/sourceConfig';
import { BackendError } from '../queryEngine/backendErrors';
import { formatError } from './runSafe';
import type { CredentialDestination } from '../protocol/credentialHostRule';

export const RESTRICTED_MODE_MESSAGE =
  'This workspace is in Restricted Mode: aq sends no queries or credentials to remote sources until you trust the workspace.';

export interface EditorCredentialsContext {
  trusted: boolean;
  /** Sends `aq/credentials` to the editor. */
  ask(params: CredentialsParams): Promise<CredentialsResult | null>;
  log: { warn(message: string): void };
}

/** Asks the editor for one request's secrets; refuses in an untrusted workspace. */
export async function askEditorForCredentials(
  source: CredentialedSource,
  host: string,
  context: EditorCredentialsContext,
  destination?: CredentialDestination,
): Promise<Credentials | undefined> {
  if (source.kind === 'local') return undefined;
  if (!context.trusted) throw new BackendError('config', RESTRICTED_MODE_MESSAGE);
  let answer: CredentialsResult | null;
  try {
    // The editor applies the shared host rule to the URL: it asks before sending where the CLI would refuse.
    const where = destination ? { url: destination.url, fromUserOverride: destination.fromUserOverride } : {};
    answer = await context.ask({ sourceName: source.name, sourceKind: source.kind, host, ...where });
  } catch (error) {
    context.log.warn(formatError(`aq: could not ask the editor for the credentials of "${source.name}"`, error));
    return undefined;
  }
  // A secret stored for another host is never sent here; the backend then reports missing credentials.
  if (!answer || answer.hostMismatch) return undefined;
  const credentials: Credentials = {};
  for (const field of CREDENTIAL_FIELDS) if (answer[field]) credentials[field] = answer[field];
  return credentials;
}
