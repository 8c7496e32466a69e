/**
 * Reads a workspace's `aq.json` (sources and the default source) and checks it. The file is
 * committed with the project, so it is untrusted input: it may name hosts for Piwik PRO (which
 * the credential store then guards per host), but it can never override a base URL or carry a
 * secret — such keys are dropped with a warning instead of being used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MPARTICLE_PODS, type MixpanelRegion, type MparticlePod, type MparticleSourceConfig, type SourceConfig } from './analyticsBackend';

export const WORKSPACE_CONFIG_FILE = 'aq.json';

export interface WorkspaceConfig {
  /** The folder holding aq.json; relative paths in it resolve against this. */
  rootDir: string | undefined;
  sources: Record<string, SourceConfig>;
  /** Sources events are sent to but that run no queries (mParticle inputs). */
  ingestionSources: Record<string, MparticleSourceConfig>;
  defaultSource: string | undefined;
  /** Problems found while reading, each a full sentence for the user. */
  problems: string[];
}

const FORBIDDEN_KEYS = [
  'baseUrl',
  'baseURL',
  'base_url',
  'secret',
  'password',
  'token',
  'apiKey',
  'api_key',
  'apiSecret',
  'api_secret',
  'clientSecret',
  'client_secret',
  'username',
];
const REGIONS: readonly MixpanelRegion[] = ['US', 'EU', 'IN'];

/** Walks up from `startDir` to the nearest folder with an aq.json; undefined when there is none. */
export function findWorkspaceRoot(startDir: string): string | undefined {
  let dir = startDir;
  for (;;) {
    if (existsSync(join(dir, WORKSPACE_CONFIG_FILE))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Reads `<rootDir>/aq.json`. A missing file is an empty configuration, not an error. */
export function readWorkspaceConfig(rootDir: string | undefined): WorkspaceConfig {
  const empty: WorkspaceConfig = { rootDir, sources: {}, ingestionSources: {}, defaultSource: undefined, problems: [] };
  if (!rootDir) return empty;
  const file = join(rootDir, WORKSPACE_CONFIG_FILE);
  if (!existsSync(file)) return empty;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { ...empty, problems: [`${WORKSPACE_CONFIG_FILE} is not valid JSON: ${(error as Error).message}`] };
  }
  return parseWorkspaceConfig(json, rootDir);
}

/** Checks the JSON of an aq.json (or of the `aq.sources` setting wrapped as `{ sources }`). */
export function parseWorkspaceConfig(json: unknown, rootDir: string | undefined, origin = WORKSPACE_CONFIG_FILE): WorkspaceConfig {
  const config: WorkspaceConfig = { rootDir, sources: {}, ingestionSources: {}, defaultSource: undefined, problems: [] };
  if (!isObject(json)) {
    config.problems.push(`${origin} must be a JSON object with a "sources" object.`);
    return config;
  }
  const sources = json.sources ?? {};
  if (!isObject(sources)) {
    config.problems.push(`${origin}: "sources" must be an object of named sources.`);
    return config;
  }
  for (const [name, raw] of Object.entries(sources)) {
    const source = parseSource(name, raw, origin, config.problems);
    if (source?.kind === 'mparticle') config.ingestionSources[name] = source;
    else if (source) config.sources[name] = source;
  }
  if (json.default !== undefined) {
    if (typeof json.default !== 'string' || !(json.default in config.sources)) {
      const why =
        typeof json.default === 'string' && json.default in config.ingestionSources
          ? ', which only receives events and runs no queries'
          : ', which is not one of its sources';
      config.problems.push(`${origin}: "default" names "${String(json.default)}"${why}.`);
    } else {
      config.defaultSource = json.default;
    }
  }
  return config;
}

function parseSource(name: string, raw: unknown, origin: string, problems: string[]): SourceConfig | MparticleSourceConfig | undefined {
  const where = `${origin}: source "${name}"`;
  if (!isObject(raw)) {
    problems.push(`${where} must be an object.`);
    return undefined;
  }
  for (const key of FORBIDDEN_KEYS) {
    if (key in raw) {
      problems.push(
        `${where}: "${key}" is ignored. Secrets belong in the credential store (command "aq: Set Credentials") or AQ_* environment variables, and base URLs only in machine settings.`,
      );
    }
  }
  const optionalString = (key: string): string | undefined => (typeof raw[key] === 'string' ? (raw[key] as string) : undefined);
  switch (raw.kind) {
    case 'mixpanel': {
      const projectId = typeof raw.projectId === 'string' ? Number(raw.projectId) : raw.projectId;
      if (typeof projectId !== 'number' || !Number.isInteger(projectId) || projectId <= 0) {
        problems.push(`${where} needs a numeric "projectId" (Project Settings → Overview in Mixpanel).`);
        return undefined;
      }
      const region = (optionalString('region') ?? 'US').toUpperCase() as MixpanelRegion;
      if (!REGIONS.includes(region)) {
        problems.push(`${where}: "region" must be one of US, EU, IN.`);
        return undefined;
      }
      const workspaceId = typeof raw.workspaceId === 'number' ? raw.workspaceId : undefined;
      return { kind: 'mixpanel', name, projectId, region, workspaceId, schemaFile: optionalString('schemaFile'), timezone: optionalString('timezone') };
    }
    case 'piwik': {
      const url = optionalString('url');
      if (!url || !/^https?:\/\/[^/]+/.test(url)) {
        problems.push(`${where} needs a "url" such as "https://example.piwik.pro".`);
        return undefined;
      }
      return { kind: 'piwik', name, url: url.replace(/\/+$/, ''), appId: optionalString('appId'), timezone: optionalString('timezone') };
    }
    case 'local': {
      const path = optionalString('path');
      if (!path) {
        problems.push(`${where} needs a "path" to an NDJSON export file or folder.`);
        return undefined;
      }
      return { kind: 'local', name, path, schemaFile: optionalString('schemaFile'), timezone: optionalString('timezone') };
    }
    case 'mparticle': {
      const pod = (optionalString('pod') ?? 'US1').toUpperCase() as MparticlePod;
      if (!MPARTICLE_PODS.includes(pod)) {
        problems.push(`${where}: "pod" must be one of ${MPARTICLE_PODS.join(', ')} (the pod of your mParticle workspace).`);
        return undefined;
      }
      return { kind: 'mparticle', name, pod };
    }
    default:
      problems.push(`${where}: "kind" must be "mixpanel", "piwik", "local" or "mparticle".`);
      return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
