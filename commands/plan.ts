import { defineCommand, type CommandContext } from '../src/app/command.js';
import type { Reply } from '../src/app/view.js';
import { UserError } from '../src/domain/errors.js';
import type { Incident, IncidentEvent } from '../src/domain/incident.js';
import { isMajor, planDiff, planLines, type RecoveryPlan } from '../src/domain/major.js';
import { changedReply, presenterFor } from './support/action-command.js';
import { parseWhen } from './support/when.js';

/**
 * A major incident's recovery plan (SPEC §12), kept as versions: `plan INC-…` shows the current
 * one; `history`, `v<n>` and `diff <a> <b>` read the old ones; `facts`, `breakdown`,
 * `hypothesis <1–5> <text>`, `action <person> <when|-> <text>`, `done <n>` and `review <when>`
 * each save the next version (the major incident manager or an incident manager).
 */
export default defineCommand({
  name: 'plan',
  takesIncident: true,
  positional: ['op', 'text'],
  fields: () => [],
  async run(ctx, args) {
    const incident = await ctx.service.get(args.id ?? '');
    if (!isMajor(incident, ctx.service.config.policy)) throw new UserError('not_major', { id: incident.id });
    const op = (args.op ?? '').toLowerCase();
    const text = (args.text ?? '').trim();
    if (op === '') return show(ctx, incident, incident.plan);
    if (op === 'history') return history(ctx, incident);
    if (/^v\d+$/.test(op)) return show(ctx, incident, (await versions(ctx, incident)).get(Number(op.slice(1))) ?? missing(incident, op.slice(1)));
    if (op === 'diff') return diff(ctx, incident, text);
    return save(ctx, incident, op, text);
  },
});

function missing(incident: Incident, version: string): never {
  throw new UserError('plan_no_version', { id: incident.id, version });
}

/** Every saved version, from the event log (each save is a `plan` event holding the whole plan). */
async function versions(ctx: CommandContext, incident: Incident): Promise<Map<number, RecoveryPlan>> {
  const events = await ctx.service.timeline(incident.id);
  return new Map(events.filter((e: IncidentEvent) => e.action === 'plan' && e.changes.plan).map((e) => [(e.changes.plan as RecoveryPlan).version, e.changes.plan as RecoveryPlan]));
}

function lines(ctx: CommandContext, plan: RecoveryPlan): string[] {
  const presenter = presenterFor(ctx);
  return planLines(plan, ctx.m.plan, (id) => presenter.nameOf(id), (d) => (d ? presenter.formatTime(d) : ctx.m.time.never));
}

function show(ctx: CommandContext, incident: Incident, plan: RecoveryPlan | undefined): Reply {
  if (!plan) return { ephemeral: true, text: ctx.m.reply.planNone({ id: incident.id }) };
  const presenter = presenterFor(ctx);
  const heading = ctx.m.reply.planHeading({ id: incident.id, version: plan.version, by: plan.savedByName, at: presenter.formatTime(plan.savedAt) });
  return { ephemeral: true, text: [heading, ...lines(ctx, plan)].join('\n') };
}

async function history(ctx: CommandContext, incident: Incident): Promise<Reply> {
  const all = [...(await versions(ctx, incident)).values()];
  if (all.length === 0) return { ephemeral: true, text: ctx.m.reply.planNone({ id: incident.id }) };
  const presenter = presenterFor(ctx);
  return { ephemeral: true, text: [ctx.m.reply.planHistory({ id: incident.id, count: all.length }), ...all.map((p) => `v${p.version} — ${presenter.formatTime(p.savedAt)}, ${p.savedByName}`)].join('\n') };
}

async function diff(ctx: CommandContext, incident: Incident, text: string): Promise<Reply> {
  const [a, b] = text.replace(/v/gi, '').split(/\s+/).map(Number);
  if (!a || !b) throw new UserError('plan_usage', {});
  const all = await versions(ctx, incident);
  const before = all.get(a) ?? missing(incident, String(a));
  const after = all.get(b) ?? missing(incident, String(b));
  const changed = planDiff(lines(ctx, before), lines(ctx, after));
  return { ephemeral: true, text: [ctx.m.reply.planDiff({ id: incident.id, a, b }), ...(changed.length > 0 ? changed : [ctx.m.reply.planSame])].join('\n') };
}

/** One edit, saved as the next version through the incident's lifecycle (who may, the timeline, the war room). */
async function save(ctx: CommandContext, incident: Incident, op: string, text: string): Promise<Reply> {
  const { organisation } = ctx.service.config;
  const now = ctx.clock.now();
  let input: Record<string, unknown>;
  if (op === 'facts' || op === 'breakdown') {
    input = { op: 'set', [op]: text };
  } else if (op === 'hypothesis') {
    const [likelihood = '', ...words] = text.split(/\s+/);
    input = { op: 'hypothesis', likelihood, text: words.join(' ') };
  } else if (op === 'action') {
    const [who = '', when = '', ...words] = text.split(/\s+/);
    const owner = ctx.service.directory.findPerson(who);
    if (!owner) throw new UserError('unknown_person', { person: who.slice(0, 40) });
    const dueAt = when === '-' ? undefined : parseWhen(when, now, organisation.timezone);
    if (when !== '-' && !dueAt) throw new UserError('plan_bad_time', { field: when.slice(0, 20) });
    input = { op: 'action', ownerId: owner.id, text: words.join(' '), ...(dueAt ? { dueAt: dueAt.toISOString() } : {}) };
  } else if (op === 'done') {
    input = { op: 'done', n: text.replace(/^#/, '') };
  } else if (op === 'review') {
    const at = parseWhen(text, now, organisation.timezone);
    if (!at) throw new UserError('plan_bad_time', { field: text.slice(0, 20) });
    input = { op: 'review', reviewAt: at.toISOString() };
  } else {
    throw new UserError('plan_usage', {});
  }
  const result = await ctx.service.act(incident.id, 'plan', ctx.actor, input, ctx.key);
  if (result.duplicate) return { ephemeral: true, text: ctx.m.reply.duplicateRequest({ id: incident.id }) };
  const plan = result.incident.plan!;
  const reply = changedReply(ctx, result.incident, 'plan', [ctx.m.reply.planSaved({ id: incident.id, version: plan.version }), ...lines(ctx, plan)]);
  return { ...reply, card: undefined };
}
