/**
 * Watches Piwik PRO's Tracker Debugger for broken (or other chosen) events, as the seed notebook
 * did by hand: each poll asks only for the minutes since the last good poll plus a small overlap,
 * every matching event is reported once, a failing poll is reported once until it recovers, and a
 * poll that brings many events at once becomes one summary instead of a flood.
 *
 * The watcher knows nothing of HTTP or timers' sources: `poll` runs the debugger query and `onAlert`
 * delivers alerts, so the editor and the CLI share it and tests drive it with a fake clock.
 * What it has reported can be saved (`memory()`, `onMemoryChange`) and given to the next watcher
 * (`memory` option), so a restarted watch or a cron `--once` run does not report the same events again.
 */
import type { DebuggerEvent, DebuggerSession } from '../../protocol/resultModel';
import { isBackendError } from '../../queryEngine/backendErrors';

/** Piwik PRO's code for a broken event (docs/api-notes.md, "Piwik PRO Tracker Debugger and Tracker Log"). */
export const BROKEN_EVENT_TYPE = 17;
/** The debugger's `lookup_window` bounds, in minutes. */
export const MIN_LOOKUP_WINDOW = 1;
export const MAX_LOOKUP_WINDOW = 300;

/** What one poll asks of the debugger. */
export interface WatchPollRequest {
  /** Minutes to look back, 1–300. */
  lookupWindowMinutes: number;
  /** The event type codes watched, for the debugger's `event_type` filter. */
  eventTypes: number[];
  signal: AbortSignal;
}

/** Runs the debugger query; rejects (ideally with a BackendError) when the poll failed. */
export type WatchPoll = (request: WatchPollRequest) => Promise<DebuggerSession[]>;

/** One matching event, with what an analyst needs to start looking. */
export interface EventAlert {
  kind: 'event';
  eventId: string;
  eventType: { code: number; label: string };
  /** Piwik PRO's `error_message` (broken events) or `exclusion_reason` (excluded ones). */
  message?: string;
  sessionId: string;
  entryUrl?: string;
  serverTime: string;
  /** The start of the raw tracking request from the Tracker Log, when it was fetched. */
  logExcerpt?: string;
}

/** Sent instead of one alert per event when a poll brings more than `maxAlertsPerPoll`. */
export interface SummaryAlert {
  kind: 'summary';
  count: number;
  /** Event type label → number of new events of that type. */
  byType: Record<string, number>;
  /** The first few events, so the summary still points somewhere. */
  examples: EventAlert[];
}

/** A poll failed; sent once per run of consecutive failures. */
export interface PollFailedAlert {
  kind: 'pollFailed';
  message: string;
}

/** The first good poll after failures. */
export interface RecoveredAlert {
  kind: 'recovered';
  failedPolls: number;
}

export type WatchAlert = EventAlert | SummaryAlert | PollFailedAlert | RecoveredAlert;

/** What a watcher remembers between runs, as plain JSON. */
export interface WatchMemory {
  version: 1;
  /** Reported event ids with when each was first reported (ms since the epoch), oldest first. */
  reported: Array<[eventId: string, reportedAtMs: number]>;
  /** When the last good poll started; the next window reaches back to it. */
  lastGoodPollAt?: number;
  /**
   * Polls that failed since the last good one. Kept so a cron `--once` run during an outage does not
   * alert again for a failure already reported, and the first good run reports the recovery.
   */
  failedPolls?: number;
}

export interface BrokenEventWatcherOptions {
  poll: WatchPoll;
  /** Delivers an alert. A rejection is passed to `onDeliveryError`; the watcher goes on. */
  onAlert: (alert: WatchAlert) => void | Promise<void>;
  /** Told when `onAlert` failed (a Slack outage), so that is not silent either. */
  onDeliveryError?: (error: unknown, alert: WatchAlert) => void;
  /** Event type codes to report; default broken events only. */
  eventTypes?: number[];
  /** More new events than this in one poll become one summary alert; default 10. */
  maxAlertsPerPoll?: number;
  /** How far the first poll looks back, in minutes; default 30. */
  initialLookupWindowMinutes?: number;
  /** Minutes added to each window so events recorded late are not missed; default 2. */
  overlapMinutes?: number;
  /** Event ids remembered at most; default 20,000. */
  rememberLimit?: number;
  /** How long an event id is remembered; default 6 h, longer than the largest window. */
  rememberForMs?: number;
  /**
   * What an earlier watcher remembered (its `memory()`), to start from. Ids older than
   * `rememberForMs` are dropped, at most `rememberLimit` kept; a malformed object is ignored whole.
   */
  memory?: WatchMemory;
  /**
   * Called after a poll that changed the memory (new ids, a later `lastGoodPollAt`, a failure
   * counted or cleared), with a snapshot to store. Should not throw; if it does, the error is ignored so storage never stops a watch.
   */
  onMemoryChange?: (memory: WatchMemory) => void;
  now?: () => number;
}

/** What one poll did, for callers that print a status line or set an exit code. */
export interface PollOutcome {
  ok: boolean;
  lookupWindowMinutes: number;
  /** New matching events found by this poll (all of them, also when summarised). */
  newEvents: number;
  alerts: WatchAlert[];
}

const SUMMARY_EXAMPLES = 3;
const LOG_EXCERPT_CHARS = 400;

export class BrokenEventWatcher {
  private readonly eventTypes: number[];
  private readonly maxAlertsPerPoll: number;
  private readonly overlapMinutes: number;
  private readonly rememberLimit: number;
  private readonly rememberForMs: number;
  private readonly now: () => number;
  /** Event id → when it was first reported; insertion order is age order. */
  private readonly reported = new Map<string, number>();
  private lastGoodPollAt: number | undefined;
  private consecutiveFailures = 0;

  constructor(private readonly options: BrokenEventWatcherOptions) {
    this.eventTypes = options.eventTypes && options.eventTypes.length > 0 ? [...new Set(options.eventTypes)] : [BROKEN_EVENT_TYPE];
    this.maxAlertsPerPoll = Math.max(1, options.maxAlertsPerPoll ?? 10);
    this.overlapMinutes = Math.max(0, options.overlapMinutes ?? 2);
    this.rememberLimit = Math.max(1, options.rememberLimit ?? 20_000);
    this.rememberForMs = options.rememberForMs ?? 6 * 60 * 60_000;
    this.now = options.now ?? Date.now;
    if (options.memory !== undefined) this.restore(options.memory);
  }

  /** A snapshot of what this watcher remembers, for `memory` of the next one. */
  memory(): WatchMemory {
    const memory: WatchMemory = { version: 1, reported: [...this.reported] };
    if (this.lastGoodPollAt !== undefined) memory.lastGoodPollAt = this.lastGoodPollAt;
    if (this.consecutiveFailures > 0) memory.failedPolls = this.consecutiveFailures;
    return memory;
  }

  /** The window the next poll will ask for, in minutes. */
  nextLookupWindow(): number {
    if (this.lastGoodPollAt === undefined) return clampWindow(this.options.initialLookupWindowMinutes ?? 30);
    const elapsedMinutes = Math.ceil((this.now() - this.lastGoodPollAt) / 60_000);
    return clampWindow(elapsedMinutes + this.overlapMinutes);
  }

  /** Runs one poll and delivers its alerts. Never rejects, except when `signal` was aborted. */
  async pollOnce(signal: AbortSignal): Promise<PollOutcome> {
    const lookupWindowMinutes = this.nextLookupWindow();
    const startedAt = this.now();
    let sessions: DebuggerSession[];
    try {
      sessions = await this.options.poll({ lookupWindowMinutes, eventTypes: this.eventTypes, signal });
    } catch (error) {
      if (signal.aborted) throw error;
      this.consecutiveFailures++;
      const alerts: WatchAlert[] = this.consecutiveFailures === 1 ? [{ kind: 'pollFailed', message: failureMessage(error) }] : [];
      await this.deliver(alerts);
      this.saveMemory();
      return { ok: false, lookupWindowMinutes, newEvents: 0, alerts };
    }
    const alerts: WatchAlert[] = [];
    const recovered = this.consecutiveFailures > 0;
    if (recovered) alerts.push({ kind: 'recovered', failedPolls: this.consecutiveFailures });
    this.consecutiveFailures = 0;
    const memoryChanged = recovered || this.lastGoodPollAt !== startedAt;
    // The next window is measured from when this poll started: events that arrived while it ran are still covered.
    this.lastGoodPollAt = startedAt;
    this.forgetOld();
    const fresh = this.newMatchingEvents(sessions);
    for (const alert of fresh) this.remember(alert.eventId);
    if (fresh.length > this.maxAlertsPerPoll) alerts.push(summarize(fresh));
    else alerts.push(...fresh);
    await this.deliver(alerts);
    // Saved after delivery: a run killed mid-delivery reports those events again rather than never.
    if (memoryChanged || fresh.length > 0) this.saveMemory();
    return { ok: true, lookupWindowMinutes, newEvents: fresh.length, alerts };
  }

  private saveMemory(): void {
    try {
      this.options.onMemoryChange?.(this.memory());
    } catch {
      // See onMemoryChange: a store reports its own failures.
    }
  }

  /**
   * Polls every `intervalMs` until `signal` aborts. `sleep` is injectable for tests; it must reject
   * or resolve promptly when the signal aborts.
   */
  async run(
    intervalMs: number,
    signal: AbortSignal,
    sleep: (ms: number, signal: AbortSignal) => Promise<void> = abortableSleep,
    onPoll?: (outcome: PollOutcome) => void,
  ): Promise<void> {
    while (!signal.aborted) {
      try {
        const outcome = await this.pollOnce(signal);
        onPoll?.(outcome);
      } catch (error) {
        if (signal.aborted) return;
        // pollOnce does not reject otherwise; this guards the loop against a bug in a callback.
        await this.deliver([{ kind: 'pollFailed', message: `internal error: ${(error as Error)?.message ?? String(error)}` }]);
      }
      if (signal.aborted) return;
      await sleep(intervalMs, signal).catch(() => undefined);
    }
  }

  private newMatchingEvents(sessions: DebuggerSession[]): EventAlert[] {
    const found: EventAlert[] = [];
    const seenThisPoll = new Set<string>();
    for (const session of sessions) {
      for (const event of session.events) {
        if (!this.eventTypes.includes(event.type.code) || !event.eventId) continue;
        if (this.reported.has(event.eventId) || seenThisPoll.has(event.eventId)) continue;
        seenThisPoll.add(event.eventId);
        found.push(toEventAlert(session, event));
      }
    }
    return found.sort((a, b) => a.serverTime.localeCompare(b.serverTime) || a.eventId.localeCompare(b.eventId));
  }

  private restore(memory: WatchMemory): void {
    if (!isWatchMemory(memory)) return;
    const now = this.now();
    // A poll time in the future (a clock set back) would shrink the window and miss events.
    if (memory.lastGoodPollAt !== undefined && memory.lastGoodPollAt <= now) this.lastGoodPollAt = memory.lastGoodPollAt;
    if (memory.failedPolls !== undefined) this.consecutiveFailures = memory.failedPolls;
    const horizon = now - this.rememberForMs;
    // The map must stay in age order for forgetOld; future times are clamped to now for the same reason.
    const entries = memory.reported
      .filter(([, at]) => at > horizon)
      .map(([eventId, at]): [string, number] => [eventId, Math.min(at, now)])
      .sort((a, b) => a[1] - b[1]);
    for (const [eventId, at] of entries.slice(-this.rememberLimit)) if (!this.reported.has(eventId)) this.reported.set(eventId, at);
  }

  private remember(eventId: string): void {
    this.reported.set(eventId, this.now());
    while (this.reported.size > this.rememberLimit) {
      const oldest = this.reported.keys().next().value as string;
      this.reported.delete(oldest);
    }
  }

  private forgetOld(): void {
    const horizon = this.now() - this.rememberForMs;
    for (const [eventId, at] of this.reported) {
      if (at > horizon) break;
      this.reported.delete(eventId);
    }
  }

  private async deliver(alerts: WatchAlert[]): Promise<void> {
    for (const alert of alerts) {
      try {
        await this.options.onAlert(alert);
      } catch (error) {
        this.options.onDeliveryError?.(error, alert);
      }
    }
  }
}

/** Whether `value` has the shape of a WatchMemory (files are read from disk, so anything may come). */
export function isWatchMemory(value: unknown): value is WatchMemory {
  if (typeof value !== 'object' || value === null) return false;
  const memory = value as Partial<Record<keyof WatchMemory, unknown>>;
  if (memory.version !== 1 || !Array.isArray(memory.reported)) return false;
  if (memory.lastGoodPollAt !== undefined && !Number.isFinite(memory.lastGoodPollAt)) return false;
  if (memory.failedPolls !== undefined && !(Number.isInteger(memory.failedPolls) && (memory.failedPolls as number) >= 0)) return false;
  return memory.reported.every(
    (entry: unknown) => Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string' && entry[0] !== '' && Number.isFinite(entry[1]),
  );
}

function toEventAlert(session: DebuggerSession, event: DebuggerEvent): EventAlert {
  const alert: EventAlert = {
    kind: 'event',
    eventId: event.eventId,
    eventType: event.type,
    sessionId: session.sessionId,
    serverTime: event.serverTime || session.serverTime,
  };
  const message = event.errorMessage ?? event.exclusionReason;
  if (message) alert.message = message;
  if (session.entryUrl) alert.entryUrl = session.entryUrl;
  const excerpt = logExcerpt(event.logs);
  if (excerpt) alert.logExcerpt = excerpt;
  return alert;
}

/** The tracking request as one line: method, URL and the parameters that say what was tracked. */
function logExcerpt(logs: Array<Record<string, unknown>> | undefined): string | undefined {
  const log = logs?.[0];
  if (!log) return undefined;
  const params = typeof log.query_params === 'object' && log.query_params !== null ? (log.query_params as Record<string, unknown>) : {};
  const query = Object.entries(params)
    .map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('&');
  const head = [typeof log.time === 'string' ? log.time : undefined, typeof log.method === 'string' ? log.method : undefined].filter(Boolean).join(' ');
  const text = `${head}${head ? ' ' : ''}${query ? `?${query}` : JSON.stringify(log)}`;
  return text.length > LOG_EXCERPT_CHARS ? `${text.slice(0, LOG_EXCERPT_CHARS - 1)}…` : text;
}

function summarize(events: EventAlert[]): SummaryAlert {
  const byType: Record<string, number> = {};
  for (const event of events) byType[event.eventType.label] = (byType[event.eventType.label] ?? 0) + 1;
  return { kind: 'summary', count: events.length, byType, examples: events.slice(0, SUMMARY_EXAMPLES) };
}

function failureMessage(error: unknown): string {
  if (isBackendError(error)) return error.message + (error.details.hint ? ` (${error.details.hint})` : '');
  return `internal error: ${(error as Error)?.message ?? String(error)}`;
}

function clampWindow(minutes: number): number {
  if (!Number.isFinite(minutes)) return MAX_LOOKUP_WINDOW;
  return Math.min(MAX_LOOKUP_WINDOW, Math.max(MIN_LOOKUP_WINDOW, Math.ceil(minutes)));
}

/** Plain-text form of an alert, for stdout and editor notifications. */
export function describeAlert(alert: WatchAlert): string {
  switch (alert.kind) {
    case 'event': {
      const lines = [`${alert.eventType.label} ${alert.eventId} at ${alert.serverTime} UTC${alert.message ? `: ${alert.message}` : ''}`];
      if (alert.entryUrl) lines.push(`  session ${alert.sessionId}, entry URL ${alert.entryUrl}`);
      else lines.push(`  session ${alert.sessionId}`);
      if (alert.logExcerpt) lines.push(`  request: ${alert.logExcerpt}`);
      return lines.join('\n');
    }
    case 'summary': {
      const types = Object.entries(alert.byType)
        .map(([label, count]) => `${count} ${label}`)
        .join(', ');
      const examples = alert.examples.map((example) => `  e.g. ${example.eventId}${example.message ? `: ${example.message}` : ''}`);
      return [`${alert.count} new events in one poll (${types}); showing a summary instead of ${alert.count} alerts.`, ...examples].join('\n');
    }
    case 'pollFailed':
      return `Polling the Tracker Debugger failed: ${alert.message} Retrying on the next tick; this is reported once until it recovers.`;
    case 'recovered':
      return `Polling the Tracker Debugger works again after ${alert.failedPolls} failed poll${alert.failedPolls === 1 ? '' : 's'}.`;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
