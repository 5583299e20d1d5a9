import type { Policy } from '../config/config.schema.js';
import type { Directory } from './directory.js';
import { UserError } from './errors.js';
import type { Incident } from './incident.js';
import type { ActionContext, Rule } from './action.js';
import { neededInput, textInput } from './input.js';

/**
 * Managing a major incident (SPEC §12): the recovery plan kept as versions (every save is an event,
 * so the event log holds every version for audit), and the communication plan — audiences with
 * their channel, cadence, next due time and approver, and the updates drafted for them, posted once
 * approved.
 */

export type { Audience, AudiencePlan, Comms, CommsChannel, CommsDraft, Hypothesis, PlanAction, RecoveryPlan } from './major-plan.js';
import type { Audience, AudiencePlan, Comms, CommsDraft, PlanAction, RecoveryPlan } from './major-plan.js';

export function isMajor(incident: Pick<Incident, 'major' | 'priority'>, policy: Pick<Policy, 'majorPriority'>): boolean {
  return incident.major || incident.priority === policy.majorPriority;
}

/**
 * Whether closing the incident writes a post-incident review (SPEC §12): a major incident, not
 * withdrawn. The review is written just after the close, so its war room waits for it before it
 * is archived.
 */
export function getsReview(incident: Pick<Incident, 'major' | 'priority' | 'withdrawn'>, policy: Pick<Policy, 'majorPriority'>): boolean {
  return isMajor(incident, policy) && !incident.withdrawn;
}

/** The communication plan a major incident starts with: the policy's audiences for its priority. */
export function initialComms(policy: Policy, priority: Incident['priority'], now: Date): Comms {
  const audiences = policy.major.communications[priority] ?? [];
  return {
    audiences: audiences.map((a) => ({ audience: a.audience, channel: a.channel, every: a.every, ...(a.approverRole ? { approverRole: a.approverRole } : {}), nextDueAt: new Date(now.getTime() + a.every) })),
    drafts: [],
  };
}

/** Who approves an audience's updates: holders of its role for the incident's group, else the incident managers. */
export function approversOf(audience: AudiencePlan, incident: Pick<Incident, 'groupId' | 'lastGroupId'>, directory: Directory): string[] {
  if (!audience.approverRole) return [];
  const holders = directory.holders(audience.approverRole, incident.groupId ?? incident.lastGroupId);
  return holders.length > 0 ? holders : directory.incidentManagers();
}

/**
 * The recovery team's next review: the one the plan names, else the policy's cadence from the last
 * plan version (or from becoming major, before the first).
 */
export function nextReview(incident: Pick<Incident, 'plan' | 'majorAt' | 'createdAt'>, policy: Pick<Policy, 'major'>): Date {
  const { plan } = incident;
  if (plan?.nextReviewAt && plan.nextReviewAt > plan.savedAt) return plan.nextReviewAt;
  return new Date((plan?.savedAt ?? incident.majorAt ?? incident.createdAt).getTime() + policy.major.reviewEvery);
}


function majorOnly(ctx: ActionContext): UserError | undefined {
  return isMajor(ctx.incident, ctx.config.policy) ? undefined : new UserError('not_major', { id: ctx.incident.id });
}



function dateOf(ctx: ActionContext, field: string): Date | undefined {
  const value = ctx.input[field];
  if (value === undefined || value === '') return undefined;
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new UserError('plan_bad_time', { field });
  return date;
}

function emptyPlan(): Omit<RecoveryPlan, 'version' | 'savedAt' | 'savedById' | 'savedByName'> {
  return { facts: '', breakdown: '', hypotheses: [], actions: [] };
}

/**
 * One change to the recovery plan, saved as its next version: `set` (facts, breakdown), `hypothesis`
 * (text, likelihood 1–5), `action` (text, owner, due), `done` (action n), `review` (next review).
 */
const plan: Rule = {
  guard: majorOnly,
  apply(ctx) {
    const { incident, directory, now } = ctx;
    const max = ctx.config.policy.limits.text;
    const current = incident.plan;
    const next: RecoveryPlan = {
      ...emptyPlan(),
      ...(current ?? {}),
      hypotheses: [...(current?.hypotheses ?? [])],
      actions: (current?.actions ?? []).map((a) => ({ ...a })),
      version: (current?.version ?? 0) + 1,
      savedAt: now,
      savedById: ctx.actor.id,
      savedByName: ctx.actor.name,
    };
    const op = String(ctx.input.op ?? '');
    const newActions: PlanAction[] = [];
    if (op === 'set') {
      const facts = textInput(ctx, 'facts', max);
      const breakdown = textInput(ctx, 'breakdown', max);
      if (!facts && !breakdown) throw new UserError('plan_usage', {});
      if (facts) next.facts = facts;
      if (breakdown) next.breakdown = breakdown;
    } else if (op === 'hypothesis') {
      const likelihood = Number(ctx.input.likelihood);
      if (!Number.isInteger(likelihood) || likelihood < 1 || likelihood > 5) throw new UserError('plan_bad_likelihood', {});
      next.hypotheses.push({ text: neededInput(ctx, 'text', 500), likelihood });
      next.hypotheses.sort((a, b) => b.likelihood - a.likelihood);
    } else if (op === 'action') {
      const ownerId = neededInput(ctx, 'ownerId', 100);
      if (!directory.person(ownerId)) throw new UserError('unknown_person', { person: ownerId });
      const dueAt = dateOf(ctx, 'dueAt');
      const action: PlanAction = { n: next.actions.reduce((max, a) => Math.max(max, a.n), 0) + 1, text: neededInput(ctx, 'text', 500), ownerId, ...(dueAt ? { dueAt } : {}), done: false };
      next.actions.push(action);
      newActions.push(action);
    } else if (op === 'done') {
      const n = Number(ctx.input.n);
      const action = next.actions.find((a) => a.n === n);
      if (!action) throw new UserError('plan_no_action', { id: incident.id, n: String(ctx.input.n ?? '') });
      if (action.done) throw new UserError('plan_action_done', { id: incident.id, n });
      action.done = true;
    } else if (op === 'review') {
      const at = dateOf(ctx, 'reviewAt');
      if (!at) throw new UserError('plan_usage', {});
      if (at <= now) throw new UserError('plan_review_past', {});
      next.nextReviewAt = at;
    } else {
      throw new UserError('plan_usage', {});
    }
    return { changes: { plan: next }, note: textInput(ctx, 'note', max), data: { version: next.version, op, newActions: newActions.map((a) => a.n) } };
  },
};

function draftOf(ctx: ActionContext): CommsDraft {
  const n = Number(ctx.input.draft);
  const draft = ctx.incident.comms?.drafts.find((d) => d.n === n);
  if (!draft) throw new UserError('comms_no_draft', { id: ctx.incident.id, n: String(ctx.input.draft ?? '') });
  return draft;
}

/** Posted: the audience's clock starts again from now. */
function posted(comms: Comms, audience: Audience, now: Date): AudiencePlan[] {
  return comms.audiences.map((a) => (a.audience === audience ? { ...a, lastSentAt: now, nextDueAt: new Date(now.getTime() + a.every) } : a));
}

/** An update drafted for one audience: posted at once, or sent to its approvers first. */
const commsDraft: Rule = {
  guard: majorOnly,
  apply(ctx) {
    const { incident, now, actor } = ctx;
    const comms = incident.comms ?? initialComms(ctx.config.policy, incident.priority, now);
    const audienceId = neededInput(ctx, 'audience', 40);
    const audience = comms.audiences.find((a) => a.audience === audienceId);
    if (!audience) throw new UserError('comms_no_audience', { id: incident.id, audience: audienceId, audiences: comms.audiences.map((a) => a.audience).join(', ') });
    const message = neededInput(ctx, 'text', 2_000);
    const n = comms.drafts.reduce((max, d) => Math.max(max, d.n), 0) + 1;
    const approval = Boolean(audience.approverRole);
    const draft: CommsDraft = { n, audience: audience.audience, text: message, byId: actor.id, byName: actor.name, at: now, state: approval ? 'pending' : 'posted' };
    return {
      changes: { comms: { audiences: approval ? comms.audiences : posted(comms, audience.audience, now), drafts: [...comms.drafts, draft] } },
      note: message,
      data: { draft: n, audience: audience.audience },
      flags: [approval ? 'comms_needs_approval' : 'comms_posted'],
    };
  },
};

function mayApprove(ctx: ActionContext, draft: CommsDraft): UserError | undefined {
  const audience = ctx.incident.comms?.audiences.find((a) => a.audience === draft.audience);
  const approvers = audience ? approversOf(audience, ctx.incident, ctx.directory) : [];
  if (!approvers.includes(ctx.actor.id) && !ctx.relations.has('incident_manager')) {
    return new UserError('comms_not_approver', { id: ctx.incident.id, n: draft.n, who: approvers.map((p) => ctx.directory.nameOf(p)).join(', ') });
  }
  if (draft.state !== 'pending') return new UserError('comms_decided', { id: ctx.incident.id, n: draft.n, state: draft.state, by: draft.decidedByName ?? draft.byName });
  return undefined;
}

/** The approver lets a drafted update go out, as written or edited. */
const commsApprove: Rule = {
  guard(ctx) {
    return majorOnly(ctx) ?? mayApprove(ctx, draftOf(ctx));
  },
  apply(ctx) {
    const { incident, now, actor } = ctx;
    const comms = incident.comms!;
    const draft = draftOf(ctx);
    const edited = textInput(ctx, 'text', 2_000);
    const drafts = comms.drafts.map((d) => (d.n === draft.n ? { ...d, ...(edited ? { text: edited } : {}), state: 'posted' as const, decidedByName: actor.name } : d));
    return {
      changes: { comms: { audiences: posted(comms, draft.audience, now), drafts } },
      note: edited ?? draft.text,
      data: { draft: draft.n, audience: draft.audience, edited: Boolean(edited) },
      flags: ['comms_posted'],
    };
  },
};

const commsReject: Rule = {
  guard(ctx) {
    return majorOnly(ctx) ?? mayApprove(ctx, draftOf(ctx));
  },
  apply(ctx) {
    const comms = ctx.incident.comms!;
    const draft = draftOf(ctx);
    const reason = neededInput(ctx, 'reason', 1_000);
    const drafts = comms.drafts.map((d) => (d.n === draft.n ? { ...d, state: 'rejected' as const, decidedByName: ctx.actor.name, reason } : d));
    return { changes: { comms: { ...comms, drafts } }, reason, data: { draft: draft.n, audience: draft.audience }, flags: ['comms_rejected'] };
  },
};

/** The post-incident review document, kept in the event log (its Markdown and file name). */
const reviewDoc: Rule = {
  apply(ctx) {
    const markdown = neededInput(ctx, 'markdown', 500_000);
    return { changes: {}, data: { markdown, name: `${ctx.incident.id}-post-incident-review.md` } };
  },
};

export const MAJOR_RULES = { plan, commsDraft, commsApprove, commsReject, reviewDoc } satisfies Record<string, Rule>;

/** A plan as lines of text, for showing a version and for the difference between two. */
export function planLines(plan: Pick<RecoveryPlan, 'facts' | 'breakdown' | 'hypotheses' | 'actions' | 'nextReviewAt'>, words: { facts: string; breakdown: string; hypotheses: string; actions: string; review: string; done: string; open: string }, nameOf: (id: string) => string, timeOf: (d: Date | undefined) => string): string[] {
  return [
    `${words.facts}: ${plan.facts || '—'}`,
    `${words.breakdown}: ${plan.breakdown || '—'}`,
    `${words.hypotheses}:`,
    ...plan.hypotheses.map((h, i) => `  ${i + 1}. (${h.likelihood}/5) ${h.text}`),
    `${words.actions}:`,
    ...plan.actions.map((a) => `  #${a.n} [${a.done ? words.done : words.open}] ${a.text} — ${nameOf(a.ownerId)}${a.dueAt ? `, ${timeOf(a.dueAt)}` : ''}`),
    `${words.review}: ${timeOf(plan.nextReviewAt)}`,
  ];
}

/** The lines of `after` that differ from `before`: removed with "-", added with "+" (a line-set difference). */
export function planDiff(before: readonly string[], after: readonly string[]): string[] {
  const old = new Set(before);
  const now = new Set(after);
  return [...before.filter((l) => !now.has(l)).map((l) => `- ${l}`), ...after.filter((l) => !old.has(l)).map((l) => `+ ${l}`)];
}
