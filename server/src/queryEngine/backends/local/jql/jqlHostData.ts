/**
 * The host side of JQL data access: answers the sandbox's Events / People / join requests over a
 * loaded LocalDataset with positions into it. Selectors are segmentation expressions, parsed and
 * evaluated by the same parser and evaluator as `where` clauses. Runs in the JQL worker, outside the
 * sandbox; answers are plain numbers or an error message string, never a thrown error.
 */
import {
  compileExpression,
  compileExpressionWith,
  isTruthy,
  type CompiledExpression,
  type ExpressionContext,
  type PropertyReader,
} from '../evaluateExpression';
import { parseExpression } from '../../../../languageService/parser/expressionParser';
import { lowerBound } from '../datasetIndex';
import type { LocalDataset } from '../localEvent';
import { rangeInstants, ZoneClock } from '../timeBuckets';
import type { JqlDataRequest, JqlEventSelector, JqlHostData } from './jqlApi';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Where a selector sits decides what it may read: event selectors see the event's properties only. */
type SelectorPlace = 'event_selectors' | 'user_selectors' | 'join() selectors';

interface CompiledSelector {
  event: string | undefined;
  test: CompiledExpression | undefined;
}

const prepared = new WeakMap<LocalDataset, Map<string, JqlHostData>>();

/** The dataset as the sandbox sees it in `timezone`; built once per dataset and zone. */
export function jqlHostData(dataset: LocalDataset, timezone = 'UTC'): JqlHostData {
  let byZone = prepared.get(dataset);
  if (!byZone) prepared.set(dataset, (byZone = new Map()));
  let data = byZone.get(timezone);
  if (!data) {
    data = buildHostData(dataset, timezone);
    byZone.set(timezone, data);
  }
  return data;
}

function buildHostData(dataset: LocalDataset, timezone: string): JqlHostData {
  const clock = new ZoneClock(timezone);
  const eventTimes = new Float64Array(dataset.events.length);
  for (let index = 0; index < dataset.events.length; index++) eventTimes[index] = clock.toLocal(dataset.events[index].time);
  const profileTimes = dataset.profiles.map((profile) => {
    const utc = instantOf(profile.properties.$last_seen);
    return utc === undefined ? undefined : clock.toLocal(utc);
  });
  const profileIndex = new Map<string, number>();
  dataset.profiles.forEach((profile, index) => profileIndex.set(profile.distinctId, index));

  const eventsMatching = (request: { from: string; to: string; selectors: JqlEventSelector[] }): number[] => {
    if (!DATE.test(request.from) || !DATE.test(request.to))
      throw new JqlRequestError(`Events(): from_date and to_date must be dates of the form YYYY-MM-DD (got "${request.from}" and "${request.to}")`);
    for (const [field, date] of [
      ['from_date', request.from],
      ['to_date', request.to],
    ] as const) {
      if (!isCalendarDate(date)) throw new JqlRequestError(`Events(): ${field} "${date}" is not a date in the calendar`);
    }
    if (request.from > request.to) throw new JqlRequestError(`Events(): from_date ${request.from} is after to_date ${request.to}`);
    const { start, end } = rangeInstants({ from: request.from, to: request.to }, clock);
    const selectors = request.selectors.map((selector) => compileSelector(selector, 'event_selectors'));
    const context: ExpressionContext = { properties: {}, user: undefined };
    const positions: number[] = [];
    for (let index = lowerBound(dataset.events, start); index < dataset.events.length; index++) {
      const event = dataset.events[index];
      if (event.time >= end) break;
      if (selectors.length === 0) {
        positions.push(index);
        continue;
      }
      context.properties = event.properties;
      for (const selector of selectors) {
        if (selector.event !== undefined && selector.event !== event.name) continue;
        if (!selector.test || isTruthy(selector.test(context))) {
          positions.push(index);
          break;
        }
      }
    }
    return positions;
  };

  const peopleMatching = (request: { selectors: Array<{ selector?: string }> }): number[] => {
    const selectors = request.selectors.map((selector) => compileSelector(selector, 'user_selectors'));
    const positions: number[] = [];
    dataset.profiles.forEach((profile, index) => {
      // User selectors read user["…"]; properties["…"] is accepted too, as the profile's own properties.
      const context: ExpressionContext = { properties: profile.properties, user: profile.properties };
      if (selectors.length === 0 || selectors.some((selector) => selector.test === undefined || isTruthy(selector.test(context)))) positions.push(index);
    });
    return positions;
  };

  const joinPairs = (request: Extract<JqlDataRequest, { kind: 'join' }>): number[] => {
    const events = eventsMatching(request.events);
    const people = new Set(peopleMatching(request.people));
    const selectors = request.selectors.map((selector) => compileSelector(selector, 'join() selectors'));
    const keep = (eventIndex: number, userIndex: number): boolean => {
      if (selectors.length === 0) return true;
      const event = eventIndex >= 0 ? dataset.events[eventIndex] : undefined;
      const context: ExpressionContext = { properties: event?.properties ?? {}, user: userIndex >= 0 ? dataset.profiles[userIndex].properties : undefined };
      return selectors.some(
        (selector) => (selector.event === undefined || selector.event === event?.name) && (selector.test === undefined || isTruthy(selector.test(context))),
      );
    };
    const pairs: number[] = [];
    const usersWithEvents = new Set<number>();
    for (const eventIndex of events) {
      // An event sent without a distinct_id (read as "") belongs to no user.
      const distinctId = dataset.events[eventIndex].distinctId;
      const found = distinctId === '' ? undefined : profileIndex.get(distinctId);
      const userIndex = found !== undefined && people.has(found) ? found : -1;
      if (userIndex >= 0) usersWithEvents.add(userIndex);
      else if (request.type === 'inner' || request.type === 'right') continue;
      if (keep(eventIndex, userIndex)) pairs.push(eventIndex, userIndex);
    }
    if (request.type === 'full' || request.type === 'right') {
      for (const userIndex of people) if (!usersWithEvents.has(userIndex) && keep(-1, userIndex)) pairs.push(-1, userIndex);
    }
    return pairs;
  };

  return {
    events: dataset.events,
    eventTimes,
    profiles: dataset.profiles,
    profileTimes,
    select(requestJson: string): number[] | string {
      try {
        const request = JSON.parse(requestJson) as JqlDataRequest;
        switch (request.kind) {
          case 'events':
            return eventsMatching(request);
          case 'people':
            return peopleMatching(request);
          case 'join':
            return joinPairs(request);
        }
        return 'Unknown data request';
      } catch (error) {
        return error instanceof JqlRequestError ? error.message : `Reading the local data failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    },
  };
}

/** A mistake in what the script asked for, reported to it as its own error. */
class JqlRequestError extends Error {}

function compileSelector(selector: { event?: string; selector?: string }, where: SelectorPlace): CompiledSelector {
  let test: CompiledExpression | undefined;
  if (selector.selector !== undefined && selector.selector.trim() !== '') {
    const text = selector.selector;
    const { expression, problems } = parseExpression(text, 0);
    if (problems.length > 0) {
      throw new JqlRequestError(`${where}: the selector '${text}' is not a valid segmentation expression: ${problems[0].message}`);
    }
    test = where === 'user_selectors' ? compileExpression(expression) : compileExpressionWith(expression, eventSelectorReader(where, text));
  }
  return { event: 'event' in selector ? selector.event : undefined, test };
}

/**
 * How an event or join selector reads a property. `properties["…"]` is what the script sees in
 * `event.properties`: without the export line's `time` and `distinct_id`. `user["…"]` exists only in
 * join() selectors; in event selectors it is refused when the selector is compiled, before any data is read.
 */
function eventSelectorReader(where: SelectorPlace, text: string): PropertyReader<ExpressionContext> {
  return (scope, name) => {
    if (scope === 'user') {
      if (where === 'event_selectors') {
        throw new JqlRequestError(
          `event_selectors: the selector '${text}' reads user["${name}"], but event selectors can only read event properties; filter on user properties with join(Events(…), People(), {selectors: […]}) or People({user_selectors: […]})`,
        );
      }
      return (context) => context.user?.[name];
    }
    if (scope === 'event' && name === '$time') return (context) => context.properties.time;
    if (name === 'time' || name === 'distinct_id') return () => undefined;
    return (context) => context.properties[name];
  };
}

/** `YYYY-MM-DD` naming a real day: "2026-02-30" or "2026-08-32" would otherwise roll over into the next month. */
function isCalendarDate(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number);
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, day);
  return instant.getUTCFullYear() === year && instant.getUTCMonth() === month - 1 && instant.getUTCDate() === day;
}

function instantOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  if (typeof value !== 'string') return undefined;
  const parsed = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(parsed) ? undefined : parsed;
}
