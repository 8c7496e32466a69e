/**
 * The limits that keep a hostile or huge local source from exhausting memory or time. Each has a
 * default chosen for real exports and an environment variable that changes it (read by the process
 * that runs the query: `aq` from its shell, the language server from VS Code's environment).
 * docs/local-engine.md lists them.
 */

export interface LocalLimits {
  /** A line longer than this (after decompression) is skipped as malformed. */
  maxLineBytes: number;
  /** A gzipped file that expands past this stops the load; undefined: 1 GiB or 100 × its size on disk, whichever is more. */
  maxDecompressedBytes?: number;
  /** Heap of the JQL worker in MB; undefined: sized from the data (see jqlHeapMbFor). */
  jqlMemoryMb?: number;
  /** Time a JQL script may run. */
  jqlTimeoutMs: number;
}

const MIB = 1 << 20;

/** Mixpanel's import API refuses events of 1 MB or more, so no line of a real export comes near this. */
export const DEFAULT_MAX_LINE_BYTES = MIB;
export const DEFAULT_JQL_TIMEOUT_MS = 60_000;
/** Exports compress 10–20 times; a file that expands more than 100 times past 1 GiB is a decompression bomb. */
export const DEFAULT_DECOMPRESSION_RATIO = 100;
export const DEFAULT_DECOMPRESSION_FLOOR_BYTES = 1024 * MIB;

export function localLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalLimits {
  return {
    maxLineBytes: positive(env.AQ_MAX_LINE_BYTES) ?? DEFAULT_MAX_LINE_BYTES,
    maxDecompressedBytes: mul(positive(env.AQ_MAX_DECOMPRESSED_MB), MIB),
    jqlMemoryMb: positive(env.AQ_JQL_MEMORY_MB),
    jqlTimeoutMs: mul(positive(env.AQ_JQL_TIMEOUT_S), 1000) ?? DEFAULT_JQL_TIMEOUT_MS,
  };
}

/** The decompression cap of one gzipped file of `compressedBytes` on disk. */
export function decompressionCapOf(limits: Pick<LocalLimits, 'maxDecompressedBytes'>, compressedBytes: number): number {
  return limits.maxDecompressedBytes ?? Math.max(DEFAULT_DECOMPRESSION_FLOOR_BYTES, DEFAULT_DECOMPRESSION_RATIO * compressedBytes);
}

/** `1048576` → `1 MiB`, `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(1))} ${units[unit]}`;
}

function positive(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function mul(value: number | undefined, factor: number): number | undefined {
  return value === undefined ? undefined : Math.round(value * factor);
}
