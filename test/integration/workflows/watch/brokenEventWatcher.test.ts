/**
 * The broken-event watcher over real HTTP: the Piwik PRO backend against a debugger whose sessions
 * change between polls (fakePiwikWatch.ts), and alerts posted to a fake Slack webhook. A test clock
 * drives both the watcher's windows and the fake's `lookup_window` filter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DebuggerData } from '../../../../server/src/protocol/resultModel';
import type { DebuggerSpec } from '../../../../server/src/queryContract/querySpec';
import { PiwikProBackend } from '../../../../server/src/queryEngine/backends/piwikPro/piwikProBackend';
import { createHttpClient, type HttpClient } from '../../../../server/src/queryEngine/httpClient';
import { RequestQueue } from '../../../../server/src/queryEngine/requestQueue';
import { ResultCache } from '../../../../server/src/queryEngine/resultCache';
import {
  BrokenEventWatcher,
  describeAlert,
  type WatchAlert,
  type WatchMemory,
  type WatchPoll,
} from '../../../../server/src/workflows/watch/brokenEventWatcher';
import { escapeSlackText, formatSlackMessage, postSlackMessage } from '../../../../server/src/workflows/watch/slackAlert';
import { startFakePiwikWatch, WATCH_APP_ID, type FakePiwikWatch, type WatchEvent } from '../../../fake-apis/fakePiwikWatch';
import { SLACK_HOOK_PATH, startFakeSlack, type FakeSlack } from '../../../fake-apis/fakeSlack';

const CREDENTIALS = { clientId: 'watch-client', clientSecret: 'watch-secret-9f8e7d' };
const T0 = Date.parse('2026-10-03T10:00:00Z');
let clock = T0;
let piwik: FakePiwikWatch;
let slack: FakeSlack;
let http: HttpClient;

before(async () => {
  piwik = await startFakePiwikWatch({ ...CREDENTIALS, now: () => clock });
  slack = await startFakeSlack();
  http = createHttpClient();
});

after(async () => {
  await http.close();
  await piwik.close();
  await slack.close();
});

function at(minutesAfterT0: number): string {
  return new Date(T0 + minutesAfterT0 * 60_000).toISOString().slice(0, 19);
}

function broken(id: string, minute: number, errorMessage: string): WatchEvent {
  return {
    id,
    type: [17, 'Broken event'],
    time: at(minute),
    errorMessage,
    log: { idsite: WATCH_APP_ID, url: 'https://shop.example/cart', e_c: 'cart', e_a: 'add' },
  };
}

function pageView(id: string, minute: number): WatchEvent {
  return { id, type: [1, 'Page view'], time: at(minute), url: 'https://shop.example/' };
}

/** The poll the CLI and editor make: the debugger query with logs, through the real backend. */
function debuggerPoll(queue = new RequestQueue({ hourlyBudget: Infinity, maxTries: 1 })): WatchPoll {
  const backend = new PiwikProBackend(
    { kind: 'piwik', name: 'site', url: 'https://shop.piwik.pro', appId: WATCH_APP_ID },
    { baseUrlOverride: piwik.url, queue, cache: new ResultCache(), timeoutMs: 5000, http },
  );
  return async ({ lookupWindowMinutes, eventTypes, signal }) => {
    const spec: DebuggerSpec = {
      kind: 'debugger',
      title: 'Broken events',
      index: 0,
      source: { kind: 'piwik', name: 'site' },
      chart: undefined,
      clean: false,
      appId: WATCH_APP_ID,
      eventTypes,
      lookupWindow: lookupWindowMinutes,
      limit: 100,
      logs: true,
    };
    const result = await backend.runQuery(spec, { signal, credentials: CREDENTIALS, now: () => new Date(clock), readTextFile: async () => '' });
    return (result.data as DebuggerData).sessions;
  };
}

describe('broken-event watcher against the fake debugger and Slack', () => {
  it('alerts each broken event once over several polls, survives a token expiry and a failing API, and summarises floods', async () => {
    const delivered: WatchAlert[] = [];
    const deliveryErrors: string[] = [];
    const watcher = new BrokenEventWatcher({
      poll: debuggerPoll(),
      maxAlertsPerPoll: 10,
      now: () => clock,
      onAlert: async (alert) => {
        delivered.push(alert);
        await postSlackMessage(slack.webhookUrl, formatSlackMessage(alert, { queryTitle: 'Broken events', sourceName: 'site' }), {
          http,
          signal: new AbortController().signal,
        });
      },
      onDeliveryError: (error) => deliveryErrors.push((error as Error).message),
    });
    const signal = new AbortController().signal;

    // Poll 1 at 10:00: a session with a page view and a broken event, one with page views only.
    piwik.putSession({
      id: '5632530715433106129',
      entryUrl: 'https://shop.example/landing',
      events: [pageView('6719694023305478881', -3), broken('6719694023305478883', -1, 'Resolving referrer failed due to internal error (timeout)')],
    });
    piwik.putSession({ id: '9223372036854775807', events: [pageView('6719694023305478885', -2)] });
    const first = await watcher.pollOnce(signal);
    assert.equal(first.ok, true);
    assert.equal(first.lookupWindowMinutes, 30);
    assert.deepEqual(
      delivered.map((a) => a.kind === 'event' && a.eventId),
      ['6719694023305478883'],
    );
    const firstAlert = delivered[0];
    assert.ok(firstAlert.kind === 'event');
    assert.equal(firstAlert.message, 'Resolving referrer failed due to internal error (timeout)');
    assert.equal(firstAlert.entryUrl, 'https://shop.example/landing');
    assert.match(firstAlert.logExcerpt ?? '', /url=https:\/\/shop\.example\/cart/);
    assert.equal(piwik.debuggerRequests().at(-1)?.query.event_type, '17');

    // Poll 2 five minutes later: the window is 5 min + 2 min overlap, so the first session (last
    // event at 09:59) comes back; its broken event must not be alerted again. A new one has markup.
    clock = T0 + 5 * 60_000;
    piwik.putSession({
      id: '5632530715433106129',
      entryUrl: 'https://shop.example/landing',
      events: [
        pageView('6719694023305478881', -3),
        broken('6719694023305478883', -1, 'Resolving referrer failed due to internal error (timeout)'),
        pageView('6719694023305478887', 4),
      ],
    });
    piwik.putSession({
      id: '12345678901234567891',
      entryUrl: 'https://shop.example/?q=<!channel>&x=1',
      events: [broken('12345678901234567001', 3, 'Bad <b>param</b> & <!here>')],
    });
    const second = await watcher.pollOnce(signal);
    assert.equal(second.lookupWindowMinutes, 7);
    assert.equal(piwik.debuggerRequests().at(-1)?.query.lookup_window, '7');
    assert.equal(second.newEvents, 1);
    assert.deepEqual(
      delivered.map((a) => a.kind === 'event' && a.eventId),
      ['6719694023305478883', '12345678901234567001'],
    );
    const escaped = slack.messages[1];
    assert.match(escaped, /Bad &lt;b&gt;param&lt;\/b&gt; &amp; &lt;!here&gt;/);
    assert.match(escaped, /\?q=&lt;!channel&gt;&amp;x=1/);
    assert.ok(!escaped.includes('<!here>') && !escaped.includes('<!channel>'), 'raw Slack control sequences leaked');

    // Poll 3: the token expired; the backend renews it and the poll still succeeds with nothing new.
    clock = T0 + 10 * 60_000;
    piwik.expireTokens();
    const third = await watcher.pollOnce(signal);
    assert.equal(third.ok, true);
    assert.equal(third.newEvents, 0);
    assert.equal(piwik.tokensIssued(), 2);

    // Polls 4 and 5 fail (HTTP 500): reported once, not on every tick.
    piwik.setFault({ kind: 'status', status: 500, body: 'Internal error occurred. Check logs' }, { times: 2, path: /debugger/ });
    clock = T0 + 15 * 60_000;
    const fourth = await watcher.pollOnce(signal);
    clock = T0 + 20 * 60_000;
    const fifth = await watcher.pollOnce(signal);
    assert.equal(fourth.ok, false);
    assert.equal(fifth.ok, false);
    const failures = delivered.filter((a) => a.kind === 'pollFailed');
    assert.equal(failures.length, 1);
    assert.match(failures[0].kind === 'pollFailed' ? failures[0].message : '', /HTTP 500/);

    // Poll 6 recovers; its window reaches back to the last good poll (10:10), so an event from
    // 10:12, recorded while the API was failing, is still found.
    clock = T0 + 25 * 60_000;
    piwik.putSession({ id: '7000000000000000001', events: [broken('7000000000000000101', 12, 'Invalid idsite')] });
    const sixth = await watcher.pollOnce(signal);
    assert.equal(sixth.lookupWindowMinutes, 17);
    assert.deepEqual(
      sixth.alerts.map((a) => a.kind),
      ['recovered', 'event'],
    );

    // Poll 7: twelve new broken events arrive at once: one summary instead of twelve alerts.
    clock = T0 + 30 * 60_000;
    for (let i = 0; i < 12; i++) piwik.putSession({ id: `80000000000000000${10 + i}`, events: [broken(`90000000000000000${10 + i}`, 28, `Broken #${i}`)] });
    const seventh = await watcher.pollOnce(signal);
    assert.equal(seventh.newEvents, 12);
    assert.deepEqual(
      seventh.alerts.map((a) => a.kind),
      ['summary'],
    );
    const summary = seventh.alerts[0];
    assert.ok(summary.kind === 'summary');
    assert.equal(summary.count, 12);
    assert.deepEqual(summary.byType, { 'Broken event': 12 });
    assert.match(slack.messages.at(-1) ?? '', /12 new events/);

    // Poll 8: the same twelve come back inside the overlap; nothing is alerted.
    clock = T0 + 31 * 60_000;
    const eighth = await watcher.pollOnce(signal);
    assert.equal(eighth.alerts.length, 0);

    // Every broken event was alerted exactly once, and Slack got exactly what was delivered.
    const alertedIds = delivered.flatMap((a) => (a.kind === 'event' ? [a.eventId] : a.kind === 'summary' ? [] : []));
    assert.equal(new Set(alertedIds).size, alertedIds.length);
    assert.equal(slack.messages.length, delivered.length);
    assert.deepEqual(deliveryErrors, []);
    assert.ok(!slack.messages.join('\n').includes(SLACK_HOOK_PATH));
  });

  it('reports a failed Slack delivery to onDeliveryError without the webhook URL, and keeps watching', async () => {
    clock = T0 + 40 * 60_000;
    piwik.putSession({ id: '7100000000000000001', events: [broken('7100000000000000101', 39, 'Broken once more')] });
    const deliveryErrors: string[] = [];
    const watcher = new BrokenEventWatcher({
      poll: debuggerPoll(),
      initialLookupWindowMinutes: 5,
      now: () => clock,
      onAlert: (alert) =>
        postSlackMessage(slack.webhookUrl, formatSlackMessage(alert, { queryTitle: 'Q', sourceName: 'site' }), { http, signal: new AbortController().signal }),
      onDeliveryError: (error) => deliveryErrors.push((error as Error).message),
    });
    slack.failNext(404, 'channel_not_found');
    const outcome = await watcher.pollOnce(new AbortController().signal);
    assert.equal(outcome.newEvents, 1);
    assert.equal(deliveryErrors.length, 1);
    assert.match(deliveryErrors[0], /channel_not_found/);
    assert.ok(!deliveryErrors[0].includes('s3cr3t'), 'the webhook secret leaked into an error');
  });

  it('watches a chosen event type and clamps the window to the debugger limit of 300 minutes', async () => {
    let now = T0;
    const windows: number[] = [];
    const types: number[][] = [];
    const watcher = new BrokenEventWatcher({
      eventTypes: [18],
      now: () => now,
      onAlert: () => undefined,
      poll: async (request) => {
        windows.push(request.lookupWindowMinutes);
        types.push(request.eventTypes);
        return [
          {
            sessionId: 's',
            visitorId: 'v',
            serverTime: '',
            updatedAt: '',
            totalEvents: 2,
            fields: {},
            events: [
              { eventId: 'a', index: 0, serverTime: '2026-10-03T10:00:00', type: { code: 17, label: 'Broken event' }, fields: {} },
              {
                eventId: 'b',
                index: 1,
                serverTime: '2026-10-03T10:00:01',
                type: { code: 18, label: 'Excluded event' },
                exclusionReason: 'IP is on the crawler list',
                fields: {},
              },
            ],
          },
        ];
      },
    });
    const first = await watcher.pollOnce(new AbortController().signal);
    assert.deepEqual(
      first.alerts.map((a) => a.kind === 'event' && a.message),
      ['IP is on the crawler list'],
    );
    now += 10 * 60 * 60_000;
    await watcher.pollOnce(new AbortController().signal);
    assert.deepEqual(windows, [30, 300]);
    assert.deepEqual(types, [[18], [18]]);
  });

  it('stops a running watch when the signal aborts', async () => {
    const controller = new AbortController();
    let polls = 0;
    const watcher = new BrokenEventWatcher({
      onAlert: () => undefined,
      poll: async () => {
        polls++;
        if (polls === 3) controller.abort();
        return [];
      },
    });
    await watcher.run(60_000, controller.signal, async () => undefined);
    assert.equal(polls, 3);
  });
});

describe('Slack formatting', () => {
  it('escapes &, < and > and keeps backticks from closing the log block', () => {
    assert.equal(escapeSlackText('a & b <c> &amp;'), 'a &amp; b &lt;c&gt; &amp;amp;');
    const message = formatSlackMessage(
      {
        kind: 'event',
        eventId: '1',
        eventType: { code: 17, label: 'Broken event' },
        sessionId: '2',
        serverTime: '2026-10-03T10:00:00',
        message: 'x',
        logExcerpt: 'GET ?url=```<!channel>',
      },
      { queryTitle: 'T <1>', sourceName: 'site' },
    );
    assert.match(message.text, /T &lt;1&gt;/);
    assert.equal((message.text.match(/```/g) ?? []).length, 2);
    assert.ok(!message.text.includes('<!channel>'));
  });

  it('describes a poll failure in plain text for stdout', () => {
    assert.match(describeAlert({ kind: 'pollFailed', message: 'Piwik PRO answered HTTP 503.' }), /failed: Piwik PRO answered HTTP 503\. Retrying/);
  });
});

describe('remembered event ids', () => {
  const session = (ids: string[]) => [
    {
      sessionId: 's',
      visitorId: 'v',
      serverTime: '',
      updatedAt: '',
      totalEvents: ids.length,
      fields: {},
      events: ids.map((eventId, index) => ({
        eventId,
        index,
        serverTime: `2026-10-03T10:00:0${index}`,
        type: { code: 17, label: 'Broken event' },
        fields: {},
      })),
    },
  ];

  it('forgets the oldest ids beyond the limit and ids older than the expiry', async () => {
    let now = T0;
    let answer = session(['a', 'b', 'c']);
    const alerted: string[] = [];
    const watcher = new BrokenEventWatcher({
      rememberLimit: 2,
      rememberForMs: 60 * 60_000,
      now: () => now,
      poll: async () => answer,
      onAlert: (alert) => void (alert.kind === 'event' && alerted.push(alert.eventId)),
    });
    await watcher.pollOnce(new AbortController().signal);
    assert.deepEqual(alerted, ['a', 'b', 'c']);
    // 'a' fell out of the two remembered ids; 'b' and 'c' are still known.
    await watcher.pollOnce(new AbortController().signal);
    assert.deepEqual(alerted, ['a', 'b', 'c', 'a']);
    now += 2 * 60 * 60_000;
    answer = session(['c']);
    await watcher.pollOnce(new AbortController().signal);
    assert.deepEqual(alerted, ['a', 'b', 'c', 'a', 'c']);
  });
});

describe('memory across restarts', () => {
  const session = (ids: string[]) => [
    {
      sessionId: 's',
      visitorId: 'v',
      serverTime: '',
      updatedAt: '',
      totalEvents: ids.length,
      fields: {},
      events: ids.map((eventId, index) => ({
        eventId,
        index,
        serverTime: `2026-10-03T10:00:0${index}`,
        type: { code: 17, label: 'Broken event' },
        fields: {},
      })),
    },
  ];
  const signal = () => new AbortController().signal;

  /** A watcher on a shared fake clock whose debugger answers `answer()`, recording alerts and windows. */
  function watcherWith(
    clock: { now: number },
    answer: () => string[],
    options: { memory?: WatchMemory; rememberLimit?: number; onMemoryChange?: (memory: WatchMemory) => void } = {},
  ) {
    const alerted: string[] = [];
    const windows: number[] = [];
    const watcher = new BrokenEventWatcher({
      ...options,
      now: () => clock.now,
      poll: async (request) => {
        windows.push(request.lookupWindowMinutes);
        return session(answer());
      },
      onAlert: (alert) => void (alert.kind === 'event' && alerted.push(alert.eventId)),
    });
    return { watcher, alerted, windows };
  }

  it("a watcher restored from another one's memory reports only events the first did not", async () => {
    const clock = { now: T0 };
    let ids = ['a', 'b'];
    const first = watcherWith(clock, () => ids);
    await first.watcher.pollOnce(signal());
    assert.deepEqual(first.alerted, ['a', 'b']);

    // Through JSON, as the file store keeps it.
    const saved = JSON.parse(JSON.stringify(first.watcher.memory())) as WatchMemory;
    assert.deepEqual(saved, {
      version: 1,
      reported: [
        ['a', T0],
        ['b', T0],
      ],
      lastGoodPollAt: T0,
    });
    clock.now = T0 + 10 * 60_000;
    ids = ['a', 'b', 'c'];
    const second = watcherWith(clock, () => ids, { memory: saved });
    await second.watcher.pollOnce(signal());
    assert.deepEqual(second.alerted, ['c']);
    // A watcher without the memory would have reported all three.
    const amnesiac = watcherWith(clock, () => ids);
    await amnesiac.watcher.pollOnce(signal());
    assert.deepEqual(amnesiac.alerted, ['a', 'b', 'c']);
  });

  it('continues the lookup window from the restored last good poll', async () => {
    const clock = { now: T0 };
    const first = watcherWith(clock, () => []);
    await first.watcher.pollOnce(signal());
    assert.deepEqual(first.windows, [30]);

    // A cron run ten minutes later asks for 10 + 2 minutes of overlap, not the initial 30.
    clock.now = T0 + 10 * 60_000;
    const second = watcherWith(clock, () => [], { memory: first.watcher.memory() });
    assert.equal(second.watcher.nextLookupWindow(), 12);
    await second.watcher.pollOnce(signal());
    assert.deepEqual(second.windows, [12]);
    assert.equal(second.watcher.memory().lastGoodPollAt, T0 + 10 * 60_000);

    // Still clamped: a memory from a day ago asks for the largest window, one from the future is not trusted.
    clock.now = T0 + 24 * 60 * 60_000;
    assert.equal(watcherWith(clock, () => [], { memory: { version: 1, reported: [], lastGoodPollAt: T0 } }).watcher.nextLookupWindow(), 300);
    assert.equal(
      watcherWith(clock, () => [], { memory: { version: 1, reported: [], lastGoodPollAt: clock.now + 60 * 60_000 } }).watcher.nextLookupWindow(),
      30,
    );
  });

  it('drops restored ids older than rememberForMs and beyond rememberLimit', async () => {
    const clock = { now: T0 };
    const memory: WatchMemory = {
      version: 1,
      reported: [
        ['stale', T0 - 7 * 60 * 60_000],
        ['older', T0 - 3 * 60 * 60_000],
        ['old', T0 - 2 * 60 * 60_000],
        ['recent', T0 - 60 * 60_000],
      ],
    };
    assert.deepEqual(
      watcherWith(clock, () => [], { memory })
        .watcher.memory()
        .reported.map(([id]) => id),
      ['older', 'old', 'recent'],
    );
    const restored = watcherWith(clock, () => ['stale', 'older', 'old', 'recent'], { memory, rememberLimit: 2 });
    assert.deepEqual(
      restored.watcher.memory().reported.map(([id]) => id),
      ['old', 'recent'],
    );
    await restored.watcher.pollOnce(signal());
    // 'stale' is past the default 6 h; 'older' is the oldest beyond the limit of two.
    assert.deepEqual(restored.alerted, ['stale', 'older']);
  });

  it('ignores a malformed memory instead of throwing', async () => {
    const malformed: unknown[] = [
      null,
      'memory',
      [],
      { version: 2, reported: [] },
      { version: 1 },
      { version: 1, reported: 'a' },
      { version: 1, reported: [['a']] },
      { version: 1, reported: [['a', 'yesterday']] },
      { version: 1, reported: [[1, T0]] },
      { version: 1, reported: [['a', T0]], lastGoodPollAt: 'T0' },
      { version: 1, reported: [], failedPolls: -1 },
    ];
    for (const memory of malformed) {
      const clock = { now: T0 + 60_000 };
      const watcher = watcherWith(clock, () => ['a'], { memory: memory as WatchMemory });
      assert.equal(watcher.watcher.nextLookupWindow(), 30, JSON.stringify(memory));
      await watcher.watcher.pollOnce(signal());
      assert.deepEqual(watcher.alerted, ['a'], JSON.stringify(memory));
    }
  });

  it('tells onMemoryChange after polls that changed the memory, not after idle ones', async () => {
    const clock = { now: T0 };
    const changes: WatchMemory[] = [];
    let fail = false;
    let ids = ['a'];
    const watcher = new BrokenEventWatcher({
      now: () => clock.now,
      onAlert: () => undefined,
      onMemoryChange: (memory) => changes.push(memory),
      poll: async () => {
        if (fail) throw new Error('down');
        return session(ids);
      },
    });
    await watcher.pollOnce(signal());
    assert.deepEqual(changes, [{ version: 1, reported: [['a', T0]], lastGoodPollAt: T0 }]);
    // Same clock, nothing new: nothing to save.
    await watcher.pollOnce(signal());
    assert.equal(changes.length, 1);
    fail = true;
    clock.now = T0 + 5 * 60_000;
    await watcher.pollOnce(signal());
    // A failure is counted in the memory too (see the cron test below).
    assert.deepEqual(changes.at(-1), { version: 1, reported: [['a', T0]], lastGoodPollAt: T0, failedPolls: 1 });
    fail = false;
    ids = ['a', 'b'];
    await watcher.pollOnce(signal());
    assert.deepEqual(changes.at(-1), {
      version: 1,
      reported: [
        ['a', T0],
        ['b', T0 + 5 * 60_000],
      ],
      lastGoodPollAt: T0 + 5 * 60_000,
    });
    // The later poll only moved the clock: still saved, so the next run's window starts there.
    clock.now = T0 + 10 * 60_000;
    await watcher.pollOnce(signal());
    assert.equal(changes.length, 4);
    assert.equal(changes.at(-1)?.lastGoodPollAt, T0 + 10 * 60_000);
    // A snapshot, not a live view.
    changes[0].reported.push(['x', T0]);
    assert.equal(watcher.memory().reported.length, 2);
  });

  it('a failure that lasts over several cron runs is alerted once, and its end once', async () => {
    let memory: WatchMemory | undefined;
    let down = true;
    const kinds: string[] = [];
    // Each cron run is a new watcher started from the previous run's memory, polling once.
    const cronRun = async (): Promise<boolean> => {
      const watcher = new BrokenEventWatcher({
        memory,
        onMemoryChange: (saved) => void (memory = JSON.parse(JSON.stringify(saved)) as WatchMemory),
        onAlert: (alert) => void kinds.push(alert.kind),
        poll: async () => {
          if (down) throw new Error('HTTP 503');
          return session(['a']);
        },
      });
      return (await watcher.pollOnce(signal())).ok;
    };
    assert.equal(await cronRun(), false);
    assert.equal(await cronRun(), false);
    assert.equal(await cronRun(), false);
    down = false;
    assert.equal(await cronRun(), true);
    await cronRun();
    assert.deepEqual(kinds, ['pollFailed', 'recovered', 'event']);
  });

  it('keeps polling when onMemoryChange throws', async () => {
    const watcher = new BrokenEventWatcher({
      onAlert: () => undefined,
      onMemoryChange: () => {
        throw new Error('disk full');
      },
      poll: async () => session(['a']),
    });
    const outcome = await watcher.pollOnce(signal());
    assert.equal(outcome.ok, true);
    assert.equal(outcome.newEvents, 1);
  });
});
