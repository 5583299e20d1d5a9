import { defineCommand, type CommandContext } from '../src/app/command.js';
import { toCsv } from '../src/app/csv.js';
import { parseSearch, type SearchQuery } from '../src/app/search-query.js';
import type { Reply } from '../src/app/view.js';
import { UserError } from '../src/domain/errors.js';
import { isBreached } from '../src/domain/sla.js';
import { placeLabel } from '../src/domain/taxonomy.js';
import { wordsOf } from '../src/domain/words.js';
import { presenterFor } from './support/action-command.js';
import { text } from './support/fields.js';

/** Incidents one export holds at most (the search reads no more). */
const EXPORT_MAX = 1_000;

/** Incidents shown per page; the heading says how many matched and how to see the next page. */
const PAGE = 20;

/**
 * Finds incidents, open or closed, by the words of their title, description or CI, in any language
 * (Chinese is cut into words, so "邮件服务器无法连接" finds "邮件服务器宕机"), narrowed by filters
 * (`status:`, `priority:`, `group:`, `assignee:`, `ci:`, `service:`, `category:`, `since:`,
 * `until:`, `overdue`, `major`, `unassigned`), sorted and paged.
 */
export default defineCommand({
  name: 'search',
  aliases: ['find'],
  takesIncident: false,
  positional: ['text'],
  fields: (ctx) => [text(ctx, 'text', true, 300)],
  async run(ctx, args) {
    const { m, service } = ctx;
    const asked = (args.text ?? '').trim();
    const query = parseSearch(asked, service.config, service.directory, m);
    // Words or a filter, or there is nothing to look for (the page and the export alike).
    if (wordsOf(query.text).length === 0 && Object.keys(query.filter).length === 0) throw new UserError('search_usage', {});
    if (query.format === 'csv') return exportCsv(ctx, asked, query);
    const { incidents, total, words } = await service.search(query.text, query.filter, { sort: query.sort, page: query.page, pageSize: PAGE });
    if (total === 0) return { ephemeral: true, text: m.reply.searchEmpty({ query: asked }) };
    const presenter = presenterFor(ctx);
    const pages = Math.ceil(total / PAGE);
    const heading = words.length > 0 ? m.reply.searchHeading({ count: total, query: asked }) : `${m.reply.searchFound({ count: total })}: ${asked}`;
    const lines = [heading];
    if (pages > 1) {
      const next = query.page < pages ? `search ${asked.replace(/\bpage:\d+\b/, '').trim()} page:${query.page + 1}` : '';
      lines.push(m.reply.searchPage({ page: query.page, pages, next }));
    }
    return {
      ephemeral: true,
      text: lines.join('\n'),
      sections: [{ heading: m.action.search, items: incidents.map((i) => ({ incidentId: i.id, line: presenter.listLine(i) })) }],
    };
  },
});

/**
 * `format:csv`: every incident the search matches (up to EXPORT_MAX), one row each, as a CSV file
 * in the reader's language: the header, statuses, categories and times as the card shows them.
 */
async function exportCsv(ctx: CommandContext, asked: string, query: SearchQuery): Promise<Reply> {
  const { m, service, clock } = ctx;
  const { incidents, total } = await service.search(query.text, query.filter, { sort: query.sort, page: 1, pageSize: EXPORT_MAX });
  // Nothing matched: say so, and write no empty file.
  if (incidents.length === 0) return { ephemeral: true, text: m.reply.searchEmpty({ query: asked }) };
  const presenter = presenterFor(ctx);
  const now = clock.now();
  const time = (at: Date | undefined) => (at ? presenter.formatTime(at) : '');
  const rows = incidents.map((i) => [
    i.id, i.title, m.status[i.status], i.priority, i.impact, i.urgency,
    i.category ? presenter.categoryLabel(i.category) : '',
    i.category && i.subcategory ? placeLabel(service.config.policy, ctx.locale, { category: i.category, subcategory: i.subcategory, subarea: i.subarea }) : '',
    i.service ? presenter.serviceLabel(i.service) : '', i.ci ?? '',
    i.groupId ? presenter.nameOf(i.groupId) : '', i.ownerId ?? i.assigneeId ? presenter.nameOf(i.ownerId ?? i.assigneeId) : '',
    i.reporterName, presenter.sourceLabel(i),
    time(i.createdAt), time(i.resolvedAt), time(i.closedAt),
    (['respond', 'accept', 'resolve'] as const).filter((t) => isBreached(i.sla[t], now)).map((t) => m.notify.target[t]).join('; '),
  ]);
  const name = `incidents-${now.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-')}.csv`;
  const capped = total > incidents.length ? m.reply.searchExportCapped({ max: incidents.length }) : '';
  return {
    ephemeral: true,
    text: m.reply.searchExported({ count: incidents.length, query: asked, name, capped }),
    file: { name, type: 'text/csv', content: toCsv([m.reply.csvHeader.split(','), ...rows]) },
  };
}
