import { PRIORITIES, type Policy, type Priority } from '../config/config.schema.js';
import type { Incident } from './incident.js';
import { nextReview } from './major.js';

/**
 * What time does to an incident (SPEC §4–§9), planned as data: pure functions of (incident,
 * policy, now). The scheduler keeps one job per incident at the earliest unfired timer; each timer
 * has a key that is stable across re-plans, so a timer fires once however often it is planned.
 */
export type TimerRule = 'target' | 'escalation' | 'notification' | 'update' | 'upgrade' | 'verification' | 'plan-action' | 'review' | 'review-missed' | 'comms' | 'management' | 'management-escalation';
export type TargetName = 'respond' | 'accept' | 'resolve';
export type UpdateKind = 'first' | 'reminder' | 'after_resolution';

export interface PlannedTimer {
  /** Unique per incident: rule + step (e.g. "escalation:1", "target:accept:1700000000000"). */
  key: string;
  rule: TimerRule;
  dueAt: Date;
  /** Escalation / notification tier (0-based) and the roles it reaches. */
  tier?: number;
  roles?: string[];
  target?: TargetName;
  update?: UpdateKind;
  /** A recovery-plan action's number; an audience of the communication plan; the review meeting's time. */
  n?: number;
  audience?: string;
  at?: Date;
}

/** Reminders planned ahead; the plan is renewed on every change and when it runs out. */
const REMINDER_HORIZON = 4;

const LIVE = new Set(['open', 'assigned', 'in_progress', 'pending_change']);

/** Every timer this incident should have now; suspended incidents have none (their clocks pause). */
export function planTimers(incident: Incident, policy: Policy, now: Date): PlannedTimer[] {
  const timers: PlannedTimer[] = [];
  if (LIVE.has(incident.status)) {
    timers.push(...targetTimers(incident));
    timers.push(...tierTimers(incident, 'escalation', policy.escalation[incident.priority]));
    timers.push(...tierTimers(incident, 'notification', policy.notification[incident.priority].steps));
    timers.push(...updateTimers(incident, policy, now));
    const upgrade = upgradeTimer(incident, policy);
    if (upgrade) timers.push(upgrade);
    if (incident.major || incident.priority === policy.majorPriority) timers.push(...majorTimers(incident, policy, now));
  }
  const report = afterResolutionTimer(incident, policy);
  if (report) timers.push(report);
  const verification = verificationTimer(incident, policy);
  if (verification) timers.push(verification);
  return timers.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.key.localeCompare(b.key));
}

/** Time since creation the clocks count (suspensions excluded) → the wall-clock moment it is reached. */
function afterCreation(incident: Incident, ms: number): Date {
  return new Date(incident.createdAt.getTime() + incident.pausedMs + ms);
}

/** SPEC §5: each running target that is not met yet fires a miss at its due time. */
function targetTimers(incident: Incident): PlannedTimer[] {
  const timers: PlannedTimer[] = [];
  const { respond, accept, resolve } = incident.sla;
  // A miss already on the record (the target-missed event this timer wrote) is not planned again.
  const recorded = (target: 'respond' | 'accept' | 'resolve', due: Date) => incident.missed?.[target]?.getTime() === due.getTime();
  if (respond.dueAt && !respond.metAt && incident.status === 'open' && !recorded('respond', respond.dueAt)) {
    timers.push({ key: 'target:respond', rule: 'target', target: 'respond', dueAt: respond.dueAt });
  }
  // A re-dispatch starts a new accept clock: a new key, so its miss is reported too.
  if (accept.dueAt && !accept.metAt && incident.status === 'assigned' && incident.dispatchedAt && !recorded('accept', accept.dueAt)) {
    timers.push({ key: `target:accept:${incident.dispatchedAt.getTime()}`, rule: 'target', target: 'accept', dueAt: accept.dueAt });
  }
  if (resolve.dueAt && !resolve.metAt && (incident.status === 'in_progress' || incident.status === 'pending_change') && !recorded('resolve', resolve.dueAt)) {
    timers.push({ key: 'target:resolve', rule: 'target', target: 'resolve', dueAt: resolve.dueAt });
  }
  return timers;
}

/**
 * SPEC §6 and §7: tiers counted from creation while unresolved. Tier i keeps its key across a
 * priority change, so a tier already sent is not sent again; a tier still to come moves to the
 * new priority's minute.
 */
function tierTimers(incident: Incident, rule: 'escalation' | 'notification', tiers: readonly { after: number; roles: string[] }[]): PlannedTimer[] {
  return tiers.map((tier, i) => ({ key: `${rule}:${i}`, rule, tier: i, roles: tier.roles, dueAt: afterCreation(incident, tier.after) }));
}

/**
 * SPEC §8: the first stakeholder report at `first`, then a reminder to the owner every `every`
 * counted from the last update posted (or from the first report), clocks paused while suspended.
 */
function updateTimers(incident: Incident, policy: Policy, now: Date): PlannedTimer[] {
  const cadence = policy.updates[incident.priority];
  const timers: PlannedTimer[] = [{ key: 'update:first', rule: 'update', update: 'first', dueAt: afterCreation(incident, cadence.first) }];
  const base = incident.lastUpdateAt
    ? incident.lastUpdateAt.getTime() + (incident.pausedMs - (incident.lastUpdatePausedMs ?? incident.pausedMs))
    : afterCreation(incident, cadence.first).getTime();
  // Only the latest reminder already due is kept (a long outage of the bot sends one, not dozens).
  const elapsed = now.getTime() - base;
  const firstStep = Math.max(1, Math.floor(elapsed / cadence.every));
  for (let k = firstStep; k < firstStep + REMINDER_HORIZON; k++) {
    const dueAt = new Date(base + k * cadence.every);
    timers.push({ key: `update:reminder:${dueAt.getTime()}`, rule: 'update', update: 'reminder', dueAt });
  }
  return timers;
}

/** SPEC §8: the report after resolution, kept even if the incident is closed meanwhile. */
function afterResolutionTimer(incident: Incident, policy: Policy): PlannedTimer | undefined {
  if (!incident.resolvedAt || incident.withdrawn || (incident.status !== 'resolved' && incident.status !== 'closed')) return undefined;
  const dueAt = new Date(incident.resolvedAt.getTime() + policy.updates[incident.priority].afterResolution);
  return { key: `update:after_resolution:${incident.resolvedAt.getTime()}`, rule: 'update', update: 'after_resolution', dueAt };
}

/** SPEC §11: a closed record not verified (nor returned) by `remindAfter` after its closure or correction reminds the team lead, once. */
function verificationTimer(incident: Incident, policy: Policy): PlannedTimer | undefined {
  if (incident.status !== 'closed' || incident.verifiedAt || incident.returned || !incident.closedAt) return undefined;
  const from = (incident.correctedAt ?? incident.closedAt).getTime();
  return { key: `verification:${from}`, rule: 'verification', dueAt: new Date(from + policy.closure.verification.remindAfter) };
}

/**
 * SPEC §12, a major incident: each open plan action at its due time (to its owner); the recovery
 * team's review meetings (the plan's next review, else the cadence from the last plan version or
 * from becoming major), each missed one — no new plan version by `reviewGrace` after it — told to
 * the incident managers; each audience's update reminder before it is due; the management line's
 * summaries at their cadence.
 */
function majorTimers(incident: Incident, policy: Policy, now: Date): PlannedTimer[] {
  const timers: PlannedTimer[] = [];
  const { plan, comms } = incident;
  const major = policy.major;
  for (const action of plan?.actions ?? []) {
    if (!action.done && action.dueAt) timers.push({ key: `plan-action:${action.n}:${action.dueAt.getTime()}`, rule: 'plan-action', n: action.n, dueAt: action.dueAt });
  }
  const since = incident.majorAt ?? incident.createdAt;
  const first = nextReview(incident, policy);
  for (let k = 0; k < REMINDER_HORIZON; k++) {
    const at = new Date(first.getTime() + k * major.reviewEvery);
    timers.push({ key: `review:${at.getTime()}`, rule: 'review', at, dueAt: at });
    timers.push({ key: `review-missed:${at.getTime()}`, rule: 'review-missed', at, dueAt: new Date(at.getTime() + major.reviewGrace) });
  }
  for (const audience of comms?.audiences ?? []) {
    const dueAt = new Date(Math.max(audience.nextDueAt.getTime() - major.commsRemindBefore, since.getTime()));
    timers.push({ key: `comms:${audience.audience}:${audience.nextDueAt.getTime()}`, rule: 'comms', audience: audience.audience, at: audience.nextDueAt, dueAt });
  }
  major.managementEscalation.forEach((tier, i) => {
    timers.push({ key: `management-escalation:${i}`, rule: 'management-escalation', tier: i, roles: tier.roles, dueAt: new Date(since.getTime() + tier.after) });
  });
  // The management line: the latest summary already due and a few ahead (like update reminders).
  const elapsed = now.getTime() - since.getTime();
  const firstStep = Math.max(1, Math.floor(elapsed / major.managementEvery));
  for (let k = firstStep; k < firstStep + REMINDER_HORIZON; k++) {
    const dueAt = new Date(since.getTime() + k * major.managementEvery);
    timers.push({ key: `management:${dueAt.getTime()}`, rule: 'management', dueAt });
  }
  return timers;
}

/** SPEC §4: a normal incident still unresolved after `unresolvedAfter` becomes at least `unresolvedMinimum`. */
function upgradeTimer(incident: Incident, policy: Policy): PlannedTimer | undefined {
  const { unresolvedAfter, unresolvedMinimum } = policy.upgrades;
  if (!isLower(incident.priority, unresolvedMinimum)) return undefined;
  return { key: 'upgrade', rule: 'upgrade', dueAt: afterCreation(incident, unresolvedAfter) };
}

/** P3 is lower than P2. */
export function isLower(priority: Priority, than: Priority): boolean {
  return PRIORITIES.indexOf(priority) > PRIORITIES.indexOf(than);
}

/** The earliest timer not fired yet, or undefined when nothing is left to do. */
export function nextUnfired(timers: readonly PlannedTimer[], fired: ReadonlySet<string>): PlannedTimer | undefined {
  return timers.find((timer) => !fired.has(timer.key));
}
