import { actionCommand } from './support/action-command.js';
import { options, select, textarea } from './support/fields.js';

/**
 * First line closes a resolved incident with a closure code. A successful one (neither re-opened
 * as new nor raising a problem) offers to keep its solution as a draft knowledge article (SPEC §13).
 */
export default actionCommand({
  name: 'close',
  fields: (ctx) => [select(ctx, 'closureCode', options.closureCodes(ctx), true), textarea(ctx, 'note', false)],
  after(ctx, incident, reply) {
    const closure = ctx.service.config.policy.closureCodes.find((c) => c.id === incident.closureCode);
    if (!incident.solution || !closure || closure.reopensAsNew || closure.raisesProblem) return reply;
    reply.text = `${reply.text}\n${ctx.m.reply.kbDraftHint({ id: incident.id })}`;
    reply.card?.actions.push({ label: ctx.m.reply.kbDraftButton, command: 'kb', args: { action: 'draft', text: incident.id } });
    return reply;
  },
});
