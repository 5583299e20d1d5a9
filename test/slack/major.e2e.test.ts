import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buttonLabels, CHANNELS, SlackBot, slackConfig, slackUserOf, slackUsers } from '../support/slack/slack-bot.js';
import { FakeScheduler } from '../support/timers.js';
import { people } from '../support/fixtures.js';

/**
 * SPEC §12 through Slack's protocol, from declaration to closure: plan versions pinned in the
 * private war room and edited in place, an approval round from the approver's DM, the management
 * line's thread, a missed review escalated, and at the close the post-incident review uploaded to
 * the war room and the management line before the room is archived.
 */
describe('Slack: the major-incident command', () => {
  let bot: SlackBot;
  let scheduler: FakeScheduler;
  const { user: lin, manager: zhao } = slackUsers;
  const director = slackUserOf('gao.feng');
  let id = '';

  beforeAll(async () => {
    scheduler = new FakeScheduler();
    bot = await SlackBot.start(slackConfig(), { scheduler: () => scheduler });
  });
  afterAll(async () => {
    await bot?.close();
  });

  const answer = async (user: typeof zhao, text: string) => {
    const posted = await bot.slash(user, text);
    await bot.idle();
    return bot.lastResponse(posted).text;
  };

  it('GIVEN a P1 THEN each plan version is pinned in the private war room and edited in place', async () => {
    const command = await bot.slash(lin, 'Core switch down');
    await bot.submit(lin, await bot.modalFor(command.triggerId), { Description: 'Nothing routes', Impact: '1', Urgency: '1' });
    await bot.idle();
    id = /INC-\d{6}/.exec(bot.lastResponse(command).text)![0];
    expect(String(bot.api.callsOf('conversations.create')[0]!.params.is_private)).toBe('true');

    expect(await answer(zhao, `plan ${id} facts cs-1 rebooted at 09:00`)).toContain('Saved as recovery plan v1.');
    const pinned = bot.api.messages('CWAR1').find((m) => m.text.includes('recovery plan v1'))!;
    expect(bot.api.callsOf('pins.add').map((c) => c.params.timestamp)).toContain(pinned.ts);
    expect(await answer(zhao, `plan ${id} action li.wei +30m Fail over to the standby supervisor`)).toContain('Saved as recovery plan v2.');
    const edit = bot.api.callsOf('chat.update').filter((c) => c.params.channel === 'CWAR1' && c.params.ts === pinned.ts).at(-1)!;
    expect(String(edit.params.text)).toContain('recovery plan v2');
    expect(String(edit.params.text)).toContain('#1 [open] Fail over to the standby supervisor — Li Wei');
    expect(bot.api.messages('CWAR1').filter((m) => m.text.includes('recovery plan v'))).toHaveLength(1);
    expect(await answer(lin, `plan ${id} facts mine`)).toContain('You cannot');
  });

  it('GIVEN updates THEN leadership\'s goes into the management thread at once; all staff\'s waits for the approver\'s Approve in a DM, then goes into the stakeholder thread', async () => {
    expect(await answer(zhao, `comms ${id} draft leadership Failover under way`)).toContain('Update #1 for leadership: sent.');
    const parent = bot.api.messages(CHANNELS.management).find((m) => !m.threadTs && m.text.includes(id))!;
    expect(parent.text).toContain('The management line');
    expect(bot.api.messages(CHANNELS.management).filter((m) => m.threadTs === parent.ts).map((m) => m.text).join('\n')).toContain('update for leadership:\nFailover under way');

    expect(await answer(zhao, `comms ${id} draft all_staff The network is down until 11:00`)).toContain('waiting for approval');
    const ask = bot.api.messages(director.id).find((m) => buttonLabels(m.blocks).includes('Approve'))!;
    expect(buttonLabels(ask.blocks)).toEqual(['Approve', 'Edit', 'Reject']);
    const stakeholderParent = bot.api.messages(CHANNELS.stakeholders).find((m) => !m.threadTs && m.text.includes(id))!;
    const stakeholderLines = () => bot.api.messages(CHANNELS.stakeholders).filter((m) => m.threadTs === stakeholderParent.ts).map((m) => m.text).join('\n');
    expect(stakeholderLines()).not.toContain('The network is down until 11:00');
    const approved = await bot.click(director, ask, 'Approve');
    await bot.idle();
    expect(bot.lastResponse(approved, director.id).text).toContain(`${id}: Approve done`);
    expect(stakeholderLines()).toContain('update for all staff:\nThe network is down until 11:00');
    const again = await bot.click(director, ask, 'Approve');
    await bot.idle();
    expect(bot.lastResponse(again, director.id).text).toContain('already');
  });

  it('GIVEN a review passes with no new plan version THEN the incident manager is told; the management line gets its summary', async () => {
    const clock = bot.testApp.clock;
    clock.advance(76 * 60_000);
    await scheduler.runDue(bot.app, clock);
    await bot.idle();
    expect(bot.api.messages(zhao.id).map((m) => m.text).join('\n')).toContain('was missed — no new recovery-plan version since');
    // The review itself was called in the war room, where the team works.
    expect(bot.api.messages('CWAR1').map((m) => m.text).join('\n')).toContain(`${id} "Core switch down": the recovery team's review is due`);
    const parent = bot.api.messages(CHANNELS.management).find((m) => !m.threadTs && m.text.includes(id))!;
    expect(bot.api.messages(CHANNELS.management).filter((m) => m.threadTs === parent.ts).map((m) => m.text).join('\n')).toContain(`Management summary — ${id} (P1)`);
  });

  it('GIVEN the close THEN the post-incident review is uploaded to the war room and the management line, and the room is archived', async () => {
    await bot.app.service.act(id, 'dispatch', people.desk, { groupId: 'network' });
    await bot.app.service.act(id, 'accept', people.network, {});
    await bot.app.service.act(id, 'resolve', people.network, { resolutionCode: 'resolved-by-workaround', solution: 'Standby supervisor active' });
    await bot.app.service.act(id, 'confirm', people.user, {});
    await bot.app.service.act(id, 'close', people.desk, { closureCode: 'successful' });
    await bot.idle();
    const uploads = bot.api.callsOf('files.completeUploadExternal');
    const parent = bot.api.messages(CHANNELS.management).find((m) => !m.threadTs && m.text.includes(id))!;
    expect(uploads.map((u) => [u.params.channel_id, u.params.thread_ts ?? ''])).toEqual(expect.arrayContaining([['CWAR1', ''], [CHANNELS.management, parent.ts]]));
    expect(JSON.stringify(uploads.map((u) => u.params.files))).toContain(`${id}-post-incident-review.md`);
    expect(JSON.stringify(uploads.map((u) => u.params.files))).toContain(`${id}-post-incident-review.pdf`);
    const archive = bot.api.callsOf('conversations.archive');
    expect(archive.map((c) => c.params.channel)).toContain('CWAR1');
    const warRoomCalls = bot.api.calls.filter((c) => c.params.channel === 'CWAR1' || c.params.channel_id === 'CWAR1');
    expect(warRoomCalls.findIndex((c) => c.method === 'files.completeUploadExternal')).toBeLessThan(warRoomCalls.findIndex((c) => c.method === 'conversations.archive'));
    expect((await bot.app.service.get(id)).links.problem).toBe('PRB-000001');
  });
});
