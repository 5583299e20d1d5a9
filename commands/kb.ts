import { defineCommand, type CommandContext } from '../src/app/command.js';
import type { Reply } from '../src/app/view.js';
import { UserError } from '../src/domain/errors.js';
import { parseIncidentRef } from '../src/domain/incident.js';
import { parseArticleRef, type Article, type ArticleStatus } from '../src/domain/knowledge.js';
import { wordsOf } from '../src/domain/words.js';
import { changedReply, presenterFor } from './support/action-command.js';
import { keyValues } from './support/key-values.js';

const KEYS = { title: 'title', symptoms: 'symptoms', cause: 'cause', solution: 'solution', ci: 'ci', service: 'service', category: 'category' } as const;
const FOUND = 10;

/**
 * The knowledge base (SPEC §13): `kb <KB-id>` shows an article; `kb search <words>` finds them;
 * `kb new title=… symptoms=… solution=… [cause=… ci=… service=… category=…]` and `kb draft INC-…`
 * (from a resolved incident's solution) write drafts; knowledge owners `kb edit`, `kb publish` and
 * `kb retire`. On an incident, `kb fix INC-… KB-…` ("This fixed it", offered on report) closes it
 * as a first-line fix, and `kb use INC-… KB-…` records that an article helped. Every use is counted.
 */
export default defineCommand({
  name: 'kb',
  aliases: ['knowledge'],
  takesIncident: false,
  positional: ['action', 'text'],
  fields: () => [],
  async run(ctx, args) {
    const action = (args.action ?? '').trim().toLowerCase();
    const text = (args.text ?? '').trim();
    switch (action) {
      case 'search':
      case 'find':
        return search(ctx, text);
      case 'new':
        return create(ctx, text);
      case 'draft':
        return draft(ctx, text);
      case 'edit':
        return edit(ctx, text);
      case 'publish':
        return setStatus(ctx, text, 'published');
      case 'retire':
        return setStatus(ctx, text, 'retired');
      case 'fix':
      case 'use':
        return onIncident(ctx, action, text);
      default: {
        const id = parseArticleRef(action);
        if (!id) throw new UserError('kb_usage', {});
        return show(ctx, await article(ctx, id));
      }
    }
  },
});

async function article(ctx: CommandContext, ref: string | undefined): Promise<Article> {
  const id = parseArticleRef(ref);
  const found = id ? await ctx.service.knowledge.get(id) : undefined;
  if (!found) throw new UserError('kb_not_found', { id: (ref ?? '').slice(0, 40) });
  return found;
}

async function show(ctx: CommandContext, a: Article): Promise<Reply> {
  const { m } = ctx;
  const presenter = presenterFor(ctx);
  const uses = await ctx.service.knowledge.useCount(a.id);
  const links = [...a.cis, ...a.services.map((s) => presenter.serviceLabel(s)), ...a.categories.map((c) => presenter.categoryLabel(c))];
  const lines = [
    m.reply.kbHeading({ id: a.id, title: a.title, status: m.kbStatus[a.status] }),
    `${m.reply.kbSymptoms}: ${a.symptoms}`,
    ...(a.cause ? [`${m.reply.kbCause}: ${a.cause}`] : []),
    `${m.reply.kbSolution}: ${a.solution}`,
    m.reply.kbMeta({ owner: presenter.nameOf(a.ownerId), uses, links: links.join(', ') || '—', from: a.fromIncident ?? '—' }),
  ];
  return { ephemeral: true, text: lines.join('\n') };
}

async function search(ctx: CommandContext, text: string): Promise<Reply> {
  const words = wordsOf(text);
  if (words.length === 0) throw new UserError('kb_usage', {});
  const statuses: ArticleStatus[] = isKnowledgeOwner(ctx) ? ['published', 'draft'] : ['published'];
  const found = await ctx.service.knowledge.matches({ words }, { limit: FOUND, statuses });
  if (found.length === 0) return { ephemeral: true, text: ctx.m.reply.kbSearchEmpty({ query: text }) };
  const lines = found.map((a) => `${a.id} — ${a.title}${a.status === 'draft' ? ` (${ctx.m.kbStatus.draft})` : ''}`);
  return { ephemeral: true, text: [ctx.m.reply.kbSearchHeading({ count: found.length, query: text }), ...lines].join('\n') };
}

async function create(ctx: CommandContext, text: string): Promise<Reply> {
  mayWrite(ctx);
  const fields = keyValues(text, KEYS);
  if (!fields.title) throw new UserError('field_required', { id: 'KB', field: 'title' });
  if (!fields.symptoms) throw new UserError('field_required', { id: 'KB', field: 'symptoms' });
  if (!fields.solution) throw new UserError('field_required', { id: 'KB', field: 'solution' });
  const links = checkedLinks(ctx, fields);
  const created = await ctx.service.knowledge.create(
    { title: limit(fields.title, 200, 'title'), symptoms: limit(fields.symptoms, 3000, 'symptoms'), ...(fields.cause ? { cause: limit(fields.cause, 3000, 'cause') } : {}), solution: limit(fields.solution, 3000, 'solution'), ...links, status: 'draft', ownerId: ctx.actor.id },
    ctx.clock.now(),
  );
  return { ephemeral: true, text: ctx.m.reply.kbDrafted({ id: created.id, title: created.title }) };
}

/** A draft from a resolved (or closed) incident: its title, description as the symptoms, its solution. */
async function draft(ctx: CommandContext, ref: string): Promise<Reply> {
  mayWrite(ctx);
  const incident = await ctx.service.get(ref);
  if (!incident.solution || (incident.status !== 'resolved' && incident.status !== 'closed')) throw new UserError('kb_needs_solution', { id: incident.id });
  const created = await ctx.service.knowledge.create(
    {
      title: incident.title, symptoms: incident.description || incident.title, solution: incident.solution,
      cis: incident.ci ? [incident.ci] : [], services: incident.service ? [incident.service] : [], categories: incident.category ? [incident.category] : [],
      status: 'draft', ownerId: ctx.actor.id, fromIncident: incident.id,
    },
    ctx.clock.now(),
  );
  return { ephemeral: true, text: ctx.m.reply.kbDrafted({ id: created.id, title: created.title }) };
}

async function edit(ctx: CommandContext, text: string): Promise<Reply> {
  const [ref, ...rest] = text.split(/\s+/);
  const current = await article(ctx, ref);
  if (!isKnowledgeOwner(ctx) && !(current.status === 'draft' && current.ownerId === ctx.actor.id)) throw new UserError('kb_only_owners', {});
  const fields = keyValues(rest.join(' '), KEYS);
  if (Object.keys(fields).length === 0) throw new UserError('kb_usage', {});
  const links = fields.ci !== undefined || fields.service !== undefined || fields.category !== undefined ? checkedLinks(ctx, { ci: fields.ci ?? current.cis.join(','), service: fields.service ?? current.services.join(','), category: fields.category ?? current.categories.join(',') }) : {};
  const next: Article = {
    ...current,
    ...(fields.title ? { title: limit(fields.title, 200, 'title') } : {}),
    ...(fields.symptoms ? { symptoms: limit(fields.symptoms, 3000, 'symptoms') } : {}),
    ...(fields.cause !== undefined ? { cause: limit(fields.cause, 3000, 'cause') } : {}),
    ...(fields.solution ? { solution: limit(fields.solution, 3000, 'solution') } : {}),
    ...links,
  };
  await ctx.service.knowledge.save(next, ctx.clock.now());
  return { ephemeral: true, text: ctx.m.reply.kbSaved({ id: next.id }) };
}

async function setStatus(ctx: CommandContext, ref: string, status: ArticleStatus): Promise<Reply> {
  if (!isKnowledgeOwner(ctx)) throw new UserError('kb_only_owners', {});
  const current = await article(ctx, ref);
  await ctx.service.knowledge.save({ ...current, status }, ctx.clock.now());
  return { ephemeral: true, text: ctx.m.reply.kbStatusSet({ id: current.id, status: ctx.m.kbStatus[status] }) };
}

/** `kb fix INC-… KB-…` / `kb use INC-… KB-…`: the lifecycle decides who may (fix: the reporter or first line). */
async function onIncident(ctx: CommandContext, action: 'fix' | 'use', text: string): Promise<Reply> {
  const [incidentRef, articleRef] = text.split(/\s+/);
  if (!incidentRef || !parseIncidentRef(incidentRef) || !articleRef) throw new UserError('kb_usage', {});
  const used = await article(ctx, articleRef);
  if (used.status !== 'published') throw new UserError('kb_not_published', { id: used.id, status: ctx.m.kbStatus[used.status] });
  const name = action === 'fix' ? 'kb-fix' : 'kb-use';
  const input = action === 'fix' ? { articleId: used.id, solution: used.solution } : { articleId: used.id, note: `${used.id} ${used.title}` };
  const result = await ctx.service.act(incidentRef, name, ctx.actor, input, ctx.key);
  if (result.duplicate) return { ephemeral: true, text: ctx.m.reply.duplicateRequest({ id: result.incident.id }) };
  return changedReply(ctx, result.incident, name, action === 'fix' ? [ctx.m.reply.kbFixThanks({ id: used.id })] : []);
}

/** The CIs, services and categories an article links to, checked against the catalog and policy (comma-separated). */
function checkedLinks(ctx: CommandContext, fields: { ci?: string; service?: string; category?: string }): Pick<Article, 'cis' | 'services' | 'categories'> {
  const list = (text: string | undefined) => (text ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const { policy } = ctx.service.config;
  const services = list(fields.service);
  const categories = list(fields.category);
  for (const service of services) if (!policy.services.some((s) => s.id === service)) throw new UserError('unknown_service', { service });
  for (const category of categories) if (!policy.categories.some((c) => c.id === category)) throw new UserError('unknown_category', { category });
  return { cis: list(fields.ci), services, categories };
}

function limit(text: string, max: number, field: string): string {
  if (text.length > max) throw new UserError('too_long', { field, max });
  return text;
}

/** Knowledge owners (the `knowledge_owner` role) and process owners publish, edit and retire. */
function isKnowledgeOwner(ctx: CommandContext): boolean {
  const { directory, config } = ctx.service;
  return directory.holders('knowledge_owner').includes(ctx.actor.id) || config.organisation.processOwners.includes(ctx.actor.id);
}

/** Anyone who works incidents (a member of a group) or owns knowledge writes drafts. */
function mayWrite(ctx: CommandContext): void {
  if (!isKnowledgeOwner(ctx) && ctx.service.directory.groupsOf(ctx.actor.id).length === 0 && !ctx.service.directory.isIncidentManager(ctx.actor.id)) throw new UserError('kb_only_staff', {});
}
