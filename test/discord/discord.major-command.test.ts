import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscord, type DiscordHarness } from '../support/discord/harness.js';
import { button, buttonId, messageOf, ownCommand, users, type Raw } from '../support/discord/payloads.js';
import { people } from '../support/fixtures.js';

/**
 * SPEC §12 through Discord's protocol: the recovery plan pinned in the war room and edited in
 * place, an approval round pressed in the approver's DM, the management thread's updates, and at
 * the close the post-incident review attached in the war room and the management thread.
 */
describe('Discord: the major-incident command', () => {
  let h: DiscordHarness;
  let id = '';
  let room = '';
  beforeAll(async () => {
    h = await startDiscord();
  });
  afterAll(async () => h.close());

  const say = async (user: (typeof users)[keyof typeof users], command: string, options: Record<string, string>) => h.answerOf(await h.deliver(ownCommand(user, command, options))).content as string;
  const dmsTo = (userId: string): Raw[] => h.dmsTo(userId);

  it('GIVEN a P1 THEN the recovery plan is pinned in the war room and edited in place at each version', async () => {
    const { incident } = await h.t.app.service.report(people.user, { title: 'Core switch down', description: 'Nothing routes', impact: 1, urgency: 1 });
    id = incident.id;
    await h.t.bot.settle();
    room = (await h.t.app.surfaceStore.get(`discord:warroom:${id}`))!.channel!;
    expect(await say(users.manager, 'incident-plan', { id, op: 'facts', text: 'cs-1 rebooted at 09:00' })).toContain('Saved as recovery plan v1.');
    const pinned = [...h.fake.messages.values()].find((m) => m.channel_id === room && String(m.content).includes('recovery plan v1'))!;
    expect(pinned.pinned).toBe(true);
    expect(await say(users.manager, 'incident-plan', { id, op: 'action', text: 'li.wei +30m Fail over to the standby supervisor' })).toContain('Saved as recovery plan v2.');
    expect(String(h.fake.messages.get(pinned.id)!.content)).toContain('#1 [open] Fail over to the standby supervisor — Li Wei');
    expect(await say(users.user, 'incident-plan', { id, op: 'facts', text: 'x' })).toContain('You cannot');
  });

  it('GIVEN an all-staff update THEN it goes out only when the director presses Approve in the DM; leadership\'s goes into the management thread', async () => {
    expect(await say(users.manager, 'incident-comms', { id, op: 'draft', text: 'all_staff The network is down until 11:00' })).toContain('waiting for approval');
    const ask = dmsTo(users.director.id).find((m) => JSON.stringify(m.components ?? []).includes('"label":"Approve"'))!;
    const message = messageOf(ask, { id: ask.id, channelId: ask.channel_id });
    expect(h.answerOf(await h.deliver(button(users.user, buttonId(message, 'Approve'), message))).content).toContain('is approved by Gao Feng');
    expect(h.answerOf(await h.deliver(button(users.director, buttonId(message, 'Approve'), message))).content).toContain(`${id}: Approve done`);
    const stakeholders = (await h.t.app.surfaceStore.get(`discord:stakeholders:${id}`))!.channel!;
    expect([...h.fake.messages.values()].filter((m) => m.channel_id === stakeholders).map((m) => m.content).join('\n')).toContain('update for all staff:\nThe network is down until 11:00');

    expect(await say(users.manager, 'incident-comms', { id, op: 'draft', text: 'leadership Failover under way' })).toContain('sent');
    const management = (await h.t.app.surfaceStore.get(`discord:management:${id}`))!.channel!;
    expect([...h.fake.messages.values()].filter((m) => m.channel_id === management).map((m) => m.content).join('\n')).toContain('update for leadership:\nFailover under way');
  });

  it('GIVEN a review passes with no new plan version THEN it was called in the war room and the incident manager hears it was missed', async () => {
    h.t.clock.advance(76 * 60_000);
    await h.t.app.timers.fire(id);
    await h.t.bot.settle();
    expect([...h.fake.messages.values()].filter((m) => m.channel_id === room).map((m) => m.content).join('\n')).toContain("the recovery team's review is due");
    expect(dmsTo(users.manager.id).map((m) => m.content).join('\n')).toContain('was missed — no new recovery-plan version since');
  });

  it('GIVEN the close THEN the post-incident review is attached in the war room and the management thread before the room is archived', async () => {
    await h.t.app.service.act(id, 'dispatch', people.desk, { groupId: 'network' });
    await h.t.app.service.act(id, 'accept', people.network, {});
    await h.t.app.service.act(id, 'resolve', people.network, { resolutionCode: 'resolved-by-workaround', solution: 'Standby supervisor active' });
    await h.t.app.service.act(id, 'confirm', people.user, {});
    await h.t.app.service.act(id, 'close', people.desk, { closureCode: 'successful' });
    await h.t.bot.settle();
    const management = (await h.t.app.surfaceStore.get(`discord:management:${id}`))!.channel!;
    for (const channel of [room, management]) {
      const withFile = h.fake.find('POST', `/channels/${channel}/messages`).filter((c) => c.files?.length);
      expect(withFile).toHaveLength(1);
      expect(withFile[0]!.files!.map((f) => f.name)).toEqual([`${id}-post-incident-review.md`, `${id}-post-incident-review.pdf`]);
      expect(withFile[0]!.files![0]!.content).toContain(`# Post-incident review: ${id} — Core switch down`);
    }
    const review = h.answerOf(await h.deliver(ownCommand(users.manager, 'incident-review', { id })));
    expect(review.content).toContain(`The post-incident review of ${id}, written when it closed`);
    expect((await h.t.app.surfaceStore.get(`discord:warroom:${id}`))?.archived).toBe(true);
  });
});
