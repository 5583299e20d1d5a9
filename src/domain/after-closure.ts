import { UserError } from './errors.js';
import { CALL_OUTCOMES, type CallOutcome, type Incident } from './incident.js';
import type { ActionContext, Rule } from './action.js';
import { neededInput, textInput } from './input.js';


/**
 * What follows a closure (SPEC §11): the team lead verifies the record or returns it for
 * correction, the closer corrects it, the reporter rates the service once, a problem record is
 * linked, and the monthly follow-up call is recorded. The incident stays closed throughout.
 */



function alreadyVerified(ctx: ActionContext): UserError | undefined {
  const { incident, directory } = ctx;
  if (incident.verifiedAt) return new UserError('already_verified', { id: incident.id, by: directory.nameOf(incident.verifiedById) });
  return undefined;
}

const verify: Rule = {
  guard(ctx) {
    const { incident, directory } = ctx;
    if (incident.returned) return new UserError('awaiting_correction', { id: incident.id, by: directory.nameOf(incident.closedById) });
    return alreadyVerified(ctx);
  },
  apply(ctx) {
    return { changes: { verifiedAt: ctx.now, verifiedById: ctx.actor.id }, note: textInput(ctx, 'note', ctx.config.policy.limits.text) };
  },
};

/** Back to the closer with what is wrong: a correction task; the incident stays closed. */
const returnRecord: Rule = {
  guard(ctx) {
    const { incident, directory } = ctx;
    if (incident.returned) return new UserError('already_returned', { id: incident.id, by: incident.returned.byName, closer: directory.nameOf(incident.closedById) });
    return alreadyVerified(ctx);
  },
  apply(ctx) {
    const reason = neededInput(ctx, 'reason', ctx.config.policy.limits.text);
    return { changes: { returned: { at: ctx.now, byId: ctx.actor.id, byName: ctx.actor.name, reason } }, reason };
  },
};

/** The closer (or first line) corrects a returned record; the lead verifies it again. */
const correct: Rule = {
  guard(ctx) {
    if (!ctx.incident.returned) return new UserError('nothing_to_correct', { id: ctx.incident.id });
    return undefined;
  },
  apply(ctx) {
    const { incident, config } = ctx;
    const changes: Partial<Incident> = { returned: undefined, correctedAt: ctx.now };
    const code = textInput(ctx, 'resolutionCode', 100);
    if (code) {
      if (!config.policy.resolutionCodes.some((c) => c.id === code)) throw new UserError('unknown_resolution_code', { code });
      changes.resolutionCode = code;
    }
    const closure = textInput(ctx, 'closureCode', 100);
    const flags: string[] = [];
    if (closure && closure !== incident.closureCode) {
      const found = config.policy.closureCodes.find((c) => c.id === closure);
      if (!found) throw new UserError('unknown_closure_code', { code: closure });
      changes.closureCode = closure;
      if (found.raisesProblem) flags.push('raise_problem');
    }
    const solution = textInput(ctx, 'solution', config.policy.limits.text);
    if (solution) changes.solution = solution;
    const note = neededInput(ctx, 'note', config.policy.limits.text);
    return { changes, note, data: { returnedBecause: incident.returned?.reason ?? '', ...(code ? { resolutionCode: code } : {}), ...(closure ? { closureCode: closure } : {}) }, flags };
  },
};

/** Whether this is a comment added to the rating already given (pressed a score button, then wrote why). */
function commentOnRating(ctx: ActionContext): boolean {
  const { rating } = ctx.incident;
  const score = String(ctx.input.score ?? '').trim();
  return Boolean(rating && !rating.comment && textInput(ctx, 'comment', 1_000) && (score === '' || score === String(rating.score)));
}

/** The reporter's rating, 1–5 with an optional comment; once per incident (a comment may follow a button press). */
const rate: Rule = {
  guard(ctx) {
    const { incident } = ctx;
    if (incident.rating && !commentOnRating(ctx)) return new UserError('already_rated', { id: incident.id, score: incident.rating.score });
    return undefined;
  },
  apply(ctx) {
    if (ctx.incident.rating) {
      const comment = neededInput(ctx, 'comment', 1_000);
      return { changes: { rating: { ...ctx.incident.rating, comment } }, note: comment, data: { score: ctx.incident.rating.score, comment: true } };
    }
    const raw = String(ctx.input.score ?? '').trim();
    const score = Number(raw);
    if (!/^[1-5]$/.test(raw)) throw new UserError('bad_rating', {});
    const comment = textInput(ctx, 'comment', 1_000);
    const low = score <= ctx.config.policy.closure.satisfaction.lowAtOrBelow;
    return {
      changes: { rating: { score, ...(comment ? { comment } : {}), at: ctx.now } },
      ...(comment ? { note: comment } : {}),
      data: { score },
      flags: low ? ['low_rating'] : [],
    };
  },
};

/** Links the incident to a problem record (checked by the caller, which knows the problems). */
const linkProblem: Rule = {
  guard(ctx) {
    const problemId = String(ctx.input.problemId ?? '');
    if (ctx.incident.links.problem === problemId) return new UserError('already_linked_problem', { id: ctx.incident.id, problem: problemId });
    return undefined;
  },
  apply(ctx) {
    const problemId = neededInput(ctx, 'problemId', 20);
    const created = ctx.input.created === true || ctx.input.created === 'true';
    return {
      changes: { links: { ...ctx.incident.links, problem: problemId } },
      data: { problemId, ...(typeof ctx.input.ownerId === 'string' ? { ownerId: ctx.input.ownerId } : {}) },
      flags: created ? ['problem_created'] : [],
    };
  },
};

/** The service desk records a follow-up call's outcome on a sampled incident. */
const followUpCall: Rule = {
  guard(ctx) {
    const { incident, directory } = ctx;
    const month = String(ctx.input.month ?? '');
    if (incident.followUpCall?.month === month) return new UserError('already_called', { id: incident.id, by: directory.nameOf(incident.followUpCall.byId) });
    return undefined;
  },
  apply(ctx) {
    const month = neededInput(ctx, 'month', 7);
    const outcome = neededInput(ctx, 'outcome', 20) as CallOutcome;
    if (!CALL_OUTCOMES.includes(outcome)) throw new UserError('bad_call_outcome', {});
    const satisfiedText = textInput(ctx, 'satisfied', 5);
    if (satisfiedText !== undefined && satisfiedText !== 'true' && satisfiedText !== 'false') throw new UserError('bad_call_outcome', {});
    if (outcome === 'not_reached' && satisfiedText !== undefined) throw new UserError('bad_call_outcome', {});
    const comment = textInput(ctx, 'comment', 1_000);
    return {
      changes: {
        followUpCall: { month, outcome, ...(satisfiedText !== undefined ? { satisfied: satisfiedText === 'true' } : {}), ...(comment ? { comment } : {}), byId: ctx.actor.id, at: ctx.now },
      },
      ...(comment ? { note: comment } : {}),
      data: { month, outcome, ...(satisfiedText !== undefined ? { satisfied: satisfiedText === 'true' } : {}) },
    };
  },
};

export const AFTER_CLOSURE_RULES = { verify, returnRecord, correct, rate, linkProblem, followUpCall } satisfies Record<string, Rule>;
