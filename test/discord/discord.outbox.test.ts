import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryWorker } from '../../src/outbox/delivery.worker.js';
import { startDiscord, type DiscordHarness } from '../support/discord/harness.js';
import { IDS, button, buttonId, users, type Raw } from '../support/discord/payloads.js';
import { people, reportInput } from '../support/fixtures.js';

/** Notifications reach Discord through the outbox; the assignee's DM carries working Accept / Reject buttons. */
describe('Discord: outbox notifications', () => {
  let h: DiscordHarness;
  beforeAll(async () => {
    h = await startDiscord();
  });
  afterAll(async () => h.close());

  const deliver = () => new DeliveryWorker({ store: h.t.app.outboxStore, messengers: h.t.app.messengers, clock: h.t.app.clock, log: h.t.app.log }).runOnce();
  const dmsTo = (userId: string): Raw[] => h.dmsTo(userId);

  it('GIVEN a dispatch to Liu Yang THEN one DM offers Accept / Reject, and Accept pressed there accepts the incident', async () => {
    const { incident } = await h.t.app.service.report(people.user, reportInput({ title: 'Payroll export fails' }));
    await h.t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'applications', assigneeId: people.apps.id });
    await deliver();
    await deliver();
    const offers = dmsTo(users.apps.id).filter((m) => JSON.stringify(m.components ?? []).includes('Accept'));
    expect(offers).toHaveLength(1);
    const dm = offers[0]!;
    expect(dm.content).toContain(`${incident.id} (P3) "Payroll export fails" was dispatched to Liu Yang`);
    await h.deliver(button(users.apps, buttonId(dm, 'Accept'), dm));
    expect(await h.t.app.service.get(incident.id)).toMatchObject({ status: 'in_progress', ownerId: people.apps.id });
  });

  it('GIVEN an urgent (P1) notification for Li Wei THEN he gets a DM and a mention in the service-desk channel that pings only him, as on Slack', async () => {
    const messenger = h.messengers.find((m) => m.platform === 'discord')!;
    const message = { key: 'INC-000009:escalation:0:person:li.wei:discord', incidentId: 'INC-000009', text: '⬆️ Escalation 1 of 3: INC-000009 (P1) @everyone', urgent: true };
    const before = h.fake.calls.length;
    await messenger.deliver({ kind: 'person', personId: 'li.wei' }, message);
    const posts = h.fake.calls.slice(before).filter((c) => c.method === 'POST' && /^\/channels\/\d+\/messages$/.test(c.path));
    expect(posts).toHaveLength(2);
    const mention = posts.find((c) => c.path === `/channels/${IDS.serviceDesk}/messages`);
    expect(mention?.body).toMatchObject({ allowed_mentions: { parse: [], users: [users.network.id] }, enforce_nonce: true });
    expect(mention?.body.content).toMatch(new RegExp(`^<@${users.network.id}> ⬆️ Escalation 1 of 3: INC-000009`));
    expect(mention?.body.content).not.toContain(' @everyone'); // user text stays defused
    const dm = posts.find((c) => c.path !== `/channels/${IDS.serviceDesk}/messages`);
    expect(dm?.body.allowed_mentions).toEqual({ parse: [] });
    // Each post has its own nonce, so Discord's de-duplication never drops the second as a repeat of the first.
    expect(mention?.body.nonce).not.toBe(dm?.body.nonce);

    const notUrgent = h.fake.calls.length;
    await messenger.deliver({ kind: 'person', personId: 'li.wei' }, { ...message, key: `${message.key}:2`, urgent: false });
    expect(h.fake.calls.slice(notUrgent).filter((c) => c.path === `/channels/${IDS.serviceDesk}/messages`)).toHaveLength(0);
  });

  it('GIVEN a message with files for the management channel (the monthly report) THEN one post carries them, and a retry posts nothing twice (its nonce)', async () => {
    const messenger = h.messengers.find((m) => m.platform === 'discord')!;
    const files = [{ name: 'month-2026-01.csv', content: 'table,row,column,value\r\n' }, { name: 'month-2026-01-trend.png', content: Buffer.from('png').toString('base64'), encoding: 'base64' as const }];
    const message = { key: '-:monthly-report:2026-01:channel:management:discord', rule: 'monthly-report', text: 'The monthly report for 2026-01', urgent: false, files };
    await messenger.deliver({ kind: 'channel', channel: 'management' }, message);
    await messenger.deliver({ kind: 'channel', channel: 'management' }, { ...message, maybeSent: true });
    const posts = h.fake.find('POST', `/channels/${IDS.management}/messages`).filter((c) => c.files?.length);
    expect(posts.length).toBeGreaterThan(0);
    expect(posts[0]!.files!.map((f) => f.name)).toEqual(['month-2026-01.csv', 'month-2026-01-trend.png']);
    expect(posts[0]!.body.enforce_nonce).toBe(true);
    expect(new Set(posts.map((p) => p.body.nonce)).size).toBe(1);
    expect([...h.fake.messages.values()].filter((m) => m.channel_id === IDS.management && String(m.content).startsWith('The monthly report'))).toHaveLength(1);
  });

  it('GIVEN a stakeholder notice about an incident (an escalation) THEN it is posted in that incident\'s stakeholder thread, not the channel', async () => {
    const { incident } = await h.t.app.service.report(people.user, reportInput({ title: 'Mail relay queueing' }));
    const messenger = h.messengers.find((m) => m.platform === 'discord')!;
    const notice = { key: `${incident.id}:thread:escalation:0:channel:stakeholders:discord`, incidentId: incident.id, text: `⬆️ ${incident.id} escalated`, urgent: false };
    // Before the surface has opened the thread, the notice waits (a retry, not a post in the channel).
    const early = await messenger.deliver({ kind: 'channel', channel: 'stakeholders' }, notice).catch((e: unknown) => e);
    expect((early as { options?: { retryAfterMs?: number } }).options?.retryAfterMs).toBeGreaterThan(0);
    await h.t.bot.settle();
    const thread = await h.t.app.surfaceStore.get(`discord:stakeholders:${incident.id}`);
    expect(thread?.channel).toBeDefined();
    const before = h.fake.calls.length;
    await messenger.deliver({ kind: 'channel', channel: 'stakeholders' }, notice);
    const posts = h.fake.calls.slice(before).filter((c) => c.method === 'POST');
    expect(posts.map((c) => c.path)).toEqual([`/channels/${thread!.channel}/messages`]);
    expect(posts[0]!.body.content).toContain('escalated');
  });
});
