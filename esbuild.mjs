// Builds every bundle: the extension client, the language server, the CLI (Node, CommonJS) and the
// results webview (browser, IIFE). `--production` minifies; `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Reports build errors in the `file:line:col: error:` form VS Code's problem matcher reads. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
    });
  },
};

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  plugins: [problemMatcher],
};

const entries = [
  { ...node, entryPoints: ['server/src/serverMain.ts'], outfile: 'dist/server.js' },
  { ...node, entryPoints: ['server/src/cli/cliMain.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: ['server/src/queryEngine/backends/local/jql/jqlWorker.ts'], outfile: 'dist/jqlWorker.js' },
  // The MCP server alone: the extension starts it for agent mode, and the VSIX ships no CLI.
  { ...node, entryPoints: ['server/src/mcp/mcpBundleEntry.ts'], outfile: 'dist/mcp.js' },
  { ...node, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] },
  {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    plugins: [problemMatcher],
    entryPoints: ['client/src/results/webview/resultsApp.ts'],
    outfile: 'dist/webview/resultsApp.js',
  },
].filter((options) => existsSync(options.entryPoints[0]));

if (watch) {
  for (const options of entries) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(entries.map((options) => esbuild.build(options)));
}
