/**
 * Publishes aq's MCP server to VS Code's agent mode (`vscode.lm.registerMcpServerDefinitionProvider`,
 * contributed as `aq.mcp`), so an agent sees aq's tools with no configuration. The API is newer than
 * the VS Code this extension supports (`engines.vscode`), so it is detected at run time and its few
 * types are declared here; an older editor simply gets no MCP server. The list changes when folders,
 * trust or `aq.mcp.enabled` change.
 */
import * as vscode from 'vscode';
import { ExtensionConfig, SettingId } from './config';
import { MCP_PROVIDER_ID, mcpServerSpecs, type McpServerSpec } from './mcpDefinitions';

/** `vscode.McpStdioServerDefinition` (VS Code 1.101+). */
interface McpStdioServerDefinition {
  label: string;
  command: string;
  args: string[];
  env: Record<string, string | number | null>;
  version?: string;
  cwd?: vscode.Uri;
}

type McpStdioServerDefinitionClass = new (
  label: string,
  command: string,
  args?: string[],
  env?: Record<string, string | number | null>,
  version?: string,
) => McpStdioServerDefinition;

interface McpServerDefinitionProvider {
  onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<McpStdioServerDefinition[]>;
  resolveMcpServerDefinition?(server: McpStdioServerDefinition, token: vscode.CancellationToken): vscode.ProviderResult<McpStdioServerDefinition>;
}

interface McpLanguageModelApi {
  registerMcpServerDefinitionProvider?(id: string, provider: McpServerDefinitionProvider): vscode.Disposable;
}

export function registerMcpServerProvider(context: vscode.ExtensionContext, log: (message: string) => void): vscode.Disposable[] {
  const api = vscode as unknown as { lm?: McpLanguageModelApi; McpStdioServerDefinition?: McpStdioServerDefinitionClass };
  const Definition = api.McpStdioServerDefinition;
  if (!api.lm?.registerMcpServerDefinitionProvider || !Definition) {
    log('This VS Code has no MCP server API; aq is not offered to agent mode.');
    return [];
  }
  const changed = new vscode.EventEmitter<void>();
  const specs = (): McpServerSpec[] =>
    mcpServerSpecs(
      (vscode.workspace.workspaceFolders ?? []).map((folder) => ({ name: folder.name, fsPath: folder.uri.scheme === 'file' ? folder.uri.fsPath : undefined })),
      {
        enabled: ExtensionConfig.mcpEnabled(),
        trusted: vscode.workspace.isTrusted,
        execPath: process.execPath,
        serverBundle: vscode.Uri.joinPath(context.extensionUri, 'dist', 'mcp.js').fsPath,
        version: String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0'),
      },
    );
  const toDefinition = (spec: McpServerSpec): McpStdioServerDefinition => {
    const definition = new Definition(spec.label, spec.command, spec.args, spec.env, spec.version);
    definition.cwd = vscode.Uri.file(spec.cwd);
    return definition;
  };
  const provider: McpServerDefinitionProvider = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => specs().map(toDefinition),
    // Trust or the setting may have changed since the list was given: a server starts only if still offered.
    resolveMcpServerDefinition: (server) => (specs().some((spec) => spec.label === server.label) ? server : undefined),
  };
  return [
    changed,
    api.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, provider),
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
    vscode.workspace.onDidChangeWorkspaceFolders(() => changed.fire()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (ExtensionConfig.affects(event, SettingId.mcpEnabled)) changed.fire();
    }),
  ];
}
