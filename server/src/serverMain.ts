/**
 * Entry point of the aq language server (dist/server.js). Creates the connection — the transport
 * (`--stdio`, `--node-ipc`, `--socket=N`) comes from the command line — routes console output to
 * the client's log, and keeps the process alive whatever a feature does.
 */
import { existsSync } from 'node:fs';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { formatError } from './lsp/runSafe';
import { createQueryEngine } from './queryEngine/queryEngine';
import { startServer } from './startServer';

const connection = createConnection(ProposedFeatures.all);

// stdout carries the protocol in --stdio mode: a stray console.log must not corrupt it.
console.log = (...args: unknown[]) => connection.console.log(args.map(String).join(' '));
console.info = console.log;
console.debug = console.log;
console.warn = (...args: unknown[]) => connection.console.warn(args.map(String).join(' '));
console.error = (...args: unknown[]) => connection.console.error(args.map(String).join(' '));

process.on('unhandledRejection', (reason) => connection.console.error(formatError('aq: unhandled rejection', reason)));
process.on('uncaughtException', (error) => connection.console.error(formatError('aq: uncaught exception', error)));

startServer(connection, {
  // The JQL runtime finds dist/jqlWorker.js beside the bundle by itself.
  createEngine: (options) => createQueryEngine(options),
  fileExists: (path) => existsSync(path),
});
