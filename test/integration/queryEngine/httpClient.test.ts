/**
 * httpClient on its own: transport failures mapped to BackendError kinds, the base-URL override,
 * and the curl preview with secrets masked.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { applyBaseUrlOverride, buildUrl, createHttpClient, describeAsCurl, type HttpClient } from '../../../server/src/queryEngine/httpClient';
import { maskCredentials } from '../../../server/src/queryEngine/credentialMasking';
import { backendErrorOf } from './backends/backendTestKit';

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
    const error = await backendErrorOf(
      http.send({ method: 'GET', url: `http://127.0.0.1:${port}/api/query/segmentation` }, { signal: new AbortController().signal, timeoutMs: 2000 }),
    );
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
      http.send(
        { method: 'GET', url: 'http://127.0.0.1:9/x', auth: { kind: 'basic', username: 'svc.user', password: 'top-secret-value' } },
        { signal: new AbortController().signal, timeoutMs: 2000 },
      ),
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
    assert.equal(
      applyBaseUrlOverride(url, 'http://127.0.0.1:4010/mixpanel/'),
      'http://127.0.0.1:4010/mixpanel/api/query/segmentation?project_id=1&event=Sign+Up',
    );
    assert.equal(applyBaseUrlOverride(url, undefined), url);
  });
});

describe('describeAsCurl', () => {
  it('masks a service-account secret, a legacy secret and a bearer token', () => {
    const url = 'https://mixpanel.com/api/query/jql?project_id=1';
    assert.equal(
      describeAsCurl({
        method: 'POST',
        url,
        auth: { kind: 'basic', username: 'svc.1.mp-service-account', password: 's3cr3t' },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'script=main',
      }),
      `curl -X POST '${url}' -u 'svc.1.mp-service-account:****' -H 'content-type: application/x-www-form-urlencoded' --data 'script=main'`,
    );
    assert.equal(describeAsCurl({ method: 'GET', url, auth: { kind: 'basic', username: 'legacysecret', password: '' } }), `curl '${url}' -u '****:'`);
    assert.equal(describeAsCurl({ method: 'GET', url, auth: { kind: 'bearer', token: 'eyJtoken' } }), `curl '${url}' -H 'Authorization: Bearer ****'`);
  });

  it('quotes single quotes for the shell', () => {
    assert.equal(describeAsCurl({ method: 'POST', url: 'https://x/y', body: "it's" }), `curl -X POST 'https://x/y' --data 'it'\\''s'`);
  });

  it('maskCredentials removes every form of a credential: literal, user:secret, its base64, URL- and JSON-escaped copies', () => {
    const credentials = { username: 'svc.user', secret: 's3cr3t/+"x' };
    const basic = Buffer.from('svc.user:s3cr3t/+"x').toString('base64');
    const text = `a s3cr3t/+"x b Basic ${basic} c ${encodeURIComponent('s3cr3t/+"x')} d ${JSON.stringify('s3cr3t/+"x')} e svc.user:s3cr3t/+"x f svc.user`;
    const masked = maskCredentials(text, { credentials });
    for (const form of ['s3cr3t', basic, basic.replace(/=+$/, '')]) assert.ok(!masked.includes(form), `${form} in ${masked}`);
    assert.match(masked, /^a \*{4} b Basic \*{4} c \*{4}/);
    assert.ok(masked.includes('svc.user'), 'a username alone is not a secret and stays readable');
  });

  it('a response body echoing the Authorization header comes back masked', async () => {
    const server = createServer((request, response) => response.end(JSON.stringify({ echoed: request.headers.authorization })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const basic = await http.send(
        { method: 'GET', url: `http://127.0.0.1:${port}/`, auth: { kind: 'basic', username: 'u', password: 'p4ssw0rd' } },
        { signal: new AbortController().signal, timeoutMs: 5000 },
      );
      assert.equal(JSON.parse(basic.body).echoed, 'Basic ****');
      const bearer = await http.send(
        { method: 'GET', url: `http://127.0.0.1:${port}/`, auth: { kind: 'bearer', token: 'tok-123456' } },
        { signal: new AbortController().signal, timeoutMs: 5000 },
      );
      assert.equal(JSON.parse(bearer.body).echoed, 'Bearer ****');
    } finally {
      server.close();
    }
  });
});
