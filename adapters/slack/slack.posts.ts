import type { webApi } from '@slack/bolt';
import type { SlackMessage } from './slack.renderer.js';

/** The metadata event type the bot's own posts carry, with the outbox key that made them. */
export const POST_EVENT_TYPE = 'incident_bot_post';

/** The message with its key in Slack message metadata (not shown to people; read back by `findPosted`). */
export function withKey(message: SlackMessage, key: string): SlackMessage & { metadata: { event_type: string; event_payload: { key: string } } } {
  return { ...message, metadata: { event_type: POST_EVENT_TYPE, event_payload: { key } } };
}

interface HistoryMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: { key?: unknown } };
}

/**
 * The ts of a message the bot posted with this key, among the channel's (or thread's) recent
 * messages; undefined when it is not there. Asked only after a process stopped between posting and
 * recording the post, so the extra call is rare.
 */
export async function findPosted(client: webApi.WebClient, channel: string, key: string, threadTs?: string): Promise<string | undefined> {
  const result = threadTs
    ? await client.conversations.replies({ channel, ts: threadTs, limit: 200, include_all_metadata: true })
    : await client.conversations.history({ channel, limit: 100, include_all_metadata: true });
  const messages = (result.messages ?? []) as HistoryMessage[];
  return messages.find((m) => m.metadata?.event_type === POST_EVENT_TYPE && m.metadata.event_payload?.key === key)?.ts;
}
