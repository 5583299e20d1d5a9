import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeliveryError } from '../../src/app/platform.js';
import type { Env } from '../../src/config/env.js';
import { registerCommands } from '../../adapters/discord/register-commands.js';
import { cut, safe } from '../../adapters/discord/discord.text.js';
import { renderReply } from '../../adapters/discord/discord.renderer.js';
import { en } from '../../src/i18n/en.js';
import { startDiscord, type DiscordHarness } from '../support/discord/harness.js';
import { IDS, button, buttonId, messageCommand, messageOf, modalSubmit, select, selectId, slash, users, type Raw } from '../support/discord/payloads.js';

let h: DiscordHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Reports an incident as `user` through modal and panel; returns the receipt message. */
async function report(harness: DiscordHarness, user: (typeof users)[keyof typeof users], values: Record<string, string>): Promise<Raw> {
  const opened = await harness.deliver(slash(user, 'report'));
  const panel = harness.answerOf(await harness.deliver(modalSubmit(user, harness.modalOf(opened), values)));
  return harness.answerOf(await harness.deliver(button(user, buttonId(panel, 'Report an incident'), panel)));
}

const P3 = { title: 'Printer jammed', description: 'Floor 3 printer', impact: '4', urgency: '3' };

describe('Discord: rate limits and server errors', () => {
  it('GIVEN Discord answers 429 (Retry-After header) to a card edit THEN the outbox waits that long and the card is updated once', async () => {
    h = await startDiscord();
    await report(h, users.user, P3);
    const card = await h.card('INC-000001');
    h.fake.fail('PATCH', /^\/channels\/\d+\/messages\/\d+$/, 429, { retryAfterS: 0.2 });
    const pressed = await h.deliver(button(users.desk, buttonId(card, 'Dispatch'), card));
    await h.deliver(modalSubmit(users.desk, h.modalOf(pressed), { groupId: 'network' }));
    const edits = () => h!.fake.find('PATCH', `/channels/${IDS.serviceDesk}/messages/${card.id}`).map((e) => e.status);
    expect(edits()).toEqual([429]);
    // Not before the platform's Retry-After…
    h.t.clock.advance(100);
    await h.t.bot.settle();
    expect(edits()).toEqual([429]);
    // …then once.
    h.t.clock.advance(1_000);
    await h.t.bot.settle();
    expect(edits()).toEqual([429, 200]);
    expect(JSON.stringify((await h.card('INC-000001')).embeds[0].fields)).toContain('Assigned');
  });

  it('GIVEN a 429 with only retry_after in the body THEN the post is still retried, once', async () => {
    h = await startDiscord();
    h.fake.fail('POST', new RegExp(`^/channels/${IDS.serviceDesk}/messages$`), 429, { header: false, retryAfterS: 0.05 });
    await report(h, users.user, P3);
    h.t.clock.advance(1_000);
    await h.t.bot.settle();
    expect(h.fake.find('POST', `/channels/${IDS.serviceDesk}/messages`).map((c) => c.status)).toEqual([429, 200]);
    expect(await h.card('INC-000001')).toBeDefined();
  });

  it('GIVEN a 500 and no retries THEN the receipt is given, nothing is lost: the outbox posts the card once after its backoff', async () => {
    h = await startDiscord({ restRetries: 0 });
    h.fake.fail('POST', new RegExp(`^/channels/${IDS.serviceDesk}/messages$`), 500);
    const receipt = await report(h, users.user, P3);
    expect(receipt.content).toContain('Logged INC-000001');
    const pending = (await h.t.app.outboxStore.forIncident('INC-000001')).filter((e) => e.rule === 'surface');
    expect(pending.map((e) => [e.status, e.lastError])).toEqual([['pending', expect.stringContaining('500')]]);
    expect(await h.t.app.surfaceStore.get('discord:card:INC-000001')).toMatchObject({ state: 'claimed' });

    h.t.clock.advance(60_000);
    await h.t.bot.settle();
    const posts = h.fake.find('POST', `/channels/${IDS.serviceDesk}/messages`);
    expect(posts.map((p) => p.status)).toEqual([500, 200]);
    expect((await h.t.app.surfaceStore.get('discord:card:INC-000001'))?.rev).toBe((await h.t.app.service.get('INC-000001')).rev);
  });

  it('GIVEN one 500 and retries on THEN @discordjs/rest retries it transparently', async () => {
    h = await startDiscord({ restRetries: 2 });
    h.fake.fail('POST', new RegExp(`^/channels/${IDS.serviceDesk}/messages$`), 500);
    const receipt = await report(h, users.user, P3);
    expect(receipt.content).toContain('Logged INC-000001');
    expect(h.fake.find('POST', `/channels/${IDS.serviceDesk}/messages`).map((c) => c.status)).toEqual([500, 200]);
  });
});

describe('Discord: answering within 3 seconds', () => {
  it('GIVEN slow work WHEN the deadline passes THEN the interaction is deferred first and the answer edited in', async () => {
    h = await startDiscord({ deadlineMs: 20 });
    // Every command now takes longer than the deadline.
    const run = h.t.app.run.bind(h.t.app);
    h.t.app.run = async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 80));
      return run(...args);
    };
    const listed = await h.deliver(slash(users.desk, 'list'));
    const callbacks = h.fake.callbacks(listed.id);
    expect(callbacks.map((c) => c.body.type)).toEqual([5]);
    expect(callbacks[0]!.body.data.flags).toBe(64);
    const edit = h.fake.find('PATCH', new RegExp(`^/webhooks/${IDS.app}/${listed.token}/messages/@original$`));
    expect(edit[0]!.body.content).toBe('Nothing in your queue.');

    // A form can no longer open as a modal once deferred: it continues in the follow-up panel.
    const opened = await h.deliver(slash(users.user, 'report'));
    expect(h.fake.callbacks(opened.id).map((c) => c.body.type)).toEqual([5]);
    const panel = h.answerOf(opened);
    expect(selectId(panel, /^Impact/)).toMatch(/^f\|/);
    expect(buttonId(panel, 'More details…')).toMatch(/^e\|/);
  });
});

describe('Discord: commands, context menu, roles, text', () => {
  it('/incident help, list and show answer ephemerally; the queue offers a select to open a card', async () => {
    h = await startDiscord();
    await report(h, users.user, P3);
    const help = h.answerOf(await h.deliver(slash(users.user, 'help')));
    expect(help.flags & 64).toBe(64);
    expect(help.embeds[0].description).toContain('report [title] — Log a new incident');
    const list = h.answerOf(await h.deliver(slash(users.desk, 'list')));
    expect(list.embeds.map((e: Raw) => e.title)).toContain('Open, waiting for dispatch');
    const picked = await h.deliver(select(users.desk, selectId(list, /Show an incident/), ['INC-000001'], list));
    const card = h.answerOf(picked);
    expect(card.embeds[0].title).toBe('INC-000001 Printer jammed');
    expect(card.flags & 64).toBe(64);
    const missing = h.answerOf(await h.deliver(slash(users.desk, 'show', { id: 'INC-000099' })));
    expect(missing.content).toBe('INC-000099 does not exist.');
  });

  it('"Report as incident" pre-fills the report from the message, mentions made inert', async () => {
    h = await startDiscord();
    const target = messageOf({ content: '@everyone VPN is down again\nSince 9:00 for the whole floor' }, { author: users.network, id: '700000000000000001' });
    const raw = await h.deliver(messageCommand(users.network, target));
    const modal = h.modalOf(raw);
    const fields = Object.fromEntries(modal.components.map((c: Raw) => [c.component.custom_id, c.component.value]));
    expect(fields.title).toBe('@everyone VPN is down again');
    expect(fields.description).toContain('Since 9:00 for the whole floor');
    expect(fields.description).toContain(`https://discord.com/channels/${IDS.guild}/${IDS.serviceDesk}/700000000000000001`);
    const panel = h.answerOf(await h.deliver(modalSubmit(users.network, modal, { impact: '3', urgency: '2' })));
    const receipt = h.answerOf(await h.deliver(button(users.network, buttonId(panel, 'Report an incident'), panel)));
    expect(receipt.content).toContain('Logged INC-000001 (P3)');
    expect(receipt.embeds[0].title).toBe('INC-000001 @\u200beveryone VPN is down again');
  });

  it('a Discord role mapped to the service desk grants first line; a stranger may only report', async () => {
    h = await startDiscord();
    await report(h, users.user, P3);
    const card = await h.card('INC-000001');
    const refused = h.answerOf(await h.deliver(button(users.stranger, buttonId(card, 'Dispatch'), card)));
    expect(refused.content).toContain('You cannot dispatch INC-000001');
    const pressed = await h.deliver(button(users.roleOnlyDesk, buttonId(card, 'Dispatch'), card));
    const done = h.answerOf(await h.deliver(modalSubmit(users.roleOnlyDesk, h.modalOf(pressed), { groupId: 'network' })));
    expect(done.content).toContain('Dispatch done — now Assigned');
    const event = (await h.t.app.service.timeline('INC-000001')).at(-1)!;
    expect(event).toMatchObject({ action: 'dispatch', actorId: `discord:${users.roleOnlyDesk.id}`, actorName: 'temp.desk' });
  });

  it('a form started by one user cannot be sent by another', async () => {
    h = await startDiscord();
    const opened = await h.deliver(slash(users.user, 'report'));
    const panel = h.answerOf(await h.deliver(modalSubmit(users.user, h.modalOf(opened), P3)));
    const other = h.answerOf(await h.deliver(button(users.stranger, buttonId(panel, 'Report an incident'), panel)));
    expect(other.content).toContain('This form belongs to someone else');
    expect(await h.t.app.service.list({})).toHaveLength(0);
  });

  it('long text is cut to Discord limits with a visible ellipsis; Markdown and @here are neutralised', () => {
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('abc', 4)).toBe('abc');
    expect(safe('**bold** @here <@123>')).toBe('\\*\\*bold\\*\\* @\u200bhere <@123>');
    const long = 'x'.repeat(5000);
    const message = renderReply({ ephemeral: true, text: long, lines: Array.from({ length: 200 }, () => 'y'.repeat(100)) }, en);
    expect(message.content).toHaveLength(2000);
    expect(message.content!.endsWith('…')).toBe(true);
    expect(message.embeds[0]!.description!.length).toBeLessThanOrEqual(4096);
    expect(message.embeds[0]!.description!.endsWith('…')).toBe(true);
    expect(message.allowed_mentions).toEqual({ parse: [] });
  });
});

describe('Discord: messenger and command registration', () => {
  it('delivers to a person by DM with a nonce; 429 becomes retryAfterMs, 403 a permanent failure', async () => {
    h = await startDiscord();
    const messenger = h.messengers.find((m) => m.platform === 'discord')!;
    expect(messenger.reaches({ kind: 'person', personId: 'li.wei' })).toBe(true);
    expect(messenger.reaches({ kind: 'person', personId: 'qian.yu' })).toBe(false);
    expect(messenger.reaches({ kind: 'channel', channel: 'stakeholders' })).toBe(true);
    const message = { key: 'INC-000001:assigned:1', incidentId: 'INC-000001', text: 'INC-000001 was dispatched to Network @everyone', urgent: false };
    await messenger.deliver({ kind: 'person', personId: 'li.wei' }, message);
    expect(h.fake.find('POST', '/users/@me/channels')[0]!.body).toEqual({ recipient_id: users.network.id });
    const dm = h.fake.calls.at(-1)!;
    expect(dm.body).toMatchObject({ allowed_mentions: { parse: [] }, enforce_nonce: true });
    expect(dm.body.nonce).toHaveLength(25);

    // A post about no incident (an incident's management notice goes into its thread instead).
    const channelPost = { ...message, incidentId: undefined };
    h.fake.fail('POST', /^\/channels\/\d+\/messages$/, 429, { retryAfterS: 3 });
    const limited = await messenger.deliver({ kind: 'channel', channel: 'management' }, channelPost).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(DeliveryError);
    expect((limited as DeliveryError).options.retryAfterMs).toBeGreaterThanOrEqual(3000);

    h.fake.fail('POST', /^\/channels\/\d+\/messages$/, 403);
    const refused = await messenger.deliver({ kind: 'channel', channel: 'management' }, channelPost).catch((e: unknown) => e);
    expect((refused as DeliveryError).options.permanent).toBe(true);

    h.fake.fail('POST', /^\/channels\/\d+\/messages$/, 500);
    const down = await messenger.deliver({ kind: 'channel', channel: 'management' }, channelPost).catch((e: unknown) => e);
    expect((down as DeliveryError).options.permanent).toBeFalsy();
  });

  it('npm run discord:register bulk-PUTs /incident and the context menu, guild-scoped when a guild is set', async () => {
    h = await startDiscord();
    const lines: string[] = [];
    const env = { DISCORD_TOKEN: 't', DISCORD_APPLICATION_ID: IDS.app, DISCORD_GUILD_ID: IDS.guild, DISCORD_API_URL: h.fake.apiUrl } as Env;
    expect(await registerCommands(env, (l) => lines.push(l))).toBe(17);
    const put = h.fake.find('PUT', `/applications/${IDS.app}/guilds/${IDS.guild}/commands`)[0]!;
    expect(put.body.map((c: Raw) => c.name)).toEqual([
      'incident', 'incident-search', 'incident-ci', 'incident-kb', 'incident-verify', 'incident-return', 'incident-correct', 'incident-rate', 'incident-problem', 'incident-followup',
      'incident-plan', 'incident-comms', 'incident-review', 'incident-kpi', 'incident-subscribe', 'incident-unsubscribe', 'Report as incident',
    ]);
    const subs = put.body[0].options.map((o: Raw) => o.name);
    // Discord allows 25 subcommands, the number we have now: search is a command of its own.
    expect(subs).toHaveLength(25);
    expect(subs).toEqual(expect.arrayContaining(['report', 'dispatch', 'accept', 'reject', 'resolve', 'confirm', 'close', 'declare-major', 'admin', 'help']));
    // The report's CI is looked up as it is typed (a modal cannot): the form opens with it.
    expect(put.body[0].options.find((o: Raw) => o.name === 'report').options.map((o: Raw) => [o.name, o.autocomplete ?? false])).toEqual([['title', false], ['ci', true]]);
    // Its filters are options a client offers with their choices (in the client's language).
    expect(put.body[1].options.map((o: Raw) => o.name)).toEqual(['text', 'status', 'priority', 'overdue', 'major', 'unassigned', 'sort', 'group', 'assignee', 'ci']);
    // The CI catalog has a command of its own too (/incident is at Discord's 25 subcommands): its words, no search filters.
    expect(put.body[2].options.map((o: Raw) => o.name)).toEqual(['action', 'text']);
    expect(put.body[2].description).toContain('The CI catalog');
    const status = put.body[1].options.find((o: Raw) => o.name === 'status');
    expect(status.choices.map((c: Raw) => c.value)).toContain('in_progress');
    expect(status.choices.find((c: Raw) => c.value === 'in_progress').name_localizations['zh-CN']).toBe('处理中');
    expect(lines[0]).toContain(`guild ${IDS.guild}`);
    // A Chinese Discord client sees every command, option and description in Chinese, each valid for Discord.
    const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
    const chatNames: Raw[] = [put.body[0], put.body[1], ...put.body[0].options, ...put.body.slice(0, 2).flatMap((c: Raw) => c.options.flatMap((o: Raw) => o.options ?? [o]))];
    for (const item of chatNames) {
      const zh = item.name_localizations?.['zh-CN'] as string | undefined;
      expect(zh, item.name).toMatch(NAME);
      expect(zh, item.name).toBe(zh!.toLowerCase());
      expect(zh, item.name).toMatch(/\p{Script=Han}/u);
      expect((item.description_localizations?.['zh-CN'] as string).length, item.name).toBeLessThanOrEqual(100);
      expect(item.description_localizations?.['zh-CN'], item.name).toMatch(/\p{Script=Han}/u);
    }
    expect(put.body[0].name_localizations['zh-CN']).toBe('事件');
    expect(put.body[0].options.find((o: Raw) => o.name === 'accept').name_localizations['zh-CN']).toBe('受理');
    const zhSubs = put.body[0].options.map((o: Raw) => o.name_localizations['zh-CN']);
    expect(new Set(zhSubs).size).toBe(zhSubs.length);
    expect(put.body[2].name_localizations['zh-CN']).toMatch(/\p{Script=Han}/u);
    await registerCommands({ ...env, DISCORD_GUILD_ID: undefined }, () => undefined);
    expect(h.fake.find('PUT', `/applications/${IDS.app}/commands`)).toHaveLength(1);
  });
});

describe('Discord: a submitted form is not lost with its process', () => {
  /** A form filled in up to its last step, as a process that stopped had it: the draft, the args, the held record. */
  async function heldForm(harness: DiscordHarness, title: string, heldAgoMs: number): Promise<{ key: string; token: string; args: Record<string, string> }> {
    const opened = await harness.deliver(slash(users.user, 'report'));
    await harness.deliver(modalSubmit(users.user, harness.modalOf(opened), { ...P3, title }));
    const draft = await harness.t.conn.collection('discord_drafts').findOne({ userId: users.user.id }, { sort: { createdAt: -1 } });
    const key = `discord:form:${String(draft!._id)}`;
    const token = `itok_stopped_${String(draft!._id)}`;
    const args = { ...(draft!.args as Record<string, string>), ...(draft!.values as Record<string, string>) };
    await harness.t.conn.collection('discord_submissions').insertOne({
      _id: key as never, draftId: draft!._id, actor: harness.t.app.actorFor('discord', users.user.id, users.user.username), userId: users.user.id,
      command: 'report', args, locale: 'en', token, at: new Date(Date.now() - heldAgoMs),
    });
    return { key, token, args };
  }

  it('GIVEN a process that took a form, logged it and stopped before answering THEN the next one answers in place of "thinking…", logging nothing twice', async () => {
    h = await startDiscord();
    const { key, token, args } = await heldForm(h, 'Badge reader dead at gate 2', 120_000);
    // The stopped process had committed it: the request key is taken.
    await h.t.app.run(h.t.app.actorFor('discord', users.user.id, users.user.username), 'report', args, { submitted: true, key, locale: 'en' });
    await h.adapter.replayHeld();
    const edit = h.fake.find('PATCH', new RegExp(`^/webhooks/${IDS.app}/${token}/messages/@original$`));
    expect(edit).toHaveLength(1);
    expect(edit[0]!.body.content).toMatch(/Logged INC-\d+ \(P\d\)/);
    expect(await h.t.conn.collection('discord_submissions').countDocuments()).toBe(0);
    const logged = (await h.t.app.service.list({})).filter((i) => i.title === 'Badge reader dead at gate 2');
    expect(logged).toHaveLength(1);
    // Answered: a later sweep finds nothing to run.
    await h.adapter.replayHeld(0);
    expect(h.fake.find('PATCH', new RegExp(`/${token}/messages/@original$`))).toHaveLength(1);
  });

  it("GIVEN a held form whose interaction can no longer be answered THEN it is logged and its person told by direct message", async () => {
    h = await startDiscord();
    await heldForm(h, 'Lift stuck on floor 4', 20 * 60_000);
    await h.adapter.replayHeld();
    const dm = h.dmsTo(users.user.id).at(-1);
    expect(String(dm?.content)).toMatch(/Logged INC-\d+/);
    expect((await h.t.app.service.list({})).filter((i) => i.title === 'Lift stuck on floor 4')).toHaveLength(1);
    expect(await h.t.conn.collection('discord_submissions').countDocuments()).toBe(0);
  });

  it('GIVEN a held form that still fails an hour after it was sent THEN its person gets a direct message with what they entered, and it is let go', async () => {
    h = await startDiscord();
    const { key } = await heldForm(h, 'Cooling alarm in room B', 2 * 60 * 60_000);
    const run = h.t.app.run.bind(h.t.app);
    const spy = vi.spyOn(h.t.app, 'run').mockImplementation((...args) => (args[3]?.key === key ? Promise.reject(new Error('cannot run this one')) : run(...args)));
    try {
      await h.adapter.replayHeld();
    } finally {
      spy.mockRestore();
    }
    const dm = h.dmsTo(users.user.id).at(-1);
    expect(String(dm?.content)).toContain('could not be finished: it still failed an hour after you sent it');
    expect(String((dm?.embeds as Raw[] | undefined)?.[0]?.description)).toContain('Title: Cooling alarm in room B');
    expect(await h.t.conn.collection('discord_submissions').countDocuments()).toBe(0);
    expect((await h.t.app.service.list({})).filter((i) => i.title === 'Cooling alarm in room B')).toHaveLength(0);
  });

  it('GIVEN a form submitted and answered as usual THEN nothing of it stays held', async () => {
    h = await startDiscord();
    const receipt = await report(h, users.user, P3);
    expect(String(receipt.content)).toMatch(/Logged INC-\d+/);
    expect(await h.t.conn.collection('discord_submissions').countDocuments()).toBe(0);
  });
});
