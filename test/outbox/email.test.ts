import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notice } from '../../src/outbox/notices.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { WebhookMessenger } from '../../src/outbox/webhook.messenger.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { config, people } from '../support/fixtures.js';
import { RecordingMessenger } from '../support/timers.js';

/**
 * A priority whose channels list `email` with no way to send e-mail: the chat message still goes,
 * and the e-mail is kept as undeliverable with the reason, so `/incident admin outbox` shows it.
 */
describe('outbox: e-mail with no e-mail route', () => {
  let t: TestApp;
  let outbox: Outbox;
  const notice = (over: Partial<Notice> = {}): Notice => ({
    rule: 'escalation:0',
    step: '',
    to: [{ kind: 'person', personId: 'he.xin' }],
    text: 'Escalation 1 of 3',
    urgent: false,
    channels: ['email'],
    ...over,
  });

  beforeAll(async () => {
    t = await startTestApp(config, { messengers: [] });
    t.app.messengers.push(new RecordingMessenger(t.clock));
    outbox = new Outbox(t.app.outboxStore, t.app.messengers, t.clock, t.app.log);
  });
  afterAll(async () => t.close());

  it('GIVEN no notification webhook WHEN an e-mail notice is written THEN chat is pending and the e-mail is undeliverable, saying why; admin outbox lists it', async () => {
    expect(await outbox.enqueue('INC-000101', notice())).toBe(2);
    const entries = await t.app.outboxStore.forIncident('INC-000101');
    expect(entries.map((e) => [e.platform, e.status]).sort()).toEqual([['email', 'undeliverable'], ['test', 'pending']]);
    const email = entries.find((e) => e.platform === 'email')!;
    expect(email._id).toBe('INC-000101:escalation:0:person:he.xin:email');
    expect(email.lastError).toContain('no e-mail route is configured (SMTP_URL, or organisation.webhooks.notify)');

    const reply = await t.app.run(people.manager, 'admin', { topic: 'outbox' });
    const listed = (reply.sections ?? []).flatMap((s) => s.items.map((i) => i.line));
    expect(listed).toContainEqual(expect.stringContaining('INC-000101:escalation:0:person:he.xin:email — email, 0 attempt(s): no e-mail route is configured'));
  });

  it('GIVEN a group or channel destination THEN no e-mail entry (e-mail goes to people)', async () => {
    await outbox.enqueue('INC-000102', notice({ to: [{ kind: 'group', groupId: 'network' }] }));
    expect((await t.app.outboxStore.forIncident('INC-000102')).map((e) => e.platform)).toEqual(['test']);
  });

  it('GIVEN the notification webhook is set THEN the e-mail goes through it, as before', async () => {
    const messengers = [...t.app.messengers, new WebhookMessenger('http://127.0.0.1:9/notify', t.app.directory)];
    const withHook = new Outbox(t.app.outboxStore, messengers, t.clock, t.app.log);
    await withHook.enqueue('INC-000103', notice());
    expect((await t.app.outboxStore.forIncident('INC-000103')).map((e) => [e.platform, e.status]).sort()).toEqual([['test', 'pending'], ['webhook', 'pending']]);
  });
});
