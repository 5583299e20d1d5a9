import { randomUUID } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { fileBytes, type Reply, type ReplyFile } from '../../src/app/view.js';
import type { Catalog, Locale } from '../../src/i18n/index.js';
import { postJson, slackErrorCode } from './slack.clients.js';
import { renderReply, type SlackMessage } from './slack.renderer.js';

/** Where a request came from, so its answer goes back there (also kept in a modal's private_metadata). */
export interface Origin {
  user: string;
  channel?: string;
  /** Valid for 30 minutes and 5 posts (PLATFORMS.md); preferred for ephemeral answers. */
  responseUrl?: string;
  /** The message a message shortcut was used on. */
  message?: { channel: string; ts: string };
  /** The person's language, found when the request came in; answers (and the form's check on submit) use it. */
  locale?: Locale;
}

/** A response_url that has not answered by then is given up for chat.postEphemeral. */
const RESPONSE_URL_TIMEOUT_MS = 10_000;

/**
 * Sends a person the answer to what they did: through the request's response_url, else as an
 * ephemeral message in the channel, else as a direct message. Failures are logged and tried the next way.
 */
export class ReplySender {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly log: Logger,
    /** The catalog of a language (the organisation's when none is given). */
    private readonly words: (locale?: Locale) => Catalog,
  ) {}

  async reply(origin: Origin, reply: Reply, rev?: number): Promise<void> {
    await this.send(origin, renderReply(reply, rev !== undefined ? { rev } : {}));
  }

  /**
   * A file for the person (a CSV export): uploaded into their direct message with the bot
   * (files.uploadV2, which needs the `files:write` scope), so what it holds is theirs alone.
   */
  /** Files for the person: uploaded together into their direct message with the bot. */
  async files(origin: Origin, files: readonly ReplyFile[]): Promise<void> {
    const opened = await this.client.conversations.open({ users: origin.user });
    const channel = opened.channel?.id;
    if (!channel) throw new Error('conversations.open gave no channel');
    await this.client.filesUploadV2({ channel_id: channel, file_uploads: files.map((file) => ({ file: fileBytes(file), filename: file.name, title: file.name })) });
  }

  async text(origin: Origin, text: string): Promise<void> {
    await this.reply(origin, { ephemeral: true, text });
  }

  /** Logs an API failure with an id and tells the person, naming Slack's error code. */
  async failure(origin: Origin, error: unknown, context: Record<string, unknown> = {}): Promise<void> {
    const ref = randomUUID().slice(0, 8);
    const code = slackErrorCode(error);
    this.log.error({ err: error, ref, slackError: code, ...context }, 'Slack request failed');
    await this.text(origin, this.words(origin.locale).slack.apiFailed({ error: code, ref })).catch((err: unknown) =>
      this.log.error({ err, ref }, 'could not tell the user about a Slack failure'),
    );
  }

  private async send(origin: Origin, message: SlackMessage): Promise<void> {
    if (origin.responseUrl) {
      try {
        const body = JSON.stringify({ response_type: 'ephemeral', replace_original: false, ...message });
        const res = await postJson(new URL(origin.responseUrl), body, {}, RESPONSE_URL_TIMEOUT_MS);
        if (res.ok) return;
        this.log.warn({ status: res.status }, 'response_url refused the answer; trying chat.postEphemeral');
      } catch (err) {
        this.log.warn({ err }, 'response_url unreachable; trying chat.postEphemeral');
      }
    }
    if (origin.channel && !origin.channel.startsWith('D')) {
      try {
        await this.client.chat.postEphemeral({ channel: origin.channel, user: origin.user, ...message });
        return;
      } catch (err) {
        this.log.warn({ err, slackError: slackErrorCode(err) }, 'chat.postEphemeral failed; sending a direct message');
      }
    }
    await this.client.chat.postMessage({ channel: origin.user, ...message });
  }
}
