import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/app/platform.js';
import type { ConfigFile } from '../../src/config/config.schema.js';
import { WebhookMessenger } from '../../src/outbox/webhook.messenger.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { config as shipped, people, reportInput } from '../support/fixtures.js';
import { FakeScheduler, RecordingMessenger, deliveryWorker, tick } from '../support/timers.js';

/** A phone/SMS/e-mail gateway stand-in: records each POST and answers with the next queued status. */
function gateway() {
  const received: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[] = [];
  const answers: { status: number; headers?: Record<string, string> }[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(data) as Record<string, unknown> });
      const answer = answers.shift() ?? { status: 204 };
      res.writeHead(answer.status, answer.headers).end();
    });
  });
  return { server, received, answers, url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify` };
}

describe('the notification webhook (SPEC §7 phone/SMS/e-mail hooks)', () => {
  const gw = gateway();
  let t: TestApp;
  let scheduler: FakeScheduler;
  let chat: RecordingMessenger;

  beforeAll(async () => {
    await new Promise<void>((resolve) => gw.server.listen(0, '127.0.0.1', resolve));
    const config: ConfigFile = structuredClone(shipped);
    config.organisation.people = config.organisation.people.map((p) => (p.id === 'he.xin' ? { ...p, email: 'he.xin@example.com', phone: '+86 10 5555 0100' } : p));
    config.organisation.webhooks.notify = gw.url();
    scheduler = new FakeScheduler();
    t = await startTestApp(config, { scheduler: () => scheduler, messengers: [] });
    chat = new RecordingMessenger(t.clock);
    t.app.messengers.push(new WebhookMessenger(gw.url(), t.app.directory), chat);
  });
  afterAll(async () => {
    await t.close();
    gw.server.close();
  });

  it('GIVEN a P1 THEN its 5-minute notification reaches the project manager by chat (mention + DM) and by the webhook, with e-mail, phone and an idempotency key', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput({ impact: 1, urgency: 1 }));
    t.clock.advance(5 * 60_000);
    await tick(t.app, t.clock, scheduler, deliveryWorker(t.app, t.clock));
    expect(chat.to(incident.id, 'notification:0')).toEqual(['he.xin']);
    expect(chat.sent.find((d) => d.message.key.startsWith(`${incident.id}:notification:0:`))?.message.urgent).toBe(true);
    const hook = gw.received.find((r) => String(r.body.key).startsWith(`${incident.id}:notification:0:`));
    expect(hook?.body).toMatchObject({ incidentId: incident.id, urgent: true, person: { id: 'he.xin', email: 'he.xin@example.com', phone: '+86 10 5555 0100' } });
    expect(hook?.headers['idempotency-key']).toBe(hook?.body.key);
  });

  it('GIVEN the gateway answers 429, 503 or 400 THEN the delivery is retried after Retry-After, retried, or given up', async () => {
    const messenger = new WebhookMessenger(gw.url(), t.app.directory);
    const message = { key: 'k1', text: 'hello', urgent: true };
    gw.answers.push({ status: 429, headers: { 'retry-after': '7' } }, { status: 503 }, { status: 400 });
    const outcomes: DeliveryError[] = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(await messenger.deliver({ kind: 'person', personId: 'he.xin' }, message).then(() => new DeliveryError('delivered'), (e: DeliveryError) => e));
    }
    expect(outcomes.map((e) => e.options)).toEqual([{ retryAfterMs: 7000 }, { permanent: false }, { permanent: true }]);
  });
});
