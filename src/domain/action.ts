import type { ConfigFile } from '../config/config.schema.js';
import type { Actor, Directory, Relation } from './directory.js';
import type { UserError } from './errors.js';
import type { Incident, Status } from './incident.js';

/**
 * What an action is, for the transition table and the rules that fill it (action-rules,
 * after-closure, major): the names, what a rule reads, what it returns, one row of the table.
 */
export const ACTIONS = [
  'classify', 'change-priority', 'dispatch', 'accept', 'reject', 'redispatch', 'update', 'suspend', 'resume',
  'pending-change', 'resolve', 'confirm', 'reopen', 'close', 'withdraw', 'mark-duplicate', 'declare-major',
  'request-closure', 'alert', 'kb-fix', 'kb-use', 'verify', 'return', 'correct', 'rate', 'link-problem', 'follow-up-call',
  'plan', 'comms-draft', 'comms-approve', 'comms-reject', 'review-doc', 'target-missed',
] as const;
export type ActionName = (typeof ACTIONS)[number];

/** Everything an action rule may read: the incident, who acts, the input, policy and directory, the time. */
export interface ActionContext<I = Record<string, unknown>> {
  incident: Incident;
  actor: Actor;
  relations: Set<Relation>;
  input: I;
  config: ConfigFile;
  directory: Directory;
  now: Date;
  /** Other incidents the action names (e.g. the master of a duplicate), loaded by the service. */
  related: Map<string, Incident>;
}

export interface ActionOutcome {
  changes: Partial<Incident>;
  reason?: string;
  note?: string;
  data?: Record<string, unknown>;
  flags?: string[];
}

/** One row of the transition table (SPEC §3, §1): from which statuses, to which, who may, what it checks. */
export interface TransitionRow {
  action: ActionName;
  from: readonly Status[];
  /** `undefined` keeps the current status (notes, confirmations, classification). */
  to?: Status;
  who: readonly Relation[];
  guard?: (ctx: ActionContext) => UserError | undefined;
  apply?: (ctx: ActionContext) => ActionOutcome;
  /** False for an action that needs what a card button cannot carry (the article a kb-fix names): offered where that is known instead. */
  button?: false;
}

/** A row's check and effect, as the rule files declare them. */
export type Rule = Pick<TransitionRow, 'guard' | 'apply'>;
