import { placeOf } from './taxonomy.js';
import { PRIORITIES, type Priority } from '../config/config.schema.js';
import { UserError } from './errors.js';
import type { AlertInfo, Incident, Level } from './incident.js';
import type { ActionContext, ActionOutcome, Rule } from './action.js';
import { higherOf, matrixPriority } from './priority.js';
import { lineOf, TARGETS, type Target } from './kpi.js';


/** Reads a required free-text field; empty or whitespace-only counts as missing. */
function required(ctx: ActionContext, field: string): string {
  const value = ctx.input[field];
  if (typeof value !== 'string' || value.trim() === '') throw new UserError('field_required', { id: ctx.incident.id, field });
  return value.trim();
}

function optional(ctx: ActionContext, field: string): string | undefined {
  const value = ctx.input[field];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function requireGroup(ctx: ActionContext, field: string): string {
  const groupId = required(ctx, field);
  if (!ctx.directory.group(groupId)) throw new UserError('unknown_group', { group: groupId });
  return groupId;
}

/** An optional assignee must be a member of the group it is dispatched with. */
function assigneeIn(ctx: ActionContext, groupId: string): string | undefined {
  const assigneeId = optional(ctx, 'assigneeId');
  if (!assigneeId) return undefined;
  if (!ctx.directory.person(assigneeId)) throw new UserError('unknown_person', { person: assigneeId });
  if (!ctx.directory.isMember(assigneeId, groupId)) {
    throw new UserError('assignee_not_in_group', { person: ctx.directory.nameOf(assigneeId), group: ctx.directory.nameOf(groupId) });
  }
  return assigneeId;
}

/** After two failed dispatches or too many re-dispatches, only the incident manager dispatches (SPEC §9). */
function takeoverGuard(ctx: ActionContext): UserError | undefined {
  if (ctx.incident.managerTakeover && !ctx.relations.has('incident_manager')) {
    return new UserError('manager_takeover', { id: ctx.incident.id });
  }
  return undefined;
}

/** Priority after a change of impact/urgency: the matrix, never below what major or VIP rules demand. */
function reclassifiedPriority(ctx: ActionContext, impact: Level, urgency: Level): Priority {
  const { policy } = ctx.config;
  let priority = matrixPriority(policy, impact, urgency);
  if (ctx.incident.major) priority = higherOf(priority, policy.majorPriority);
  const reporter = ctx.directory.person(ctx.incident.reporterId);
  if (reporter?.vip) priority = higherOf(priority, policy.upgrades.vipMinimum);
  return priority;
}

function priorityChange(ctx: ActionContext, to: Priority, reason: string): Partial<Incident> {
  const { incident, actor, now } = ctx;
  if (to === incident.priority) return {};
  return {
    priority: to,
    priorityLog: [...incident.priorityLog, { at: now, byId: actor.id, byName: actor.name, from: incident.priority, to, reason }],
  };
}

function level(value: unknown, field: string): Level | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (![1, 2, 3, 4].includes(n)) throw new UserError('bad_level', { field });
  return n as Level;
}

const classify: Rule = {
  apply(ctx) {
    const { incident, config } = ctx;
    const changes: Partial<Incident> = {};
    const given = optional(ctx, 'category');
    if (given && !config.policy.categories.some((c) => c.id === given)) throw new UserError('unknown_category', { category: given });
    const serviceId = optional(ctx, 'service');
    if (serviceId) {
      if (!config.policy.services.some((s) => s.id === serviceId)) throw new UserError('unknown_service', { service: serviceId });
      changes.service = serviceId;
    }
    // An area (category › area › sub-area) names its category too; one given with it must agree.
    const area = optional(ctx, 'subcategory');
    const place = area ? placeOf(config.policy, area, given) : undefined;
    const categoryId = given ?? (place && place.category !== incident.category ? place.category : undefined);
    if (categoryId) {
      changes.category = categoryId;
      if (config.policy.categories.find((c) => c.id === categoryId)?.major && !incident.major) changes.major = true;
    }
    if (place) {
      changes.subcategory = place.subcategory;
      changes.subarea = place.subarea;
    } else if (categoryId && categoryId !== incident.category) {
      // A new category without an area: the old category's area no longer applies.
      changes.subcategory = undefined;
      changes.subarea = undefined;
    }
    for (const field of ['ci', 'location', 'title', 'description'] as const) {
      const value = optional(ctx, field);
      if (value) changes[field] = value;
    }
    const impact = level(ctx.input.impact, 'impact') ?? incident.impact;
    const urgency = level(ctx.input.urgency, 'urgency') ?? incident.urgency;
    changes.impact = impact;
    changes.urgency = urgency;
    let target = reclassifiedPriority({ ...ctx, incident: { ...incident, ...changes } }, impact, urgency);
    if (changes.major) target = higherOf(target, config.policy.majorPriority);
    const reason = optional(ctx, 'reason');
    if (target !== incident.priority) {
      if (!reason) throw new UserError('priority_reason_required', { id: incident.id, from: incident.priority, to: target });
      Object.assign(changes, priorityChange(ctx, target, reason));
    }
    return { changes, reason, data: { ...ctx.input } };
  },
};

const changePriority: Rule = {
  apply(ctx) {
    const to = required(ctx, 'priority') as Priority;
    if (!PRIORITIES.includes(to)) throw new UserError('bad_priority', { priority: to });
    if (to === ctx.incident.priority) throw new UserError('priority_unchanged', { id: ctx.incident.id, priority: to });
    const reason = required(ctx, 'reason');
    return { changes: priorityChange(ctx, to, reason), reason, data: { from: ctx.incident.priority, to } };
  },
};

/**
 * Every dispatch after the first is a re-dispatch (SPEC §9): counted, a change of group flagged for
 * the incident manager, and more than the policy allows hands the incident to the incident manager.
 */
function redispatchCounting(ctx: ActionContext, toGroupId: string): { changes: Partial<Incident>; flags: string[] } {
  const { incident, config } = ctx;
  if (!incident.firstDispatchedAt) return { changes: {}, flags: [] };
  const reDispatchCount = incident.reDispatchCount + 1;
  const fromGroupId = incident.groupId ?? incident.lastGroupId;
  const flags: string[] = [];
  if (fromGroupId !== undefined && fromGroupId !== toGroupId) flags.push('cross_group_redispatch');
  const exceeded = reDispatchCount > config.policy.dispatch.maxReDispatches;
  if (exceeded && !incident.managerTakeover) flags.push('manager_takeover');
  return { changes: { reDispatchCount, managerTakeover: incident.managerTakeover || exceeded }, flags };
}

function dispatchTo(ctx: ActionContext, reasonRequired: boolean): ActionOutcome {
  const { incident } = ctx;
  const groupId = requireGroup(ctx, 'groupId');
  const assigneeId = assigneeIn(ctx, groupId);
  const reason = reasonRequired ? required(ctx, 'reason') : optional(ctx, 'reason');
  const counting = redispatchCounting(ctx, groupId);
  const escalation = ctx.input.escalate === true || ctx.input.escalate === 'true';
  const flags = [...counting.flags, ...(escalation ? ['functional_escalation'] : [])];
  return {
    changes: {
      ...counting.changes,
      groupId,
      assigneeId,
      lastGroupId: incident.groupId ?? incident.lastGroupId,
      ownerId: undefined,
      acceptedAt: undefined,
      dispatchedAt: ctx.now,
      firstDispatchedAt: incident.firstDispatchedAt ?? ctx.now,
      escalated: incident.escalated || escalation || flags.includes('cross_group_redispatch'),
    },
    reason,
    note: optional(ctx, 'note'),
    data: { fromGroupId: incident.groupId ?? incident.lastGroupId, groupId, assigneeId, reDispatchCount: counting.changes.reDispatchCount ?? 0 },
    flags,
  };
}

const dispatch: Rule = {
  guard: takeoverGuard,
  apply: (ctx) => dispatchTo(ctx, false),
};

const accept: Rule = {
  apply(ctx) {
    const { incident, actor, now } = ctx;
    return {
      changes: {
        ownerId: actor.id,
        assigneeId: actor.id,
        acceptedAt: now,
        firstAcceptedAt: incident.firstAcceptedAt ?? now,
        escalated: false,
      },
      flags: incident.escalated ? ['accepted_after_escalation'] : [],
    };
  },
};

const reject: Rule = {
  apply(ctx) {
    const { incident, config } = ctx;
    const reason = required(ctx, 'reason');
    const suggestedGroupId = requireGroup(ctx, 'suggestedGroupId');
    const rejectCount = incident.rejectCount + 1;
    const takeover = rejectCount >= config.policy.dispatch.failedDispatchesToManager;
    return {
      changes: {
        rejectCount,
        lastGroupId: incident.groupId,
        assigneeId: undefined,
        groupId: undefined,
        ownerId: undefined,
        managerTakeover: incident.managerTakeover || takeover,
      },
      reason,
      data: { suggestedGroupId, rejectedGroupId: incident.groupId },
      flags: takeover && !incident.managerTakeover ? ['manager_takeover'] : [],
    };
  },
};

const redispatch: Rule = {
  guard(ctx) {
    // From open, a re-dispatch is the dispatch that follows a rejection: there must have been one before.
    if (ctx.incident.status === 'open' && !ctx.incident.firstDispatchedAt) {
      return new UserError('never_dispatched', { id: ctx.incident.id });
    }
    return takeoverGuard(ctx);
  },
  apply: (ctx) => dispatchTo(ctx, true),
};

/**
 * Monitoring's news about an incident it opened: the alert information as it now stands, and a
 * line for the timeline. The flags say what changed (resolved, firing again, flapping).
 */
const alert: Rule = {
  apply(ctx) {
    const info = ctx.input.alert as AlertInfo | undefined;
    if (!info) throw new UserError('field_required', { field: 'alert' });
    const flags = Array.isArray(ctx.input.flags) ? ctx.input.flags.map(String) : [];
    return { changes: { alert: info }, note: optional(ctx, 'note'), flags };
  },
};

/** A progress update: the stakeholder update reminders count from it (SPEC §8). */
const update: Rule = {
  apply(ctx) {
    return { changes: { lastUpdateAt: ctx.now, lastUpdatePausedMs: ctx.incident.pausedMs }, note: required(ctx, 'note') };
  },
};

const suspend: Rule = {
  apply(ctx) {
    return { changes: { suspendedAt: ctx.now }, reason: required(ctx, 'reason') };
  },
};

const resume: Rule = {
  apply(ctx) {
    const { incident, now } = ctx;
    const paused = incident.suspendedAt ? now.getTime() - incident.suspendedAt.getTime() : 0;
    return {
      changes: { suspendedAt: undefined, pausedMs: incident.pausedMs + paused },
      note: optional(ctx, 'note'),
      data: { pausedMs: paused, from: incident.status },
    };
  },
};

const pendingChange: Rule = {
  apply(ctx) {
    const change = required(ctx, 'change');
    return { changes: { links: { ...ctx.incident.links, change } }, note: optional(ctx, 'note'), data: { change } };
  },
};

const resolve: Rule = {
  apply(ctx) {
    const code = required(ctx, 'resolutionCode');
    if (!ctx.config.policy.resolutionCodes.some((c) => c.id === code)) throw new UserError('unknown_resolution_code', { code });
    const solution = required(ctx, 'solution');
    return {
      changes: { resolutionCode: code, solution, resolvedAt: ctx.now, resolvedById: ctx.actor.id, resolvedLine: lineOf(ctx.incident, ctx.config), outageEnd: ctx.incident.outageEnd ?? ctx.now, confirmedAt: undefined },
      note: solution,
      data: { resolutionCode: code },
    };
  },
};

/**
 * The reporter (or first line) says a knowledge article fixed it (SPEC §13): resolved by user
 * instruction with the article's solution, confirmed by the reporter's own answer, and closed as
 * completed in one step — a first-line fix, with the use on the record.
 */
const kbFix: Rule = {
  apply(ctx) {
    const articleId = required(ctx, 'articleId');
    const { policy } = ctx.config;
    const resolutionCode = policy.resolutionCodes.find((c) => c.id === 'resolved-by-user-instruction')?.id ?? policy.resolutionCodes[0]!.id;
    const closureCode = policy.closureCodes.find((c) => c.id === 'completed')?.id ?? policy.closureCodes.find((c) => !c.reopensAsNew && !c.raisesProblem)?.id ?? policy.closureCodes[0]!.id;
    const solution = `${articleId}: ${required(ctx, 'solution')}`;
    return {
      changes: {
        resolutionCode, solution, resolvedAt: ctx.now, resolvedById: ctx.actor.id, resolvedLine: 'first', confirmedAt: ctx.now,
        closureCode, closedAt: ctx.now, closedById: ctx.actor.id, outageEnd: ctx.incident.outageEnd ?? ctx.now,
        knowledge: withArticle(ctx, articleId),
      },
      note: solution,
      data: { articleId, resolutionCode, closureCode },
      flags: ['knowledge_fix'],
    };
  },
};

/** A resolver or first line records that a knowledge article helped with this incident. */
const kbUse: Rule = {
  apply(ctx) {
    const articleId = required(ctx, 'articleId');
    return { changes: { knowledge: withArticle(ctx, articleId) }, note: optional(ctx, 'note'), data: { articleId } };
  },
};

/** The incident's knowledge list with this article on it (once). */
function withArticle(ctx: ActionContext, articleId: string): string[] {
  return [...new Set([...(ctx.incident.knowledge ?? []), articleId])];
}

const confirm: Rule = {
  apply(ctx) {
    return { changes: { confirmedAt: ctx.now }, note: optional(ctx, 'note') };
  },
};

const reopen: Rule = {
  apply(ctx) {
    return {
      changes: { resolvedAt: undefined, resolvedById: undefined, resolvedLine: undefined, resolutionCode: undefined, confirmedAt: undefined, outageEnd: undefined },
      reason: required(ctx, 'reason'),
    };
  },
};

const close: Rule = {
  guard(ctx) {
    // The closure rule: the reporter confirms first; an incident manager may override it.
    if (!ctx.incident.confirmedAt && !ctx.incident.closureRequested && !ctx.relations.has('incident_manager')) {
      return new UserError('close_needs_confirmation', { id: ctx.incident.id, reporter: ctx.incident.reporterName });
    }
    return undefined;
  },
  apply(ctx) {
    const code = required(ctx, 'closureCode');
    const closure = ctx.config.policy.closureCodes.find((c) => c.id === code);
    if (!closure) throw new UserError('unknown_closure_code', { code });
    const flags: string[] = [];
    if (!ctx.incident.confirmedAt && !ctx.incident.closureRequested) flags.push('closure_rule_overridden');
    if (closure.reopensAsNew) flags.push('reopen_as_new');
    if (closure.raisesProblem) flags.push('raise_problem');
    return {
      changes: { closureCode: code, closedAt: ctx.now, closedById: ctx.actor.id },
      note: optional(ctx, 'note'),
      data: { closureCode: code },
      flags,
    };
  },
};

const withdraw: Rule = {
  apply(ctx) {
    const reason = required(ctx, 'reason');
    return {
      changes: {
        withdrawn: true,
        resolutionCode: 'withdrawn-by-user',
        closedAt: ctx.now,
        closedById: ctx.actor.id,
        outageEnd: ctx.incident.outageEnd ?? ctx.now,
      },
      reason,
    };
  },
};

const markDuplicate: Rule = {
  guard(ctx) {
    const masterId = required(ctx, 'masterId');
    const master = ctx.related.get(masterId);
    if (!master) return new UserError('not_found', { id: masterId });
    if (master.id === ctx.incident.id) return new UserError('duplicate_of_itself', { id: master.id });
    if (master.links.masterId) return new UserError('master_is_duplicate', { id: master.id, master: master.links.masterId });
    if (master.status === 'resolved' || master.status === 'closed') return new UserError('master_not_open', { id: master.id, status: master.status });
    if (ctx.incident.links.masterId) return new UserError('already_duplicate', { id: ctx.incident.id, master: ctx.incident.links.masterId });
    return undefined;
  },
  apply(ctx) {
    const masterId = required(ctx, 'masterId');
    return { changes: { links: { ...ctx.incident.links, masterId } }, data: { masterId } };
  },
};

const declareMajor: Rule = {
  guard(ctx) {
    return ctx.incident.major && ctx.incident.majorIncidentManagerId ? new UserError('already_major', { id: ctx.incident.id }) : undefined;
  },
  apply(ctx) {
    const { config, directory, incident } = ctx;
    const managerId = optional(ctx, 'majorIncidentManagerId') ?? directory.majorIncidentManagers()[0];
    if (!managerId || !directory.person(managerId)) throw new UserError('unknown_person', { person: managerId ?? '' });
    const reason = required(ctx, 'reason');
    const changes: Partial<Incident> = {
      major: true,
      majorIncidentManagerId: managerId,
      ...priorityChange(ctx, higherOf(incident.priority, config.policy.majorPriority), reason),
    };
    return { changes, reason, data: { majorIncidentManagerId: managerId } };
  },
};

const requestClosure: Rule = {
  apply(ctx) {
    return { changes: { closureRequested: true }, reason: required(ctx, 'reason') };
  },
};

/**
 * A target's due time passed unmet (the target timer, SPEC §5): the miss is kept on the record as
 * it happens, for the KPIs (§15). Refused when the target was met meanwhile or is already recorded.
 */
const targetMissed: Rule = {
  apply(ctx) {
    const target = required(ctx, 'target') as Target;
    if (!TARGETS.includes(target)) throw new UserError('target_not_missed', { id: ctx.incident.id });
    const clock = ctx.incident.sla[target];
    const recorded = ctx.incident.missed?.[target];
    if (!clock.dueAt || clock.metAt || clock.dueAt > ctx.now || recorded?.getTime() === clock.dueAt.getTime()) throw new UserError('target_not_missed', { id: ctx.incident.id });
    return { changes: { missed: { ...ctx.incident.missed, [target]: clock.dueAt } }, data: { target, dueAt: clock.dueAt.toISOString() }, flags: [`target_missed_${target}`] };
  },
};

export const ACTION_RULES = {
  targetMissed,
  classify,
  changePriority,
  dispatch,
  accept,
  reject,
  redispatch,
  update,
  suspend,
  resume,
  pendingChange,
  resolve,
  kbFix,
  kbUse,
  confirm,
  reopen,
  close,
  withdraw,
  markDuplicate,
  declareMajor,
  requestClosure,
  alert,
} satisfies Record<string, Rule>;
