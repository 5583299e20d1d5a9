import { defineCommand, parseDateTime, type CommandContext, type RawArgs } from '../src/app/command.js';
import { word } from '../src/i18n/index.js';
import type { Reply } from '../src/app/view.js';
import { checkContact } from '../src/domain/contact.js';
import type { ConfigurationItem } from '../src/domain/ci.js';
import type { Article } from '../src/domain/knowledge.js';
import { wordsOf } from '../src/domain/words.js';
import { placeOf } from '../src/domain/taxonomy.js';
import { UserError } from '../src/domain/errors.js';
import { SOURCES, type Incident, type Level, type Source } from '../src/domain/incident.js';
import { presenterFor } from './support/action-command.js';
import { options, select, text, textarea } from './support/fields.js';
import { isPeriodReport, periodReportReply } from './support/period-report.js';

/** Knowledge articles offered on a report at most. */
const KB_OFFERED = 3;

export function reportFields(ctx: CommandContext) {
  return [
    text(ctx, 'title', true, ctx.service.config.policy.limits.title),
    textarea(ctx, 'description', true),
    select(ctx, 'impact', options.levels(ctx, 'impact'), true),
    select(ctx, 'urgency', options.levels(ctx, 'urgency'), true),
    select(ctx, 'service', options.services(ctx), false),
    { ...text(ctx, 'ci', false, 100), suggest: 'ci' as const },
    select(ctx, 'category', options.categories(ctx), false),
    { ...select(ctx, 'subcategory', options.areas(ctx), false), dependsOn: 'category' },
    text(ctx, 'location', false, 100),
    { ...text(ctx, 'outageStart', false, 30), type: 'datetime' as const },
    select(ctx, 'ciOperable', options.yesNo(ctx), false),
    ...(logsForOthers(ctx) ? onBehalfFields(ctx) : []),
  ];
}

/** The category and its area / sub-area: an area chosen names its category; a category given with it must agree. */
function taxonomyPlace(ctx: CommandContext, args: RawArgs): { category?: string; subcategory?: string; subarea?: string } {
  const category = args.category?.trim() || undefined;
  const area = args.subcategory?.trim();
  if (!area) return category ? { category } : {};
  return placeOf(ctx.service.config.policy, area, category);
}

/** The service desk and incident managers log calls, e-mails and visits for other people (SPEC §1, §2). */
function logsForOthers(ctx: CommandContext): boolean {
  const { directory } = ctx.service;
  return directory.isFirstLine(ctx.actor.id) || directory.isIncidentManager(ctx.actor.id);
}

/** Who reported it, when it is not the person typing: someone in the directory, or an outside contact; and how it came in. */
function onBehalfFields(ctx: CommandContext) {
  const sources = SOURCES.filter((s) => s !== 'monitoring').map((s) => ({ value: s, label: word(ctx.m.source, s) ?? s }));
  return [
    select(ctx, 'source', sources, false),
    text(ctx, 'reporterId', false, 100),
    text(ctx, 'contactName', false, 100),
    text(ctx, 'contactPhone', false, 40),
    text(ctx, 'contactEmail', false, 254),
  ];
}

/** The reporter, contact and source a report names, checked; refused for someone who may not log for others. */
function onBehalf(ctx: CommandContext, args: RawArgs): { reporterId?: string; contact?: ReturnType<typeof checkContact>; source?: Source } {
  const contact = checkContact({ name: args.contactName, phone: args.contactPhone, email: args.contactEmail });
  const reporterRef = args.reporterId?.trim();
  const source = args.source?.trim() as Source | undefined;
  if (!reporterRef && !contact && !source) return {};
  if (!logsForOthers(ctx)) throw new UserError('on_behalf_first_line');
  if (source && !SOURCES.includes(source)) throw new UserError('invalid_field', { field: ctx.m.field.source, problem: SOURCES.join(', ') });
  const reporter = reporterRef ? ctx.service.directory.findPerson(reporterRef) : undefined;
  if (reporterRef && !reporter) throw new UserError('unknown_person', { person: reporterRef });
  return { ...(reporter ? { reporterId: reporter.id } : {}), ...(contact ? { contact } : {}), ...(source ? { source } : {}) };
}

/** Runs the report and builds the receipt: id, priority (and why it was raised), the card. */
export async function reportAndReceipt(ctx: CommandContext, args: RawArgs, links: { recurrenceOf?: string } = {}): Promise<Reply> {
  const behalf = onBehalf(ctx, args);
  const ci = await catalogCi(ctx, args.ci);
  // Known solutions first (SPEC §13): offered to the reporter, shown to first line on the card.
  const articles = !ctx.service.knowledge.anyPublished() ? [] : await ctx.service.knowledge.matches(
    { words: wordsOf(`${args.title ?? ''} ${args.description ?? ''}`), ci: ci.id, category: args.category, service: args.service || ci.item?.service },
    { limit: KB_OFFERED },
  );
  const result = await ctx.service.report(
    ctx.actor,
    {
      title: args.title ?? '',
      description: args.description ?? '',
      impact: Number(args.impact) as Level,
      urgency: Number(args.urgency) as Level,
      service: args.service || ci.item?.service,
      ...(ci.id ? { ci: ci.id, ...(ci.inCatalog !== undefined ? { ciInCatalog: ci.inCatalog } : {}) } : {}),
      ...taxonomyPlace(ctx, args),
      location: args.location,
      outageStart: args.outageStart ? parseDateTime(args.outageStart) : undefined,
      ...(args.ciOperable === 'true' || args.ciOperable === 'false' ? { ciOperable: args.ciOperable === 'true' } : {}),
      ...behalf,
      ...links,
      ...(articles.length > 0 ? { kbMatches: articles.map((a) => ({ id: a.id, title: a.title })) } : {}),
    },
    ctx.key,
    { answerFirst: ctx.answerFirst },
  );
  const reply = receipt(ctx, result.incident, result.event?.flags ?? [], ctx.service.possibleDuplicates(result.incident, result.openOnCi));
  if (result.incident.ciInCatalog === false) reply.text = `${reply.text}\n${ctx.m.reply.ciNotInCatalog({ ci: result.incident.ci ?? '' })}`;
  if (articles.length > 0 && !result.duplicate) offerArticles(ctx, reply, result.incident, articles);
  return reply;
}

/** "Does this fix it?": each matching article's solution, and a button that closes the incident as fixed by it. */
function offerArticles(ctx: CommandContext, reply: Reply, incident: Incident, articles: Article[]): void {
  const lines = articles.map((a) => ctx.m.reply.kbOfferLine({ id: a.id, title: a.title, solution: clip(a.solution, 300) }));
  reply.text = [reply.text, ctx.m.reply.kbOffer, ...lines].join('\n');
  reply.card?.actions.push(...articles.map((a) => ({ label: ctx.m.reply.kbFixedButton({ id: a.id }), command: 'kb', args: { action: 'fix', text: `${incident.id} ${a.id}` } })));
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The CI a report names, looked up in the catalog by id or name: found, it is written as its
 * catalog id (and brings its service); not found, the text is kept and flagged "not in catalog",
 * unless there is no catalog at all. A retired CI is refused.
 */
async function catalogCi(ctx: CommandContext, typed: string | undefined): Promise<{ id?: string; item?: ConfigurationItem; inCatalog?: boolean }> {
  const text = typed?.trim();
  if (!text) return {};
  const item = await ctx.service.catalog.find(text);
  if (item?.status === 'retired') throw new UserError('ci_retired', { ci: item.id });
  if (item) return { id: item.id, item, inCatalog: true };
  return (await ctx.service.catalog.count()) > 0 ? { id: text, inCatalog: false } : { id: text };
}

function receipt(ctx: CommandContext, incident: Incident, reasons: string[], duplicates: string[]): Reply {
  const lines = [ctx.m.reply.reported({ id: incident.id, priority: incident.priority })];
  const readable = reasons.map((r) => word(ctx.m.priorityReason, r.split(':')[0])).filter(Boolean);
  if (readable.length > 0) lines.push(ctx.m.reply.priorityReasons({ to: incident.priority, reasons: readable.join(', ') }));
  const card = presenterFor(ctx).card(incident, ctx.clock.now(), ctx.actor);
  const master = duplicates[0];
  if (master) {
    lines.push(ctx.m.reply.possibleDuplicate({ ids: duplicates.join(', '), ci: incident.ci ?? '' }));
    // Only first line may confirm it; the reporter just sees the hint.
    if (ctx.service.directory.isFirstLine(ctx.actor.id) || ctx.service.directory.isIncidentManager(ctx.actor.id)) {
      card.actions.unshift({ label: ctx.m.reply.markDuplicateOf({ id: master }), command: 'mark-duplicate', args: { id: incident.id, masterId: master } });
    }
  }
  return { ephemeral: true, text: lines.join('\n'), card, changedIncidentId: incident.id };
}

/** Log a new incident; priority from impact × urgency, raised for major categories and VIP reporters. */
export default defineCommand({
  name: 'report',
  aliases: ['new', 'open'],
  takesIncident: false,
  positional: ['title'],
  // "report month 2026-11" / "report quarter 2026-Q3": the period report (SPEC §15), no form.
  fields: (ctx, args) => (isPeriodReport(args) ? [] : reportFields(ctx)),
  formTitle: (ctx) => ctx.m.action.report ?? 'Report',
  run: (ctx, args) => (isPeriodReport(args) ? periodReportReply(ctx, args) : reportAndReceipt(ctx, args)),
});
