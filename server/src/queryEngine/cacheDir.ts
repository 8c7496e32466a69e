/** Where aq keeps what it may lose without harm (schemas, watch memory, send progress) unless told otherwise. */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** AQ_CACHE_DIR, else `~/.cache/aq`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.AQ_CACHE_DIR || join(homedir(), '.cache', 'aq');
}
