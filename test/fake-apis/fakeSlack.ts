/**
 * A Slack incoming webhook (docs/api-notes.md) on 127.0.0.1: `POST /services/T…/B…/…` with a JSON body
 * `{"text": …}` answers 200 `ok` and records the message. A wrong path answers 404 `no_service`,
 * a body without text 400 `no_text`, bad JSON 400 `invalid_payload`. `failNext` answers the next
 * posts with an error status and Slack's error string instead (and records nothing).
 */
import { FakeServer, type FakeResponse, type RecordedRequest } from './fakeServerKit';

export const SLACK_HOOK_PATH = '/services/T0000AQ01/B0000AQ02/s3cr3tW3bh00kT0k3n';

export interface FakeSlack {
  /** The full webhook URL, secret path included. */
  webhookUrl: string;
  /** Texts received, in order. */
  messages: string[];
  failNext(status: number, error: string, times?: number): void;
  close(): Promise<void>;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const messages: string[] = [];
  const server = new FakeServer(route);

  function route(request: RecordedRequest): FakeResponse {
    if (request.method !== 'POST' || request.path !== SLACK_HOOK_PATH) return plain(404, 'no_service');
    let payload: unknown;
    try {
      payload = JSON.parse(request.body);
    } catch {
      return plain(400, 'invalid_payload');
    }
    const text = (payload as { text?: unknown })?.text;
    if (typeof text !== 'string' || text === '') return plain(400, 'no_text');
    messages.push(text);
    return plain(200, 'ok');
  }

  await server.start();
  return {
    webhookUrl: `${server.url}${SLACK_HOOK_PATH}`,
    messages,
    failNext: (status, error, times = 1) => server.setFault({ kind: 'status', status, body: error, headers: { 'content-type': 'text/plain' } }, { times }),
    close: () => server.close(),
  };
}

function plain(status: number, body: string): FakeResponse {
  return { status, headers: { 'content-type': 'text/plain' }, body };
}
