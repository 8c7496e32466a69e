/**
 * The local JQL worker's heap follows the data: a base for the script plus 3.5 MB per MB of the
 * data's text (gzipped files by the size their trailer records), in 256 MB steps, at most 3/4 of
 * the machine's memory. Sizes are made with sparse files, so nothing large is written.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { jqlHeapMbFor } from '../../../../../../server/src/queryEngine/backends/local/jql/jqlRuntime';

const root = mkdtempSync(join(tmpdir(), 'aq-jql-heap-'));
after(() => rmSync(root, { recursive: true, force: true }));

const MB = 1 << 20;

function sparse(name: string, bytes: number): string {
  const path = join(root, name);
  writeFileSync(path, '');
  truncateSync(path, bytes);
  return path;
}

/** A gzip file of `compressed` bytes whose trailer says it holds `recorded` bytes. */
function gzipClaiming(name: string, compressed: number, recorded: number): string {
  const path = sparse(name, compressed);
  const handle = openSync(path, 'r+');
  try {
    writeSync(handle, Buffer.from([0x1f, 0x8b]), 0, 2, 0);
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32LE(recorded);
    writeSync(handle, trailer, 0, 4, compressed - 4);
  } finally {
    closeSync(handle);
  }
  return path;
}

test('missing data gets the base heap of 512 MB; a little data one 256 MB step more', () => {
  assert.equal(jqlHeapMbFor(sparse('small.ndjson', 2 * MB)), 512 + 256);
  assert.equal(jqlHeapMbFor(join(root, 'missing.ndjson')), 512);
});

test('the heap grows with the text: 100 MB of NDJSON → 512 + 350 rounded up to 512 more', () => {
  assert.equal(jqlHeapMbFor(sparse('big.ndjson', 100 * MB)), 1024);
});

test('a gzipped file counts by the decompressed size in its trailer; a folder by the sum of its files', () => {
  assert.equal(jqlHeapMbFor(gzipClaiming('export.ndjson.gz', 20 * MB, 200 * MB)), 512 + 768);
  const folder = join(root, 'folder');
  mkdirSync(folder);
  sparse('folder/a.ndjson', 60 * MB);
  sparse('folder/b.ndjson', 40 * MB);
  assert.equal(jqlHeapMbFor(folder), 1024);
});

test('never more than 3/4 of the machine memory', () => {
  assert.equal(jqlHeapMbFor(sparse('huge.ndjson', 64 * 1024 * MB)), Math.floor((totalmem() / MB) * 0.75));
});
