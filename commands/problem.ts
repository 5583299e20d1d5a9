import { defineCommand, type CommandContext } from '../src/app/command.js';
import { Problems } from '../src/app/problems.js';
import type { Reply } from '../src/app/view.js';
import { UserError } from '../src/domain/errors.js';
import { parseIncidentRef } from '../src/domain/incident.js';
import { decideProblem, parseProblemRef, type Problem, type ProblemAction } from '../src/domain/problem.js';
import { presenterFor } from './support/action-command.js';
import { keyValues } from './support/key-values.js';

const KEYS = { title: 'title', description: 'description', cause: 'cause', workaround: 'workaround', resolution: 'resolution', note: 'note', reason: 'reason' } as const;
const CHANGES: Readonly<Record<string, ProblemAction>> = { edit: 'edit', 'known-error': 'known-error', resolve: 'resolve', close: 'close', reopen: 'reopen' };

/**
 * Problem records: `problem` lists the live ones; `problem PRB-…` shows one with its timeline;
 * `problem new INC-…` raises one from an incident; `problem link INC-… PRB-…` links more;
 * the owner (or a problem manager) moves it on with `edit`, `known-error workaround=…`,
 * `resolve cause=… resolution=…`, `close`, `reopen reason=…`; `assign PRB-… <person>` hands it
 * over; `publish PRB-…` makes its workaround a knowledge article.
 */
export default defineCommand({
  name: 'problem',
  aliases: ['prb'],
  takesIncident: false,
  positional: ['action', 'text'],
  fields: () => [],
  async run(ctx, args) {
    const action = (args.action ?? '').trim().toLowerCase();
    const text = (args.text ?? '').trim();
    const problems = new Problems(ctx.service);
    if (action === '' || action === 'list') return list(ctx, text === 'all');
    if (action === 'new' || action === 'raise') return raise(ctx, problems, text);
    if (action === 'link') return link(ctx, problems, text);
    if (action === 'assign') return assign(ctx, problems, text);
    if (action === 'publish') return publish(ctx, problems, text);
    const change = CHANGES[action];
    if (change) {
      const [ref = '', ...rest] = text.split(/\s+/);
      const input = keyValues(rest.join(' '), KEYS);
      const next = await problems.act(ref, change, ctx.actor, input);
      return { ephemeral: true, text: [ctx.m.reply.problemChanged({ id: next.id, status: ctx.m.problemStatus[next.status] }), ...describe(ctx, next)].join('\n') };
    }
    if (parseProblemRef(action)) return show(ctx, await problems.get(args.action));
    throw new UserError('problem_usage', {});
  },
});

async function list(ctx: CommandContext, all: boolean): Promise<Reply> {
  const found = await ctx.service.problems.list(all ? ['open', 'known_error', 'resolved', 'closed'] : ['open', 'known_error', 'resolved']);
  if (found.length === 0) return { ephemeral: true, text: ctx.m.reply.problemListEmpty };
  const presenter = presenterFor(ctx);
  const lines = found.map((p) => ctx.m.reply.problemLine({ id: p.id, title: p.title, status: ctx.m.problemStatus[p.status], owner: presenter.nameOf(p.ownerId), incidents: p.incidents.length }));
  return { ephemeral: true, text: [ctx.m.reply.problemListHeading({ count: found.length }), ...lines].join('\n') };
}

function describe(ctx: CommandContext, p: Problem): string[] {
  const presenter = presenterFor(ctx);
  const { m } = ctx;
  return [
    m.reply.problemHeading({ id: p.id, title: p.title, status: m.problemStatus[p.status] }),
    m.reply.problemMeta({ owner: presenter.nameOf(p.ownerId), origin: m.problemOrigin[p.origin], incidents: p.incidents.join(', ') || '—' }),
    ...(p.cis.length || p.services.length ? [m.reply.problemAffects({ items: [...p.cis, ...p.services.map((s) => presenter.serviceLabel(s))].join(', ') })] : []),
    ...(p.description ? [`${m.reply.problemDescription}: ${p.description}`] : []),
    ...(p.rootCause ? [`${m.reply.problemCause}: ${p.rootCause}`] : []),
    ...(p.workaround ? [`${m.reply.problemWorkaround}: ${p.workaround}`] : []),
    ...(p.resolution ? [`${m.reply.problemResolution}: ${p.resolution}`] : []),
    ...(p.article ? [m.reply.problemArticle({ id: p.article })] : []),
  ];
}

function show(ctx: CommandContext, p: Problem): Reply {
  const presenter = presenterFor(ctx);
  const timeline = p.timeline.map((e) => `• ${presenter.formatTime(e.at)} ${e.byName}: ${ctx.m.problemAction[e.action as keyof typeof ctx.m.problemAction] ?? e.action}${e.note ? ` — ${e.note}` : ''}`);
  return { ephemeral: true, text: [...describe(ctx, p), ctx.m.reply.problemTimeline, ...timeline].join('\n') };
}

async function raise(ctx: CommandContext, problems: Problems, text: string): Promise<Reply> {
  const [ref = '', ...rest] = text.split(/\s+/);
  if (!parseIncidentRef(ref)) throw new UserError('problem_usage', {});
  const fields = keyValues(rest.join(' '), KEYS);
  const incident = await ctx.service.get(ref);
  if (incident.links.problem) throw new UserError('incident_has_problem', { id: incident.id, problem: incident.links.problem });
  const { problem } = await problems.raiseFrom(incident, 'manual', ctx.actor, { key: ctx.key ? `manual:${ctx.key}` : undefined, ...(fields.title ? { title: limit(fields.title, 200, 'title') } : {}), ...(fields.description ? { description: fields.description } : {}) });
  return { ephemeral: true, text: [ctx.m.reply.problemRaised({ id: problem.id, incident: incident.id, owner: presenterFor(ctx).nameOf(problem.ownerId) }), ...describe(ctx, problem)].join('\n'), changedIncidentId: incident.id };
}

async function link(ctx: CommandContext, problems: Problems, text: string): Promise<Reply> {
  const refs = text.split(/\s+/).filter(Boolean);
  const incidentRef = refs.find((r) => parseIncidentRef(r) && !parseProblemRef(r));
  const problemRef = refs.find((r) => parseProblemRef(r));
  if (!incidentRef || !problemRef || refs.length !== 2) throw new UserError('problem_usage', {});
  const { problem, incident } = await problems.link(incidentRef, problemRef, ctx.actor, ctx.key);
  return { ephemeral: true, text: ctx.m.reply.problemLinked({ id: problem.id, incident: incident.id, count: problem.incidents.length }), changedIncidentId: incident.id };
}

async function assign(ctx: CommandContext, problems: Problems, text: string): Promise<Reply> {
  const [ref = '', ...rest] = text.split(/\s+/);
  const person = ctx.service.directory.findPerson(rest.join(' '));
  if (!person) throw new UserError('unknown_person', { person: rest.join(' ').slice(0, 40) });
  const next = await problems.act(ref, 'assign', ctx.actor, { ownerId: person.id, ownerName: person.name });
  return { ephemeral: true, text: ctx.m.reply.problemAssigned({ id: next.id, owner: person.name }) };
}

/** A known error's workaround becomes a knowledge article: published when a knowledge owner publishes it, else a draft. */
async function publish(ctx: CommandContext, problems: Problems, ref: string): Promise<Reply> {
  const problem = await problems.get(ref);
  if (problem.article) throw new UserError('problem_already_published', { id: problem.id, article: problem.article });
  if (!problem.workaround) throw new UserError('problem_needs', { id: problem.id, field: 'workaround' });
  // The problem's table decides who may, before anything is written.
  decideProblem({ problem, actor: ctx.actor, roles: problems.rolesOf(ctx.actor, problem), input: { articleId: 'KB' }, now: ctx.clock.now(), maxText: ctx.service.config.policy.limits.text }, 'publish');
  const { directory, config } = ctx.service;
  const owner = directory.holders('knowledge_owner').includes(ctx.actor.id) || config.organisation.processOwners.includes(ctx.actor.id);
  const article = await ctx.service.knowledge.create(
    {
      title: problem.title, symptoms: problem.description || problem.title, ...(problem.rootCause ? { cause: problem.rootCause } : {}), solution: problem.workaround,
      cis: problem.cis, services: problem.services, categories: [], status: owner ? 'published' : 'draft', ownerId: ctx.actor.id, ...(problem.incidents[0] ? { fromIncident: problem.incidents[0] } : {}),
    },
    ctx.clock.now(),
  );
  await problems.act(problem.id, 'publish', ctx.actor, { articleId: article.id });
  return { ephemeral: true, text: ctx.m.reply.problemPublished({ id: problem.id, article: article.id, status: ctx.m.kbStatus[article.status] }) };
}

function limit(text: string, max: number, field: string): string {
  if (text.length > max) throw new UserError('too_long', { field, max });
  return text;
}
