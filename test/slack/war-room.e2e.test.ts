import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, SlackBot, slackUsers, visibleText } from '../support/slack/slack-bot.js';

/** SPEC §12 through Slack: a P1 report or a declaration opens a war room; closing archives it. */
describe('Slack: the major-incident war room', () => {
  let bot: SlackBot;
  const { user: lin, desk: chen, network: li, manager: zhao } = slackUsers;

  beforeAll(async () => {
    bot = await SlackBot.start();
  });
  afterAll(async () => {
    await bot?.close();
  });

  async function report(title: string, impact: string, urgency: string): Promise<string> {
    const command = await bot.slash(lin, title);
    await bot.submit(lin, await bot.modalFor(command.triggerId), { Description: 'Nothing routes', Impact: impact, Urgency: urgency });
    await bot.idle();
    return /INC-\d{6}/.exec(bot.lastResponse(command).text)![0];
  }

  it('GIVEN a P1 report and a taken channel name THEN a war room is created once, the team invited, the summary pinned and linked; closing archives it', async () => {
    bot.api.script('conversations.create', { error: 'name_taken' });
    const id = await report('Core switch down: Building A & B', '1', '1');
    expect((await bot.app.service.get(id)).priority).toBe('P1');

    const creates = bot.api.callsOf('conversations.create');
    expect(creates.map((c) => c.params.name)).toEqual(['inc-000001-core-switch-down-building-a-b', 'inc-000001-core-switch-down-building-a-b-2']);
    // Private: the recovery team and the managers it invites (groups:write).
    expect(creates.map((c) => String(c.params.is_private))).toEqual(['true', 'true']);
    const invite = await bot.api.waitFor('conversations.invite');
    expect(invite.params.channel).toBe('CWAR1');
    expect(String(invite.params.users).split(',')).toContain(zhao.id);
    const summary = bot.api.messages('CWAR1')[0];
    expect(summary?.text).toContain(`War room for ${id}`);
    expect(bot.api.callsOf('pins.add')).toMatchObject([{ params: { channel: 'CWAR1', timestamp: summary!.ts } }]);
    expect(visibleText(bot.card(id).blocks)).toContain('War room: <#CWAR1>');
    const parent = bot.api.messages(CHANNELS.stakeholders).find((m) => !m.threadTs && m.text.includes(id));
    const thread = bot.api.messages(CHANNELS.stakeholders).filter((m) => m.threadTs === parent?.ts);
    expect(thread.map((m) => m.text).join('\n')).toContain('<#CWAR1>');

    // Dispatch and accept: the assignee joins the room; no second channel appears.
    const dispatch = await bot.click(chen, bot.card(id), 'Dispatch');
    await bot.submit(chen, await bot.modalFor(dispatch.triggerId), { 'Assignment group': 'Network', Assignee: 'li.wei' });
    await bot.idle();
    const dm = bot.api.messages(li.id).at(-1);
    expect(dm?.text).toContain(`${id} (P1)`);
    await bot.click(li, dm!, 'Accept');
    await bot.idle();
    expect(bot.api.callsOf('conversations.create')).toHaveLength(2);
    expect(bot.api.callsOf('conversations.invite').some((c) => String(c.params.users).includes(li.id))).toBe(true);

    const resolve = await bot.click(li, bot.card(id), 'Resolve');
    await bot.submit(li, await bot.modalFor(resolve.triggerId), { 'Resolution code': 'Resolved by workaround', 'Solution / workaround': 'Rerouted via B' });
    await bot.idle();
    await bot.click(lin, bot.api.messages(lin.id).at(-1)!, 'Confirm resolution');
    await bot.idle();
    const close = await bot.click(chen, bot.card(id), 'Close');
    await bot.submit(chen, await bot.modalFor(close.triggerId), { 'Closure code': 'Successful' });
    await bot.idle();

    expect(bot.api.messages('CWAR1').at(-1)?.text).toContain(`${id} is closed`);
    expect(bot.api.callsOf('conversations.archive')).toMatchObject([{ params: { channel: 'CWAR1' } }]);
  });

  it('GIVEN an incident manager declares a P3 major from the card THEN the war room opens', async () => {
    const id = await report('Payroll export stuck', '3', '3');
    expect(bot.api.callsOf('conversations.create').some((c) => String(c.params.name).startsWith(id.toLowerCase()))).toBe(false);
    const declare = await bot.click(zhao, bot.card(id), 'Declare major');
    const form = await bot.modalFor(declare.triggerId);
    await bot.submit(zhao, form, { Reason: 'Finance cannot close the month' });
    await bot.idle();
    const incident = await bot.app.service.get(id);
    expect(incident).toMatchObject({ major: true, priority: 'P1' });
    expect(bot.api.callsOf('conversations.create').at(-1)?.params.name).toBe(`${id.toLowerCase()}-payroll-export-stuck`);
    expect(visibleText(bot.card(id).blocks)).toMatch(/War room: <#CWAR\d>/);
  });
});
