import {
  DefaultRestOptions,
  DiscordAPIError,
  HTTPError,
  RateLimitError,
  Routes,
  type REST,
  type APIChannel,
  type APIMessage,
  type APIOverwrite,
  type ChannelType,
} from 'discord.js';
import type { DiscordMessage } from './discord.renderer.js';

/**
 * @discordjs/rest's own request function, except that a multipart body (a file upload) goes out as
 * the bytes it encodes to. The library builds the upload as the process's global `FormData` and
 * hands it to its undici's `request()`, which sends through the process-wide dispatcher: whichever
 * undici a process loads first installs it. When that is the undici Slack's Socket Mode brings (a
 * newer one), it does not recognise the global `FormData` and the upload fails with "action is not
 * a function" — a major incident's review file never reached Discord, so its war room was never
 * archived. Bytes and their content type are understood by every version.
 */
export async function makeRequest(url: string, init: Parameters<typeof DefaultRestOptions.makeRequest>[1]): ReturnType<typeof DefaultRestOptions.makeRequest> {
  if (!(init.body instanceof FormData)) return DefaultRestOptions.makeRequest(url, init);
  const encoded = new Response(init.body);
  const headers = { ...(init.headers as Record<string, string> | undefined), 'content-type': encoded.headers.get('content-type') ?? 'multipart/form-data' };
  return DefaultRestOptions.makeRequest(url, { ...init, headers, body: Buffer.from(await encoded.arrayBuffer()) });
}

/**
 * The few Discord REST calls the adapter makes, on raw routes: they need no gateway cache, so the
 * same code works in a process that only delivers notifications, and in tests against a fake API.
 * @discordjs/rest queues per bucket, waits out 429s and retries 5xx.
 */
export class DiscordApi {
  constructor(readonly rest: REST) {}

  async postMessage(channelId: string, message: DiscordMessage, nonce?: string): Promise<APIMessage> {
    const body = nonce ? { ...message, nonce, enforce_nonce: true } : message;
    return (await this.rest.post(Routes.channelMessages(channelId), { body })) as APIMessage;
  }

  async editMessage(channelId: string, messageId: string, message: DiscordMessage): Promise<APIMessage> {
    return (await this.rest.patch(Routes.channelMessage(channelId, messageId), { body: message })) as APIMessage;
  }

  /** A message with one file attached (multipart), e.g. the post-incident review. */
  async postFiles(channelId: string, content: string, files: { name: string; data: Buffer }[], nonce?: string): Promise<APIMessage> {
    const body = { content, ...(nonce ? { nonce, enforce_nonce: true } : {}) };
    return (await this.rest.post(Routes.channelMessages(channelId), { body, files })) as APIMessage;
  }

  async pin(channelId: string, messageId: string): Promise<void> {
    await this.rest.put(Routes.channelPin(channelId, messageId));
  }

  async startThread(channelId: string, messageId: string, name: string): Promise<APIChannel> {
    return (await this.rest.post(Routes.threads(channelId, messageId), { body: { name, auto_archive_duration: 10080 } })) as APIChannel;
  }

  async channel(channelId: string): Promise<APIChannel & { guild_id?: string }> {
    return (await this.rest.get(Routes.channel(channelId))) as APIChannel & { guild_id?: string };
  }

  async guildChannels(guildId: string): Promise<(APIChannel & { parent_id?: string | null; topic?: string | null })[]> {
    return (await this.rest.get(Routes.guildChannels(guildId))) as (APIChannel & { parent_id?: string | null; topic?: string | null })[];
  }

  async createChannel(
    guildId: string,
    body: { name: string; type: ChannelType; parent_id?: string; topic?: string; permission_overwrites?: APIOverwrite[] },
    reason?: string,
  ): Promise<APIChannel> {
    return (await this.rest.post(Routes.guildChannels(guildId), { body, ...(reason ? { reason } : {}) })) as APIChannel;
  }

  async deleteChannel(channelId: string, reason?: string): Promise<void> {
    await this.rest.delete(Routes.channel(channelId), reason ? { reason } : {});
  }

  async editChannel(channelId: string, body: Record<string, unknown>, reason?: string): Promise<APIChannel> {
    return (await this.rest.patch(Routes.channel(channelId), { body, ...(reason ? { reason } : {}) })) as APIChannel;
  }

  /** Edits an interaction's first answer (a deferral's "thinking…"): the interaction token allows it for 15 minutes, without the bot token. */
  async editOriginal(applicationId: string, interactionToken: string, message: DiscordMessage): Promise<APIMessage> {
    return (await this.rest.patch(Routes.webhookMessage(applicationId, interactionToken, '@original'), { body: message, auth: false })) as APIMessage;
  }

  async openDm(userId: string): Promise<APIChannel> {
    return (await this.rest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as APIChannel;
  }
}

/** A short, user-readable reason for a failed Discord call ("429 rate limited", "500 Internal Server Error", "50013 Missing Permissions"). */
export function describeDiscordError(error: unknown): string {
  if (error instanceof RateLimitError) return `rate limited, retry after ${Math.ceil(error.retryAfter / 1000)} s`;
  if (error instanceof DiscordAPIError) return `${error.status} ${error.code}: ${error.message}`.slice(0, 200);
  if (error instanceof HTTPError) return `${error.status} ${error.message}`.slice(0, 200);
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}
