// `npm start`: shows the product in one command. Packages the extension, provisions code-server
// (cached after the first run), generates the sample data if it is missing, and opens the examples/
// project in code-server with the extension installed. Runs until Ctrl+C.
// AQ_PORT picks the port (default: a free one); the server listens on 127.0.0.1 only.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { register } from 'tsx/cjs/api';

register();
const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const { packageVsix } = require('../test/e2e/packageVsix.ts');
const { provisionEditor } = require('../test/e2e/provision.ts');
const { startCodeServer } = require('../test/e2e/codeServer.ts');
const { ensureSampleData } = require('../server/src/sample/generateSample.ts');

function step(message) {
  process.stderr.write(`[aq start] ${message}\n`);
}

async function main() {
  step('packaging the extension…');
  const { vsixPath } = packageVsix();
  step('checking code-server and Chromium (the first run installs them, about 5-15 minutes)…');
  const toolchain = await provisionEditor((line) => process.stderr.write(`${line}\n`));
  const examplesDir = join(root, 'examples');
  step('checking the sample data…');
  await ensureSampleData(examplesDir);
  const port = process.env.AQ_PORT ? Number(process.env.AQ_PORT) : undefined;
  const server = await startCodeServer({ toolchain, folder: examplesDir, vsixPath, trusted: true, port });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    step('stopping code-server…');
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(
    `\naq is running in code-server: ${server.url}\nOpen shop.aq and click "▶ Run" above a query. Press Ctrl+C to stop.\n(code-server log: ${server.logFile})\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`[aq start] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
