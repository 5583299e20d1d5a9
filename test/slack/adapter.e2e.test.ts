import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adaptersFromEnv } from '../../src/compose.js';
import type { SlackAdapter } from '../../adapters/slack/slack.adapter.js';
import { DeliveryError, type Messenger } from '../../src/app/platform.js';
import { PacedDelivery } from '../../src/outbox/paced.js';
import type { RouteHandler } from '../../src/http/server.js';
import { loadEnv } from '../../src/config/env.js';
import { CHANNELS, SlackBot, guest, slackUsers, visibleText } from '../support/slack/slack-bot.js';
import { TEAM } from '../support/slack/slack-payloads.js';

describe('Slack: shortcuts, Home tab, messenger and modes', () => {
  let bot: SlackBot;

  beforeAll(async () => {
    bot = await SlackBot.start();
  });
  afterAll(async () => {
    await bot?.close();
  });

  it('GIVEN a message WHEN a guest uses "Report as incident" THEN the form is pre-filled, links back, and the message thread gets the id', async () => {
    const message = { ts: '1700000000.123456', text: 'Checkout page returns 502 <!here>\nsince 10:00', user: 'UOTHER' };
    const shortcut = await bot.shortcutMessage(guest, CHANNELS.general, message);
    expect(shortcut.status).toBe(200);
    const form = await bot.modalFor(shortcut.triggerId);
    const initial = (name: string) => (form.blocks.find((b) => b.block_id === name)?.element as { initial_value?: string }).initial_value;
    expect(initial('title')).toBe('Checkout page returns 502 <!here>');
    expect(initial('description')).toContain(`https://${TEAM.domain}.slack.com/archives/${CHANNELS.general}/p1700000000123456`);
    await bot.submit(guest, form, { Impact: '2', Urgency: '2' });
    await bot.idle();
    const incident = (await bot.app.service.list({})).find((i) => i.title.startsWith('Checkout'));
    expect(incident?.reporterId).toBe(`slack:${guest.id}`);
    const threadReply = bot.api.messages(CHANNELS.general).find((m) => m.threadTs === message.ts);
    expect(threadReply?.text).toBe(`Reported as ${incident!.id}.`);
    // The card's title is escaped: the message's <!here> cannot ping the service desk.
    expect(visibleText(bot.card(incident!.id).blocks)).not.toContain('<!here>');
  });

  it('GIVEN the global shortcut THEN the report form opens', async () => {
    const body = new URLSearchParams({
      payload: JSON.stringify({
        type: 'shortcut', token: 'x', action_ts: '1.2', team: TEAM, user: { id: slackUsers.user.id, username: 'lin', team_id: TEAM.id },
        is_enterprise_install: false, enterprise: null, callback_id: 'report_incident', trigger_id: 'trig-global-1',
      }),
    }).toString();
    expect((await bot.post(body)).status).toBe(200);
    const form = await bot.modalFor('trig-global-1');
    expect(form.blocks.map((b) => b.block_id)).toContain('urgency');
  });

  it('GIVEN the Home tab THEN it shows my queue with due times and its buttons work', async () => {
    await bot.homeOpened(slackUsers.desk, 'EvHome1');
    await bot.idle();
    const view = bot.api.callsOf('views.publish').at(-1)!.params.view as { type: string; blocks: never[] };
    expect(view.type).toBe('home');
    expect(visibleText(view.blocks)).toContain('Open, waiting for dispatch');
    expect(visibleText(view.blocks)).toContain('due ');
    const show = await bot.click(slackUsers.desk, { channel: '', blocks: view.blocks, home: true }, 'Show');
    await bot.idle();
    // No response_url from the Home tab: the answer arrives as a direct message.
    expect(bot.api.messages(slackUsers.desk.id).at(-1)?.blocks.some((b) => String(b.block_id).startsWith('card:INC-'))).toBe(true);
    expect(show.status).toBe(200);
  });

  it('delivers outbox messages and turns a 429 into a DeliveryError with the wait', async () => {
    const messenger = bot.messengers.find((m) => m.platform === 'slack') as Messenger;
    expect(messenger.reaches({ kind: 'person', personId: 'li.wei' })).toBe(true);
    expect(messenger.reaches({ kind: 'person', personId: 'nobody' })).toBe(false);
    await messenger.deliver({ kind: 'group', groupId: 'network' }, { key: 'k1', text: 'P2 <!channel> overdue', urgent: false });
    const posted = bot.api.messages(CHANNELS.network).at(-1)!;
    expect(posted.text).toContain('&lt;!channel&gt;');
    expect(posted.text).toContain('<!subteam^SNETWORK>');
    bot.api.script('chat.postMessage', { status: 429, retryAfter: 7 });
    const error = await messenger.deliver({ kind: 'person', personId: 'li.wei' }, { key: 'k2', text: 'x', urgent: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).options.retryAfterMs).toBe(7000);
    bot.api.script('chat.postMessage', { error: 'channel_not_found' });
    const permanent = await messenger.deliver({ kind: 'channel', channel: 'management' }, { key: 'k3', text: 'x', urgent: false }).catch((e: unknown) => e);
    expect((permanent as DeliveryError).options.permanent).toBe(true);
  });

  it('delivers a message with files (the monthly report) to a channel: the text, then the files uploaded there once, also when retried', async () => {
    const messenger = bot.messengers.find((m) => m.platform === 'slack') as Messenger;
    const files = [{ name: 'month-2026-01.csv', content: 'table,row,column,value\r\n' }, { name: 'month-2026-01-trend.png', content: Buffer.from('png').toString('base64'), encoding: 'base64' as const }];
    const message = { key: '-:monthly-report:2026-01:channel:management:slack', rule: 'monthly-report', text: 'The monthly report for 2026-01', urgent: false, files };
    await messenger.deliver({ kind: 'channel', channel: 'management' }, message);
    await messenger.deliver({ kind: 'channel', channel: 'management' }, { ...message, maybeSent: true });
    expect(bot.api.messages(CHANNELS.management).filter((m) => m.text.includes('The monthly report for 2026-01'))).toHaveLength(1);
    const completed = bot.api.callsOf('files.completeUploadExternal').filter((c) => c.params.channel_id === CHANNELS.management);
    expect(completed).toHaveLength(1);
    expect([...bot.api.fileNames.values()]).toEqual(expect.arrayContaining(['month-2026-01.csv', 'month-2026-01-trend.png']));
  });

  it('posts a stakeholder notice about an incident in its thread, and looks before posting a retry of a message that may have arrived', async () => {
    const messenger = bot.messengers.find((m) => m.platform === 'slack') as Messenger;
    const command = await bot.slash(slackUsers.user, 'Thread notice target');
    await bot.submit(slackUsers.user, await bot.modalFor(command.triggerId), { Description: 'x', Impact: '4', Urgency: '4' });
    await bot.idle();
    const id = /INC-\d{6}/.exec(bot.lastResponse(command).text)![0];
    const parent = bot.api.messages(CHANNELS.stakeholders).find((m) => !m.threadTs && m.text.includes(id))!;
    const notice = { key: `${id}:thread:escalation:0:channel:stakeholders:slack`, incidentId: id, text: `${id} escalated`, urgent: false };
    await messenger.deliver({ kind: 'channel', channel: 'stakeholders' }, notice);
    const reply = bot.api.messages(CHANNELS.stakeholders).at(-1)!;
    expect(reply).toMatchObject({ threadTs: parent.ts });
    expect(reply.text).toContain('escalated');
    // A retry after an attempt that may have posted finds the message by its key and posts nothing.
    const posts = bot.api.callsOf('chat.postMessage').length;
    await messenger.deliver({ kind: 'channel', channel: 'stakeholders' }, { ...notice, maybeSent: true });
    expect(bot.api.callsOf('chat.postMessage')).toHaveLength(posts);
    expect(bot.api.callsOf('conversations.replies').at(-1)?.params).toMatchObject({ channel: CHANNELS.stakeholders, ts: parent.ts });
  });

  it('GIVEN a stakeholder notice whose incident thread is not open yet THEN it is put off, not failed', async () => {
    const messenger = bot.messengers.find((m) => m.platform === 'slack') as Messenger;
    const notice = { key: 'INC-999999:thread:escalation:0:channel:stakeholders:slack', incidentId: 'INC-999999', text: 'INC-999999 escalated', urgent: false };
    const attempt = messenger.deliver({ kind: 'channel', channel: 'stakeholders' }, notice);
    await expect(attempt).rejects.toBeInstanceOf(PacedDelivery);
    await expect(attempt).rejects.toMatchObject({ options: { retryAfterMs: 2_000 } });
  });

  it('picks Socket Mode with an app token and HTTP (a route on the bot server) with a signing secret', async () => {
    const host = (env: Record<string, string>) => ({
      app: bot.app, env: loadEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_API_URL: bot.api.apiUrl, ...env }), log: pino({ level: 'silent' }),
      routes: new Map<string, RouteHandler>(), surfaces: bot.app.surfaceStore, conn: bot.testApp.conn,
    });
    const build = async (h: ReturnType<typeof host>) => (await adaptersFromEnv(h.env)).map((make) => make(h)) as SlackAdapter[];
    const socketHost = host({ SLACK_APP_TOKEN: 'xapp-1' });
    const [socket] = await build(socketHost);
    expect(socket?.mode).toBe('socket');
    expect(socketHost.routes.size).toBe(0);
    const httpHost = host({ SLACK_SIGNING_SECRET: 's' });
    const [http] = await build(httpHost);
    expect(http?.mode).toBe('http');
    expect([...httpHost.routes.keys()]).toEqual(['POST /slack/events']);
    // What it sends goes through the outbox: a messenger for notices, a surface for cards and threads.
    expect(http?.messenger.platform).toBe('slack');
    expect(http?.surface.platform).toBe('slack');
    expect(await build(host({ SLACK_BOT_TOKEN: '' }))).toHaveLength(0);
  });
});
