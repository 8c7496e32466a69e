/**
 * What the editor gets from each backend (error message and hint, the result with `raw`, a send
 * report) when a hostile server echoes every form of the secrets that backend sent it. Unlike the
 * CLI, the editor has no final masking of its output, so each backend must mask on its own.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMixpanelBackend } from '../../../../server/src/queryEngine/backends/mixpanel/mixpanelBackend';
import { createPiwikProBackend } from '../../../../server/src/queryEngine/backends/piwikPro/piwikProBackend';
import { isBackendError } from '../../../../server/src/queryEngine/backendErrors';
import { createHttpClient, type HttpClient } from '../../../../server/src/queryEngine/httpClient';
import { RequestQueue } from '../../../../server/src/queryEngine/requestQueue';
import { ResultCache } from '../../../../server/src/queryEngine/resultCache';
import { sendEventFile, type SendDestination } from '../../../../server/src/workflows/send/sendEventFile';
import { postSlackMessage } from '../../../../server/src/workflows/watch/slackAlert';
import { json } from '../../../fake-apis/fakeServerKit';
import { echoError, startHostileServer, type HostileServer } from '../../../fake-apis/hostileServer';
import { context, debuggerSpec, jql, segmentation } from './backendTestKit';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const MIXPANEL = { username: 'svc.editor', secret: 'edSECRET-mp/+=1' };
const PIWIK = { clientId: 'cid-editor', clientSecret: 'edSECRET-pp&2' };
const TOKEN = 'edTOKEN-pp.jwt';
const MPARTICLE = { apiKey: 'edKEY-mpk', apiSecret: 'edSECRET-mpk' };
const WEBHOOK_TOKEN = 'edSECREThook99';

const MIXPANEL_FORMS = [
  MIXPANEL.secret,
  encodeURIComponent(MIXPANEL.secret),
  b64(`${MIXPANEL.username}:${MIXPANEL.secret}`),
  `${MIXPANEL.username}:${MIXPANEL.secret}`,
];
const PIWIK_FORMS = [PIWIK.clientSecret, encodeURIComponent(PIWIK.clientSecret), TOKEN, `Bearer ${TOKEN}`];
const MPARTICLE_FORMS = [MPARTICLE.apiKey, MPARTICLE.apiSecret, b64(`${MPARTICLE.apiKey}:${MPARTICLE.apiSecret}`)];

let server: HostileServer;
let http: HttpClient;
let dir: string;

before(async () => {
  server = await startHostileServer();
  http = createHttpClient();
  dir = mkdtempSync(join(tmpdir(), 'aq-hostile-backends-'));
});

after(async () => {
  await http.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Whatever reached the editor, as text; it held the hostile echo (masked) and no form of a secret. */
function assertClean(seen: unknown, forms: string[], label: string): void {
  const text =
    typeof seen === 'string'
      ? seen
      : JSON.stringify(seen, (_key, value) => (isBackendError(value) ? { message: value.message, details: value.details } : value));
  for (const form of [...forms, 'edSECRET', 'edTOKEN', 'edKEY']) assert.ok(!text.includes(form), `${label}: "${form}" in ${text}`);
  assert.match(text, /\*\*\*\*/, `${label}: the echo should be there, masked: ${text}`);
}

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  try {
    const result = await work;
    return result;
  } catch (error) {
    return isBackendError(error) ? { message: error.message, hint: error.details.hint } : error;
  }
}

function mixpanel() {
  return createMixpanelBackend(
    { kind: 'mixpanel', name: 'shop', projectId: 123, region: 'US' },
    { baseUrlOverride: server.url, queue: new RequestQueue({ baseBackoffMs: 1, maxTries: 1 }), cache: new ResultCache(), timeoutMs: 5000, http },
  );
}

function piwik() {
  return createPiwikProBackend(
    { kind: 'piwik', name: 'site', url: 'https://acme.piwik.pro' },
    {
      baseUrlOverride: server.url,
      queue: new RequestQueue({ baseBackoffMs: 1, maxTries: 1, hourlyBudget: Infinity }),
      cache: new ResultCache(),
      timeoutMs: 5000,
      http,
    },
  );
}

const tokenOk = { path: /^\/auth\/token$/, answer: () => json(200, { access_token: TOKEN, token_type: 'Bearer', expires_in: 1800 }) };

describe('each backend masks what a hostile server echoes (the editor path)', () => {
  for (const status of [400, 403, 500]) {
    it(`Mixpanel query ${status}`, async () => {
      server.route({ path: /segmentation/, answer: echoError(status) }).plant(MIXPANEL_FORMS);
      assertClean(await failureOf(mixpanel().runQuery(segmentation(), context(MIXPANEL))), MIXPANEL_FORMS, `segmentation ${status}`);
    });
  }

  it('Mixpanel query 200 echoing the request (raw in the webview payload)', async () => {
    server
      .route({
        path: /segmentation/,
        answer: (_request, echo) => json(200, { data: { series: ['2026-10-01'], values: { 'Sign Up': { '2026-10-01': 1 } } }, legend_size: 1, echo }),
      })
      .plant(MIXPANEL_FORMS);
    assertClean(await mixpanel().runQuery(segmentation(), context(MIXPANEL)), MIXPANEL_FORMS, 'segmentation 200');
  });

  it('Mixpanel JQL 400', async () => {
    server.route({ path: /jql/, answer: echoError(400) }).plant(MIXPANEL_FORMS);
    const files = { 'queries/by-name.js': 'function main() { return Events(params); }' };
    assertClean(await failureOf(mixpanel().runQuery(jql(), context(MIXPANEL, { files }))), MIXPANEL_FORMS, 'jql 400');
  });

  it('Piwik PRO /auth/token 418 echoing the client secret', async () => {
    // The message keeps the first 200 characters, so the planted forms come first here.
    server
      .route({ path: /^\/auth\/token$/, answer: (_request, echo) => json(418, { error: echo.slice(echo.indexOf('planted')) }) })
      .plant(PIWIK_FORMS.slice(0, 2));
    assertClean(await failureOf(piwik().runQuery(debuggerSpec(), context(PIWIK))), PIWIK_FORMS, 'auth 418');
  });

  for (const status of [400, 403, 500]) {
    it(`Piwik PRO debugger ${status} echoing the bearer token`, async () => {
      server.route(tokenOk, { path: /debugger/, answer: echoError(status) }).plant(PIWIK_FORMS);
      assertClean(await failureOf(piwik().runQuery(debuggerSpec(), context(PIWIK))), PIWIK_FORMS, `debugger ${status}`);
    });
  }

  it('Piwik PRO log 400 echoing the bearer token', async () => {
    server
      .route(
        tokenOk,
        {
          path: /debugger/,
          answer: () => ({
            status: 200,
            body: `${JSON.stringify({ session_id_str: '1', server_time: '2026-10-04T11:59:00', updated_at: '2026-10-04T11:59:00', events: [{ event_id_str: '2', event_index: 0, server_time: '2026-10-04T11:59:00', event_type: [17, 'Broken event'], log_uuids: ['0d454742-0e95-4321-a200-fd9d1c4b8031'] }] })}\n`,
          }),
        },
        { path: /\/log$/, answer: echoError(400) },
      )
      .plant(PIWIK_FORMS);
    assertClean(await failureOf(piwik().runQuery(debuggerSpec({ logs: true }), context(PIWIK))), PIWIK_FORMS, 'log 400');
  });

  it('/import per-record rejections and a whole-batch 400 (the editor marks these on their lines)', async () => {
    const file = join(dir, 'a.events.ndjson');
    writeFileSync(file, `${JSON.stringify({ event: 'E', properties: { time: 1790000000, distinct_id: 'u', $insert_id: 'i1' } })}\n`);
    const destination: SendDestination = {
      kind: 'mixpanel',
      name: 'shop',
      target: { projectId: 1, region: 'US', baseUrlOverride: server.url, credentials: MIXPANEL },
    };
    server
      .route({
        path: /import/,
        answer: (_request, echo) => json(400, { error: echo, num_records_imported: 0, failed_records: [{ index: 0, field: 'x', message: echo }] }),
      })
      .plant(MIXPANEL_FORMS);
    const perRecord = await sendEventFile({ path: file, destination, http, signal: new AbortController().signal, cacheDir: dir });
    assertClean(perRecord.report, MIXPANEL_FORMS, 'import per record');
    server.route({ path: /import/, answer: echoError(400) });
    const whole = await sendEventFile({ path: file, destination, http, signal: new AbortController().signal, cacheDir: dir });
    assertClean(whole.report, MIXPANEL_FORMS, 'import whole batch');
  });

  it('mParticle 400 and 401', async () => {
    const file = join(dir, 'b.mparticle.json');
    writeFileSync(file, JSON.stringify({ environment: 'development', user_identities: { customer_id: '1' }, events: [] }));
    const destination: SendDestination = { kind: 'mparticle', name: 'app', target: { pod: 'EU1', ...MPARTICLE, baseUrlOverride: server.url } };
    for (const status of [400, 401]) {
      server.route({ path: /bulkevents/, answer: echoError(status) }).plant(MPARTICLE_FORMS);
      assertClean(
        (await sendEventFile({ path: file, destination, http, signal: new AbortController().signal, cacheDir: dir })).report,
        MPARTICLE_FORMS,
        `mparticle ${status}`,
      );
    }
  });

  it('Slack: an error never names the webhook path', async () => {
    const webhook = `${server.url}/services/T1/B1/${WEBHOOK_TOKEN}`;
    server.route({ path: /services/, answer: (_request, echo) => ({ status: 404, body: echo }) }).plant([WEBHOOK_TOKEN]);
    const failure = await failureOf(postSlackMessage(webhook, { text: 'x' }, { http, signal: new AbortController().signal }));
    const text = JSON.stringify(failure);
    assert.match(text, /Slack rejected the alert \(HTTP 404/);
    assert.ok(!text.includes(WEBHOOK_TOKEN));
  });
});
