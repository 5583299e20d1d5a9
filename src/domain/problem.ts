import type { Actor } from './directory.js';
import { UserError } from './errors.js';

export const PROBLEM_STATUSES = ['open', 'known_error', 'resolved', 'closed'] as const;
export type ProblemStatus = (typeof PROBLEM_STATUSES)[number];

/** How a problem record came to be: a "successful with problem" closure, the end of a major incident, or by hand. */
export type ProblemOrigin = 'closure' | 'major' | 'manual';

/** One line of a problem's timeline: who did what, when, and why. */
export interface ProblemEntry {
  at: Date;
  byId: string;
  byName: string;
  action: string;
  note?: string;
}

/**
 * A problem record (ITIL problem management, SPEC §11 "successful with problem", §12 the end of a
 * major incident): the cause behind one or more incidents, found, worked around and removed.
 */
export interface Problem {
  id: string;
  number: number;
  /** Bumped by every change: a save against an older revision is refused and decided again. */
  rev: number;
  title: string;
  description: string;
  status: ProblemStatus;
  ownerId: string;
  incidents: string[];
  cis: string[];
  services: string[];
  rootCause?: string;
  workaround?: string;
  /** How the cause was removed (a change, a fix). */
  resolution?: string;
  /** The knowledge article its workaround was published as. */
  article?: string;
  origin: ProblemOrigin;
  createdAt: Date;
  updatedAt: Date;
  timeline: ProblemEntry[];
}

export const PROBLEM_ACTIONS = ['edit', 'known-error', 'resolve', 'close', 'reopen', 'link', 'assign', 'publish'] as const;
export type ProblemAction = (typeof PROBLEM_ACTIONS)[number];

/** What an actor is to a problem: its owner, a problem manager (or incident manager), staff who work incidents. */
export type ProblemRole = 'owner' | 'problem_manager' | 'staff';

export interface ProblemContext {
  problem: Problem;
  actor: Actor;
  roles: Set<ProblemRole>;
  input: Record<string, string | undefined>;
  now: Date;
  /** Text fields are at most this long (the policy's limit). */
  maxText: number;
}

interface ProblemRow {
  action: ProblemAction;
  from: readonly ProblemStatus[];
  to?: ProblemStatus;
  who: readonly ProblemRole[];
  apply: (ctx: ProblemContext) => { changes: Partial<Problem>; note?: string };
}

const LIVE: readonly ProblemStatus[] = ['open', 'known_error', 'resolved'];
const MANAGERS: readonly ProblemRole[] = ['owner', 'problem_manager'];

/**
 * The problem lifecycle: open → known error (a workaround is known) → resolved (the root cause is
 * removed) → closed, with reopen from resolved. Every other move is refused with what is allowed.
 */
export const PROBLEM_TRANSITIONS: readonly ProblemRow[] = [
  { action: 'edit', from: LIVE, who: MANAGERS, apply: edit },
  {
    action: 'known-error', from: ['open'], to: 'known_error', who: MANAGERS,
    apply(ctx) {
      const { changes } = edit(ctx);
      if (!(changes.workaround ?? ctx.problem.workaround)) throw new UserError('problem_needs', { id: ctx.problem.id, field: 'workaround' });
      return { changes, note: changes.workaround ?? ctx.problem.workaround };
    },
  },
  {
    action: 'resolve', from: ['open', 'known_error'], to: 'resolved', who: MANAGERS,
    apply(ctx) {
      const { changes } = edit(ctx);
      if (!(changes.rootCause ?? ctx.problem.rootCause)) throw new UserError('problem_needs', { id: ctx.problem.id, field: 'cause' });
      const resolution = field(ctx, 'resolution');
      if (!resolution) throw new UserError('problem_needs', { id: ctx.problem.id, field: 'resolution' });
      return { changes: { ...changes, resolution }, note: resolution };
    },
  },
  { action: 'close', from: ['resolved'], to: 'closed', who: MANAGERS, apply: (ctx) => ({ changes: {}, note: field(ctx, 'note') }) },
  {
    action: 'reopen', from: ['resolved'], to: 'open', who: MANAGERS,
    apply(ctx) {
      const reason = field(ctx, 'reason');
      if (!reason) throw new UserError('problem_needs', { id: ctx.problem.id, field: 'reason' });
      return { changes: { resolution: undefined }, note: reason };
    },
  },
  {
    action: 'link', from: LIVE, who: [...MANAGERS, 'staff'],
    apply(ctx) {
      const incidentId = ctx.input.incidentId ?? '';
      if (ctx.problem.incidents.includes(incidentId)) return { changes: {}, note: incidentId };
      const ci = ctx.input.ci;
      const service = ctx.input.service;
      return {
        changes: {
          incidents: [...ctx.problem.incidents, incidentId],
          cis: ci && !ctx.problem.cis.includes(ci) ? [...ctx.problem.cis, ci] : ctx.problem.cis,
          services: service && !ctx.problem.services.includes(service) ? [...ctx.problem.services, service] : ctx.problem.services,
        },
        note: incidentId,
      };
    },
  },
  {
    action: 'assign', from: LIVE, who: ['problem_manager'],
    apply(ctx) {
      const ownerId = ctx.input.ownerId ?? '';
      return { changes: { ownerId }, note: ctx.input.ownerName ?? ownerId };
    },
  },
  {
    action: 'publish', from: ['known_error', 'resolved'], who: MANAGERS,
    apply(ctx) {
      if (ctx.problem.article) throw new UserError('problem_already_published', { id: ctx.problem.id, article: ctx.problem.article });
      return { changes: { article: ctx.input.articleId ?? '' }, note: ctx.input.articleId };
    },
  },
];

function field(ctx: ProblemContext, name: string): string | undefined {
  const value = ctx.input[name]?.trim();
  if (!value) return undefined;
  if (value.length > ctx.maxText) throw new UserError('too_long', { field: name, max: ctx.maxText });
  return value;
}

/** The fields a person writes: title, description, cause, workaround (each optional). */
function edit(ctx: ProblemContext): { changes: Partial<Problem>; note?: string } {
  const changes: Partial<Problem> = {};
  const title = field(ctx, 'title');
  if (title) {
    if (title.length > 200) throw new UserError('too_long', { field: 'title', max: 200 });
    changes.title = title;
  }
  const description = field(ctx, 'description');
  if (description) changes.description = description;
  const cause = field(ctx, 'cause');
  if (cause) changes.rootCause = cause;
  const workaround = field(ctx, 'workaround');
  if (workaround) changes.workaround = workaround;
  return { changes, note: field(ctx, 'note') };
}

/**
 * Decides one action on a problem against the table: the status must allow it, the actor must hold
 * a role the row names. Returns the next problem (revision +1, the action on its timeline).
 */
export function decideProblem(ctx: ProblemContext, action: ProblemAction): Problem {
  const { problem, roles } = ctx;
  const rows = PROBLEM_TRANSITIONS.filter((r) => r.action === action);
  const row = rows.find((r) => r.from.includes(problem.status));
  if (!row) {
    const allowed = [...new Set(rows.flatMap((r) => r.from))];
    throw new UserError('problem_wrong_status', { id: problem.id, action, status: problem.status, allowed: allowed.join(',') });
  }
  if (!row.who.some((role) => roles.has(role))) throw new UserError('problem_not_allowed', { id: problem.id, action, who: row.who.join(',') });
  const outcome = row.apply(ctx);
  const next: Problem = { ...problem, ...outcome.changes, rev: problem.rev + 1, updatedAt: ctx.now };
  for (const [key, value] of Object.entries(outcome.changes)) if (value === undefined) delete (next as unknown as Record<string, unknown>)[key];
  if (row.to) next.status = row.to;
  const entry: ProblemEntry = { at: ctx.now, byId: ctx.actor.id, byName: ctx.actor.name, action, ...(outcome.note ? { note: outcome.note } : {}) };
  next.timeline = [...problem.timeline, entry];
  return next;
}

export function formatProblemId(n: number): string {
  return `PRB-${String(n).padStart(6, '0')}`;
}

/** "PRB-000042", "prb-42", "PRB42" → "PRB-000042"; undefined when it is not a problem id. */
export function parseProblemRef(ref: string | undefined): string | undefined {
  const match = /^prb-?0*(\d{1,9})$/i.exec((ref ?? '').trim());
  return match ? formatProblemId(Number(match[1])) : undefined;
}
