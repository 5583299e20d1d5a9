import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViewOpener, postJson } from '../../adapters/slack/slack.clients.js';

/** The interactive path's own HTTP posts (views.open, response_url answers): an answer, or a clear failure in time. */
describe('postJson', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/silent')) return; // never answers
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        if (req.url === '/views.open') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, view: { id: 'V1' }, got: JSON.parse(body), auth: req.headers.authorization }));
        } else {
          res.writeHead(429, { 'retry-after': '7' }).end('slow down');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('GIVEN a server that answers THEN its status, Retry-After and body come back', async () => {
    const answer = await postJson(new URL(`${base}busy`), '{"a":1}', {}, 2_000);
    expect(answer).toMatchObject({ status: 429, ok: false, retryAfter: '7', body: 'slow down' });
  });

  it('GIVEN a server that never answers THEN the post fails once its time is up, saying so', async () => {
    const started = Date.now();
    await expect(postJson(new URL(`${base}silent`), '{}', {}, 300)).rejects.toThrow('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('GIVEN views.open THEN the view goes with the trigger_id and bearer token, and a silent Slack is reported unreachable', async () => {
    expect(await new ViewOpener('xoxb-test', base).open('T1', { type: 'modal' })).toMatchObject({ ok: true, view: { id: 'V1' }, got: { trigger_id: 'T1', view: { type: 'modal' } }, auth: 'Bearer xoxb-test' });
    const silent = new ViewOpener('xoxb-test', `${base}silent/`, 300);
    await expect(silent.open('T2', {})).rejects.toMatchObject({ code: 'slack_webapi_request_error' });
  });
});
