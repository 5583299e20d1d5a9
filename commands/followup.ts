import { defineCommand, type CommandContext } from '../src/app/command.js';
import type { ListItem, Reply } from '../src/app/view.js';
import { UserError } from '../src/domain/errors.js';
import { parseIncidentRef } from '../src/domain/incident.js';
import { dueMonth, monthRange } from '../src/domain/follow-up.js';
import { changedReply, presenterFor } from './support/action-command.js';

/**
 * The monthly follow-up calls (SPEC §11 回访): `followup` shows the newest month's queue (calls
 * still to make first), `followup 2026-10` another month's; first line records each call with
 * `followup INC-… reached satisfied|unsatisfied [comment]` or `followup INC-… not-reached
 * [comment]`; incident managers and process owners draw a month now with `followup run [month]`
 * (a month is drawn once).
 */
export default defineCommand({
  name: 'followup',
  aliases: ['follow-up', 'callback'],
  takesIncident: false,
  positional: ['action', 'text'],
  fields: () => [],
  async run(ctx, args) {
    const action = (args.action ?? '').trim();
    const text = (args.text ?? '').trim();
    if (action.toLowerCase() === 'run') return run(ctx, text);
    if (parseIncidentRef(action) && /^(inc-?|#)?\d/i.test(action)) return record(ctx, action, text);
    if (action === '' || monthRange(action, ctx.service.config.organisation.timezone)) return queue(ctx, action || undefined);
    throw new UserError('followup_usage', {});
  },
});

async function queue(ctx: CommandContext, month: string | undefined): Promise<Reply> {
  const shown = month ?? (await ctx.service.followUps.latestMonth());
  if (!shown) return { ephemeral: true, text: ctx.m.reply.followUpNone };
  const calls = await ctx.service.followUps.month(shown);
  if (calls.length === 0) return { ephemeral: true, text: ctx.m.reply.followUpEmpty({ month: shown }) };
  const open = calls.filter((c) => !c.outcome);
  const item = (c: (typeof calls)[number]): ListItem => ({
    incidentId: c.incidentId,
    line: `${c.incidentId} ${c.major ? `${ctx.m.card.major} ` : ''}${c.priority} "${c.title}" — ${c.reporterName}${c.reach ? ` (${c.reach})` : ''}${c.outcome ? ` · ${ctx.m.callOutcome[c.outcome]}` : ''}`,
  });
  return {
    ephemeral: true,
    text: ctx.m.reply.followUpHeading({ month: shown, open: open.length, total: calls.length }),
    sections: [
      ...(open.length > 0 ? [{ heading: ctx.m.reply.followUpToCall, items: open.map(item) }] : []),
      ...(open.length < calls.length ? [{ heading: ctx.m.reply.followUpDone, items: calls.filter((c) => c.outcome).map(item) }] : []),
    ],
  };
}

/** `INC-… reached satisfied great service` / `INC-… not-reached no answer`. */
async function record(ctx: CommandContext, ref: string, text: string): Promise<Reply> {
  const incident = await ctx.service.get(ref);
  const call = await ctx.service.followUps.callFor(incident.id);
  if (!call) throw new UserError('followup_not_sampled', { id: incident.id });
  const [first = '', second = '', ...rest] = text.split(/\s+/);
  const outcome = { reached: 'reached', 'not-reached': 'not_reached', not_reached: 'not_reached' }[first.toLowerCase()];
  if (!outcome) throw new UserError('followup_usage', {});
  const satisfiedWord = { satisfied: 'true', unsatisfied: 'false', 'not-satisfied': 'false' }[second.toLowerCase()];
  const comment = (satisfiedWord ? rest : [second, ...rest]).join(' ').trim();
  if (outcome === 'reached' && !satisfiedWord) throw new UserError('followup_usage', {});
  const input: Record<string, string> = { month: call.month, outcome, ...(satisfiedWord && outcome === 'reached' ? { satisfied: satisfiedWord } : {}), ...(comment ? { comment } : {}) };
  const result = await ctx.service.act(incident.id, 'follow-up-call', ctx.actor, input, ctx.key);
  if (result.duplicate) return { ephemeral: true, text: ctx.m.reply.duplicateRequest({ id: result.incident.id }) };
  await ctx.service.followUps.markDone(call._id, outcome as 'reached' | 'not_reached', ctx.actor.id, ctx.clock.now());
  return changedReply(ctx, result.incident, 'follow-up-call', [ctx.m.reply.followUpRecorded({ id: incident.id, month: call.month })]);
}

/** Draws a month now (the job does it on the policy's day): the month given, else the one due, else last month. */
async function run(ctx: CommandContext, text: string): Promise<Reply> {
  const { directory, config } = ctx.service;
  if (!directory.isIncidentManager(ctx.actor.id) && !config.organisation.processOwners.includes(ctx.actor.id)) throw new UserError('followup_only_managers', {});
  const timeZone = config.organisation.timezone;
  if (text && !monthRange(text, timeZone)) throw new UserError('followup_usage', {});
  const month = text || dueMonth(ctx.clock.now(), config.policy.closure.followUp, timeZone) || lastMonth(ctx.clock.now());
  if (!ctx.followUps) throw new UserError('followup_usage', {});
  const result = await ctx.followUps.draw(month);
  if (result.drawnBefore) return { ephemeral: true, text: ctx.m.reply.followUpAlreadyDrawn({ month, at: presenterFor(ctx).formatTime(result.drawnBefore) }) };
  return { ephemeral: true, text: ctx.m.reply.followUpDrawn({ month, count: result.drawn }) };
}

function lastMonth(now: Date): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}
