import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { ViewOpener, deliveryClient, postJson, retryAfterMs, slackErrorCode } from '../../adapters/slack/slack.clients.js';

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
        const echo = { got: req.headers['content-type']?.startsWith('application/json') ? JSON.parse(body) : body, type: req.headers['content-type'], auth: req.headers.authorization };
        if (req.url === '/views.open') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, view: { id: 'V1' }, ...echo }));
        } else if (req.url === '/chat.postMessage' || req.url === '/conversations.open') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, channel: 'C1', ts: '1.2', ...echo }));
        } else if (req.url === '/chat.update') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'message_not_found' }));
        } else if (req.url === '/fail/chat.postMessage') {
          res.writeHead(503).end('upstream down');
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

  it('GIVEN the outbox\'s client THEN cards go as JSON with the bearer token, and each failure comes back shaped as web-api\'s', async () => {
    const log = pino({ level: 'silent' });
    const client = deliveryClient('xoxb-test', base, log);
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'P1 & <b>' } }];
    const posted = (await client.chat.postMessage({ channel: 'C1', text: 'card', blocks })) as unknown as { ts: string; got: unknown; type: string; auth: string };
    expect(posted).toMatchObject({ ts: '1.2', got: { channel: 'C1', text: 'card', blocks }, auth: 'Bearer xoxb-test' });
    expect(posted.type).toContain('application/json');
    // Slack's own refusal: its error code, as web-api's platform error.
    const refused = await client.chat.update({ channel: 'C1', ts: '1.2', text: 'x' }).catch((error: unknown) => error);
    expect(slackErrorCode(refused)).toBe('message_not_found');
    // A 429 (the test server's answer to any other path) carries its wait for the outbox.
    const server429 = deliveryClient('xoxb-test', `${base}busy/`, log);
    const slowed = await server429.chat.postMessage({ channel: 'C1', text: 'x' }).catch((error: unknown) => error);
    expect(slackErrorCode(slowed)).toBe('ratelimited');
    expect(retryAfterMs(slowed)).toBe(7_000);
    const down = await deliveryClient('xoxb-test', `${base}fail/`, log).chat.postMessage({ channel: 'C1', text: 'x' }).catch((error: unknown) => error);
    expect(slackErrorCode(down)).toBe('http 503');
    const silent = await deliveryClient('xoxb-test', `${base}silent/`, log, 300).chat.postMessage({ channel: 'C1', text: 'x' }).catch((error: unknown) => error);
    expect(slackErrorCode(silent)).toBe('unreachable');
    // Rarer calls still go through web-api, form-encoded.
    const opened = (await client.conversations.open({ users: 'U1' })) as unknown as { type: string; got: string };
    expect(opened.type).toContain('application/x-www-form-urlencoded');
    expect(opened.got).toContain('users=U1');
  });

  it('GIVEN a kept-alive connection the server drops as a request goes out on it THEN the request goes again on a new one, once', async () => {
    // Each connection serves one request; the next request on it is cut off unanswered, as a server
    // closing an idle connection does when a request crosses its close.
    const served = new WeakSet<object>();
    let received = 0;
    const dropping = createServer((req, res) => {
      received++;
      if (served.has(req.socket)) return void req.socket.destroy();
      served.add(req.socket);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(dropping.address() as AddressInfo).port}/chat.postMessage`);
    try {
      expect(await postJson(url, '{}', {}, 2_000)).toMatchObject({ status: 200, body: '{"ok":true}' });
      expect(await postJson(url, '{}', {}, 2_000)).toMatchObject({ status: 200, body: '{"ok":true}' });
      expect(received).toBe(3);
    } finally {
      dropping.closeAllConnections();
      await new Promise((resolve) => dropping.close(resolve));
    }
  });
});
