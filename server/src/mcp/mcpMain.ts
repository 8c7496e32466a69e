/**
 * Runs aq's MCP server over standard input and output until the client closes it. Standard output
 * carries the protocol only; every diagnostic line goes to standard error. Used by `aq mcp` and by
 * mcpBundleEntry.ts (dist/mcp.js), the bundle the VS Code extension starts for agent mode.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import packageJson from '../../../package.json';
import { createAqMcpServer } from './mcpServer';

export const MCP_USAGE = `usage: aq mcp [--workspace DIR]

Serves aq to AI agents over the Model Context Protocol (stdio): tools list_sources, get_schema,
lint_query, run_query and explain_query, the language reference as resources, and the prompt
write_aq_query. DIR (default: the current folder) holds aq.json; credentials come from
AQ_<NAME>_* variables as for aq run. Read-only: it never sends, watches, pulls or writes files.`;

export interface McpHostIo {
  stderr(text: string): void;
  cwd: string;
  env: Record<string, string | undefined>;
}

/** Parses `[--workspace DIR]`; a string is a usage error. */
export function parseMcpArguments(args: readonly string[], cwd: string): { workspace: string } | 'help' | string {
  let workspace: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--workspace' || arg === '-w' || arg.startsWith('--workspace=')) {
      const value = arg.startsWith('--workspace=') ? arg.slice('--workspace='.length) : args[++i];
      if (value === undefined || value === '') return '--workspace needs a folder';
      if (workspace !== undefined) return '--workspace is given twice';
      workspace = value;
    } else {
      return `unknown argument ${arg}`;
    }
  }
  const folder = resolve(cwd, workspace ?? '.');
  if (!existsSync(folder)) return `${workspace ?? folder}: no such folder`;
  if (!statSync(folder).isDirectory()) return `${workspace ?? folder}: not a folder`;
  return { workspace: folder };
}

/** Serves until standard input closes; resolves with the exit code. */
export async function serveMcp(workspace: string, io: McpHostIo): Promise<number> {
  // Standard output carries the protocol: a stray console.log anywhere (a dependency included) must not corrupt it.
  const toStderr = (...args: unknown[]): void => io.stderr(`aq mcp: ${args.map(String).join(' ')}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.warn = toStderr;
  const { server, dispose } = createAqMcpServer({
    workspace,
    env: io.env,
    version: packageJson.version,
    log: (line) => io.stderr(`aq mcp: ${line}\n`),
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolveClosed) => {
    transport.onclose = () => resolveClosed();
    process.stdin.once('end', () => resolveClosed());
  });
  await server.connect(transport);
  io.stderr(`aq mcp: serving ${workspace} over stdio\n`);
  await closed;
  dispose();
  await server.close().catch(() => undefined);
  return 0;
}
