import { defineCommand } from '../src/app/command.js';
import { UserError } from '../src/domain/errors.js';
import { presenterFor } from './support/action-command.js';
import { text } from './support/fields.js';

/** How many matches a search shows; the heading says how many there were. */
const SHOWN = 20;

/**
 * Finds incidents, open or closed, by the words of their title, description or CI, in any language:
 * Chinese is cut into words, so "邮件服务器无法连接" finds "邮件服务器宕机". Best match first.
 */
export default defineCommand({
  name: 'search',
  aliases: ['find'],
  takesIncident: false,
  positional: ['text'],
  fields: (ctx) => [text(ctx, 'text', true, 200)],
  async run(ctx, args) {
    const { m } = ctx;
    const query = (args.text ?? '').trim();
    const { incidents, total, words } = await ctx.service.search(query, SHOWN);
    if (words.length === 0) throw new UserError('search_usage', {});
    if (total === 0) return { ephemeral: true, text: m.reply.searchEmpty({ query }) };
    const presenter = presenterFor(ctx);
    const heading = m.reply.searchHeading({ count: total, query });
    return {
      ephemeral: true,
      text: total > incidents.length ? `${heading}\n${m.reply.searchMore({ shown: incidents.length })}` : heading,
      sections: [{ heading: m.action.search, items: incidents.map((i) => ({ incidentId: i.id, line: presenter.listLine(i) })) }],
    };
  },
});
