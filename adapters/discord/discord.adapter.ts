import { Client, Events, GatewayIntentBits, REST } from 'discord.js';
import type { Logger } from 'pino';
import type { AdapterHost, PlatformAdapter } from '../../src/app/platform.js';
import { ACTIVE_STATUSES } from '../../src/domain/incident.js';
import { DiscordApi } from './discord.api.js';
import { DiscordMessenger } from './discord.messenger.js';
import { DiscordStore, type DiscordRef } from './discord.models.js';
import { NO_MENTIONS } from './discord.text.js';
import { IncidentSync } from './incident.sync.js';
import { InteractionHandler } from './interactions.js';
import { IncidentThreads } from './threads.js';
import { WarRooms } from './war-room.js';

export interface DiscordAdapterOptions {
  /** How often a 5xx is retried by @discordjs/rest (its default is 3). */
  restRetries?: number;
  /** Defer an interaction whose work is not done after this long (Discord allows 3 s). */
  deadlineMs?: number;
  /** REST request timeout. */
  restTimeoutMs?: number;
}

/**
 * Discord: interactions in (slash command, message context menu, buttons, selects, modals),
 * cards, threads and war rooms out, plus a messenger for the outbox. Only the Guilds intent is
 * needed: interactions arrive without privileged intents, and Guilds fills the role cache.
 */
export class DiscordAdapter implements PlatformAdapter {
  readonly name = 'discord';
  readonly client: Client;
  readonly store: DiscordStore;
  readonly api: DiscordApi;
  readonly sync: IncidentSync;
  readonly interactions: InteractionHandler;
  readonly warRooms: WarRooms;
  private attached?: Promise<void>;
  private readonly log: Logger;

  constructor(
    private readonly host: AdapterHost,
    options: DiscordAdapterOptions = {},
  ) {
    const { app, env } = host;
    const token = env.DISCORD_TOKEN;
    if (!token || !env.DISCORD_APPLICATION_ID) throw new Error('DISCORD_TOKEN and DISCORD_APPLICATION_ID are required for Discord');
    this.log = host.log.child({ adapter: 'discord' });
    const rest = { ...restBase(env.DISCORD_API_URL), retries: options.restRetries ?? 3, timeout: options.restTimeoutMs ?? 15_000 };
    this.client = new Client({ intents: [GatewayIntentBits.Guilds], allowedMentions: NO_MENTIONS, rest });
    // Set now, not only at login: REST works before (or without) the gateway.
    this.client.rest.setToken(token);
    this.store = new DiscordStore(app.store.conn);
    this.api = new DiscordApi(this.client.rest);
    const applicationId = env.DISCORD_APPLICATION_ID;
    this.warRooms = new WarRooms({ app, api: this.api, store: this.store, guildId: env.DISCORD_GUILD_ID, botUserId: () => this.client.user?.id ?? applicationId });
    const threads = new IncidentThreads({ app, api: this.api, store: this.store });
    this.sync = new IncidentSync({ app, api: this.api, store: this.store, threads, warRooms: this.warRooms, log: this.log });
    this.interactions = new InteractionHandler({ app, store: this.store, sync: this.sync, log: this.log, deadlineMs: options.deadlineMs });
    // Background delivery gets its own REST queue, rejecting on 429 so the outbox can back off.
    const deliveryRest = new REST({ ...rest, rejectOnRateLimit: () => true }).setToken(token);
    host.messengers.push(new DiscordMessenger(new DiscordApi(deliveryRest), app.service.config));
  }

  /** Indexes and listeners, without the gateway: enough for REST, the messenger and fed interactions. */
  attach(): Promise<void> {
    this.attached ??= (async () => {
      await this.store.init();
      this.host.app.service.onChange(this.sync.onChange);
      this.client.on(Events.InteractionCreate, this.interactions.dispatch);
      this.client.on(Events.ClientReady, (client) => {
        this.log.info({ user: client.user.tag, guilds: client.guilds.cache.size }, 'discord: connected');
        void this.reconcile();
      });
      this.client.on(Events.ShardDisconnect, (event, shard) => this.log.warn({ shard, code: event.code }, 'discord: gateway disconnected'));
      this.client.on(Events.ShardReconnecting, (shard) => this.log.warn({ shard }, 'discord: reconnecting to the gateway'));
      // A resumed session replays missed events; the interaction claims drop any already handled.
      this.client.on(Events.ShardResume, (shard, replayed) => {
        this.log.info({ shard, replayed }, 'discord: gateway session resumed');
        void this.reconcile();
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
  }

  async stop(): Promise<void> {
    await this.idle();
    await this.client.destroy();
  }

  /** Resolves when no interaction and no Discord update is in progress. */
  async idle(): Promise<void> {
    await this.interactions.idle();
    await this.sync.idle();
    await this.interactions.idle();
  }

  /**
   * Catches up after a (re)connect: cards behind their incident (changed by another process or
   * while Discord was unreachable) are edited, war rooms of closed incidents are archived.
   */
  async reconcile(): Promise<void> {
    try {
      const { app } = this.host;
      const incidents = await app.service.list({ statuses: [...ACTIVE_STATUSES, 'resolved'], limit: 200 });
      const refs = await this.store.m.Ref.find({ kind: { $in: ['card', 'warroom'] } }).lean<DiscordRef[]>();
      const cardSeq = new Map(refs.filter((r) => r.kind === 'card').map((r) => [r.incidentId, r.seq]));
      for (const incident of incidents) {
        if ((cardSeq.get(incident.id) ?? -1) < incident.rev) await this.sync.refresh(incident);
      }
      for (const ref of refs.filter((r) => r.kind === 'warroom' && r.channelId && !r.archived)) {
        const incident = await app.service.get(ref.incidentId).catch(() => undefined);
        if (incident?.status === 'closed') await this.warRooms.archive(incident);
      }
    } catch (error) {
      this.log.error({ err: error }, 'discord: catching up after connect failed; the next change retries');
    }
  }
}

export function createDiscordAdapter(host: AdapterHost, options?: DiscordAdapterOptions): DiscordAdapter {
  return new DiscordAdapter(host, options);
}

/** DISCORD_API_URL as discord.js wants it: the base without the version ("…/api", not "…/api/v10"). */
export function restBase(url: string | undefined): { api?: string; version?: string } {
  if (!url) return {};
  const trimmed = url.replace(/\/+$/, '');
  const versioned = /^(.*)\/v(\d+)$/.exec(trimmed);
  return versioned ? { api: versioned[1], version: versioned[2] } : { api: trimmed };
}
