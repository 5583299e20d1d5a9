import { DiscordAdapter, type DiscordAdapterOptions } from '../../../adapters/discord/discord.adapter.js';
import type { Messenger } from '../../../src/app/platform.js';
import { startTestApp, type TestApp } from '../app.js';
import { FakeDiscord } from './fake-discord.js';
import { IDS, discordConfig, messageOf, type Raw } from './payloads.js';

/**
 * The Discord adapter on a fresh database, its REST pointed at a fake Discord API. Interactions
 * are fed as the gateway delivers them, through discord.js's own INTERACTION_CREATE handling.
 */
export interface DiscordHarness {
  t: TestApp;
  fake: FakeDiscord;
  adapter: DiscordAdapter;
  messengers: Messenger[];
  /** Delivers a raw interaction and waits until it and every Discord update it caused are done. */
  deliver(raw: Raw): Promise<Raw>;
  /** The modal the bot opened in answer to an interaction (callback type 9). */
  modalOf(raw: Raw): Raw;
  /** The last message the bot answered an interaction with (reply, update or edit), as Discord would show it. */
  answerOf(raw: Raw): Raw;
  /** The service-desk card message of an incident, as it stands now. */
  card(incidentId: string): Promise<Raw>;
  /** Every message the bot sent a user by direct message, oldest first. */
  dmsTo(userId: string): Raw[];
  close(): Promise<void>;
}

export async function startDiscord(options: DiscordAdapterOptions = {}, env: Record<string, string> = {}): Promise<DiscordHarness> {
  const fake = new FakeDiscord(IDS.guild);
  await fake.start();
  for (const [id, name] of [[IDS.serviceDesk, 'service-desk'], [IDS.stakeholders, 'stakeholders'], [IDS.management, 'management']] as const) fake.addChannel(id, name);
  const fullEnv = {
    DISCORD_TOKEN: 'test-token', DISCORD_APPLICATION_ID: IDS.app, DISCORD_GUILD_ID: IDS.guild, DISCORD_API_URL: fake.apiUrl,
    ...env,
  } as Record<string, string>;
  // The composition root's wiring with the Discord adapter (attached without the gateway).
  const t = await startTestApp(discordConfig(), { adapters: [(host) => new DiscordAdapter(host, { restRetries: 0, restRequestsPerSecond: 10_000, ...options })], env: fullEnv });
  const messengers: Messenger[] = t.app.messengers;
  const adapter = t.bot.adapters[0] as DiscordAdapter;
  await adapter.attach();
  const actions = (adapter.client as unknown as { actions: { InteractionCreate: { handle(raw: Raw): void } } }).actions;
  return {
    t,
    fake,
    adapter,
    messengers,
    async deliver(raw) {
      actions.InteractionCreate.handle(raw);
      await t.bot.settle();
      return raw;
    },
    modalOf(raw) {
      const callback = fake.callbacks(raw.id).find((c) => c.body?.type === 9);
      if (!callback) throw new Error(`no modal for interaction ${raw.id}: ${JSON.stringify(fake.answers(raw.id, raw.token)).slice(0, 500)}`);
      return callback.body.data;
    },
    answerOf(raw) {
      const answers = fake.answers(raw.id, raw.token);
      const last = answers[answers.length - 1];
      if (!last) throw new Error(`no answer to interaction ${raw.id}`);
      const callback = fake.callbacks(raw.id)[0]?.body;
      const ephemeral = ((last.flags ?? 0) & 64) === 64 || ((callback?.data?.flags ?? 0) & 64) === 64;
      return messageOf(last, { ephemeral, channelId: raw.channel_id });
    },
    async card(incidentId) {
      const ref = await t.app.surfaceStore.get(`discord:card:${incidentId}`);
      if (!ref?.message) throw new Error(`no card for ${incidentId}`);
      return fake.messages.get(ref.message);
    },
    dmsTo(userId) {
      return [...fake.messages.values()].filter((m) => {
        const channel = fake.channels.get(m.channel_id as string);
        return channel?.type === 1 && channel.recipients?.[0]?.id === userId;
      });
    },
    async close() {
      await t.bot.settle();
      await adapter.client.destroy();
      await fake.stop();
      await t.close();
    },
  };
}
