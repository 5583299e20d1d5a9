import type { Logger } from 'pino';
import type { Clock } from '../app/clock.js';
import type { Messenger } from '../app/platform.js';
import { destinationKey, type Notice } from './notices.js';
import type { OutboxEntry, OutboxStore } from './outbox.store.js';

/** The platform name of the hook for phone/SMS/e-mail gateways (SPEC §7). */
export const WEBHOOK_PLATFORM = 'webhook';

/**
 * Writes notices to the outbox: one entry per recipient and platform, keyed so that writing the
 * same notice again (a replay after a crash, a second process) adds nothing. Which platforms:
 * the first chat platform that reaches the recipient; every one for urgent (P1) notices; plus the
 * webhook when the policy asks for phone/SMS/e-mail.
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
    const now = this.clock.now();
    const entries: OutboxEntry[] = [];
    for (const destination of notice.to) {
      const base = `${incidentId ?? '-'}:${notice.rule}${notice.step ? `:${notice.step}` : ''}:${destinationKey(destination)}`;
      const chat = this.messengers.filter((m) => m.platform !== WEBHOOK_PLATFORM && m.reaches(destination));
      const platforms = (notice.urgent ? chat : chat.slice(0, 1)).map((m) => m.platform);
      const hook = this.messengers.find((m) => m.platform === WEBHOOK_PLATFORM);
      if (notice.channels.length > 0 && hook?.reaches(destination)) platforms.push(WEBHOOK_PLATFORM);
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
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        createdAt: now,
        dueAt: notice.dueAt ?? now,
      });
      if (platforms.length === 0) {
        // Kept, not dropped: `/incident admin outbox` shows who could not be reached and why.
        entries.push({ ...entry('none'), status: 'undeliverable', lastError: `no configured platform reaches ${destinationKey(destination)}` });
      } else {
        entries.push(...platforms.map(entry));
      }
    }
    const added = await this.store.add(entries);
    const unreachable = entries.filter((e) => e.status === 'undeliverable').map((e) => destinationKey(e.destination));
    if (unreachable.length > 0 && added > 0) this.log.warn({ incidentId, rule: notice.rule, unreachable }, 'outbox: nobody configured to reach these recipients');
    return added;
  }
}
