import type { webApi } from '@slack/bolt';
import { DeliveryError, type Destination, type Messenger, type OutgoingMessage } from '../../src/app/platform.js';
import { fileBytes } from '../../src/app/view.js';
import { PacedDelivery } from '../../src/outbox/paced.js';
import type { SurfaceStore } from '../../src/outbox/surface.store.js';
import { retryAfterMs, slackErrorCode } from './slack.clients.js';
import type { SlackDirectory } from './slack.directory.js';
import type { ChannelPacer } from './slack.pacer.js';
import { findPosted, withKey } from './slack.posts.js';
import { renderReply, type SlackMessage } from './slack.renderer.js';

/** Slack errors no retry can fix: the outbox should stop trying. */
const PERMANENT = new Set([
  'channel_not_found', 'not_in_channel', 'is_archived', 'user_not_found', 'cannot_dm_bot', 'invalid_auth', 'account_inactive',
  'token_revoked', 'missing_scope', 'not_authed', 'invalid_blocks', 'msg_too_long', 'no_text', 'restricted_action',
]);

/** A Slack failure as the outbox understands it: wait for Retry-After, retry, or give up. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const code = slackErrorCode(error);
  const wait = retryAfterMs(error);
  if (wait !== undefined) return new DeliveryError(`Slack rate limit (${code})`, { retryAfterMs: wait });
  return new DeliveryError(`Slack refused: ${code}`, { permanent: PERMANENT.has(code) });
}

interface Target {
  channel: string;
  prefix?: string;
  threadTs?: string;
  /** The key this post carries (one notice may make several posts). */
  key: string;
}

/**
 * Delivers outbox notices to Slack: direct messages (with the buttons the notice offers: Accept /
 * Reject to an assignee, Confirm / Reopen to a reporter), a group's channel with its user group
 * mentioned, a configured channel — a notice about an incident to the stakeholder channel goes
 * into that incident's thread. Posts keep each channel's pace (ChannelPacer, shared with the
 * surface): a notice whose turn is far off waits in the outbox, put off rather than failed. Its
 * client throws on a 429 instead of pausing, and the wait travels back as `retryAfterMs`. A message
 * retried after a real failure is first looked for by its key (message metadata).
 */
export class SlackMessenger implements Messenger {
  readonly platform = 'slack';

  constructor(
    private readonly client: webApi.WebClient,
    private readonly dir: SlackDirectory,
    private readonly surfaces: SurfaceStore,
    private readonly pacer: ChannelPacer,
  ) {}

  reaches(destination: Destination): boolean {
    return this.dir.reaches(destination);
  }

  async deliver(destination: Destination, message: OutgoingMessage): Promise<void> {
    const rendered = renderReply({ ephemeral: false, text: message.text, card: message.card });
    const targets = await this.targets(destination, message);
    // Every target's turn first: a notice goes out whole, or waits before any of it is posted.
    this.pacer.book(targets);
    let posted = 0;
    for (const target of targets) {
      const body = target.prefix ? withPrefix(rendered, target.prefix) : rendered;
      try {
        await this.post(target, body, message.maybeSent === true);
      } catch (error) {
        // Put off after part of it went out (a 429 moved a turn): a failure, so the retry looks before posting again.
        if (posted > 0 && error instanceof PacedDelivery) throw new DeliveryError(error.message, { retryAfterMs: error.options.retryAfterMs });
        throw error;
      }
      posted++;
    }
    if (message.files?.length && targets[0]) await this.upload(targets[0].channel, message);
  }

  /**
   * A message's files (a monthly report), uploaded into the channel after its text, once: the upload
   * is marked done by the message's key, so a retry after it does not upload them again.
   */
  private async upload(channel: string, message: OutgoingMessage): Promise<void> {
    const step = `slack:files:${message.key}`;
    if ((await this.surfaces.get(step))?.state === 'done') return;
    try {
      await this.client.filesUploadV2({ channel_id: channel, file_uploads: (message.files ?? []).map((f) => ({ file: fileBytes(f), filename: f.name, title: f.name })) });
    } catch (error) {
      throw toDeliveryError(error);
    }
    await this.surfaces.claim(step, message.incidentId ?? '-', { channel }, 'done');
  }

  /** Where to post, each with an optional mention the bot itself adds (never user text). */
  private async targets(destination: Destination, message: OutgoingMessage): Promise<Target[]> {
    const key = message.key;
    if (destination.kind === 'person') {
      const user = this.dir.userOf(destination.personId);
      if (!user) throw new DeliveryError(`no Slack user for ${destination.personId}`, { permanent: true });
      const desk = message.urgent ? this.dir.channel('serviceDesk') : undefined;
      // P1: a mention where people look, as well as the direct message (SPEC §7).
      const dm: Target = { channel: user, key };
      return desk ? [dm, { channel: desk, prefix: `<@${user}>`, key: `${key}:desk` }] : [dm];
    }
    if (destination.kind === 'channel') {
      if (destination.channel === 'warroom') return [await this.warRoom(message.incidentId, key)];
      const channel = this.dir.channel(destination.channel);
      if (!channel) throw new DeliveryError(`no Slack channel configured for ${destination.channel}`, { permanent: true });
      if (destination.channel === 'stakeholders' && message.incidentId) return [await this.inThread(message.incidentId, key)];
      // A major incident's management line: its thread in the management channel (SPEC §12).
      if (destination.channel === 'management' && message.incidentId) return [await this.inThread(message.incidentId, key, 'mthread')];
      return [{ channel, key }];
    }
    if (destination.kind === 'contact') throw new DeliveryError('an outside contact is reached by e-mail, not Slack', { permanent: true });
    if (destination.kind === 'service') {
      const channel = this.dir.serviceChannel(destination.serviceId);
      if (!channel) throw new DeliveryError(`no Slack channel configured for service ${destination.serviceId}`, { permanent: true });
      return [{ channel, key }];
    }
    const channel = this.dir.groupChannel(destination.groupId);
    if (channel) {
      const usergroup = this.dir.groupUsergroup(destination.groupId);
      return [{ channel, prefix: usergroup ? `<!subteam^${usergroup}>` : undefined, key }];
    }
    const users = this.dir.groupUsers(destination.groupId);
    if (users.length === 0) throw new DeliveryError(`no Slack channel or users for group ${destination.groupId}`, { permanent: true });
    return users.map((u) => ({ channel: u, key: `${key}:${u}` }));
  }

  /**
   * The incident's stakeholder thread; until the surface has opened it, the notice waits. Waiting is
   * not a failure: behind a burst the thread's parent queues at the channel's pace (a minute for
   * sixty incidents), longer than the retries that would dead-letter a failing notice. If the
   * thread can never open, its own surface entry fails and is dead-lettered where
   * `/incident admin outbox` shows it; retrying that entry lets the notice follow.
   */
  private async inThread(incidentId: string, key: string, kind: 'thread' | 'mthread' = 'thread'): Promise<Target> {
    const thread = await this.surfaces.get(`slack:${kind}:${incidentId}`);
    if (thread?.state !== 'done' || !thread.channel || !thread.message) {
      throw new PacedDelivery(`waiting for the ${kind === 'thread' ? 'stakeholder' : 'management'} thread of ${incidentId} to open`, 2_000);
    }
    return { channel: thread.channel, threadTs: thread.message, key };
  }

  /** The incident's war room, once the surface has opened it; an archived one takes no more posts. */
  private async warRoom(incidentId: string | undefined, key: string): Promise<Target> {
    const room = incidentId ? await this.surfaces.get(`slack:warroom:${incidentId}`) : undefined;
    if (room?.archived) throw new DeliveryError(`the war room of ${incidentId} is archived`, { permanent: true });
    if (room?.state !== 'done' || !room.channel) throw new PacedDelivery(`waiting for the war room of ${incidentId} to open`, 2_000);
    return { channel: room.channel, key };
  }

  private async post(target: Target, message: SlackMessage, maybeSent: boolean): Promise<void> {
    try {
      if (maybeSent && (await this.alreadyPosted(target))) return;
      await this.pacer.post(target, () =>
        this.client.chat.postMessage({ channel: target.channel, ...withKey(message, target.key), ...(target.threadTs ? { thread_ts: target.threadTs } : {}) }),
      );
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  /** After an attempt that may have posted: is the message there already? A failed look is a "no". */
  private async alreadyPosted(target: Target): Promise<boolean> {
    try {
      let channel = target.channel;
      if (channel.startsWith('U') || channel.startsWith('W')) {
        // A direct message: history is read on the DM channel, not the user id.
        channel = (await this.client.conversations.open({ users: channel })).channel?.id ?? channel;
      }
      return (await findPosted(this.client, channel, target.key, target.threadTs)) !== undefined;
    } catch {
      return false;
    }
  }
}

function withPrefix(message: SlackMessage, prefix: string): SlackMessage {
  const first = { type: 'section', text: { type: 'mrkdwn', text: prefix } };
  return { text: `${prefix} ${message.text}`, blocks: [first, ...message.blocks] };
}
