import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp } from '../../src/http/server.js';
import { BotMetrics } from '../../src/http/metrics.js';
import { createLogger } from '../../src/logging.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { people, reportInput } from '../support/fixtures.js';

describe('health, readiness and metrics', () => {
  let t: TestApp;
  let http: Awaited<ReturnType<typeof startHttp>>;
  let ready = true;
  let metrics: BotMetrics;

  beforeAll(async () => {
    t = await startTestApp();
    metrics = new BotMetrics().collectFrom({ store: t.app.store, outbox: t.app.outboxStore, now: () => t.clock.now() });
    const routes = new Map([['POST /slack/events', async (_req: unknown, res: ServerResponse) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      res.writeHead(200).end();
    }]]);
    http = await startHttp({ port: 0, ready: async () => ready, metrics: () => metrics.text(), routes, timed: (route, seconds) => metrics.requestTimed(route, seconds) });
  });
  afterAll(async () => {
    await http.close();
    await t.close();
  });

  const get = (path: string) => fetch(`http://127.0.0.1:${http.port}${path}`);

  it('answers /healthz, and /readyz by whether the database is reachable', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    ready = false;
    const down = await get('/readyz');
    expect([down.status, await down.text()]).toEqual([503, 'database unreachable\n']);
    ready = true;
  });

  it('counts incidents by status and priority in /metrics', async () => {
    await t.app.service.report(people.user, reportInput({ impact: 1, urgency: 1 }));
    await t.app.service.report(people.user, reportInput());
    const text = await (await get('/metrics')).text();
    expect(text).toContain('incidents{status="open",priority="P1"} 1');
    expect(text).toContain('incidents{status="open",priority="P3"} 1');
    // Nothing delivers in this test: the on-duty first line's notices wait, with nobody to reach them.
    expect(text).toMatch(/outbox_messages\{status="undeliverable"\} [1-9]/);
    expect(text).toContain('outbox_messages{status="dead"} 0');
    expect(text).toContain('outbox_oldest_pending_seconds 0');
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
  });

  it('times each answer by route, from arrival to its last byte (for Slack, the ack), and any unknown path as "other"', async () => {
    await fetch(`http://127.0.0.1:${http.port}/slack/events`, { method: 'POST', body: 'x' });
    await get('/wp-login.php');
    const text = await (await get('/metrics')).text();
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.025",route="POST /slack/events"} 0');
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.05",route="POST /slack/events"} 1');
    expect(text).toMatch(/http_request_duration_seconds_count\{route="other"\} [1-9]/);
    expect(text).not.toContain('wp-login');
  });

  it('answers 404 for anything else', async () => {
    expect((await get('/nope')).status).toBe(404);
  });
});

describe('logs', () => {
  it('redacts tokens and secrets wherever they appear', () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((out += String(chunk)), done()) });
    const log = createLogger({ level: 'info', pretty: false, destination: sink });
    log.info({ token: 'xoxb-123', env: { SLACK_BOT_TOKEN: 'xoxb-456', DISCORD_TOKEN: 'abc' }, req: { headers: { authorization: 'Bearer x' } } }, 'hello');
    const line = JSON.parse(out) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: 'hello', token: '[redacted]', env: { SLACK_BOT_TOKEN: '[redacted]', DISCORD_TOKEN: '[redacted]' }, req: { headers: { authorization: '[redacted]' } } });
    expect(out).not.toMatch(/xoxb-|Bearer/);
  });
});
