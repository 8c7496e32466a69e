/**
 * The entry of dist/mcp.js: the MCP server alone, which the VS Code extension starts for agent mode
 * (the VSIX ships no CLI). `node dist/mcp.js --workspace DIR` is `aq mcp --workspace DIR`. Nothing
 * imports this file: it runs on load.
 */
import { MCP_USAGE, parseMcpArguments, serveMcp } from './mcpMain';

const parsed = parseMcpArguments(process.argv.slice(2), process.cwd());
if (parsed === 'help' || typeof parsed === 'string') {
  process.stderr.write(parsed === 'help' ? `${MCP_USAGE}\n` : `aq mcp: ${parsed}\n${MCP_USAGE}\n`);
  process.exitCode = parsed === 'help' ? 0 : 2;
} else {
  void serveMcp(parsed.workspace, { stderr: (text) => void process.stderr.write(text), cwd: process.cwd(), env: process.env }).then((code) => {
    process.exitCode = code;
  });
}
