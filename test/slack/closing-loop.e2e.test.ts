import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buttonLabels, CHANNELS, SlackBot, slackUsers, visibleText } from '../support/slack/slack-bot.js';
import { people } from '../support/fixtures.js';

/**
 * Slack: after the close (SPEC §11). The team lead's DM carries Verify / Return; a return reaches
 * the closer with Correct; the reporter's DM carries the five rating buttons; the problem record
 * and the follow-up queue answer as slash commands; the card shows it all.
 */
describe('Slack: closing the loop', () => {
  let bot: SlackBot;
  const { desk: chen, desk2: lead, user: lin } = slackUsers;
  let id = '';

  beforeAll(async () => {
    bot = await SlackBot.start();
  });
  afterAll(async () => {
    await bot?.close();
  });

  const dmWith = (user: { id: string }, label: string) => {
    const found = bot.api.messages(user.id).filter((m) => buttonLabels(m.blocks).includes(label)).at(-1);
    if (!found) throw new Error(`no DM to ${user.id} with "${label}"; buttons seen: ${bot.api.messages(user.id).map((m) => buttonLabels(m.blocks).join('|')).join(' / ')}`);
    return found;
  };

  it('GIVEN a closure "successful with problem" from the card THEN the lead verifies after a return and a correction, the reporter rates with a button, and the card shows the problem', async () => {
    const { incident } = await bot.app.service.report(people.user, { title: 'Badge reader rejects cards', description: 'Gate 2', impact: 3, urgency: 3 });
    id = incident.id;
    await bot.app.service.act(id, 'dispatch', people.desk, { groupId: 'infrastructure' });
    await bot.app.service.act(id, 'accept', people.infra, {});
    await bot.app.service.act(id, 'resolve', people.infra, { resolutionCode: 'resolved-by-workaround', solution: 'Power-cycled the reader' });
    await bot.app.service.act(id, 'confirm', people.user, {});
    await bot.idle();
    const close = await bot.click(chen, bot.card(id), 'Close');
    await bot.submit(chen, await bot.modalFor(close.triggerId), { 'Closure code': 'Successful with problem' });
    await bot.idle();

    // The team lead returns it with a reason; the closer gets Correct, fills the form, the lead verifies.
    const returned = await bot.click(lead, dmWith(lead, 'Return for correction'), 'Return for correction');
    await bot.submit(lead, await bot.modalFor(returned.triggerId), { Reason: 'Resolution code should be "resolved by change"' });
    await bot.idle();
    const correct = await bot.click(chen, dmWith(chen, 'Correct the record'), 'Correct the record');
    await bot.submit(chen, await bot.modalFor(correct.triggerId), { Note: 'Code corrected', 'Resolution code': 'Resolved by change / service request' });
    await bot.idle();
    const verified = await bot.click(lead, dmWith(lead, 'Verify'), 'Verify');
    await bot.idle();
    expect(bot.lastResponse(verified, lead.id).text).toContain(`${id}: Verify done`);

    // The reporter's closure DM: five rating buttons; one press rates, a second is refused politely.
    const closedDm = dmWith(lin, '★★★★ 4');
    expect(buttonLabels(closedDm.blocks)).toEqual(['★ 1', '★★ 2', '★★★ 3', '★★★★ 4', '★★★★★ 5']);
    const rated = await bot.click(lin, closedDm, '★★★★ 4');
    await bot.idle();
    expect(bot.lastResponse(rated, lin.id).text).toContain(`Thank you: you rated ${id} 4/5.`);
    const again = await bot.click(lin, closedDm, '★ 1');
    await bot.idle();
    expect(bot.lastResponse(again, lin.id).text).toBe(`Thank you, you already rated ${id} (4/5); a rating is given once.`);

    const stored = await bot.app.service.get(id);
    expect(stored).toMatchObject({ status: 'closed', resolutionCode: 'resolved-by-change', verifiedById: 'wang.fang', rating: { score: 4 }, links: { problem: 'PRB-000001' } });
    const card = visibleText(bot.card(id).blocks);
    expect(card).toContain('PRB-000001');
    expect(card).toContain('verified by Wang Fang');
    expect(card).toContain('4/5');
  });

  it('GIVEN the problem record and the follow-up queue THEN they answer as slash commands', async () => {
    const shown = await bot.slash(slackUsers.manager, 'problem PRB-000001');
    await bot.idle();
    expect(bot.lastResponse(shown).text).toContain('PRB-000001 "Badge reader rejects cards" — open');
    const queue = await bot.slash(chen, 'followup');
    await bot.idle();
    expect(bot.lastResponse(queue).text).toContain('No month has been drawn for follow-up calls yet');
    expect(bot.api.messages(CHANNELS.desk).length).toBeGreaterThan(0);
  });
});
