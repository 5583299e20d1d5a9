import { ChannelType, OverwriteType, PermissionFlagsBits, type APIOverwrite } from 'discord.js';
import type { Directory } from '../../src/domain/directory.js';
import type { Incident } from '../../src/domain/incident.js';
import type { DiscordApi } from './discord.api.js';
import { LIMITS, cut } from './discord.text.js';

const P = PermissionFlagsBits;
const TEAM = P.ViewChannel | P.SendMessages | P.SendMessagesInThreads | P.ReadMessageHistory | P.AttachFiles | P.EmbedLinks | P.AddReactions;
const READ_ONLY = P.ViewChannel | P.ReadMessageHistory;
const WRITE = P.SendMessages | P.SendMessagesInThreads | P.AddReactions;
const BOT = P.ViewChannel | P.SendMessages | P.ReadMessageHistory | P.EmbedLinks | P.ManageChannels;

export interface WarRoomDeps {
  api: DiscordApi;
  directory: Directory;
  /** The service-desk channel, to find the server when DISCORD_GUILD_ID is unset. */
  deskChannel?: string;
  /** The server; when unset it is read from the service-desk channel. */
  guildId?: string;
  /** The bot's own user id (the application id for bots made since 2020), so it never locks itself out. */
  botUserId: () => string;
  categoryNames: { incidents: string; archive: string };
}

/**
 * A major incident's war room on Discord (SPEC §12): a text channel under "Incidents", visible
 * only to the recovery team (the assigned group's role and members) and the managers; archived on
 * close by moving it under "Incidents archive" with everyone's write permissions removed. The calls
 * only; when each is made (once, in order) is the surface's business (discord.surface.ts).
 */
export class WarRooms {
  private guild?: Promise<string>;
  private readonly categories = new Map<string, Promise<string>>();

  constructor(private readonly deps: WarRoomDeps) {}

  async create(incident: Incident): Promise<string> {
    const guildId = await this.guildId();
    const created = await this.deps.api.createChannel(
      guildId,
      {
        name: channelName(incident),
        type: ChannelType.GuildText,
        parent_id: await this.category(this.deps.categoryNames.incidents),
        topic: cut(`${incident.id} war room: ${incident.title}`, 1024),
        permission_overwrites: this.overwrites(incident, guildId, false),
      },
      `War room for major incident ${incident.id}`,
    );
    return created.id;
  }

  /** A room an earlier attempt created before it stopped: its topic starts with the incident id. */
  async find(incident: Incident): Promise<string | undefined> {
    const channels = await this.deps.api.guildChannels(await this.guildId());
    return channels.find((c) => c.type === ChannelType.GuildText && c.topic?.startsWith(`${incident.id} `))?.id;
  }

  /** Re-applies who may see the room (after a re-dispatch, an accept or a new major incident manager). */
  async refreshAccess(incident: Incident, channelId: string): Promise<void> {
    await this.deps.api.editChannel(channelId, { permission_overwrites: this.overwrites(incident, await this.guildId(), false) }, `Recovery team of ${incident.id} changed`);
  }

  /** Locks the room and moves it to the archive category (doing it twice changes nothing). */
  async archive(incident: Incident, channelId: string): Promise<void> {
    await this.deps.api.editChannel(
      channelId,
      { parent_id: await this.category(this.deps.categoryNames.archive), permission_overwrites: this.overwrites(incident, await this.guildId(), true) },
      `${incident.id} closed: war room archived`,
    );
  }

  /** @everyone may not see it; the bot, the team's role, the team and the managers may (read-only once archived). */
  overwrites(incident: Incident, guildId: string, locked: boolean): APIOverwrite[] {
    const d = this.deps.directory;
    const perms = locked ? { allow: String(READ_ONLY), deny: String(WRITE) } : { allow: String(TEAM), deny: '0' };
    const list: APIOverwrite[] = [
      { id: guildId, type: OverwriteType.Role, allow: '0', deny: String(P.ViewChannel) },
      { id: this.deps.botUserId(), type: OverwriteType.Member, allow: String(BOT), deny: '0' },
    ];
    const groups = [incident.groupId, incident.lastGroupId].filter((g): g is string => Boolean(g));
    const roles = new Set(groups.map((g) => d.group(g)?.discord.role).filter((r): r is string => Boolean(r)));
    const people = new Set([
      ...groups.flatMap((g) => d.group(g)?.members ?? []),
      incident.assigneeId, incident.ownerId, incident.majorIncidentManagerId, incident.recorderId,
      ...d.incidentManagers(), ...d.majorIncidentManagers(),
    ]);
    for (const role of roles) list.push({ id: role, type: OverwriteType.Role, ...perms });
    const users = new Set([...people].map((id) => (id ? d.person(id)?.discord : undefined)).filter((u): u is string => Boolean(u)));
    users.delete(this.deps.botUserId());
    for (const user of users) list.push({ id: user, type: OverwriteType.Member, ...perms });
    return list;
  }

  async guildId(): Promise<string> {
    this.guild ??= (async () => {
      if (this.deps.guildId) return this.deps.guildId;
      const guildId = this.deps.deskChannel ? (await this.deps.api.channel(this.deps.deskChannel)).guild_id : undefined;
      if (!guildId) throw new Error('set DISCORD_GUILD_ID (or organisation.channels.serviceDesk.discord) so war rooms know their server');
      return guildId;
    })();
    this.guild.catch(() => (this.guild = undefined));
    return this.guild;
  }

  /**
   * Finds the category by name, or creates it; remembered for the life of the process. Processes
   * behind one installation (docs/deploy.md) may each find none and create one at the same moment:
   * after creating, each looks again and keeps the oldest of that name (the smallest snowflake), and
   * deletes its own if it is not that one, so every process files its rooms under the same category.
   */
  private category(name: string): Promise<string> {
    let found = this.categories.get(name);
    if (!found) {
      found = (async () => {
        const guildId = await this.guildId();
        const existing = await this.oldestCategory(guildId, name);
        if (existing) return existing;
        const mine = (await this.deps.api.createChannel(guildId, { name, type: ChannelType.GuildCategory })).id;
        const oldest = (await this.oldestCategory(guildId, name)) ?? mine;
        if (oldest !== mine) await this.deps.api.deleteChannel(mine, `Another process created "${name}" first`).catch(() => undefined);
        return oldest;
      })();
      this.categories.set(name, found);
      found.catch(() => this.categories.delete(name));
    }
    return found;
  }

  private async oldestCategory(guildId: string, name: string): Promise<string | undefined> {
    const ids = (await this.deps.api.guildChannels(guildId)).filter((c) => c.type === ChannelType.GuildCategory && 'name' in c && c.name === name).map((c) => BigInt(c.id));
    return ids.length ? ids.reduce((a, b) => (b < a ? b : a)).toString() : undefined;
  }
}

/** "inc-000042-core-switch-down": lowercase letters, digits and dashes, ≤ 100 characters. */
export function channelName(incident: Incident): string {
  const slug = incident.title.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `${incident.id.toLowerCase()}${slug ? `-${slug}` : ''}`.slice(0, LIMITS.channelName).replace(/-+$/, '');
}
