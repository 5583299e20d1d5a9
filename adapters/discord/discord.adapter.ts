import { Client, Events, GatewayIntentBits, REST } from 'discord.js';
import type { Logger } from 'pino';
import type { AdapterHost, PlatformAdapter } from '../../src/bot/adapter.js';
import { DiscordApi, makeRequest } from './discord.api.js';
import { DiscordMessenger } from './discord.messenger.js';
import { DiscordStore, discordInbox, type DiscordInbox } from './discord.models.js';
import { HELD_SUBMISSION_STALE_MS } from '../../src/store/submission-inbox.js';
import { DiscordSurface } from './discord.surface.js';
import { NO_MENTIONS } from './discord.text.js';
import { InteractionHandler } from './interactions.js';
import { WarRooms } from './war-room.js';

export interface DiscordAdapterOptions {
  /** How often a 5xx is retried by @discordjs/rest (its default is 3). */
  restRetries?: number;
  /** Defer an interaction whose work is not done after this long (Discord allows 3 s). */
  deadlineMs?: number;
  /** REST request timeout. */
  restTimeoutMs?: number;
  /**
   * Requests a second @discordjs/rest lets through before it holds the rest back (Discord's global
   * limit, 50, by default). A local fake API has no such limit: its tests raise it, since a delivery
   * held back is due again a second later by the clock, and a test's clock stands still.
   */
  restRequestsPerSecond?: number;
}

/**
 * Discord: interactions in (slash command, message context menu, buttons, selects, modals); out,
 * through the outbox, a messenger (notices) and a surface (cards, threads, war rooms) that the
 * composition root hands the delivery worker. Only the Guilds intent is needed: interactions
 * arrive without privileged intents, and Guilds fills the role cache.
 */
export class DiscordAdapter implements PlatformAdapter {
  readonly name = 'discord';
  readonly client: Client;
  readonly store: DiscordStore;
  readonly inbox: DiscordInbox;
  readonly api: DiscordApi;
  readonly interactions: InteractionHandler;
  readonly warRooms: WarRooms;
  readonly messenger: DiscordMessenger;
  readonly surface: DiscordSurface;
  private attached?: Promise<void>;
  private readonly log: Logger;
  private sweep?: NodeJS.Timeout;
  private readonly sweeping = new Set<Promise<void>>();

  constructor(
    private readonly host: AdapterHost,
    options: DiscordAdapterOptions = {},
  ) {
    const { app, env } = host;
    const token = env.DISCORD_TOKEN;
    if (!token || !env.DISCORD_APPLICATION_ID) throw new Error('DISCORD_TOKEN and DISCORD_APPLICATION_ID are required for Discord');
    this.log = host.log.child({ adapter: 'discord' });
    const rest = {
      ...restBase(env.DISCORD_API_URL), retries: options.restRetries ?? 3, timeout: options.restTimeoutMs ?? 15_000,
      ...(options.restRequestsPerSecond ? { globalRequestsPerSecond: options.restRequestsPerSecond } : {}),
    };
    this.client = new Client({ intents: [GatewayIntentBits.Guilds], allowedMentions: NO_MENTIONS, rest });
    // Set now, not only at login: REST works before (or without) the gateway.
    this.client.rest.setToken(token);
    this.store = new DiscordStore(host.conn);
    this.api = new DiscordApi(this.client.rest);
    const applicationId = env.DISCORD_APPLICATION_ID;
    this.inbox = discordInbox(host.conn);
    this.interactions = new InteractionHandler({ app, store: this.store, inbox: this.inbox, api: this.api, applicationId, log: this.log, deadlineMs: options.deadlineMs });
    // Outbox delivery gets its own REST queue, rejecting on 429 so the outbox can back off.
    const deliveryRest = new REST({ ...rest, rejectOnRateLimit: () => true }).setToken(token);
    const delivery = new DiscordApi(deliveryRest);
    const config = app.config;
    this.warRooms = new WarRooms({
      api: delivery, directory: app.directory, deskChannel: config.organisation.channels.serviceDesk.discord, guildId: env.DISCORD_GUILD_ID,
      botUserId: () => this.client.user?.id ?? applicationId,
      categoryNames: { incidents: app.m.discord.incidentsCategory, archive: app.m.discord.archiveCategory },
    });
    this.messenger = new DiscordMessenger(delivery, config, host.surfaces);
    this.surface = new DiscordSurface({ api: delivery, warRooms: this.warRooms, config, directory: app.directory, presenter: app.presenter, m: app.m, clock: app.clock });
  }

  /** Indexes and listeners, without the gateway: enough for REST, the messenger and fed interactions. */
  attach(): Promise<void> {
    this.attached ??= (async () => {
      await this.store.init();
      await this.inbox.init();
      this.client.on(Events.InteractionCreate, this.interactions.dispatch);
      this.client.on(Events.ClientReady, (client) => {
        this.log.info({ user: client.user.tag, guilds: client.guilds.cache.size }, 'discord: connected');
      });
      this.client.on(Events.ShardDisconnect, (event, shard) => this.log.warn({ shard, code: event.code }, 'discord: gateway disconnected'));
      this.client.on(Events.ShardReconnecting, (shard) => this.log.warn({ shard }, 'discord: reconnecting to the gateway'));
      // A resumed session replays missed events; the interaction claims drop any already handled.
      this.client.on(Events.ShardResume, (shard, replayed) => {
        this.log.info({ shard, replayed }, 'discord: gateway session resumed');
      });
      this.client.on(Events.ShardError, (error, shard) => this.log.error({ err: error, shard }, 'discord: gateway error'));
      this.client.on(Events.Error, (error) => this.log.error({ err: error }, 'discord: client error'));
      this.client.rest.on('rateLimited', (info) => this.log.warn({ route: info.route, retryAfter: info.retryAfter, global: info.global }, 'discord: rate limited; waiting'));
    })();
    return this.attached;
  }

  async start(): Promise<void> {
    await this.attach();
    // The gateway URL comes from GET /gateway/bot on the configured API, as discord.js does by default.
    await this.client.login(this.host.env.DISCORD_TOKEN);
    // Forms a stopped process took and never answered: held this long, they are run again.
    this.replayHeld();
    this.sweep = setInterval(() => this.replayHeld(), HELD_SUBMISSION_STALE_MS);
    this.sweep.unref();
  }

  /** Runs the held forms a stopped process left (tracked, so `idle()` waits for it). */
  replayHeld(olderThanMs = HELD_SUBMISSION_STALE_MS): Promise<void> {
    const run = this.interactions.replayHeld(olderThanMs).then(
      (replayed) => {
        if (replayed > 0) this.log.warn({ replayed }, 'discord: answered forms a stopped process had taken');
      },
      (err: unknown) => this.log.error({ err }, 'discord: reading the held forms failed; the next sweep retries'),
    );
    this.sweeping.add(run);
    void run.finally(() => this.sweeping.delete(run));
    return run;
  }

  async stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    await this.idle();
    await this.client.destroy();
  }

  /** Resolves when no interaction is in progress (what follows from changes is in the outbox). */
  async idle(): Promise<void> {
    await this.interactions.idle();
    while (this.sweeping.size > 0) await Promise.all([...this.sweeping]);
  }

}

export function createDiscordAdapter(host: AdapterHost, options?: DiscordAdapterOptions): DiscordAdapter {
  return new DiscordAdapter(host, options);
}

/** DISCORD_API_URL as discord.js wants it: the base without the version ("…/api", not "…/api/v10"). */
export function restBase(url: string | undefined): { api?: string; version?: string; makeRequest: typeof makeRequest } {
  if (!url) return { makeRequest };
  const trimmed = url.replace(/\/+$/, '');
  const versioned = /^(.*)\/v(\d+)$/.exec(trimmed);
  return { makeRequest, ...(versioned ? { api: versioned[1], version: versioned[2] } : { api: trimmed }) };
}
