import type { Logger } from 'pino';
import type { Clock } from '../app/clock.js';
import type { Messenger } from '../app/platform.js';
import { destinationKey, type Notice } from './notices.js';
import type { OutboxEntry, OutboxStore } from './outbox.store.js';

/** The platform name of the hook for phone/SMS/e-mail gateways (SPEC §7). */
export const WEBHOOK_PLATFORM = 'webhook';

/** The platform of an e-mail the bot had no way to send: kept as undeliverable, with the reason. */
export const EMAIL_PLATFORM = 'email';
export const NO_EMAIL_ROUTE = 'no e-mail route is configured (SMTP_URL, or organisation.webhooks.notify): the policy lists "email" for this priority';

/**
 * Writes notices to the outbox: one entry per recipient and platform, keyed so that writing the
 * same notice again (a replay after a crash, a second process) adds nothing. Which platforms:
 * the first chat platform that reaches the recipient; every one for urgent (P1) notices; e-mail
 * (SMTP_URL) for someone no chat platform reaches (an outside contact, a person without a chat
 * account) and when the policy asks for e-mail; plus the webhook when the policy asks for
 * phone/SMS/e-mail. An e-mail with neither SMTP nor a webhook to carry it is written as
 * undeliverable, with the reason, so `/incident admin outbox` shows it was not sent.
 */
export class Outbox {
  constructor(
    private readonly store: OutboxStore,
    /** Filled by adapters at start-up; read at each write. */
    private readonly messengers: readonly Messenger[],
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async enqueue(incidentId: string | undefined, notice: Notice): Promise<number> {
    const entries = this.entriesFor(incidentId, notice);
    const added = await this.store.add(entries);
    const unreachable = entries.filter((e) => e.platform === 'none').map((e) => destinationKey(e.destination));
    if (unreachable.length > 0 && added > 0) this.log.warn({ incidentId, rule: notice.rule, unreachable }, 'outbox: nobody configured to reach these recipients');
    return added;
  }

  /** The entries `enqueue` writes for a notice (also read to tell the timeline who was reached, and how). */
  entriesFor(incidentId: string | undefined, notice: Notice): OutboxEntry[] {
    const now = this.clock.now();
    const entries: OutboxEntry[] = [];
    for (const destination of notice.to) {
      const base = `${incidentId ?? '-'}:${notice.rule}${notice.step ? `:${notice.step}` : ''}:${destinationKey(destination)}`;
      const chat = this.messengers.filter((m) => m.platform !== WEBHOOK_PLATFORM && m.platform !== EMAIL_PLATFORM && m.reaches(destination));
      const platforms = (notice.urgent ? chat : chat.slice(0, 1)).map((m) => m.platform);
      // E-mail (SMTP) reaches whoever chat does not, and everyone when the policy asks for e-mail.
      const email = this.messengers.find((m) => m.platform === EMAIL_PLATFORM);
      if (email?.reaches(destination) && (platforms.length === 0 || notice.channels.includes('email'))) platforms.push(EMAIL_PLATFORM);
      const hook = this.messengers.find((m) => m.platform === WEBHOOK_PLATFORM);
      if (notice.channels.length > 0 && hook?.reaches(destination)) platforms.push(WEBHOOK_PLATFORM);
      // Without SMTP, `email` goes through the webhook (an e-mail gateway); with neither, the e-mail is kept as not sent, and why.
      const noEmailRoute = !hook && !email && destination.kind === 'person' && notice.channels.includes('email');
      const entry = (platform: string): OutboxEntry => ({
        _id: `${base}:${platform}`,
        incidentId,
        rule: notice.rule,
        destination,
        platform,
        text: notice.text,
        card: notice.card,
        actions: notice.actions,
        urgent: notice.urgent,
        ...(notice.files ? { files: notice.files } : {}),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
        dueAt: notice.dueAt ?? now,
      });
      if (platforms.length === 0) {
        // A line for a channel nobody configured (the stakeholder thread) is simply not posted.
        if (notice.optional) continue;
        // Kept, not dropped: `/incident admin outbox` shows who could not be reached and why.
        entries.push({ ...entry('none'), status: 'undeliverable', lastError: `no configured platform reaches ${destinationKey(destination)}` });
      } else {
        entries.push(...platforms.map(entry));
      }
      if (noEmailRoute) entries.push({ ...entry(EMAIL_PLATFORM), status: 'undeliverable', lastError: NO_EMAIL_ROUTE });
    }
    return entries;
  }
}
