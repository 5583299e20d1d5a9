import type { webApi } from '@slack/bolt';
import { DeliveryError, type Destination, type Messenger, type OutgoingMessage } from '../../src/app/platform.js';
import { retryAfterMs, slackErrorCode } from './slack.clients.js';
import type { SlackDirectory } from './slack.directory.js';
import { renderReply, type SlackMessage } from './slack.renderer.js';

/** Slack errors no retry can fix: the outbox should stop trying. */
const PERMANENT = new Set([
  'channel_not_found', 'not_in_channel', 'is_archived', 'user_not_found', 'cannot_dm_bot', 'invalid_auth', 'account_inactive',
  'token_revoked', 'missing_scope', 'not_authed', 'invalid_blocks', 'msg_too_long', 'no_text', 'restricted_action',
]);

/** Outbox rules whose message the Slack adapter posts itself: Accept/Reject to the assignee, Confirm/Reopen to the reporter. */
const SENT_BY_SYNC = new Set(['status:assigned', 'status:resolved:reporter']);

/**
 * Delivers outbox messages (reminders, escalations, notifications) to Slack. Its client throws on
 * a 429 instead of pausing, and the wait travels back as `retryAfterMs` for the outbox to honour.
 */
export class SlackMessenger implements Messenger {
  readonly platform = 'slack';

  constructor(
    private readonly client: webApi.WebClient,
    private readonly dir: SlackDirectory,
  ) {}

  reaches(destination: Destination): boolean {
    return this.dir.reaches(destination);
  }

  async deliver(destination: Destination, message: OutgoingMessage): Promise<void> {
    // SlackSync already sends these, with live buttons, the moment the change lands (slack.sync.ts).
    if (message.rule && SENT_BY_SYNC.has(message.rule)) return;
    const rendered = renderReply({ ephemeral: false, text: message.text, card: message.card });
    for (const [channel, prefix] of this.targets(destination, message.urgent)) {
      await this.post(channel, prefix ? withPrefix(rendered, prefix) : rendered);
    }
  }

  /** Channel ids to post to, each with an optional mention the bot itself adds (never user text). */
  private targets(destination: Destination, urgent: boolean): [string, string | undefined][] {
    if (destination.kind === 'person') {
      const user = this.dir.userOf(destination.personId);
      if (!user) throw new DeliveryError(`no Slack user for ${destination.personId}`, { permanent: true });
      const desk = urgent ? this.dir.channel('serviceDesk') : undefined;
      // P1: a mention where people look, as well as the direct message (SPEC §7).
      return desk ? [[user, undefined], [desk, `<@${user}>`]] : [[user, undefined]];
    }
    if (destination.kind === 'channel') {
      const channel = this.dir.channel(destination.channel);
      if (!channel) throw new DeliveryError(`no Slack channel configured for ${destination.channel}`, { permanent: true });
      return [[channel, undefined]];
    }
    const channel = this.dir.groupChannel(destination.groupId);
    if (channel) {
      const usergroup = this.dir.groupUsergroup(destination.groupId);
      return [[channel, usergroup ? `<!subteam^${usergroup}>` : undefined]];
    }
    const users = this.dir.groupUsers(destination.groupId);
    if (users.length === 0) throw new DeliveryError(`no Slack channel or users for group ${destination.groupId}`, { permanent: true });
    return users.map((u) => [u, undefined]);
  }

  private async post(channel: string, message: SlackMessage): Promise<void> {
    try {
      await this.client.chat.postMessage({ channel, ...message });
    } catch (error) {
      const code = slackErrorCode(error);
      const wait = retryAfterMs(error);
      if (wait !== undefined) throw new DeliveryError(`Slack rate limit (${code})`, { retryAfterMs: wait });
      throw new DeliveryError(`Slack refused the message: ${code}`, { permanent: PERMANENT.has(code) });
    }
  }
}

function withPrefix(message: SlackMessage, prefix: string): SlackMessage {
  const first = { type: 'section', text: { type: 'mrkdwn', text: prefix } };
  return { text: `${prefix} ${message.text}`, blocks: [first, ...message.blocks] };
}

