/** `aq mcp [--workspace DIR]`: aq's MCP server over stdio, for AI agents (see server/src/mcp). */
import { MCP_USAGE, parseMcpArguments, serveMcp } from '../mcp/mcpMain';
import { withMaskedOutput, type CliIo } from './cliIo';

export async function mcpCommand(args: string[], rawIo: CliIo): Promise<number> {
  const io = withMaskedOutput(rawIo);
  const parsed = parseMcpArguments(args, io.cwd);
  if (parsed === 'help') {
    // Help goes to standard error too: standard output is reserved for the protocol.
    io.stderr(`${MCP_USAGE}\n`);
    return 0;
  }
  if (typeof parsed === 'string') {
    io.stderr(`aq mcp: ${parsed}\n${MCP_USAGE}\n`);
    return 2;
  }
  return serveMcp(parsed.workspace, io);
}
