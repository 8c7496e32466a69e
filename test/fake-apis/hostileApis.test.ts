/**
 * Hostile servers against every backend, through the commands a user runs: each error path of the
 * Mixpanel query API (JQL included), /import, mParticle, Piwik PRO's /auth/token, debugger and log,
 * and Slack answers with the request echoed back plus every form of the secrets it received. No
 * form may reach stdout, stderr or a JSON result. Also: absurd Retry-After values, redirects to
 * another host, bodies that never end or crawl.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliIo } from '../../server/src/cli/cliIo';
import { runCommand } from '../../server/src/cli/runCommand';
import { createHttpClient } from '../../server/src/queryEngine/httpClient';
import { sendCommand } from '../../server/src/cli/sendCommand';
import { watchCommand } from '../../server/src/cli/watchCommand';
import { json } from './fakeServerKit';
import { echoError, rateLimited, redirectTo, startEndlessBodyServer, startHostileServer, startSlowBodyServer, type HostileServer } from './hostileServer';

const APP_ID = 'bb338e1a-12f8-5353-ac63-9fd8b1f928a1';
const MIXPANEL = { username: 'svc.hostile', secret: 'mpSECRET-9x7/+=q' };
const PIWIK = { clientId: 'cid-hostile', clientSecret: 'ppSECRET-4k2&z' };
const PIWIK_TOKEN = 'ppTOKEN-eyJhbGciOi.abc';
const MPARTICLE = { apiKey: 'mpkKEY-77aa', apiSecret: 'mpkSECRET-88bb' };
const SLACK_TOKEN = 'hookSECRETtoken123';
const SLACK_PATH = `/services/T0000/B0000/${SLACK_TOKEN}`;

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** Every form of every secret, written out here by hand rather than by the code under test. */
const FORMS = [
  MIXPANEL.secret,
  encodeURIComponent(MIXPANEL.secret),
  `${MIXPANEL.username}:${MIXPANEL.secret}`,
  b64(`${MIXPANEL.username}:${MIXPANEL.secret}`),
  b64(`${MIXPANEL.username}:${MIXPANEL.secret}`).replace(/=+$/, ''),
  PIWIK.clientSecret,
  encodeURIComponent(PIWIK.clientSecret),
  PIWIK_TOKEN,
  MPARTICLE.apiKey,
  MPARTICLE.apiSecret,
  b64(`${MPARTICLE.apiKey}:${MPARTICLE.apiSecret}`),
  SLACK_PATH,
  SLACK_TOKEN,
];
/** The leak check looks for these fragments too, so a form cut in half by a length limit is caught. */
/** A Piwik PRO token exists only between aq and the Piwik PRO server, so only that server plants it. */
const FORMS_BUT_TOKEN = FORMS.filter((form) => form !== PIWIK_TOKEN);
const FRAGMENTS = ['mpSECRET', 'ppSECRET', 'ppTOKEN', 'mpkKEY', 'mpkSECRET', 'hookSECRET', b64(`${MIXPANEL.username}:${MIXPANEL.secret}`).slice(0, 12)];

let dir: string;
let hostile: HostileServer;
let slack: HostileServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aq-hostile-'));
  hostile = await startHostileServer();
  slack = (await startHostileServer()).plant(FORMS);
  writeFileSync(
    join(dir, 'aq.json'),
    JSON.stringify({
      sources: {
        prod: { kind: 'mixpanel', projectId: 77, region: 'US' },
        site: { kind: 'piwik', url: 'https://shop.piwik.pro', appId: APP_ID },
        mp: { kind: 'mparticle', pod: 'EU1' },
      },
    }),
  );
  writeFileSync(join(dir, 'seg.aq'), 'use mixpanel "prod"\n### Sign ups\nsegmentation "Sign Up"\n  from 2026-10-01 to 2026-10-02\n');
  writeFileSync(
    join(dir, 'top.jql'),
    'function main() { return Events({from_date: "2026-10-01", to_date: "2026-10-02"}).groupBy(["name"], mixpanel.reducer.count()); }\n',
  );
  writeFileSync(join(dir, 'jql.aq'), 'use mixpanel "prod"\n### Top\njql "top.jql"\n  from 2026-10-01 to 2026-10-02\n');
  writeFileSync(join(dir, 'dbg.aq'), `use piwik "site"\n### Broken\ndebugger "${APP_ID}"\n  event_type broken\n  lookup_window 60\n`);
  writeFileSync(
    join(dir, 'day.events.ndjson'),
    `${[1, 2, 3].map((n) => JSON.stringify({ event: 'Sign Up', properties: { time: 1790000000 + n, distinct_id: `u${n}`, $insert_id: `i${n}` } })).join('\n')}\n`,
  );
  writeFileSync(
    join(dir, 'users.mparticle.json'),
    JSON.stringify({ environment: 'development', user_identities: { customer_id: '1' }, events: [{ event_type: 'session_start', data: {} }] }),
  );
});

after(async () => {
  await Promise.all([hostile.close(), slack.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Routes the hostile API and plants what it could know: the Piwik PRO token only on Piwik PRO paths. */
function routeHostile(...routes: Parameters<HostileServer['route']>): void {
  const piwik = routes.some((route) => route.path.test('/auth/token') || route.path.test('/api/tracker/v1/debugger'));
  hostile.route(...routes).plant(piwik ? FORMS : FORMS_BUT_TOKEN);
}

function io(extraEnv: Record<string, string> = {}): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    cwd: dir,
    env: {
      AQ_CACHE_DIR: mkdtempSync(join(dir, 'cache-')),
      AQ_PROD_USERNAME: MIXPANEL.username,
      AQ_PROD_SECRET: MIXPANEL.secret,
      AQ_PROD_BASE_URL: hostile.url,
      AQ_SITE_CLIENT_ID: PIWIK.clientId,
      AQ_SITE_CLIENT_SECRET: PIWIK.clientSecret,
      AQ_SITE_BASE_URL: hostile.url,
      AQ_MP_API_KEY: MPARTICLE.apiKey,
      AQ_MP_API_SECRET: MPARTICLE.apiSecret,
      AQ_MP_BASE_URL: hostile.url,
      AQ_SLACK_WEBHOOK_URL: `${slack.url}${SLACK_PATH}`,
      ...extraEnv,
    },
    stdout: (text: string) => void (captured.out += text),
    stderr: (text: string) => void (captured.err += text),
  };
  return captured;
}

/** Nothing the user sees holds a form of a secret; and the server's text did reach them (masked). */
function assertNothingLeaked(cli: { out: string; err: string }, label: string): void {
  const seen = cli.out + cli.err;
  for (const form of [...FORMS, ...FRAGMENTS]) assert.ok(!seen.includes(form), `${label}: "${form}" leaked in:\n${seen}`);
  assert.match(seen, /you sent|\*\*\*\*/, `${label}: the hostile text should have reached the user, masked:\n${seen}`);
}

const tokenOk = { path: /^\/auth\/token$/, answer: () => json(200, { access_token: PIWIK_TOKEN, token_type: 'Bearer', expires_in: 1800 }) };

describe('hostile servers: no form of a credential reaches the user', () => {
  for (const status of [400, 402, 403, 404, 418, 500]) {
    it(`Mixpanel query API answering ${status} with the request echoed`, async () => {
      routeHostile({ path: /segmentation/, answer: echoError(status) });
      const cli = io();
      assert.equal(await runCommand(['seg.aq'], cli), 1);
      assertNothingLeaked(cli, `segmentation ${status}`);
    });
  }

  it('Mixpanel query API echoing the request in a 200 body (raw, JSON output)', async () => {
    routeHostile({
      path: /segmentation/,
      answer: (_request, echo) => json(200, { data: { series: ['2026-10-01'], values: { 'Sign Up': { '2026-10-01': 1 } } }, legend_size: 1, echo }),
    });
    const cli = io();
    assert.equal(await runCommand(['seg.aq', '--format', 'json'], cli), 0, cli.err);
    assert.match(JSON.parse(cli.out)[0].raw, /Basic \*\*\*\*/, 'raw is kept, masked');
    assertNothingLeaked(cli, 'segmentation 200 raw');
  });

  for (const status of [400, 500]) {
    it(`JQL answering ${status} with the request echoed`, async () => {
      routeHostile({ path: /jql/, answer: echoError(status) });
      const cli = io();
      assert.equal(await runCommand(['jql.aq'], cli), 1);
      assertNothingLeaked(cli, `jql ${status}`);
    });
  }

  it('/import rejecting each record with a message that echoes the request', async () => {
    routeHostile({
      path: /^\/import$/,
      answer: (_request, echo) =>
        json(400, {
          code: 400,
          error: echo,
          num_records_imported: 0,
          status: 'Bad Request',
          failed_records: [0, 1, 2].map((index) => ({ index, insert_id: `i${index}`, field: 'properties.time', message: echo })),
        }),
    });
    const cli = io();
    assert.equal(await sendCommand(['day.events.ndjson', '--source', 'prod'], cli), 1);
    assert.match(cli.out, /3 rejected events/);
    assertNothingLeaked(cli, 'import per-record');
  });

  for (const status of [400, 401, 403, 413, 418]) {
    it(`/import answering ${status} with the request echoed`, async () => {
      routeHostile({ path: /^\/import$/, answer: echoError(status) });
      const cli = io();
      assert.equal(await sendCommand(['day.events.ndjson', '--source', 'prod'], cli), 1);
      assertNothingLeaked(cli, `import ${status}`);
    });
  }

  for (const status of [400, 401]) {
    it(`mParticle answering ${status} with the request echoed`, async () => {
      routeHostile({ path: /bulkevents/, answer: echoError(status) });
      const cli = io();
      assert.equal(await sendCommand(['users.mparticle.json', '--source', 'mp'], cli), 1);
      assertNothingLeaked(cli, `mparticle ${status}`);
    });
  }

  for (const status of [400, 418, 500]) {
    it(`Piwik PRO /auth/token answering ${status} with the request (the client secret) echoed`, async () => {
      routeHostile({ path: /^\/auth\/token$/, answer: echoError(status) });
      const cli = io();
      assert.equal(await runCommand(['dbg.aq'], cli), 1);
      if (status === 418) assert.match(cli.err, /you sent/);
      assert.ok(!(cli.out + cli.err).includes(PIWIK.clientSecret));
      if (status === 418) assertNothingLeaked(cli, `auth ${status}`);
    });
  }

  for (const status of [400, 402, 403, 418, 500]) {
    it(`Piwik PRO debugger answering ${status} with the bearer token echoed`, async () => {
      routeHostile(tokenOk, { path: /debugger/, answer: echoError(status) });
      const cli = io();
      assert.equal(await runCommand(['dbg.aq'], cli), 1);
      assertNothingLeaked(cli, `debugger ${status}`);
    });
  }

  it('Piwik PRO debugger echoing everything inside a 200 session (results and raw)', async () => {
    routeHostile(tokenOk, {
      path: /debugger/,
      answer: (_request, echo) => ({
        status: 200,
        body: `${JSON.stringify({ session_id_str: '1', visitor_id_str: '2', server_time: '2026-10-01T10:00:00', updated_at: '2026-10-01T10:00:00', session_entry_url: echo, events: [{ event_id_str: '3', session_id_str: '1', event_index: 0, server_time: '2026-10-01T10:00:00', event_type: [17, 'Broken event'], error_message: echo, log_uuids: [] }] })}\n`,
      }),
    });
    const cli = io();
    assert.equal(await runCommand(['dbg.aq', '--format', 'json'], cli), 0, cli.err);
    assertNothingLeaked(cli, 'debugger 200');
  });

  it('Piwik PRO log answering 500 with the token echoed, and Slack answering 400 with its webhook path echoed (aq watch)', async () => {
    const recent = new Date(Date.now() - 60_000).toISOString().slice(0, 19);
    routeHostile(
      tokenOk,
      {
        path: /debugger/,
        answer: () => ({
          status: 200,
          body: `${JSON.stringify({ session_id_str: '11', visitor_id_str: '12', server_time: recent, updated_at: recent, events: [{ event_id_str: '13', session_id_str: '11', event_index: 0, server_time: recent, event_type: [17, 'Broken event'], error_message: 'broken', log_uuids: ['0d454742-0e95-4321-a200-fd9d1c4b8031'] }] })}\n`,
        }),
      },
      { path: /\/log$/, answer: echoError(500) },
    );
    slack.route({ path: /services/, answer: (_request, echo) => ({ status: 400, headers: { 'content-type': 'text/plain' }, body: echo }) });
    const cli = io();
    await watchCommand(['dbg.aq', '--once', '--slack'], cli);
    assert.ok(hostile.requestsTo(/\/log$/).length > 0, 'the log endpoint was asked');
    assert.ok(slack.requestsTo(/services/).length > 0, 'the alert went to the hostile Slack');
    assertNothingLeaked(cli, 'log 500 + slack 400');
  });
});

describe('hostile servers: Retry-After, redirects, endless and slow bodies', () => {
  it('aq send stops on a Retry-After of 34 days instead of waiting or hammering, and says how to resume', async () => {
    routeHostile({ path: /^\/import$/, answer: rateLimited(String(34 * 86_400)) });
    const before = hostile.requestsTo('/import').length;
    const cli = io();
    const started = Date.now();
    assert.equal(await sendCommand(['day.events.ndjson', '--source', 'prod'], cli), 1);
    assert.ok(Date.now() - started < 5000, 'did not wait');
    assert.equal(hostile.requestsTo('/import').length - before, 1, 'one request, no hammering');
    assert.match(cli.err, /asks to wait 34 days.*resume later with --resume/i);
  });

  it('a Retry-After too large for a timer never turns into a burst of requests', async () => {
    routeHostile({ path: /bulkevents/, answer: rateLimited('9'.repeat(30)) });
    const before = hostile.requestsTo(/bulkevents/).length;
    const cli = io();
    assert.equal(await sendCommand(['users.mparticle.json', '--source', 'mp'], cli), 1);
    assert.equal(hostile.requestsTo(/bulkevents/).length - before, 1);
    assert.match(cli.err, /asks to wait more than 10 years/);
  });

  it('a query answered 429 with a day-long Retry-After fails at once with the wait named', async () => {
    routeHostile({ path: /segmentation/, answer: rateLimited('86400') });
    const before = hostile.requestsTo(/segmentation/).length;
    const cli = io();
    const started = Date.now();
    assert.equal(await runCommand(['seg.aq'], cli), 1);
    assert.ok(Date.now() - started < 5000);
    assert.equal(hostile.requestsTo(/segmentation/).length - before, 1);
    assert.match(cli.err, /asks to wait 24 h/);
  });

  it('a redirect to another host is not followed: the other host never sees the credentials', async () => {
    const elsewhere = (await startHostileServer()).route({ path: /.*/, answer: echoError(200) });
    try {
      routeHostile({ path: /segmentation/, answer: redirectTo(elsewhere.url) });
      const cli = io();
      assert.equal(await runCommand(['seg.aq'], cli), 1);
      assert.equal(elsewhere.requests.length, 0);
      assert.match(cli.err, /HTTP 302/);
    } finally {
      await elsewhere.close();
    }
  });

  it('an endless body stops at the size cap and the connection is dropped', async () => {
    const endless = await startEndlessBodyServer();
    const http = createHttpClient();
    try {
      await assert.rejects(
        http.send({ method: 'GET', url: endless.url }, { signal: new AbortController().signal, timeoutMs: 10_000, maxBytes: 1024 * 1024 }),
        (error: Error & { kind?: string }) => error.kind === 'tooLarge',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(endless.clientHungUp());
    } finally {
      await http.close();
      await endless.close();
    }
  });

  it('a body that crawls a byte at a time is cut by the request timeout', async () => {
    const slow = await startSlowBodyServer(50);
    const http = createHttpClient();
    try {
      const started = Date.now();
      await assert.rejects(
        http.send({ method: 'GET', url: slow.url }, { signal: new AbortController().signal, timeoutMs: 500 }),
        (error: Error & { kind?: string }) => error.kind === 'timeout',
      );
      assert.ok(Date.now() - started < 3000);
    } finally {
      await http.close();
      await slow.close();
    }
  });
});

describe('smaller items found by the review', () => {
  it('a Mixpanel 5xx names the host the request went to (the override), not mixpanel.com', async () => {
    routeHostile({ path: /segmentation/, answer: echoError(503) });
    const cli = io();
    assert.equal(await runCommand(['seg.aq'], cli), 1);
    assert.match(cli.err, new RegExp(`HTTP 503 \\(${new URL(hostile.url).host.replace(/\./g, '\\.')}\\)`));
    assert.doesNotMatch(cli.err, /mixpanel\.com/);
  });

  it('debugger ids above 2^53 without their _str copies stay exact: two sessions that round alike stay two', async () => {
    const line = (sessionId: string, eventId: string): string =>
      `{"session_id": ${sessionId}, "visitor_id": 5779000000000000001, "server_time": "2026-10-01T10:00:00", "updated_at": "2026-10-01T10:00:00", "events": [{"event_id": ${eventId}, "session_id": ${sessionId}, "event_index": 0, "server_time": "2026-10-01T10:00:00", "event_type": [17, "Broken event"], "error_message": "x", "log_uuids": []}]}`;
    assert.equal(Number('5632530715433106129'), Number('5632530715433106130'), 'the two ids are one double');
    routeHostile(tokenOk, {
      path: /debugger/,
      answer: () => ({ status: 200, body: `${line('5632530715433106129', '6719694023305478880')}\n${line('5632530715433106130', '6719694023305478881')}\n` }),
    });
    const cli = io();
    assert.equal(await runCommand(['dbg.aq', '--format', 'json'], cli), 0, cli.err);
    const sessions = JSON.parse(cli.out)[0].data.sessions as Array<{ sessionId: string; events: Array<{ eventId: string }> }>;
    assert.deepEqual(sessions.map((session) => session.sessionId).sort(), ['5632530715433106129', '5632530715433106130']);
    assert.deepEqual(sessions.flatMap((session) => session.events.map((event) => event.eventId)).sort(), ['6719694023305478880', '6719694023305478881']);
  });

  it('aq watch --slack refuses a plain-http webhook on a network host (its path is the secret)', async () => {
    const cli = io({ AQ_SLACK_WEBHOOK_URL: `http://hooks.slack.com${SLACK_PATH}` });
    assert.equal(await watchCommand(['dbg.aq', '--once', '--slack'], cli), 2);
    assert.match(cli.err, /AQ_SLACK_WEBHOOK_URL must be an https:\/\/ incoming-webhook URL/);
    assert.ok(!cli.err.includes(SLACK_TOKEN));
  });
});
