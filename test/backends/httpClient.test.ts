/**
 * httpClient on its own: transport failures mapped to BackendError kinds, the base-URL override,
 * and the curl preview with secrets masked.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { applyBaseUrlOverride, buildUrl, createHttpClient, describeAsCurl, redactSecrets, type HttpClient } from '../../server/src/queryEngine/httpClient';
import { backendErrorOf } from './backendTestKit';

let http: HttpClient;
before(() => {
  http = createHttpClient();
});
after(() => http.close());

describe('httpClient', () => {
  it('a refused connection → network', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await backendErrorOf(http.send({ method: 'GET', url: `http://127.0.0.1:${port}/api/query/segmentation` }, { signal: new AbortController().signal, timeoutMs: 2000 }));
    assert.equal(error.kind, 'network');
    assert.match(error.message, /refused/);
  });

  it('an already-cancelled signal → cancelled without a request', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await backendErrorOf(http.send({ method: 'GET', url: 'http://127.0.0.1:9/x' }, { signal: controller.signal, timeoutMs: 2000 }));
    assert.equal(error.kind, 'cancelled');
  });

  it('never puts the credentials in an error', async () => {
    const error = await backendErrorOf(
      http.send({ method: 'GET', url: 'http://127.0.0.1:9/x', auth: { kind: 'basic', username: 'svc.user', password: 'top-secret-value' } }, { signal: new AbortController().signal, timeoutMs: 2000 }),
    );
    assert.ok(!error.message.includes('top-secret-value'));
    assert.ok(!JSON.stringify(error.details).includes('top-secret-value'));
  });
});

describe('base URL override', () => {
  it('replaces scheme and host and keeps the documented path and query', () => {
    const url = buildUrl('https://eu.mixpanel.com', '/api/query/segmentation', { project_id: 1, event: 'Sign Up', on: undefined });
    assert.equal(url, 'https://eu.mixpanel.com/api/query/segmentation?project_id=1&event=Sign+Up');
    assert.equal(applyBaseUrlOverride(url, 'http://127.0.0.1:4010'), 'http://127.0.0.1:4010/api/query/segmentation?project_id=1&event=Sign+Up');
    assert.equal(applyBaseUrlOverride(url, 'http://127.0.0.1:4010/mixpanel/'), 'http://127.0.0.1:4010/mixpanel/api/query/segmentation?project_id=1&event=Sign+Up');
    assert.equal(applyBaseUrlOverride(url, undefined), url);
  });
});

describe('describeAsCurl', () => {
  it('masks a service-account secret, a legacy secret and a bearer token', () => {
    const url = 'https://mixpanel.com/api/query/jql?project_id=1';
    assert.equal(
      describeAsCurl({ method: 'POST', url, auth: { kind: 'basic', username: 'svc.1.mp-service-account', password: 's3cr3t' }, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'script=main' }),
      `curl -X POST '${url}' -u 'svc.1.mp-service-account:****' -H 'content-type: application/x-www-form-urlencoded' --data 'script=main'`,
    );
    assert.equal(describeAsCurl({ method: 'GET', url, auth: { kind: 'basic', username: 'legacysecret', password: '' } }), `curl '${url}' -u '****:'`);
    assert.equal(describeAsCurl({ method: 'GET', url, auth: { kind: 'bearer', token: 'eyJtoken' } }), `curl '${url}' -H 'Authorization: Bearer ****'`);
  });

  it("quotes single quotes for the shell", () => {
    assert.equal(describeAsCurl({ method: 'POST', url: 'https://x/y', body: "it's" }), `curl -X POST 'https://x/y' --data 'it'\\''s'`);
  });

  it('redactSecrets removes every occurrence of a secret', () => {
    assert.equal(redactSecrets('a s3cr3t b s3cr3t', ['s3cr3t', undefined]), 'a **** b ****');
  });
});
