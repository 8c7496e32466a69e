/**
 * The MCP server of `aq mcp`: aq's language service and query engine as tools an agent calls
 * (list the sources, read a schema a page at a time, lint a query, run it, show the request it
 * sends), the language reference as resources, and a prompt that starts a query with the source's
 * schema at hand. Every answer, error and log line passes through the credential masking, and the
 * tools only read.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { isBackendError } from '../queryEngine/backendErrors';
import { compactResult, compactResultText, DEFAULT_ROW_LIMIT, MAX_ROW_LIMIT } from './compactResult';
import { McpInputError, McpWorkspace, type LintOutcome, type QueryInput } from './mcpWorkspace';
import { readReferenceDoc, REFERENCE_DOCS } from './referenceDocs';
import { DEFAULT_PAGE_SIZE, eventPage, eventPropertyPage, MAX_PAGE_SIZE, similarEventNames, userPropertyPage } from './schemaCatalog';
import { schemaSummary } from './schemaSummary';
import { expectationJsonElement, expectationsSummary, expectationsText } from '../workflows/expectations/expectationReports';

export interface AqMcpServerOptions {
  workspace: string;
  env: Record<string, string | undefined>;
  version: string;
  /** Where diagnostic lines go (standard error: standard output carries the protocol only). */
  log(line: string): void;
}

/** Query text larger than this is refused: no .aq file comes near it, and lint and parse are linear in it. */
const MAX_TEXT_LENGTH = 1_000_000;

/** What a tool hands back: text for the model, and the same facts as JSON where they have a shape. */
interface ToolAnswer {
  text: string;
  structured?: Record<string, unknown>;
}

interface ToolContext {
  signal: AbortSignal;
}

/**
 * One tool: its name, what the agent reads about it, its input (zod, so the SDK publishes it as
 * JSON Schema and rejects bad input with a clear message), and the work. Adding a tool is adding an
 * entry to the table in `aqTools`.
 */
interface AqTool<Shape extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: Shape;
  run(args: z.infer<z.ZodObject<Shape>>, context: ToolContext): Promise<ToolAnswer>;
}

function tool<Shape extends z.ZodRawShape>(definition: AqTool<Shape>): AqTool<Shape> {
  return definition;
}

const queryReference = {
  file: z.string().min(1).optional().describe('An .aq file, relative to the workspace (or absolute inside it). Give this or `text`.'),
  text: z.string().min(1).max(MAX_TEXT_LENGTH).optional().describe('The query text itself (one or more queries in .aq syntax). Give this or `file`.'),
  query: z
    .union([z.number().int().min(1), z.string().min(1)])
    .optional()
    .describe('Which query: a 1-based number among the queries of the file, or its `###` title. May be left out when there is only one query.'),
};

function aqTools(workspace: McpWorkspace) {
  return [
    tool({
      name: 'list_sources',
      title: 'List data sources',
      description:
        "The workspace's data sources (aq.json): name, kind (mixpanel, piwik, local, mparticle), whether it is the default, and whether credentials are present in the environment (never their values).",
      input: {},
      async run() {
        const sources = workspace.listSources();
        const problems = workspace.configurationProblems();
        const lines = sources.map((source) => {
          const facts = [source.kind, source.isDefault ? 'default' : undefined, `credentials: ${source.credentials}`];
          if (source.credentials === 'missing') facts.push(`set ${source.credentialVariables!.join(' and ')}`);
          if (source.budgetRemaining !== undefined) facts.push(`${source.budgetRemaining} queries left this hour`);
          if (source.note) facts.push(source.note);
          return `- ${source.name}: ${facts.filter(Boolean).join(', ')}`;
        });
        const text = [
          sources.length > 0 ? `Sources of ${workspace.root}:` : `No sources are configured in ${workspace.root}/aq.json.`,
          ...lines,
          ...problems.map((problem) => `Problem: ${problem}`),
        ].join('\n');
        return { text, structured: { workspace: workspace.root, sources, problems } };
      },
    }),
    tool({
      name: 'get_schema',
      title: 'Read a source schema',
      description:
        'Events of a source (name, description, volume where known), a page at a time, best first; with `search`, the events whose name or description match (typos included). With `event`, that event\'s properties (type, description, top values). With `userProperties: true`, the profile properties used as user["name"]. Page with `offset` and `limit`; `nextOffset` says where the next page starts.',
      input: {
        source: z.string().min(1).optional().describe('Source name from list_sources; the default source when left out.'),
        event: z.string().min(1).optional().describe("An event's exact name: list its properties instead of the events."),
        userProperties: z.boolean().optional().describe('List the profile (user) properties instead of the events.'),
        search: z.string().min(1).max(200).optional().describe('Words to find in names and descriptions (case-insensitive, typos tolerated).'),
        offset: z.number().int().min(0).optional().describe('Index of the first entry of the page (default 0).'),
        limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional().describe(`Entries per page (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}).`),
      },
      async run(args, context) {
        if (args.event !== undefined && args.userProperties) throw new McpInputError('Give either "event" or "userProperties", not both.');
        const { source, schema } = await workspace.schemaOf(args.source, context.signal);
        const request = { search: args.search, offset: args.offset, limit: args.limit };
        const origin = schema.origin ? { label: schema.origin.label, fetchedAt: schema.origin.fetchedAt } : undefined;
        const header = { source: source.name, kind: source.kind, ...(origin ? { schema: origin } : {}) };
        const more = (next: number | undefined) => (next === undefined ? 'This is the last page.' : `More: call again with offset ${next}.`);
        if (args.event !== undefined) {
          const detail = eventPropertyPage(schema, args.event, request);
          if (!detail) {
            const similar = similarEventNames(schema, args.event);
            throw new McpInputError(
              `Source "${source.name}" has no event named "${args.event}".${similar.length > 0 ? ` Did you mean ${similar.map((name) => `"${name}"`).join(', ')}?` : ' Use get_schema with `search` to find it.'}`,
            );
          }
          const { event, properties } = detail;
          const lines = [
            `Event "${event.name}" of ${source.name}${event.volume !== undefined ? ` (${event.volume.toLocaleString('en-US')} events)` : ''}${event.description ? `: ${event.description}` : ''}`,
            `Properties ${properties.offset + 1}–${properties.offset + properties.items.length} of ${properties.matched}${args.search ? ` matching "${args.search}"` : ''} (use as properties["name"]):`,
            ...properties.items.map(
              (p) =>
                `- ${p.name} (${p.type})${p.description ? `: ${p.description}` : ''}${p.topValues ? ` · top values: ${p.topValues.map((v) => JSON.stringify(v)).join(', ')}` : ''}${p.hidden || p.dropped ? ' · hidden/dropped' : ''}`,
            ),
            more(properties.nextOffset),
          ];
          return { text: lines.join('\n'), structured: { ...header, event, properties } };
        }
        if (args.userProperties) {
          const properties = userPropertyPage(schema, request);
          const lines = [
            `Profile properties of ${source.name} ${properties.offset + 1}–${properties.offset + properties.items.length} of ${properties.matched} (use as user["name"]):`,
            ...properties.items.map((p) => `- ${p.name} (${p.type})${p.description ? `: ${p.description}` : ''}`),
            more(properties.nextOffset),
          ];
          return { text: lines.join('\n'), structured: { ...header, userProperties: properties } };
        }
        const events = eventPage(schema, request);
        const lines = [
          `Events of ${source.name} ${events.items.length > 0 ? `${events.offset + 1}–${events.offset + events.items.length}` : '(none)'} of ${events.matched}${args.search ? ` matching "${args.search}"` : ''}, out of ${Object.keys(schema.events).length}:`,
          ...events.items.map(
            (e) =>
              `- ${e.name}${e.volume !== undefined ? ` (${e.volume.toLocaleString('en-US')})` : ''}${e.description ? `: ${e.description}` : ''}${e.hidden || e.dropped ? ' · hidden/dropped' : ''}`,
          ),
          more(events.nextOffset),
        ];
        return { text: lines.join('\n'), structured: { ...header, totalEvents: Object.keys(schema.events).length, events } };
      },
    }),
    tool({
      name: 'lint_query',
      title: 'Lint a query',
      description:
        "Checks .aq query text (or .jql when `path` ends in .jql) against the language and the source's schema, as the editor does. Each diagnostic has a code, severity, 1-based line and column, a message and its fixes as text edits (1-based positions, end exclusive) — apply a preferred fix to correct a misspelt event or property.",
      input: {
        text: z.string().max(MAX_TEXT_LENGTH).describe('The query text.'),
        path: z
          .string()
          .min(1)
          .optional()
          .describe('Where the text would live in the workspace (relative); decides which aq.json applies and where `jql "file"` scripts resolve.'),
      },
      async run(args) {
        const outcome = await workspace.lint(args.text, args.path);
        return { text: lintText(outcome), structured: { positions: '1-based line and column; end exclusive', ...outcome } };
      },
    }),
    tool({
      name: 'run_query',
      title: 'Run a query',
      description:
        "Runs one query of an .aq file in the workspace (`file`) or of query text (`text`) through aq's engine, with the same numbers as `aq run`: the headline, a table of the first rows (50 by default; `limit` for more; a cut is stated), warnings. Remote sources count against the source's query budget, which the answer reports. Read-only.",
      input: {
        ...queryReference,
        limit: z
          .number()
          .int()
          .min(1)
          .max(MAX_ROW_LIMIT)
          .optional()
          .describe(`Rows of the table to return (default ${DEFAULT_ROW_LIMIT}, at most ${MAX_ROW_LIMIT}).`),
      },
      async run(args, context) {
        const selected = workspace.selectQuery(args as QueryInput);
        workspace.logLine(`run_query: ${selected.title} (query ${selected.number}) …`);
        let result;
        try {
          result = await workspace.run(selected, context.signal);
        } catch (error) {
          workspace.logLine(`run_query: ${selected.title}: ${context.signal.aborted ? 'cancelled' : (error as Error).message}`);
          throw error;
        }
        const compact = compactResult(result, selected.number, args.limit ?? DEFAULT_ROW_LIMIT);
        const budget = selected.source?.kind === 'mixpanel' ? workspace.budgetOf(selected.source.name) : undefined;
        workspace.logLine(`run_query: ${selected.title}: ${compact.totalRows} rows${compact.headline ? ` · ${compact.headline}` : ''}`);
        const budgetLine = budget !== undefined ? `\nQuery budget: ${budget} queries left this hour on "${selected.source!.name}".` : '';
        return { text: compactResultText(compact) + budgetLine, structured: { ...compact, ...(budget !== undefined ? { budgetRemaining: budget } : {}) } };
      },
    }),
    tool({
      name: 'explain_query',
      title: 'Show the request of a query',
      description:
        'What a query would send, without running it: the HTTP request as a curl command (the secret masked as ****) or, for a funnel compiled to JQL, the generated JQL script. Local sources make no request and say so.',
      input: queryReference,
      async run(args) {
        const selected = workspace.selectQuery(args as QueryInput);
        const explained = await workspace.explain(selected);
        const parts = [`Query ${selected.number} ("${selected.title}")`];
        if (explained.note) parts.push(explained.note);
        if (explained.curl) parts.push(`Request:\n\`\`\`sh\n${explained.curl}\n\`\`\``);
        if (explained.jql) parts.push(`Generated JQL:\n\`\`\`js\n${explained.jql}\n\`\`\``);
        return { text: parts.join('\n\n'), structured: { query: selected.number, title: selected.title, ...explained } };
      },
    }),
    tool({
      name: 'run_tests',
      title: 'Check the expectations of a file',
      description:
        'Runs the `expect` clauses of an .aq file in the workspace, as `aq test FILE` does: only the queries that have expectations run, and each expectation is passed, failed (with the measured number) or error (the query failed). Remote sources count against the query budget. Read-only.',
      input: {
        file: z.string().min(1).describe('An .aq file, relative to the workspace (or absolute inside it).'),
      },
      async run(args, context) {
        workspace.logLine(`run_tests: ${args.file} …`);
        const results = await workspace.runTests(args.file, context.signal);
        const summary = results.length === 0 ? `No query in ${args.file} has an expect clause.` : expectationsSummary(results);
        workspace.logLine(`run_tests: ${args.file}: ${summary}`);
        const text = results.length === 0 ? summary : expectationsText(results);
        return { text, structured: { summary, expectations: results.map(expectationJsonElement) } };
      },
    }),
  ];
}

function lintText(outcome: LintOutcome): string {
  const lines: string[] = [];
  if (outcome.diagnostics.length === 0) lines.push('No problems found.');
  for (const d of outcome.diagnostics) {
    lines.push(`${d.line}:${d.column} ${d.severity} ${d.code}: ${d.message}`);
    for (const fix of d.fixes) {
      const edits = fix.edits.map((e) => `replace ${e.line}:${e.column}–${e.endLine}:${e.endColumn} with ${JSON.stringify(e.newText)}`).join('; ');
      lines.push(`  fix${fix.preferred ? ' (preferred)' : ''}: ${fix.title} — ${edits}`);
    }
  }
  for (const source of outcome.uncheckedSources) {
    lines.push(`Note: no schema is known for source "${source}", so its event and property names were not checked (get_schema fetches it).`);
  }
  lines.push('(Lines and columns are 1-based.)');
  return lines.join('\n');
}

export function createAqMcpServer(options: AqMcpServerOptions): { server: McpServer; dispose(): void } {
  const workspace = new McpWorkspace({ workspace: options.workspace, env: options.env, log: options.log });
  const server = new McpServer(
    { name: 'aq', title: 'aq — analytics queries', version: options.version },
    {
      instructions:
        'aq writes, lints and runs product-analytics queries (.aq files: Mixpanel, Piwik PRO, local event exports). To get a number: list_sources, get_schema (search for the events you need), write the query (resource aq://docs/language), lint_query until it is clean, then run_query. Prefer leaving the query in an .aq file the user can review and rerun.',
    },
  );
  const masked = (value: unknown): unknown => JSON.parse(workspace.mask(JSON.stringify(value)));

  for (const definition of aqTools(workspace)) {
    server.registerTool(
      definition.name,
      { title: definition.title, description: definition.description, inputSchema: definition.input, annotations: { readOnlyHint: true, openWorldHint: true } },
      // The SDK infers each tool's argument type from its shape; the table erases it, so the callback takes the parsed object as is.
      (async (args: Record<string, unknown>, extra: { signal: AbortSignal }): Promise<CallToolResult> => {
        try {
          const answer = await (definition.run as (a: Record<string, unknown>, c: ToolContext) => Promise<ToolAnswer>)(args ?? {}, { signal: extra.signal });
          return {
            content: [{ type: 'text', text: workspace.mask(answer.text) }],
            ...(answer.structured ? { structuredContent: masked(answer.structured) as Record<string, unknown> } : {}),
          };
        } catch (error) {
          if (!(error instanceof McpInputError) && !isBackendError(error)) workspace.logLine(`${definition.name}: ${(error as Error)?.stack ?? String(error)}`);
          return { content: [{ type: 'text', text: workspace.mask(errorText(error, extra.signal)) }], isError: true };
        }
      }) as never,
    );
  }

  for (const doc of REFERENCE_DOCS) {
    server.registerResource(doc.name, doc.uri, { title: doc.title, description: doc.description, mimeType: 'text/markdown' }, async (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/markdown', text: readReferenceDoc(doc) }],
    }));
  }

  server.registerPrompt(
    'write_aq_query',
    {
      title: 'Write an aq query',
      description: "Starts writing an .aq query for a goal, with the source's schema summary and the steps to a checked number.",
      argsSchema: {
        goal: z.string().min(1).describe('What to find out, e.g. "weekly purchases by browser in October".'),
        source: z.string().optional().describe('The source to query (default: the workspace default).'),
      },
    },
    async (args, extra) => {
      let summary: string;
      try {
        const { source, schema } = await workspace.schemaOf(args.source || undefined, extra.signal);
        summary = schemaSummary(source.name, source.kind, schema);
      } catch (error) {
        summary = `(No schema available: ${errorText(error, extra.signal)})`;
      }
      const text = [
        `Write an aq query (.aq syntax) that answers: ${args.goal}`,
        '',
        'Steps: check names with get_schema (search), write the query following the language reference (resource aq://docs/language), call lint_query and apply its fixes until no errors remain, then run_query and quote its headline. Save the query in an .aq file only if the user asks; show it to them either way.',
        '',
        summary,
      ].join('\n');
      return { messages: [{ role: 'user', content: { type: 'text', text: workspace.mask(text) } }] };
    },
  );

  return { server, dispose: () => workspace.dispose() };
}

function errorText(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'Cancelled.';
  if (error instanceof McpInputError) return error.message;
  if (isBackendError(error)) return `${error.message}${error.details.hint ? `\nHint: ${error.details.hint}` : ''}`;
  return `Internal error: ${(error as Error)?.message ?? String(error)}`;
}
