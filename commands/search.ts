import { defineCommand } from '../src/app/command.js';
import { parseSearch } from '../src/app/search-query.js';
import { UserError } from '../src/domain/errors.js';
import { presenterFor } from './support/action-command.js';
import { text } from './support/fields.js';

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
    const { incidents, total, words } = await service.search(query.text, query.filter, { sort: query.sort, page: query.page, pageSize: PAGE });
    const filtered = Object.keys(query.filter).length > 0;
    if (words.length === 0 && !filtered) throw new UserError('search_usage', {});
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
