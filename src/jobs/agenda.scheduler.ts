import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Db } from 'mongodb';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { TimerScheduler } from './timer.service.js';

export const TIMER_JOB = 'incident-timers';

export interface AgendaSettings {
  /** How often Agenda looks for jobs; jobs due within it are locked ahead and started on time. */
  processEveryMs: number;
  maxConcurrency: number;
  /** A job whose process died is run again by another (or the restarted one) after this. Handlers take well under a second and are idempotent, so short is safe. */
  lockLifetimeMs: number;
  /** Jobs locked per look, so one process does not hoard the work of many. */
  lockLimit: number;
}

export const DEFAULT_AGENDA: AgendaSettings = { processEveryMs: 1_000, maxConcurrency: 50, lockLifetimeMs: 10_000, lockLimit: 200 };

/**
 * Agenda as the scheduler: one one-shot job per incident wake-up (unique on incident + time, so
 * a repeated schedule adds nothing), removed when done. A job never reschedules itself: the
 * handler asks for the next wake-up as a new job, so nothing Agenda writes after a run can
 * overwrite a wake-up planned meanwhile. Jobs left over from an earlier plan fire and do nothing.
 */
export class AgendaScheduler implements TimerScheduler {
  readonly agenda: Agenda;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    conn: Connection,
    private readonly handler: (incidentId: string) => Promise<unknown>,
    private readonly log: Logger,
    settings: Partial<AgendaSettings> = {},
  ) {
    const s = { ...DEFAULT_AGENDA, ...settings };
    this.agenda = new Agenda({
      backend: new MongoBackend({ mongo: conn.db as unknown as Db, collection: 'agendaJobs' }),
      processEvery: s.processEveryMs,
      maxConcurrency: s.maxConcurrency,
      defaultConcurrency: s.maxConcurrency,
      defaultLockLimit: s.lockLimit,
      defaultLockLifetime: s.lockLifetimeMs,
      removeOnComplete: true,
    });
    this.agenda.define(TIMER_JOB, async (job) => {
      const { incidentId } = job.attrs.data as { incidentId: string };
      const run = this.handler(incidentId);
      this.running.add(run);
      try {
        await run;
      } finally {
        this.running.delete(run);
      }
    });
    this.agenda.on('fail', (error: Error, job: { attrs: { data?: unknown } }) => {
      this.log.error({ err: error, job: job.attrs.data }, 'timers: job failed; the incident is planned again on its next change or restart');
    });
    this.agenda.on('error', (error: Error) => this.log.error({ err: error }, 'timers: Agenda error'));
  }

  async start(): Promise<void> {
    await this.agenda.start();
  }

  async schedule(incidentId: string, at: Date): Promise<void> {
    await this.agenda
      .create(TIMER_JOB, { incidentId, at: at.getTime() })
      .unique({ 'data.incidentId': incidentId, 'data.at': at.getTime() }, { insertOnly: true })
      .schedule(at)
      .save();
  }

  /**
   * Graceful stop: no new jobs, every lock released at once (so another process takes the jobs
   * this one had locked ahead), then up to `timeoutMs` for handlers already running to finish.
   * A handler cut short is harmless: its work is claimed by unique keys and done again once.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    await this.agenda.stop();
    const running = [...this.running];
    if (running.length === 0) return;
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    const outcome = await Promise.race([Promise.allSettled(running), timeout]);
    if (outcome === 'timeout') this.log.warn({ running: this.running.size }, 'timers: handlers still running at shutdown; their work is redone once elsewhere');
  }
}
