/**
 * Entry point of the `aq` command (dist/cli.js): parses the subcommand and hands the rest of the
 * arguments to it. Every command returns its exit code instead of exiting, so output is flushed
 * and commands stay testable.
 */
import packageJson from '../../../package.json';
import { handleOutputErrors, processIo, withMaskedOutput, type CliIo } from './cliIo';

const HELP = `aq ${packageJson.version} — lint and run analytics queries (.aq, .jql)

usage: aq <command> [options]

commands:
  lint [--schema FILE]... [--format text|json] FILE...   check files and print every problem
  run FILE [--query TITLE|N] [--source NAME] [--format table|csv|json|markdown|cyfe] [--allow-host HOST]...
                                                          run the queries of a file
  test [FILE|FOLDER...] [--source NAME] [--format text|json|junit] [--output FILE] [--allow-host HOST]...
                                                          check the expect clauses of .aq files (default: the current folder)
  watch FILE --query TITLE|N [--every 5m] [--max-alerts N] [--slack] [--once] [--allow-host HOST]...
                                                          poll a Piwik PRO debugger query and alert on new events
  send FILE --source NAME [--resume] [--dry-run] [--allow-host HOST]...
                                                          send *.events.ndjson/json to Mixpanel or *.mparticle.json
                                                          to mParticle, without loss or duplicates
  pull SOURCE --from D --to D [--event NAME]... [--where EXPR] [--output DIR] [--force] [--add-source NAME] [--profiles]
                                                          copy a Mixpanel source's raw events to DIR/YYYY-MM-DD.ndjson.gz
  schema pull SOURCE [--output FILE] [--allow-host HOST]...
                                                          write the source's live schema as Lexicon JSON (default: its schemaFile)
  schema diff SOURCE [--format text|json] [--allow-host HOST]...
                                                          compare the committed schemaFile with the live schema (exit 1: drift)
  mcp [--workspace DIR]                                   serve lint, schemas and read-only runs to AI agents (MCP, stdio)

Secrets come from AQ_<NAME>_* variables and go only to the vendor's own hosts, https://<account>.piwik.pro,
AQ_<NAME>_BASE_URL, or a host named with --allow-host (a bare host allows https; http://HOST:PORT allows plain http).

options:
  -h, --help      show this help (or a command's: aq lint --help)
  -v, --version   print the version

Exit status: 0 success, 1 problems found or a query failed, 2 usage or file error.`;

/**
 * Each command's module is loaded when that command runs: loading all of them (the MCP SDK, the
 * HTTP client, every backend) would cost every `aq` invocation its time and memory.
 */
const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  lint: async (args, io) => (await import('./lintCommand.js')).lintCommand(args, io),
  run: async (args, io) => (await import('./runCommand.js')).runCommand(args, io),
  test: async (args, io) => (await import('./testCommand.js')).testCommand(args, io),
  watch: async (args, io) => (await import('./watchCommand.js')).watchCommand(args, io),
  send: async (args, io) => (await import('./sendCommand.js')).sendCommand(args, io),
  pull: async (args, io) => (await import('./pullCommand.js')).pullCommand(args, io),
  mcp: async (args, io) => (await import('./mcpCommand.js')).mcpCommand(args, io),
  schema: async (args, io) => (await import('./schemaCommand.js')).schemaCommand(args, io),
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    io.stdout(`${HELP}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    io.stdout(`${packageJson.version}\n`);
    return 0;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    io.stderr(`aq: unknown command "${command}". Run "aq --help" for the list of commands.\n`);
    return 2;
  }
  try {
    return await handler(rest, io);
  } catch (error) {
    // A bug must still end with a message and a non-zero status, never a bare stack trace.
    withMaskedOutput(io).stderr(`aq ${command}: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    return 2;
  }
}

if (require.main === module) {
  handleOutputErrors(process.stdout, process.stderr, (code) => process.exit(code));
  // Standard error closed too (`aq run 2>&1 | head -1`): nothing more can be said, so stop quietly.
  process.stderr.on('error', () => process.exit(process.exitCode ?? 0));
  void runCli(process.argv.slice(2), processIo()).then((code) => {
    process.exitCode = code;
  });
}
