/**
 * Typed, checked access to the `aq.*` settings the client reads. The server reads the rest itself
 * (per resource, through workspace/configuration). Values are sanitized: a wrong type in a
 * settings file falls back to the default instead of breaking a command.
 */
import * as vscode from 'vscode';

export const SettingId = {
  sources: 'sources',
  defaultSource: 'defaultSource',
  baseUrlOverrides: 'baseUrlOverrides',
  cacheTtlSeconds: 'cacheTtlSeconds',
  requestTimeoutSeconds: 'requestTimeoutSeconds',
  timezone: 'timezone',
  queryHistorySize: 'queryHistorySize',
  codeLensEnabled: 'codeLens.enabled',
  watchMaxAlertsPerPoll: 'watch.maxAlertsPerPoll',
  mcpEnabled: 'mcp.enabled',
} as const;

const SECTION = 'aq';

function section(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, scope);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const ExtensionConfig = {
  /** Sources from settings (user, then workspace), keyed by name; never holds secrets. */
  sources(scope?: vscode.ConfigurationScope): Record<string, Record<string, unknown>> {
    const value = section(scope).get<unknown>(SettingId.sources);
    if (!isRecord(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, Record<string, unknown>] => isRecord(entry[1])));
  },

  /** The user-level `aq.sources` only (what "Add … Source" extends). */
  userSources(): Record<string, unknown> {
    const value = section().inspect<unknown>(SettingId.sources)?.globalValue;
    return isRecord(value) ? { ...value } : {};
  },

  defaultSource(scope?: vscode.ConfigurationScope): string | undefined {
    const value = section(scope).get<unknown>(SettingId.defaultSource);
    return typeof value === 'string' && value.trim() ? value : undefined;
  },

  /**
   * The base URL `aq.baseUrlOverrides` gives a source. The setting is machine-scoped, so VS Code
   * never takes it from a workspace: a host found here was chosen by the user.
   */
  baseUrlOverride(sourceName: string): string | undefined {
    const value = section().get<unknown>(SettingId.baseUrlOverrides);
    const url = isRecord(value) ? value[sourceName] : undefined;
    return typeof url === 'string' && /^https?:\/\//.test(url) ? url : undefined;
  },

  queryHistorySize(): number {
    const value = section().get<unknown>(SettingId.queryHistorySize);
    return typeof value === 'number' && Number.isFinite(value) ? Math.min(200, Math.max(0, Math.floor(value))) : 20;
  },

  /** More new events than this in one poll of a watch become one summary alert. */
  watchMaxAlertsPerPoll(): number {
    const value = section().get<unknown>(SettingId.watchMaxAlertsPerPoll);
    return typeof value === 'number' && Number.isFinite(value) ? Math.min(100, Math.max(1, Math.floor(value))) : 10;
  },

  codeLensEnabled(): boolean {
    return section().get<unknown>(SettingId.codeLensEnabled) !== false;
  },

  /** Whether agent mode is offered aq's MCP server (default true). */
  mcpEnabled(): boolean {
    return section().get<unknown>(SettingId.mcpEnabled) !== false;
  },

  async updateUserSources(sources: Record<string, unknown>): Promise<void> {
    await section().update(SettingId.sources, sources, vscode.ConfigurationTarget.Global);
  },

  async setDefaultSource(name: string): Promise<void> {
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await section().update(SettingId.defaultSource, name, target);
  },

  affects(event: vscode.ConfigurationChangeEvent, setting: (typeof SettingId)[keyof typeof SettingId]): boolean {
    return event.affectsConfiguration(`${SECTION}.${setting}`);
  },
};
