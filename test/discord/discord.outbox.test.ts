import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryWorker } from '../../src/outbox/delivery.worker.js';
import { startDiscord, type DiscordHarness } from '../support/discord/harness.js';
import { button, buttonId, users, type Raw } from '../support/discord/payloads.js';
import { people, reportInput } from '../support/fixtures.js';

/** Notifications reach Discord through the outbox; the assignee's DM carries working Accept / Reject buttons. */
describe('Discord: outbox notifications', () => {
  let h: DiscordHarness;
  beforeAll(async () => {
    h = await startDiscord();
  });
  afterAll(async () => h.close());

  const deliver = () => new DeliveryWorker({ store: h.t.app.outboxStore, messengers: h.t.app.messengers, clock: h.t.app.clock, log: h.t.app.log }).runOnce();
  const dmsTo = (userId: string): Raw[] =>
    [...h.fake.messages.values()].filter((m) => {
      const channel = h.fake.channels.get(m.channel_id as string);
      return channel?.type === 1 && channel.recipients?.[0]?.id === userId;
    });

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
});
