import { PacedDelivery } from '../../src/outbox/paced.js';
import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import type { ConfigFile } from '../../src/config/config.schema.js';
import { DeliveryError, type Destination, type Messenger, type OutgoingMessage } from '../../src/app/platform.js';
import { fileBytes } from '../../src/app/view.js';
import type { SurfaceStore } from '../../src/outbox/surface.store.js';
import type { DiscordApi } from './discord.api.js';
import { nonceOf } from './nonce.js';
import { renderCardMessage, renderText, type DiscordMessage } from './discord.renderer.js';

/**
 * Delivers outbox messages on Discord: a person by direct message (and, when urgent, a mention in
 * the service-desk channel), a configured channel, or a group's channel with its role mentioned
 * (the only pings the bot makes on purpose). It uses its own
 * REST client that rejects on 429, so a rate limit comes back to the outbox as `retryAfterMs`
 * instead of stalling interactive calls.
 */
export class DiscordMessenger implements Messenger {
  readonly platform = 'discord';
  private readonly dms = new Map<string, string>();

  constructor(
    private readonly api: DiscordApi,
    private readonly config: ConfigFile,
    /** Where the surface keeps the incident's stakeholder thread. */
    private readonly surfaces: Pick<SurfaceStore, 'get'>,
  ) {}

  reaches(destination: Destination): boolean {
    if (destination.kind === 'person') return Boolean(this.userIdOf(destination.personId));
    if (destination.kind === 'channel') return destination.channel === 'warroom' || Boolean(this.config.organisation.channels[destination.channel].discord);
    if (destination.kind === 'contact') return false;
    if (destination.kind === 'service') return Boolean(this.config.organisation.serviceChannels[destination.serviceId]?.discord);
    const group = this.config.organisation.groups.find((g) => g.id === destination.groupId);
    return Boolean(group?.discord.channel || group?.members.some((id) => this.userIdOf(id)));
  }

  async deliver(destination: Destination, message: OutgoingMessage): Promise<void> {
    try {
      const body = this.body(message);
      const nonce = nonceOf(message.key);
      if (destination.kind === 'person') {
        await this.api.postMessage(await this.dmChannel(destination.personId), body, nonce);
        // P1: a mention where people look, as well as the direct message (SPEC §7), as on Slack.
        const desk = message.urgent ? this.config.organisation.channels.serviceDesk.discord : undefined;
        const userId = this.userIdOf(destination.personId);
        if (desk && userId) await this.api.postMessage(desk, mentioning(body, userId), nonceOf(`${message.key}:desk`));
      } else if (destination.kind === 'channel') {
        if (destination.channel === 'warroom') {
          await this.api.postMessage(await this.warRoom(message.incidentId), body, nonce);
          return;
        }
        const channelId = this.config.organisation.channels[destination.channel].discord;
        if (!channelId) throw new DeliveryError(`no Discord channel configured for ${destination.channel}`, { permanent: true });
        // A stakeholder notice about an incident goes into the incident's thread, once the surface has opened it.
        // So does a major incident's management-line notice, into its management thread.
        const threaded = (destination.channel === 'stakeholders' || destination.channel === 'management') && message.incidentId;
        const target = threaded ? await this.thread(message.incidentId!, destination.channel as 'stakeholders' | 'management') : channelId;
        // A message with files (a monthly report) is one post with its attachments; the nonce keeps a retry from posting twice.
        if (message.files?.length) await this.api.postFiles(target, message.text.slice(0, 2000), message.files.map((f) => ({ name: f.name, data: fileBytes(f) })), nonce);
        else await this.api.postMessage(target, body, nonce);
      } else if (destination.kind === 'contact') {
        throw new DeliveryError('an outside contact is reached by e-mail, not Discord', { permanent: true });
      } else if (destination.kind === 'service') {
        const channelId = this.config.organisation.serviceChannels[destination.serviceId]?.discord;
        if (!channelId) throw new DeliveryError(`no Discord channel configured for service ${destination.serviceId}`, { permanent: true });
        await this.api.postMessage(channelId, body, nonce);
      } else {
        const group = this.config.organisation.groups.find((g) => g.id === destination.groupId);
        if (!group) throw new DeliveryError(`unknown group ${destination.groupId}`, { permanent: true });
        if (group.discord.channel) {
          const role = group.discord.role;
          const withPing: DiscordMessage = role
            ? { ...body, content: `<@&${role}> ${body.content ?? ''}`.slice(0, 2000), allowed_mentions: { parse: [], roles: [role] } }
            : body;
          await this.api.postMessage(group.discord.channel, withPing, nonce);
        } else {
          for (const personId of group.members.filter((id) => this.userIdOf(id))) {
            await this.api.postMessage(await this.dmChannel(personId), body, nonceOf(`${message.key}:${personId}`));
          }
        }
      }
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  /** The incident's war room, once the surface has opened it; a locked one takes no more posts. */
  private async warRoom(incidentId: string | undefined): Promise<string> {
    const room = incidentId ? await this.surfaces.get(`discord:warroom:${incidentId}`) : undefined;
    if (room?.archived) throw new DeliveryError(`the war room of ${incidentId} is archived`, { permanent: true });
    if (room?.state !== 'done' || !room.channel) throw new PacedDelivery(`waiting for the war room of ${incidentId} to open`, 2_000);
    return room.channel;
  }

  private async thread(incidentId: string, kind: 'stakeholders' | 'management'): Promise<string> {
    const thread = await this.surfaces.get(`discord:${kind}:${incidentId}`);
    // Waiting for the thread is a put-off, not a failure (see the Slack messenger's inThread).
    if (thread?.state !== 'done' || !thread.channel) throw new PacedDelivery(`waiting for the ${kind} thread of ${incidentId} to open`, 2_000);
    return thread.channel;
  }

  /** The sentence, and the card with the buttons the notice offers (Accept/Reject to an assignee, Confirm/Reopen to a reporter). */
  private body(message: OutgoingMessage): DiscordMessage {
    return message.card ? renderCardMessage(message.card, message.text) : renderText(message.text);
  }

  /** Configured people by their Discord id; guests who used the bot are "discord:<user id>". */
  private userIdOf(personId: string): string | undefined {
    if (personId.startsWith('discord:')) return personId.slice('discord:'.length);
    return this.config.organisation.people.find((p) => p.id === personId)?.discord;
  }

  private async dmChannel(personId: string): Promise<string> {
    const userId = this.userIdOf(personId);
    if (!userId) throw new DeliveryError(`${personId} has no Discord user id`, { permanent: true });
    let channelId = this.dms.get(userId);
    if (!channelId) {
      channelId = (await this.api.openDm(userId)).id;
      this.dms.set(userId, channelId);
    }
    return channelId;
  }
}

/** The message with one user mentioned in front: the only ping it can make is that user. */
function mentioning(body: DiscordMessage, userId: string): DiscordMessage {
  return { ...body, content: `<@${userId}> ${body.content ?? ''}`.slice(0, 2000), allowed_mentions: { parse: [], users: [userId] } };
}


/** 429 → retry after Discord's delay; 5xx → retry; other 4xx (missing access, DMs closed) → permanent. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  if (error instanceof RateLimitError) {
    return new DeliveryError(`Discord rate limit on ${error.route}`, { retryAfterMs: Math.max(error.retryAfter, error.timeToReset, 1000) });
  }
  if (error instanceof DiscordAPIError) {
    return new DeliveryError(`Discord refused: ${error.status} ${error.code} ${error.message}`, { permanent: error.status < 500 && error.status !== 429 });
  }
  if (error instanceof HTTPError) return new DeliveryError(`Discord unavailable: ${error.status}`);
  return new DeliveryError(error instanceof Error ? error.message : String(error));
}
