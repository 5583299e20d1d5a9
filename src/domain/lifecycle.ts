import type { Directory, Relation } from './directory.js';
import { UserError } from './errors.js';
import type { Incident, Status } from './incident.js';
import { ACTION_RULES } from './action-rules.js';
import { AFTER_CLOSURE_RULES } from './after-closure.js';
import { initialComms, isMajor, MAJOR_RULES } from './major.js';
import { computeClocks } from './sla.js';

export { ACTIONS, type ActionContext, type ActionName, type ActionOutcome, type TransitionRow } from './action.js';
import type { ActionContext, ActionName, ActionOutcome, TransitionRow } from './action.js';

const ACTIVE: readonly Status[] = ['open', 'assigned', 'in_progress', 'pending_change', 'suspended'];
const WORKING: readonly Relation[] = ['assignee', 'group_member', 'incident_manager'];
const DESK: readonly Relation[] = ['first_line', 'incident_manager'];

export const TRANSITIONS: readonly TransitionRow[] = [
  { action: 'classify', from: ACTIVE, who: DESK, ...ACTION_RULES.classify },
  { action: 'change-priority', from: ACTIVE, who: [...DESK, 'major_incident_manager'], ...ACTION_RULES.changePriority },
  { action: 'dispatch', from: ['open'], to: 'assigned', who: DESK, ...ACTION_RULES.dispatch },
  { action: 'accept', from: ['assigned'], to: 'in_progress', who: ['assignee', 'group_member'], ...ACTION_RULES.accept },
  { action: 'reject', from: ['assigned'], to: 'open', who: ['assignee', 'group_member'], ...ACTION_RULES.reject },
  { action: 'redispatch', from: ['assigned', 'in_progress'], to: 'assigned', who: [...WORKING, 'first_line'], ...ACTION_RULES.redispatch },
  { action: 'redispatch', from: ['open'], to: 'assigned', who: DESK, ...ACTION_RULES.redispatch },
  { action: 'update', from: [...ACTIVE, 'resolved'], who: [...WORKING, 'first_line', 'reporter', 'major_incident_manager'], ...ACTION_RULES.update },
  { action: 'suspend', from: ['in_progress'], to: 'suspended', who: WORKING, ...ACTION_RULES.suspend },
  { action: 'resume', from: ['suspended', 'pending_change'], to: 'in_progress', who: WORKING, ...ACTION_RULES.resume },
  { action: 'pending-change', from: ['in_progress'], to: 'pending_change', who: WORKING, ...ACTION_RULES.pendingChange },
  { action: 'resolve', from: ['open'], to: 'resolved', who: DESK, ...ACTION_RULES.resolve },
  { action: 'resolve', from: ['in_progress'], to: 'resolved', who: WORKING, ...ACTION_RULES.resolve },
  // Resolving a master resolves its duplicates wherever they stand (SPEC §10); only the bot does this.
  { action: 'resolve', from: ['assigned', 'pending_change', 'suspended'], to: 'resolved', who: ['system'], ...ACTION_RULES.resolve },
  { action: 'confirm', from: ['resolved'], who: ['reporter', 'incident_manager'], ...ACTION_RULES.confirm },
  // "This fixed it" on a knowledge article offered at report time (SPEC §13): a first-line fix.
  { action: 'kb-fix', from: ['open', 'assigned'], to: 'closed', who: ['reporter', ...DESK], button: false, ...ACTION_RULES.kbFix },
  { action: 'kb-use', from: [...ACTIVE, 'resolved'], who: [...WORKING, 'first_line'], button: false, ...ACTION_RULES.kbUse },
  { action: 'reopen', from: ['resolved'], to: 'in_progress', who: ['reporter', ...DESK], ...ACTION_RULES.reopen },
  { action: 'close', from: ['resolved'], to: 'closed', who: DESK, ...ACTION_RULES.close },
  { action: 'withdraw', from: ['open', 'assigned'], to: 'closed', who: DESK, ...ACTION_RULES.withdraw },
  { action: 'mark-duplicate', from: ['open', 'assigned'], who: DESK, ...ACTION_RULES.markDuplicate },
  { action: 'declare-major', from: ACTIVE, who: ['incident_manager'], ...ACTION_RULES.declareMajor },
  { action: 'request-closure', from: [...ACTIVE, 'resolved'], who: ['reporter'], ...ACTION_RULES.requestClosure },
  // What monitoring says about an incident it opened: repeats, resolved, firing again (only the bot).
  { action: 'alert', from: [...ACTIVE, 'resolved'], who: ['system'], ...ACTION_RULES.alert },
  // After closure (SPEC §11): the record is verified or returned, corrected, rated, called back.
  { action: 'verify', from: ['closed'], who: ['team_lead', 'incident_manager'], ...AFTER_CLOSURE_RULES.verify },
  { action: 'return', from: ['closed'], who: ['team_lead', 'incident_manager'], ...AFTER_CLOSURE_RULES.returnRecord },
  { action: 'correct', from: ['closed'], who: ['closer', 'first_line', 'incident_manager'], button: false, ...AFTER_CLOSURE_RULES.correct },
  { action: 'rate', from: ['closed'], who: ['reporter'], button: false, ...AFTER_CLOSURE_RULES.rate },
  { action: 'link-problem', from: [...ACTIVE, 'resolved', 'closed'], who: [...DESK, ...WORKING, 'problem_manager'], button: false, ...AFTER_CLOSURE_RULES.linkProblem },
  { action: 'follow-up-call', from: ['closed'], who: ['first_line'], button: false, ...AFTER_CLOSURE_RULES.followUpCall },
  // A major incident's recovery and communication plans (SPEC §12).
  { action: 'plan', from: [...ACTIVE, 'resolved'], who: ['major_incident_manager', 'incident_manager'], button: false, ...MAJOR_RULES.plan },
  { action: 'comms-draft', from: [...ACTIVE, 'resolved'], who: ['major_incident_manager', 'incident_manager'], button: false, ...MAJOR_RULES.commsDraft },
  // Approvers are named per audience: the rule checks who.
  { action: 'comms-approve', from: [...ACTIVE, 'resolved', 'closed'], who: ['anyone'], button: false, ...MAJOR_RULES.commsApprove },
  { action: 'comms-reject', from: [...ACTIVE, 'resolved', 'closed'], who: ['anyone'], button: false, ...MAJOR_RULES.commsReject },
  // The post-incident review, written by the bot when a major incident closes.
  { action: 'review-doc', from: ['closed'], who: ['system'], button: false, ...MAJOR_RULES.reviewDoc },
  // A target missed (SPEC §5), written by the target timer when it fires: kept for the KPIs (§15).
  { action: 'target-missed', from: ACTIVE, who: ['system'], button: false, ...ACTION_RULES.targetMissed },
];

export interface Decision {
  row: TransitionRow;
  outcome: ActionOutcome;
  next: Partial<Incident>;
}

/** Decides one action against the table: the status must allow it, the actor must be allowed, the guard must pass. */
export function decide(ctx: ActionContext, action: ActionName): Decision {
  const { incident, relations } = ctx;
  const row = permittedRow(incident, action, relations, ctx.directory);
  const refused = row.guard?.(ctx);
  if (refused) throw refused;
  const outcome = row.apply?.(ctx) ?? { changes: {} };
  const changes: Partial<Incident> = {
    ...outcome.changes,
    updatedAt: ctx.now,
    lastChangeById: ctx.actor.id,
    lastChangeByName: ctx.actor.name,
    lastAction: action,
  };
  if (row.to) changes.status = row.to;
  // Whoever closes it, the record goes to a team lead of the closing group for verification (SPEC §11).
  if (row.to === 'closed' && incident.status !== 'closed') changes.closingGroupId = ctx.directory.closingGroup(ctx.actor.id, incident);
  if (!incident.recorderId && relations.has('first_line')) changes.recorderId = ctx.actor.id;
  const merged = { ...incident, ...changes } as Incident;
  // Becoming a major incident starts its clocks (reviews, management line) and its communication plan.
  if (isMajor(merged, ctx.config.policy) && !merged.majorAt) changes.majorAt = ctx.now;
  if (isMajor(merged, ctx.config.policy) && !merged.comms) changes.comms = initialComms(ctx.config.policy, merged.priority, ctx.now);
  changes.sla = computeClocks(merged, ctx.config.policy);
  return { row, outcome, next: changes };
}

/**
 * The row this actor may take now, or the refusal: wrong status first (with who changed it), then
 * who may. Also used before a form is shown, so nobody fills in a form only to be refused.
 */
export function permittedRow(incident: Incident, action: ActionName, relations: Set<Relation>, directory: Directory): TransitionRow {
  // Rows only the bot may take do not exist for people: for them the status is simply wrong.
  const rows = TRANSITIONS.filter((row) => row.action === action && (relations.has('system') || row.who.some((w) => w !== 'system')));
  const fromStatus = rows.filter((row) => row.from.includes(incident.status));
  if (fromStatus.length === 0) throw refusalForStatus(incident, action, rows, relations, directory);
  const row = fromStatus.find((r) => r.who.some((relation) => relations.has(relation)));
  if (!row) throw new UserError('not_allowed', { id: incident.id, action, who: whoMay(fromStatus).filter((r) => r !== 'system').join(',') });
  return row;
}

/** The actions a card may offer in a status: those some relation may take (the table drives the buttons). */
export function actionsAvailable(status: Status): ActionName[] {
  const seen = new Set<ActionName>();
  // Rows only the bot may take (a cascade, monitoring) are not something a person can press.
  // Nor are those a button cannot carry (button: false).
  for (const row of TRANSITIONS) if (row.from.includes(status) && !(row.who.length === 1 && row.who[0] === 'system') && row.button !== false) seen.add(row.action);
  return [...seen];
}

/** Whether this actor may attempt the action now (status and relation), without running guards. */
export function mayAttempt(action: ActionName, incident: Incident, relations: Set<Relation>): boolean {
  return TRANSITIONS.some(
    (row) => row.action === action && row.from.includes(incident.status) && row.who.some((r) => relations.has(r)),
  );
}

export function whoMay(rows: readonly TransitionRow[]): Relation[] {
  return [...new Set(rows.flatMap((row) => row.who))];
}

/**
 * Why this status refuses the action, saying what this person could do instead: the statuses from
 * which one of their rows allows it, or, when none does, who may. Rows of others are not offered.
 */
function refusalForStatus(incident: Incident, action: ActionName, rows: readonly TransitionRow[], relations: Set<Relation>, directory: Directory): UserError {
  const id = incident.id;
  const by = incident.lastChangeByName ?? directory.nameOf(incident.lastChangeById);
  if (action === 'accept' && incident.ownerId && incident.status !== 'open') {
    return new UserError('already_accepted', { id, by: directory.nameOf(incident.ownerId) });
  }
  if (incident.status === 'closed') {
    return new UserError('already_closed', { id, by: directory.nameOf(incident.closedById ?? incident.lastChangeById) });
  }
  if (incident.status === 'resolved' && ['resolve', 'suspend', 'resume', 'accept', 'withdraw'].includes(action)) {
    return new UserError('already_resolved', { id, by: directory.nameOf(incident.resolvedById ?? incident.lastChangeById) });
  }
  const mine = rows.filter((row) => row.who.some((relation) => relations.has(relation)));
  if (mine.length === 0) return new UserError('not_allowed', { id, action, who: whoMay(rows).filter((r) => r !== 'system').join(',') });
  const allowedFrom = [...new Set(mine.flatMap((r) => r.from))];
  return new UserError('wrong_status', { id, action, status: incident.status, by, allowed: allowedFrom.join(',') });
}
