/**
 * Pulls the `aq` settings section from the client per resource (VS Code resolves user, workspace
 * and folder scopes), caches the answer per uri until the configuration changes, and turns it
 * into the engine's settings after checking every value's type: settings are user input.
 */
import type { Connection } from 'vscode-languageserver';
import type { EngineSettings } from '../queryEngine/queryEngineTypes';

/** The `aq` section as VS Code sends it (unchecked). */
export interface AqSettings {
  sources?: unknown;
  baseUrlOverrides?: unknown;
  cacheTtlSeconds?: unknown;
  requestTimeoutSeconds?: unknown;
  timezone?: unknown;
  defaultSource?: unknown;
}

export const SETTINGS_SECTION = 'aq';

export interface SettingsResolver {
  /** The settings for a resource (or the window when undefined). Never rejects. */
  get(resourceUri: string | undefined): Promise<AqSettings>;
  /** Forget cached answers; call on `workspace/didChangeConfiguration`. */
  clear(): void;
}

export function createSettingsResolver(connection: Connection, canPullConfiguration: boolean, log: { warn(message: string): void }): SettingsResolver {
  const cache = new Map<string, Promise<AqSettings>>();
  return {
    get(resourceUri) {
      if (!canPullConfiguration) return Promise.resolve({});
      const key = resourceUri ?? '';
      let settings = cache.get(key);
      if (!settings) {
        settings = connection.workspace
          .getConfiguration({ scopeUri: resourceUri, section: SETTINGS_SECTION })
          .then((value: unknown) => (isRecord(value) ? value : {}))
          .catch((error: unknown) => {
            log.warn(`aq: could not read settings: ${String(error)}`);
            cache.delete(key);
            return {};
          });
        cache.set(key, settings);
      }
      return settings;
    },
    clear() {
      cache.clear();
    },
  };
}

/**
 * Checks raw settings and converts them to `EngineSettings`. Problems are returned as sentences
 * for the log; a bad value is ignored rather than guessed at.
 */
export function toEngineSettings(settings: AqSettings, trusted: boolean): { settings: EngineSettings; timezone: string | undefined; problems: string[] } {
  const problems: string[] = [];
  const result: EngineSettings = { trusted };
  let timezone: string | undefined;
  if (typeof settings.timezone === 'string' && settings.timezone !== '') {
    if (isTimeZone(settings.timezone)) timezone = settings.timezone;
    else problems.push(`setting aq.timezone: "${settings.timezone}" is not an IANA time zone such as Europe/Paris.`);
  }

  if (settings.sources !== undefined && settings.sources !== null) {
    // Each source is checked by the engine (the same rules as aq.json); only the shape is checked here.
    if (isRecord(settings.sources)) result.extraSources = settings.sources as EngineSettings['extraSources'];
    else problems.push('setting aq.sources must be an object of named sources.');
  }

  if (settings.baseUrlOverrides !== undefined && settings.baseUrlOverrides !== null) {
    if (!isRecord(settings.baseUrlOverrides)) {
      problems.push('setting aq.baseUrlOverrides must be an object of source name to URL.');
    } else {
      const overrides: Record<string, string> = {};
      for (const [name, url] of Object.entries(settings.baseUrlOverrides)) {
        if (typeof url === 'string' && /^https?:\/\/[^\s/]+/i.test(url)) overrides[name] = url;
        else problems.push(`setting aq.baseUrlOverrides: "${name}" must be an http(s) URL such as http://127.0.0.1:4010.`);
      }
      result.baseUrlOverrides = overrides;
    }
  }

  if (typeof settings.defaultSource === 'string' && settings.defaultSource !== '') result.defaultSource = settings.defaultSource;
  else if (settings.defaultSource !== undefined && settings.defaultSource !== null && settings.defaultSource !== '')
    problems.push('setting aq.defaultSource must be a source name.');

  const cacheTtl = positiveSeconds(settings.cacheTtlSeconds, 'aq.cacheTtlSeconds', problems, true);
  if (cacheTtl !== undefined) result.cacheTtlMs = cacheTtl * 1000;
  const timeout = positiveSeconds(settings.requestTimeoutSeconds, 'aq.requestTimeoutSeconds', problems, false);
  if (timeout !== undefined) result.requestTimeoutMs = timeout * 1000;

  return { settings: result, timezone, problems };
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function positiveSeconds(value: unknown, key: string, problems: string[], allowZero: boolean): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && (value > 0 || (allowZero && value === 0))) return value;
  problems.push(`setting ${key} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds.`);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
