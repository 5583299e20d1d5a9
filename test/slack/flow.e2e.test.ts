import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, NETWORK_USERGROUP, SlackBot, buttonLabels, slackUsers, visibleText } from '../support/slack/slack-bot.js';

/**
 * The whole process through Slack's protocol: signed slash commands, block_actions and
 * view_submission payloads posted to the real Bolt app in HTTP mode, Web API calls recorded by a fake.
 */
describe('Slack: an incident from report to close', () => {
  let bot: SlackBot;
  const { user: lin, desk: chen, network: li } = slackUsers;

  beforeAll(async () => {
    bot = await SlackBot.start();
  });
  afterAll(async () => {
    await bot?.close();
  });

  it('GIVEN a user WHEN the incident goes report → dispatch → reject → re-dispatch → accept → update → resolve → confirm → close THEN Slack shows every step and the store agrees', async () => {
    // Report: "/incident <text>" opens the modal pre-filled with the title.
    const command = await bot.slash(lin, 'VPN drops every few minutes');
    expect(command.status).toBe(200);
    const reportForm = await bot.modalFor(command.triggerId);
    const titleBlock = reportForm.blocks.find((b) => b.block_id === 'title');
    expect((titleBlock?.element as { initial_value?: string }).initial_value).toBe('VPN drops every few minutes');
    const labels = reportForm.blocks.map((b) => (b.label as { text: string } | undefined)?.text);
    expect(labels).toEqual(expect.arrayContaining(['Title', 'Description', 'Impact', 'Urgency', 'Affected service', 'Configuration item (CI)', 'Category', 'Location']));

    // An invalid submission is answered on the field.
    const invalid = await bot.submit(lin, reportForm, { Description: 'Whole floor', Impact: '3', Urgency: '3', 'Outage start (YYYY-MM-DD HH:MM; blank = now)': 'yesterday-ish' });
    expect(invalid.json).toMatchObject({ response_action: 'errors', errors: { outageStart: expect.stringContaining('YYYY-MM-DD') } });

    const submitted = await bot.submit(lin, reportForm, { Description: 'Whole floor <!channel> & more', Impact: '3', Urgency: '3', Category: 'Access' });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toBe('');
    await bot.idle();
    const receipt = bot.lastResponse(command);
    expect(receipt.text).toContain('Logged INC-000001 (P3)');

    // The card in the service-desk channel: priority, SLA due, the buttons first line may press.
    let card = bot.card('INC-000001');
    expect(visibleText(card.blocks)).toContain('Respond by');
    expect(visibleText(card.blocks)).toContain('&lt;!channel&gt; &amp; more');
    expect(visibleText(card.blocks)).not.toContain('<!channel>');
    expect(buttonLabels(card.blocks)).toEqual(expect.arrayContaining(['Dispatch', 'Resolve', 'Add update']));
    expect(buttonLabels(card.blocks)).not.toContain('Accept');
    const parent = bot.api.messages(CHANNELS.stakeholders).find((m) => !m.threadTs);
    expect(parent?.text).toContain('INC-000001');

    // Someone not allowed to dispatch gets an ephemeral explanation and no modal.
    const refused = await bot.click(lin, card, 'Dispatch');
    await bot.idle();
    expect(bot.lastResponse(refused).text).toContain('only first line');
    expect(bot.api.callsOf('views.open').some((c) => c.params.trigger_id === refused.triggerId)).toBe(false);

    // Dispatch from the card with the group picker.
    const dispatch = await bot.click(chen, card, 'Dispatch');
    const dispatchForm = await bot.modalFor(dispatch.triggerId);
    expect((await bot.submit(chen, dispatchForm, { 'Assignment group': 'Network' })).status).toBe(200);
    await bot.idle();
    expect((await bot.app.service.get('INC-000001')).status).toBe('assigned');
    card = bot.card('INC-000001');
    expect(visibleText(card.blocks)).toContain('Assigned');
    expect(buttonLabels(card.blocks)).toEqual(expect.arrayContaining(['Accept', 'Reject']));
    const groupMessage = bot.api.messages(CHANNELS.network).at(-1);
    expect(groupMessage?.blocks[0]?.text).toMatchObject({ text: expect.stringContaining(`<!subteam^${NETWORK_USERGROUP}>`) });
    expect(buttonLabels(groupMessage!.blocks)).toEqual(['Accept', 'Reject']);
    // The outbox's own notices go out too, and never repeat the Accept / Reject message.
    await bot.deliverOutbox();
    expect(bot.api.messages(CHANNELS.network).filter((m) => buttonLabels(m.blocks).includes('Accept'))).toHaveLength(1);

    // Reject from the group's message: reason + suggested group; back to first line.
    const reject = await bot.click(li, groupMessage!, 'Reject');
    const rejectForm = await bot.modalFor(reject.triggerId);
    await bot.submit(li, rejectForm, { Reason: 'Not a network fault', 'Suggested group for the next dispatch': 'Applications' });
    await bot.idle();
    expect((await bot.app.service.get('INC-000001')).status).toBe('open');

    // Re-dispatch from the card.
    card = bot.card('INC-000001');
    const redispatch = await bot.click(chen, card, 'Re-dispatch / escalate');
    const redispatchForm = await bot.modalFor(redispatch.triggerId);
    await bot.submit(chen, redispatchForm, { 'Assignment group': 'Network', Reason: 'Logs point at the VPN concentrator' });
    await bot.idle();
    expect((await bot.app.service.get('INC-000001')).status).toBe('assigned');

    // Accept: no form, the card changes in place.
    card = bot.card('INC-000001');
    const accept = await bot.click(li, card, 'Accept');
    await bot.idle();
    expect(bot.lastResponse(accept).text).toContain('Accept done');
    const accepted = await bot.app.service.get('INC-000001');
    expect(accepted).toMatchObject({ status: 'in_progress', ownerId: 'li.wei' });
    card = bot.card('INC-000001');
    expect(visibleText(card.blocks)).toContain('In progress');
    expect(visibleText(card.blocks)).toContain('Li Wei');

    // Update: a progress note, also a reply in the stakeholder thread.
    const update = await bot.click(li, card, 'Add update');
    await bot.submit(li, await bot.modalFor(update.triggerId), { Note: 'Replacing the concentrator <@UCHENJING>' });
    await bot.idle();
    const replies = bot.api.messages(CHANNELS.stakeholders).filter((m) => m.threadTs === parent!.ts);
    expect(replies.map((r) => r.text).join('\n')).toContain('Replacing the concentrator &lt;@UCHENJING&gt;');

    // Resolve: resolution code + solution; the reporter gets Confirm / Reopen by DM.
    const resolve = await bot.click(li, bot.card('INC-000001'), 'Resolve');
    await bot.submit(li, await bot.modalFor(resolve.triggerId), { 'Resolution code': 'Resolved by workaround', 'Solution / workaround': 'Failover to the spare' });
    await bot.idle();
    const dm = bot.api.messages(lin.id).at(-1);
    expect(buttonLabels(dm!.blocks)).toEqual(['Confirm resolution', 'Reopen']);
    await bot.deliverOutbox();
    expect(bot.api.messages(lin.id).filter((m) => buttonLabels(m.blocks).includes('Reopen'))).toHaveLength(1);
    // The recorder hears of the resolution through the outbox (SPEC §7 status matrix).
    expect(bot.api.messages(chen.id).map((m) => m.text).join('\n')).toContain('was resolved by Li Wei');
    expect(bot.api.messages(CHANNELS.stakeholders).filter((m) => m.threadTs === parent!.ts).map((r) => r.text).join('\n')).toContain('resolved');

    // Confirm from the DM.
    const confirm = await bot.click(lin, dm!, 'Confirm resolution');
    await bot.idle();
    expect(bot.lastResponse(confirm, lin.id).text).toContain('Confirm resolution done');
    expect((await bot.app.service.get('INC-000001')).confirmedAt).toBeDefined();

    // Close: first line, closure code.
    const close = await bot.click(chen, bot.card('INC-000001'), 'Close');
    await bot.submit(chen, await bot.modalFor(close.triggerId), { 'Closure code': 'Completed' });
    await bot.idle();
    const closed = await bot.app.service.get('INC-000001');
    expect(closed.status).toBe('closed');
    expect(visibleText(bot.card('INC-000001').blocks)).toContain('Closed');
    const actions = (await bot.app.service.timeline('INC-000001')).map((e) => e.action);
    expect(actions).toEqual(['report', 'dispatch', 'reject', 'redispatch', 'accept', 'update', 'resolve', 'confirm', 'close']);
    // The card was posted once and then only updated in place.
    expect(bot.api.callsOf('chat.postMessage').filter((c) => c.params.channel === CHANNELS.desk)).toHaveLength(1);
    expect(bot.api.callsOf('chat.update').length).toBeGreaterThanOrEqual(8);
  });

  it('answers /incident list, show and help', async () => {
    const list = await bot.slash(slackUsers.desk, 'list');
    const show = await bot.slash(slackUsers.desk, 'show INC-000001');
    const help = await bot.slash(slackUsers.desk, 'help');
    await bot.idle();
    expect(bot.lastResponse(list).text).toMatch(/incident\(s\)|Nothing in your queue/);
    expect(visibleText(bot.lastResponse(show).blocks)).toContain('INC-000001');
    expect(visibleText(bot.lastResponse(help).blocks)).toContain('dispatch INC-');
  });
});
