import type { Logger } from 'pino';
import type { Clock } from '../app/clock.js';
import type { CommittedChange, IncidentService } from '../app/incident-service.js';
import { isUserError } from '../domain/errors.js';
import type { Incident } from '../domain/incident.js';
import { nextUnfired, planTimers, type PlannedTimer } from '../domain/timers.js';
import type { Catalog } from '../i18n/index.js';
import type { Notices } from '../outbox/notices.js';
import type { Outbox } from '../outbox/outbox.js';
import type { StoredPlan, TimerStore } from './timer.store.js';
import { timelineNote } from './timer-notes.js';
import { formatDuration } from '../config/duration.js';

/** Wakes an incident's timers at a time: the wake-up log in production, a fake in tests. Extra wake-ups are harmless. */
export interface TimerScheduler {
  schedule(incidentId: string, at: Date): Promise<void>;
}

/** The counters a fired timer increments (/metrics; BotMetrics in production). */
export interface TimerMetrics {
  /** A resolution target (respond, accept, resolve) was missed: its timer fired. */
  slaTargetMissed(priority: string, target: string): void;
  /** An escalation tier fired; `tier` counts from 1, as the escalation messages do. */
  escalationFired(priority: string, tier: number): void;
}

export interface FiredResult {
  key: string;
  dueAt: Date;
  lateMs: number;
}

export interface TimerDeps {
  service: IncidentService;
  timers: TimerStore;
  outbox: Outbox;
  notices: Notices;
  scheduler: TimerScheduler;
  clock: Clock;
  log: Logger;
  m: Catalog;
  /** A timer fired this much after it was due says so in its message, even if the bot was running. */
  lateAfterMs?: number;
  /** Counts missed targets and fired escalations (/metrics); each timer once, by the process that marks it fired. */
  metrics?: TimerMetrics;
}

const DEFAULT_LATE_AFTER_MS = 60_000;
/** A timer that fell due before this process started, fired more than this late, was missed while the bot was down. */
const DOWNTIME_GRACE_MS = 1_000;

/**
 * Time-driven behaviour (SPEC §4–§9). After every committed change: the status notifications go to
 * the outbox and the incident's timers are re-planned. When a wake-up comes, every timer due is
 * fired once: its key is recorded with a unique insert and its messages have unique outbox keys,
 * so a job run twice (FerretDB's non-atomic lock, two processes) or replayed after a crash does
 * each thing once.
 */
export class TimerService {
  private readonly startedAt: Date;

  constructor(private readonly deps: TimerDeps) {
    this.startedAt = deps.clock.now();
  }

  /** The core's change listener. */
  readonly onChange = async ({ incident, event }: CommittedChange): Promise<void> => {
    const { notices, outbox } = this.deps;
    for (const notice of notices.forEvent(incident, event)) await outbox.enqueue(incident.id, notice);
    await this.replan(incident.id, incident);
  };

  /**
   * Plans the incident's timers as of `committed`, the revision the caller just wrote (planned
   * without reading it back), or as stored now, and schedules the next wake-up. A change that lands
   * meanwhile is planned by its own change listener (or, after a crash, by the sweep), and every
   * plan is kept under its revision: a wake-up from an older plan fires the plan of the incident
   * as it is then (`fire`), so no second look for a newer change is needed here.
   */
  async replan(incidentId: string, committed?: Incident): Promise<StoredPlan | undefined> {
    const { service, timers, clock } = this.deps;
    const incident = committed ?? (await service.deps.store.load(incidentId));
    if (!incident) return undefined;
    const made: StoredPlan = { incidentId, rev: incident.rev, madeAt: clock.now(), timers: planTimers(incident, service.config.policy, clock.now()) };
    // A revision is planned once: a replay (or another process) finds the first plan and keeps it.
    const plan = (await timers.savePlan(made)) ? made : ((await timers.plan(incidentId, incident.rev)) ?? made);
    await this.scheduleNext(plan, await this.firedAmong(plan, clock.now()));
    return plan;
  }

  /** The wake-up handler: fires what is due for this incident, then schedules its next wake-up. */
  async fire(incidentId: string): Promise<FiredResult[]> {
    const { service, timers, clock } = this.deps;
    const incident = await service.deps.store.load(incidentId);
    if (!incident) return [];
    const now = clock.now();
    const stored = await timers.plan(incidentId, incident.rev);
    // No plan for this revision (a crash between commit and plan) is planned again, as of the last change.
    const fresh = () => planTimers(incident, service.config.policy, now);
    const plan = extended(stored ?? { incidentId, rev: incident.rev, madeAt: incident.updatedAt, timers: fresh() }, fresh, now);
    const fired = await this.firedAmong(plan, now);
    const results: FiredResult[] = [];
    for (const timer of plan.timers) {
      if (timer.dueAt > now || fired.has(timer.key)) continue;
      const lateMs = this.lateness(timer, plan, now);
      await this.execute(incident, timer, lateMs);
      if (await timers.markFired({ incidentId, key: timer.key, rule: timer.rule, dueAt: timer.dueAt, firedAt: now, lateMs })) {
        results.push({ key: timer.key, dueAt: timer.dueAt, lateMs });
        this.count(incident, timer);
      }
      fired.add(timer.key);
    }
    // A change made meanwhile (by someone, or the upgrade above) re-plans through its own change
    // listener; this plan's next wake-up is then one extra, harmless.
    await this.scheduleNext(extended(plan, fresh, now), fired);
    return results;
  }

  /** Which of the plan's timers due by `now` have fired: one `_id` lookup each, no query. */
  private async firedAmong(plan: StoredPlan, now: Date): Promise<Set<string>> {
    const due = plan.timers.filter((t) => t.dueAt <= now);
    const fired = await Promise.all(due.map((t) => this.deps.timers.isFired(plan.incidentId, t.key)));
    return new Set(due.filter((_, i) => fired[i]).map((t) => t.key));
  }

  private async scheduleNext(plan: StoredPlan, fired: Set<string>): Promise<void> {
    const next = nextUnfired(plan.timers, fired);
    if (next) await this.deps.scheduler.schedule(plan.incidentId, next.dueAt);
  }

  /**
   * How late a timer fires, when that is worth saying: it fell due while no bot was running (due
   * before this process started), or the bot was far behind. A timer that only became due by a
   * change (an upgrade making past minutes apply) is not late.
   */
  private lateness(timer: PlannedTimer, plan: StoredPlan, now: Date): number {
    const expected = Math.max(timer.dueAt.getTime(), plan.madeAt.getTime());
    const late = now.getTime() - expected;
    const missedWhileDown = expected < this.startedAt.getTime() && late > DOWNTIME_GRACE_MS;
    return missedWhileDown || late > (this.deps.lateAfterMs ?? DEFAULT_LATE_AFTER_MS) ? now.getTime() - timer.dueAt.getTime() : 0;
  }

  /** Metrics of a timer this process fired (no database work). */
  private count(incident: Incident, timer: PlannedTimer): void {
    const { metrics } = this.deps;
    if (!metrics) return;
    if (timer.rule === 'target' && timer.target) metrics.slaTargetMissed(incident.priority, timer.target);
    if (timer.rule === 'escalation' && timer.tier !== undefined) metrics.escalationFired(incident.priority, timer.tier + 1);
  }

  /** The miss as an event, once (keyed); refused when the target was met meanwhile. */
  private async recordMiss(incident: Incident, target: string): Promise<void> {
    const { service, log } = this.deps;
    const due = incident.sla[target as 'respond' | 'accept' | 'resolve'].dueAt;
    try {
      await service.systemAct(incident.id, 'target-missed', { target }, `timer:${incident.id}:missed:${target}:${due?.getTime() ?? 0}`);
    } catch (error) {
      if (!isUserError(error)) throw error;
      log.info({ incidentId: incident.id, target, code: error.code }, 'timers: target miss not recorded');
    }
  }

  private async execute(incident: Incident, timer: PlannedTimer, lateMs: number): Promise<void> {
    const { service, notices, outbox, m, log } = this.deps;
    if (timer.rule === 'upgrade') {
      const { unresolvedMinimum, unresolvedAfter } = service.config.policy.upgrades;
      try {
        await service.systemAct(incident.id, 'change-priority', { priority: unresolvedMinimum, reason: m.notify.upgradeReason({ after: formatDuration(unresolvedAfter, m.duration) }) }, `timer:${incident.id}:upgrade`);
      } catch (error) {
        if (!isUserError(error)) throw error;
        log.info({ incidentId: incident.id, code: error.code }, 'timers: automatic upgrade not needed');
      }
      return;
    }
    // A missed target is stored as it is missed (SPEC §5, §15): an event on the record.
    if (timer.rule === 'target' && timer.target) await this.recordMiss(incident, timer.target);
    const sent = notices.forTimer(incident, timer, lateMs);
    if (sent.length === 0) return;
    for (const notice of sent) await outbox.enqueue(incident.id, notice);
    // Stakeholders follow escalations and the §8 reports as a line in the incident's thread.
    const line = notices.forThread(incident, timer);
    if (line) await outbox.enqueue(incident.id, line);
    // The timeline keeps who was told, when and how: a note beside the event log, so the revision stays.
    const note = timelineNote({
      incident, timer, lateMs, policy: service.config.policy, directory: service.directory, firedAt: this.deps.clock.now(), urgent: sent.some((n) => n.urgent),
      entries: sent.flatMap((notice) => outbox.entriesFor(incident.id, notice)), threadEntries: line ? outbox.entriesFor(incident.id, line) : [],
    });
    if (note) await service.notes.add(note);
  }
}

/**
 * A plan with no timer left to come of some rule gets that rule's timers a fresh plan has and it
 * has not: the update reminders (and a major incident's reviews and summaries) are planned only a
 * few ahead, and an incident left alone runs past them. (The fresh
 * plan holds the latest reminder already due, so the one due this very moment is not skipped.)
 */
function extended(plan: StoredPlan, fresh: () => PlannedTimer[], now: Date): StoredPlan {
  // Per rule: a major incident's review meetings still to come must not stop its update reminders.
  const ahead = new Set(plan.timers.filter((t) => t.dueAt > now).map((t) => t.rule));
  if (plan.timers.every((t) => ahead.has(t.rule))) return plan;
  const keys = new Set(plan.timers.map((t) => t.key));
  const more = fresh().filter((t) => !keys.has(t.key) && !ahead.has(t.rule));
  if (more.length === 0) return plan;
  return { ...plan, timers: [...plan.timers, ...more].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.key.localeCompare(b.key)) };
}
