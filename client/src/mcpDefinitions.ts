/**
 * Which aq MCP servers the editor offers agent mode: one per trusted local workspace folder, each
 * the extension's own dist/mcp.js run by the editor's Node (the extension host's executable with
 * ELECTRON_RUN_AS_NODE, as the language client runs dist/server.js). No secret is ever put in a
 * definition: the editor keeps definitions, and the server reads credentials from its environment.
 */

/** The id under `contributes.mcpServerDefinitionProviders` in package.json. */
export const MCP_PROVIDER_ID = 'aq.mcp';

export interface McpFolder {
  name: string;
  /** The folder on disk; undefined for a folder that is not a local file system path. */
  fsPath: string | undefined;
}

export interface McpServerSpec {
  label: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  version: string;
  cwd: string;
}

export interface McpDefinitionContext {
  /** `aq.mcp.enabled`. */
  enabled: boolean;
  /** Workspace trust: an untrusted folder could pick the hosts a query sends credentials to. */
  trusted: boolean;
  /** The extension host's executable (Electron, or Node in a remote or web host). */
  execPath: string;
  /** dist/mcp.js of the installed extension. */
  serverBundle: string;
  /** The extension's version: when it changes, the editor refreshes the tool list. */
  version: string;
}

export function mcpServerSpecs(folders: readonly McpFolder[], context: McpDefinitionContext): McpServerSpec[] {
  if (!context.enabled || !context.trusted) return [];
  const local = folders.filter((folder): folder is McpFolder & { fsPath: string } => folder.fsPath !== undefined);
  return local.map((folder) => ({
    // One folder is "aq"; several are told apart by name, as the editor lists them side by side.
    label: local.length === 1 ? 'aq' : `aq · ${folder.name}`,
    command: context.execPath,
    args: [context.serverBundle, '--workspace', folder.fsPath],
    env: { ELECTRON_RUN_AS_NODE: '1' },
    version: context.version,
    cwd: folder.fsPath,
  }));
}
