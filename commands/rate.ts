import { actionCommand } from './support/action-command.js';
import { select, textarea } from './support/fields.js';

/** The reporter rates the service after closure, 1 (poor) to 5 (excellent), with an optional comment; once. */
export default actionCommand({
  name: 'rate',
  positional: ['score', 'comment'],
  fields: (ctx) => [
    select(ctx, 'score', [1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: ctx.m.reply.ratingOption({ score: n }) })), true),
    { ...textarea(ctx, 'comment', false), maxLength: 1_000 },
  ],
  after(ctx, incident, reply) {
    const rating = incident.rating;
    if (!rating) return reply;
    reply.text = [ctx.m.reply.rated({ id: incident.id, score: rating.score }), ...(rating.comment ? [] : [ctx.m.reply.rateCommentLater({ id: incident.id, score: rating.score })])].join('\n');
    return reply;
  },
});
