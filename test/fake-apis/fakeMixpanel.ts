/**
 * A fake of the Mixpanel Query API and Lexicon Schemas API (docs/api-notes.md) on 127.0.0.1. It
 * checks what the real API checks — Basic auth (service account `user:secret` or legacy
 * `secret:`), a required `project_id` and the other required parameters (400 with
 * `{"error", "status": "error"}`), the project's data-residency region, the plan, the hourly
 * rate limit (429 + Retry-After) — and computes its answers from a small event fixture.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basicAuth, daysBetween, FakeServer, json, type Fault, type FakeResponse, type RecordedRequest } from './fakeServerKit';

export interface FixtureEvent {
  event: string;
  distinctId: string;
  /** ISO time, UTC. */
  time: string;
  properties: Record<string, string | number | boolean>;
}

/** The fixture every computed answer comes from; the backend tests count by hand from it. */
export const MIXPANEL_FIXTURE_EVENTS: readonly FixtureEvent[] = [
  { event: 'Sign Up', distinctId: 'u1', time: '2026-10-01T10:00:00Z', properties: { browser: 'Chrome', plan: 'free' } },
  { event: 'Sign Up', distinctId: 'u2', time: '2026-10-01T11:00:00Z', properties: { browser: 'Firefox', plan: 'pro' } },
  { event: 'Page View', distinctId: 'u2', time: '2026-10-01T11:05:00Z', properties: { browser: 'Firefox', page: '/home' } },
  { event: 'Sign Up', distinctId: 'u3', time: '2026-10-02T09:00:00Z', properties: { browser: 'Chrome', plan: 'free' } },
  { event: 'Page View', distinctId: 'u2', time: '2026-10-02T11:05:00Z', properties: { browser: 'Firefox', page: '/pricing' } },
  { event: 'Page View', distinctId: 'u1', time: '2026-10-02T11:30:00Z', properties: { browser: 'Chrome', page: '/home' } },
  { event: 'Purchase', distinctId: 'u1', time: '2026-10-02T12:00:00Z', properties: { browser: 'Chrome', amount: 30 } },
  { event: 'Purchase', distinctId: 'u1', time: '2026-10-03T08:00:00Z', properties: { browser: 'Chrome', amount: 20 } },
  { event: 'Purchase', distinctId: 'u3', time: '2026-10-03T10:00:00Z', properties: { browser: 'Chrome', amount: 50 } },
];

export const MIXPANEL_FIXTURE_PROFILES = [
  { distinctId: 'u1', properties: { $email: 'u1@example.com', plan: 'free' } },
  { distinctId: 'u2', properties: { $email: 'u2@example.com', plan: 'pro' } },
  { distinctId: 'u3', properties: { $email: 'u3@example.com', plan: 'free' } },
];

export interface FakeProject {
  region: 'US' | 'EU' | 'IN';
  serviceAccounts: Array<{ username: string; secret: string }>;
  legacySecret?: string;
  /** Answer 402 to every query. */
  overPlan?: boolean;
  /** Answer Lexicon with 403, as for a service account without the permission. */
  lexiconForbidden?: boolean;
  /** Saved funnels by id. */
  funnels?: Record<number, { steps: string[]; lengthDays: number }>;
  /** Saved Insights reports by bookmark id: a daily count of one event over the fixture's days. */
  bookmarks?: Record<number, { event: string }>;
}

export interface FakeMixpanelOptions {
  /** Which residency cluster this fake plays; a project of another region gets the residency error. */
  hostRegion?: 'US' | 'EU' | 'IN';
  projects: Record<number, FakeProject>;
  /** Queries allowed before 429; default unlimited. */
  hourlyLimit?: number;
  retryAfterSeconds?: number;
  events?: readonly FixtureEvent[];
}

export interface FakeMixpanel {
  url: string;
  close(): Promise<void>;
  store: { requests: RecordedRequest[]; requestsTo(path: string | RegExp): RecordedRequest[] };
  setFault(fault: Fault, options?: { times?: number; path?: RegExp }): void;
  clearFaults(): void;
}

const DAY_MS = 86_400_000;

export async function startFakeMixpanel(options: FakeMixpanelOptions): Promise<FakeMixpanel> {
  const events = options.events ?? MIXPANEL_FIXTURE_EVENTS;
  let counted = 0;
  let jqlDir: string | undefined;
  const server = new FakeServer(async (request) => {
    const failure = checkRequest(request);
    if (failure) return failure;
    return route(request);
  });

  function checkRequest(request: RecordedRequest): FakeResponse | undefined {
    const lexicon = /^\/api\/app\/projects\/(\d+)\/schemas/.exec(request.path);
    const projectText = lexicon ? lexicon[1] : request.query.project_id;
    const auth = basicAuth(request.headers);
    if (!auth) return json(401, { error: 'Unauthorized: no credentials', status: 'error' });
    if (projectText === undefined) {
      // Without project_id only a legacy secret identifies the project.
      const byLegacy = Object.values(options.projects).some((project) => project.legacySecret === auth.username && auth.password === '');
      if (!byLegacy) return json(400, { error: 'project_id is required when using service account authentication', status: 'error' });
    }
    const project = options.projects[Number(projectText)];
    const isMember =
      project &&
      (project.serviceAccounts.some((account) => account.username === auth.username && account.secret === auth.password) ||
        (project.legacySecret === auth.username && auth.password === ''));
    const knowsAccount = Object.values(options.projects).some((candidate) =>
      candidate.serviceAccounts.some((account) => account.username === auth.username && account.secret === auth.password),
    );
    if (!project)
      return knowsAccount
        ? json(404, { error: `project ${projectText} not found`, status: 'error' })
        : json(401, { error: 'Invalid credentials', status: 'error' });
    if (!isMember) return json(401, { error: 'Invalid credentials', status: 'error' });
    if (project.region !== (options.hostRegion ?? 'US')) {
      return json(400, { request: request.path, error: 'request failed with error: invalid project id for cluster.' });
    }
    if (project.overPlan) return json(402, { error: 'Your plan does not include this feature', status: 'error' });
    counted++;
    if (options.hourlyLimit !== undefined && counted > options.hourlyLimit) {
      return json(
        429,
        {
          request: request.path,
          error: `Query rate limit exceeded for project_id: ${projectText}. 0/5 queries running concurrently and ${counted - 1}/${options.hourlyLimit} queries running in the last hour.`,
        },
        { 'retry-after': String(options.retryAfterSeconds ?? 1) },
      );
    }
    return undefined;
  }

  async function route(request: RecordedRequest): Promise<FakeResponse> {
    const projectId = Number(request.query.project_id ?? /projects\/(\d+)/.exec(request.path)?.[1]);
    const project = options.projects[projectId];
    const form = request.method === 'POST' ? Object.fromEntries(new URLSearchParams(request.body)) : {};
    const q = { ...request.query, ...form };
    switch (request.path) {
      case '/api/query/segmentation':
        return segmentation(q);
      case '/api/query/segmentation/sum':
      case '/api/query/segmentation/average':
        return aggregate(q, request.path.endsWith('sum') ? 'sum' : 'average');
      case '/api/query/funnels':
        return funnels(q, project);
      case '/api/query/retention':
        return retention(q);
      case '/api/query/insights':
        return insights(q, project);
      case '/api/query/jql':
        return jql(q);
      case '/api/query/events/names':
        return missing(q, ['type']) ?? json(200, eventNamesByVolume().slice(0, Number(q.limit ?? 255)));
      case '/api/query/events/properties/top':
        return missing(q, ['event']) ?? json(200, topProperties(q.event, Number(q.limit ?? 10)));
      case '/api/query/events/properties/values':
        return (
          missing(q, ['event', 'name']) ??
          json(200, [...new Set(events.filter((e) => e.event === q.event && q.name in e.properties).map((e) => String(e.properties[q.name])))])
        );
      case '/api/query/cohorts/list':
        return request.method === 'POST'
          ? json(200, [
              { count: 2, is_visible: 1, description: 'Bought something', created: '2026-10-04 10:00:00', project_id: projectId, id: 1000, name: 'Buyers' },
            ])
          : json(405, { error: 'use POST', status: 'error' });
      case '/api/query/engage':
        return engage(q);
    }
    if (/^\/api\/app\/projects\/\d+\/schemas$/.test(request.path)) {
      if (project?.lexiconForbidden) return json(403, { error: 'Permission denied: this service account may not read Lexicon schemas', status: 'error' });
      return json(200, { status: 'ok', results: lexiconEntries() });
    }
    return json(404, { error: `unknown endpoint ${request.path}`, status: 'error' });
  }

  function missing(q: Record<string, string>, names: string[]): FakeResponse | undefined {
    const absent = names.find((name) => q[name] === undefined || q[name] === '');
    return absent ? json(400, { error: `missing required parameter: ${absent}`, status: 'error' }) : undefined;
  }

  /** `properties["x"]` → "x"; the fake understands only plain property references. */
  function propertyOf(expression: string | undefined): string | undefined | null {
    if (expression === undefined) return undefined;
    const match = /^properties\["([^"]+)"\]$/.exec(expression.trim());
    return match ? match[1] : null;
  }

  /** `properties["x"] == "v"` / `== 3`; anything else is answered with 400. */
  function whereFilter(expression: string | undefined): ((event: FixtureEvent) => boolean) | null {
    if (expression === undefined) return () => true;
    const match = /^properties\["([^"]+)"\] == (?:"([^"]*)"|(-?\d+(?:\.\d+)?))$/.exec(expression.trim());
    if (!match) return null;
    const expected = match[2] ?? Number(match[3]);
    return (event) => event.properties[match[1]] === expected;
  }

  function inRange(event: FixtureEvent, from: string, to: string): boolean {
    const day = event.time.slice(0, 10);
    return day >= from && day <= to;
  }

  function bucket(time: string, unit: string): string {
    if (unit === 'hour') return `${time.slice(0, 10)} ${time.slice(11, 13)}:00:00`;
    if (unit === 'month') return `${time.slice(0, 7)}-01`;
    return time.slice(0, 10);
  }

  function selectEvents(q: Record<string, string>): FixtureEvent[] | FakeResponse {
    const where = whereFilter(q.where);
    if (!where) return json(400, { error: `the fake cannot evaluate where=${q.where}`, status: 'error' });
    return events.filter((event) => event.event === q.event && inRange(event, q.from_date, q.to_date) && where(event));
  }

  function segmentation(q: Record<string, string>): FakeResponse {
    const absent = missing(q, ['event', 'from_date', 'to_date']);
    if (absent) return absent;
    const unit = q.unit ?? 'day';
    const on = propertyOf(q.on);
    if (on === null) return json(400, { error: `the fake cannot segment by ${q.on}`, status: 'error' });
    const selected = selectEvents(q);
    if (!Array.isArray(selected)) return selected;
    const days = daysBetween(q.from_date, q.to_date);
    const buckets = unit === 'day' ? days : [...new Set(selected.map((event) => bucket(event.time, unit)))];
    const groups = new Map<string, FixtureEvent[]>();
    for (const event of selected) {
      const key = on === undefined ? q.event : String(event.properties[on] ?? 'undefined');
      groups.set(key, [...(groups.get(key) ?? []), event]);
    }
    if (on === undefined && !groups.has(q.event)) groups.set(q.event, []);
    // Like the real API, `limit` keeps the largest segments and says nothing of the others.
    const kept = [...groups].sort((a, b) => b[1].length - a[1].length).slice(0, q.limit ? Number(q.limit) : undefined);
    const values: Record<string, Record<string, number>> = {};
    for (const [key, group] of kept) {
      values[key] = {};
      for (const day of buckets) {
        const inBucket = group.filter((event) => bucket(event.time, unit) === day);
        const users = new Set(inBucket.map((event) => event.distinctId)).size;
        values[key][day] = q.type === 'unique' ? users : q.type === 'average' ? (users ? inBucket.length / users : 0) : inBucket.length;
      }
    }
    // The real API does not sort `series`; neither does the fake.
    return json(200, { data: { series: [...buckets].reverse(), values }, legend_size: kept.length });
  }

  function aggregate(q: Record<string, string>, how: 'sum' | 'average'): FakeResponse {
    const absent = missing(q, ['event', 'from_date', 'to_date', 'on']);
    if (absent) return absent;
    const on = propertyOf(q.on);
    if (!on) return json(400, { error: `the fake cannot aggregate ${q.on}`, status: 'error' });
    const selected = selectEvents(q);
    if (!Array.isArray(selected)) return selected;
    const results: Record<string, number> = {};
    for (const day of daysBetween(q.from_date, q.to_date)) {
      const numbers = selected
        .filter((event) => event.time.startsWith(day))
        .map((event) => Number(event.properties[on]))
        .filter(Number.isFinite);
      const sum = numbers.reduce((total, value) => total + value, 0);
      results[day] = how === 'sum' ? sum : numbers.length ? sum / numbers.length : 0;
    }
    return json(200, { status: 'ok', computed_at: '2026-10-04T00:00:00+00:00', results });
  }

  /** Per start day: users entering step 0 that day and how far each got within the window. */
  function funnels(q: Record<string, string>, project: FakeProject | undefined): FakeResponse {
    const absent = missing(q, ['funnel_id', 'from_date', 'to_date']);
    if (absent) return absent;
    const funnel = project?.funnels?.[Number(q.funnel_id)];
    if (!funnel) return json(404, { error: `funnel ${q.funnel_id} not found`, status: 'error' });
    const on = propertyOf(q.on);
    if (on === null) return json(400, { error: `the fake cannot segment by ${q.on}`, status: 'error' });
    const windowMs = q.length
      ? Number(q.length) * ({ day: DAY_MS, hour: 3_600_000, minute: 60_000 }[q.length_unit ?? 'day'] ?? DAY_MS)
      : funnel.lengthDays * DAY_MS;
    const dates = daysBetween(q.from_date, q.to_date);
    type Progress = { segment: string; times: number[] };
    const byDate = new Map<string, Progress[]>(dates.map((date) => [date, []]));
    const users = [...new Set(events.map((event) => event.distinctId))];
    for (const user of users) {
      const own = events.filter((event) => event.distinctId === user).sort((a, b) => a.time.localeCompare(b.time));
      const start = own.find((event) => event.event === funnel.steps[0] && inRange(event, q.from_date, q.to_date));
      if (!start) continue;
      const times = [Date.parse(start.time)];
      for (const step of funnel.steps.slice(1)) {
        const next = own.find(
          (event) => event.event === step && Date.parse(event.time) > times[times.length - 1] && Date.parse(event.time) - times[0] <= windowMs,
        );
        if (!next) break;
        times.push(Date.parse(next.time));
      }
      byDate.get(start.time.slice(0, 10))!.push({ segment: on ? String(start.properties[on] ?? 'undefined') : '$overall', times });
    }
    const stepsOf = (progress: Progress[]): unknown[] =>
      funnel.steps.map((step, i) => {
        const reached = progress.filter((entry) => entry.times.length > i);
        const count = reached.length;
        const first = progress.length;
        const previous = progress.filter((entry) => entry.times.length > i - 1).length;
        const avg = i === 0 || count === 0 ? null : reached.reduce((total, entry) => total + (entry.times[i] - entry.times[i - 1]) / 1000, 0) / count;
        return {
          count,
          avg_time: avg,
          step_conv_ratio: i === 0 ? 1 : previous ? count / previous : 0,
          overall_conv_ratio: i === 0 ? 1 : first ? count / first : 0,
          goal: step,
          event: step,
        };
      });
    const data: Record<string, unknown> = {};
    for (const [date, progress] of byDate) {
      if (!on) {
        data[date] = {
          steps: stepsOf(progress),
          analysis: {
            completion: progress.filter((entry) => entry.times.length === funnel.steps.length).length,
            starting_amount: progress.length,
            steps: funnel.steps.length,
            worst: 1,
          },
        };
      } else {
        const segments: Record<string, unknown> = { $overall: stepsOf(progress) };
        for (const segment of new Set(progress.map((entry) => entry.segment)))
          segments[segment] = stepsOf(progress.filter((entry) => entry.segment === segment));
        data[date] = segments;
      }
    }
    return json(200, { meta: { dates }, data });
  }

  /**
   * Retention as Mixpanel's Query API documents it, with rolling windows: interval i holds returns
   * i to i+1 units (a day being 24 hours) after the cohort event. birth: a user's first
   * `born_event` in the data, if it falls in the range, starts their cohort. compounded: `born_event`
   * is ignored; every day a user did `event` (any event without it) starts a cohort entry.
   * `unbounded_retention=true` counts a return in interval i or any later one.
   */
  function retention(q: Record<string, string>): FakeResponse {
    const compounded = q.retention_type === 'compounded';
    const absent = missing(q, compounded ? ['from_date', 'to_date'] : ['from_date', 'to_date', 'born_event']);
    if (absent) return absent;
    const intervals = Number(q.interval_count ?? 1) + 1;
    const unitMs = DAY_MS * ({ week: 7, month: 30 }[q.unit as 'week' | 'month'] ?? 1);
    const unbounded = q.unbounded_retention === 'true';
    const isReturn = (event: FixtureEvent): boolean => q.event === undefined || event.event === q.event;
    const cohorts: Record<string, { counts: number[]; first: number }> = {};
    const users = [...new Set(events.map((event) => event.distinctId))];
    for (const user of users) {
      const own = events.filter((event) => event.distinctId === user).sort((a, b) => a.time.localeCompare(b.time));
      let births: FixtureEvent[];
      if (compounded) {
        const byDay = new Map<string, FixtureEvent>();
        for (const event of own)
          if (isReturn(event) && inRange(event, q.from_date, q.to_date) && !byDay.has(event.time.slice(0, 10))) byDay.set(event.time.slice(0, 10), event);
        births = [...byDay.values()];
      } else {
        const first = own.find((event) => event.event === q.born_event);
        births = first && inRange(first, q.from_date, q.to_date) ? [first] : [];
      }
      for (const birth of births) {
        const day = birth.time.slice(0, 10);
        const cohort = (cohorts[day] ??= { counts: Array.from({ length: intervals }, () => 0), first: 0 });
        cohort.first++;
        const returnedIn = own
          .filter((event) => event !== birth && isReturn(event) && event.time >= birth.time)
          .map((event) => Math.floor((Date.parse(event.time) - Date.parse(birth.time)) / unitMs));
        for (let i = 0; i < intervals; i++) if (returnedIn.some((interval) => (unbounded ? interval >= i : interval === i))) cohort.counts[i]++;
      }
    }
    return json(200, cohorts);
  }

  function insights(q: Record<string, string>, project: FakeProject | undefined): FakeResponse {
    const absent = missing(q, ['bookmark_id']);
    if (absent) return absent;
    const bookmark = project?.bookmarks?.[Number(q.bookmark_id)];
    if (!bookmark) return json(404, { error: `bookmark ${q.bookmark_id} not found`, status: 'error' });
    const days = [...new Set(events.map((event) => event.time.slice(0, 10)))].sort();
    const perDay: Record<string, number> = {};
    for (const day of days) perDay[`${day}T00:00:00+00:00`] = events.filter((event) => event.event === bookmark.event && event.time.startsWith(day)).length;
    return json(200, {
      computed_at: '2026-10-04T00:00:00+00:00',
      date_range: { from_date: `${days[0]}T00:00:00+00:00`, to_date: `${days[days.length - 1]}T23:59:59.999000+00:00` },
      headers: ['$event'],
      series: { [bookmark.event]: perDay },
    });
  }

  /** Runs the script with the local JQL runtime over the fixture written as a raw export. */
  async function jql(q: Record<string, string>): Promise<FakeResponse> {
    const absent = missing(q, ['script']);
    if (absent) return absent;
    if (!jqlDir) {
      jqlDir = mkdtempSync(join(tmpdir(), 'aq-fake-mixpanel-'));
      const lines = events.map((event) =>
        JSON.stringify({
          event: event.event,
          properties: {
            time: Date.parse(event.time) / 1000,
            distinct_id: event.distinctId,
            $insert_id: `${event.distinctId}-${Date.parse(event.time)}`,
            ...event.properties,
          },
        }),
      );
      writeFileSync(join(jqlDir, 'events.ndjson'), `${lines.join('\n')}\n`);
    }
    const runtimePath = '../../server/src/queryEngine/backends/local/jql/jqlRuntime';
    const runtime = (await import(runtimePath)) as {
      runJql: (options: { script: string; params: Record<string, unknown>; dataPath: string }) => Promise<{ output: unknown[] }>;
    };
    try {
      const { output } = await runtime.runJql({
        script: q.script,
        params: q.params ? (JSON.parse(q.params) as Record<string, unknown>) : {},
        dataPath: join(jqlDir, 'events.ndjson'),
      });
      return json(200, output);
    } catch (error) {
      return json(400, { error: `Error validating script: ${(error as Error).message}`, status: 'error' });
    }
  }

  function engage(q: Record<string, string>): FakeResponse {
    let profiles = MIXPANEL_FIXTURE_PROFILES;
    if (q.distinct_ids) {
      const ids = JSON.parse(q.distinct_ids) as string[];
      profiles = profiles.filter((profile) => ids.includes(profile.distinctId));
    }
    if (q.where) {
      const match = /^user\["([^"]+)"\] == "([^"]*)"$/.exec(q.where.trim());
      if (!match) return json(400, { error: `the fake cannot evaluate where=${q.where}`, status: 'error' });
      profiles = profiles.filter((profile) => (profile.properties as Record<string, unknown>)[match[1]] === match[2]);
    }
    return json(200, {
      page: Number(q.page ?? 0),
      page_size: 1000,
      session_id: '1234567890-EXAMPL',
      status: 'ok',
      total: profiles.length,
      results: profiles.map((profile) => ({ $distinct_id: profile.distinctId, $properties: profile.properties })),
    });
  }

  function eventNamesByVolume(): string[] {
    const counts = new Map<string, number>();
    for (const event of events) counts.set(event.event, (counts.get(event.event) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name]) => name);
  }

  function topProperties(event: string, limit: number): Record<string, { count: number }> {
    const counts = new Map<string, number>();
    for (const candidate of events)
      if (candidate.event === event) for (const key of Object.keys(candidate.properties)) counts.set(key, (counts.get(key) ?? 0) + 1);
    return Object.fromEntries(
      [...counts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, limit)
        .map(([key, count]) => [key, { count }]),
    );
  }

  function lexiconEntries(): unknown[] {
    return [
      {
        entityType: 'event',
        name: 'Sign Up',
        schemaJson: {
          description: 'A new account.',
          properties: { browser: { type: 'string' }, plan: { type: 'string', examples: ['free', 'pro'] } },
          metadata: { 'com.mixpanel': { hidden: false, dropped: false } },
        },
      },
      {
        entityType: 'event',
        name: 'Purchase',
        schemaJson: {
          description: 'An order was paid.',
          properties: { amount: { type: 'number' }, browser: { type: 'string' } },
          metadata: { 'com.mixpanel': { hidden: false, dropped: false } },
        },
      },
      { entityType: 'profile', name: '$user', schemaJson: { properties: { $email: { type: 'string' }, plan: { type: 'string' } } } },
    ];
  }

  await server.start();
  return {
    url: server.url,
    close: async () => {
      await server.close();
      if (jqlDir) rmSync(jqlDir, { recursive: true, force: true });
    },
    store: { requests: server.requests, requestsTo: (path) => server.requestsTo(path) },
    setFault: (fault, faultOptions) => server.setFault(fault, faultOptions),
    clearFaults: () => server.clearFaults(),
  };
}
