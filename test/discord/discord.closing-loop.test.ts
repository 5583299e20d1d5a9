import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscord, type DiscordHarness } from '../support/discord/harness.js';
import { button, buttonId, messageOf, modalSubmit, ownCommand, users, type Raw } from '../support/discord/payloads.js';
import { people } from '../support/fixtures.js';

/**
 * Discord: after the close (SPEC §11). The team lead's DM carries Verify / Return (Return opens a
 * modal for the reason), the closer's DM carries Correct, the reporter's DM the five rating
 * buttons; `/incident-problem` and `/incident-followup` answer; `/incident-rate` rates by typing.
 */
describe('Discord: closing the loop', () => {
  let h: DiscordHarness;
  let id = '';
  beforeAll(async () => {
    h = await startDiscord();
  });
  afterAll(async () => h.close());

  const dmsTo = (userId: string): Raw[] => h.dmsTo(userId);
  const dmWith = (userId: string, label: string): Raw => {
    const found = dmsTo(userId).filter((m) => JSON.stringify(m.components ?? []).includes(`"label":"${label}"`)).at(-1);
    if (!found) throw new Error(`no DM to ${userId} with "${label}"`);
    return messageOf(found, { id: found.id, channelId: found.channel_id });
  };
  const press = async (user: (typeof users)[keyof typeof users], message: Raw, label: string) => h.answerOf(await h.deliver(button(user, buttonId(message, label), message)));

  it('GIVEN a closure "successful with problem" THEN the lead returns it, the closer corrects it, the lead verifies; the reporter rates once with a button', async () => {
    const { incident } = await h.t.app.service.report(people.user, { title: 'Badge reader rejects cards', description: 'Gate 2', impact: 3, urgency: 3 });
    id = incident.id;
    await h.t.app.service.act(id, 'dispatch', people.desk, { groupId: 'infrastructure' });
    await h.t.app.service.act(id, 'accept', people.infra, {});
    await h.t.app.service.act(id, 'resolve', people.infra, { resolutionCode: 'resolved-by-workaround', solution: 'Power-cycled the reader' });
    await h.t.app.service.act(id, 'confirm', people.user, {});
    await h.t.app.service.act(id, 'close', people.desk, { closureCode: 'successful-with-problem' });
    await h.t.bot.settle();

    const ask = dmWith(users.lead.id, 'Return for correction');
    const returnPress = await h.deliver(button(users.lead, buttonId(ask, 'Return for correction'), ask));
    await h.deliver(modalSubmit(users.lead, h.modalOf(returnPress), { reason: 'Resolution code should be "resolved by change"' }));
    const task = dmWith(users.desk.id, 'Correct the record');
    expect(task.content).toContain(`Wang Fang returned ${id} for correction`);
    const correctPress = await h.deliver(button(users.desk, buttonId(task, 'Correct the record'), task));
    await h.deliver(modalSubmit(users.desk, h.modalOf(correctPress), { note: 'Code corrected' }));
    const again = dmWith(users.lead.id, 'Verify');
    expect((await press(users.lead, again, 'Verify')).content).toContain(`${id}: Verify done`);

    const rating = dmWith(users.user.id, '★★★★★ 5');
    expect(rating.content).toContain('How did we do? Rate the service from 1 (poor) to 5 (excellent)');
    expect((await press(users.user, rating, '★★★★★ 5')).content).toContain(`Thank you: you rated ${id} 5/5.`);
    expect((await press(users.user, rating, '★★ 2')).content).toBe(`Thank you, you already rated ${id} (5/5); a rating is given once.`);
    expect(await h.t.app.store.load(id)).toMatchObject({ verifiedById: 'wang.fang', rating: { score: 5 }, links: { problem: 'PRB-000001' } });
  });

  it('GIVEN the commands of their own THEN /incident-problem shows the record, /incident-followup the queue, /incident-rate refuses a second rating', async () => {
    const shown = h.answerOf(await h.deliver(ownCommand(users.manager, 'incident-problem', { action: 'PRB-000001' })));
    expect(shown.content).toContain('PRB-000001 "Badge reader rejects cards" — open');
    const queue = h.answerOf(await h.deliver(ownCommand(users.desk, 'incident-followup')));
    expect(queue.content).toContain('No month has been drawn for follow-up calls yet');
    const typed = h.answerOf(await h.deliver(ownCommand(users.user, 'incident-rate', { id, score: '3' })));
    expect(typed.content).toBe(`Thank you, you already rated ${id} (5/5); a rating is given once.`);
  });
});
