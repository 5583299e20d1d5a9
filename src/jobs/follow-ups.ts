import type { Logger } from 'pino';
import { dueMonth, monthRange, sampleForCalls } from '../domain/follow-up.js';
import type { Notices } from '../outbox/notices.js';
import type { Outbox } from '../outbox/outbox.js';
import type { IncidentService } from '../app/incident-service.js';

export interface DrawResult {
  month: string;
  /** Calls queued by this run (0 when the month was drawn before). */
  drawn: number;
  /** When the month was drawn, if before this run. */
  drawnBefore?: Date;
}

/**
 * The monthly follow-up draw (SPEC §11 回访): on the policy's day, the policy's share of last
 * month's closed incidents (every priority, every major) goes to the service desk as a queue of
 * calls, and the desk on duty is told. Run by an Agenda recurring job; a month is drawn once.
 */
export class FollowUps {
  constructor(private readonly deps: { service: IncidentService; outbox: Outbox; notices: Notices; log: Logger }) {}

  /** Draws the month that is due now, if any and not drawn yet. */
  async runDue(): Promise<DrawResult | undefined> {
    const { service } = this.deps;
    const month = dueMonth(service.deps.clock.now(), service.config.policy.closure.followUp, service.config.organisation.timezone);
    if (!month) return undefined;
    return this.draw(month);
  }

  /** Draws one month ("2026-10"); a month drawn before is left as it is. */
  async draw(month: string): Promise<DrawResult> {
    const { service, outbox, notices, log } = this.deps;
    const drawnBefore = await service.followUps.drawnAt(month);
    if (drawnBefore) return { month, drawn: 0, drawnBefore };
    const range = monthRange(month, service.config.organisation.timezone);
    if (!range) throw new Error(`not a month: ${month}`);
    const closed = await service.deps.store.closedBetween(range.from, range.to);
    const sample = sampleForCalls(closed, service.config.policy.closure.followUp.share, month);
    const now = service.deps.clock.now();
    if (!(await service.followUps.draw(month, sample, now))) return { month, drawn: 0, drawnBefore: (await service.followUps.drawnAt(month)) ?? now };
    // Nothing to call (a quiet month, a new installation): the month is drawn, nobody is disturbed.
    if (sample.length > 0) for (const notice of notices.forDesk(`follow-up:${month}`, ({ m }) => m.notify.followUpQueue({ month, count: sample.length, closed: closed.length }))) await outbox.enqueue(undefined, notice);
    log.info({ month, drawn: sample.length, closed: closed.length }, 'follow-up calls drawn');
    return { month, drawn: sample.length };
  }
}
