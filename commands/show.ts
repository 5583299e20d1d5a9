import { defineCommand } from '../src/app/command.js';
import { presenterFor } from './support/action-command.js';

/** The incident card: status, priority, owners, SLA clocks, and the buttons the process allows now. */
export default defineCommand({
  name: 'show',
  aliases: ['card', 'view'],
  takesIncident: true,
  fields: () => [],
  async run(ctx, args) {
    const incident = await ctx.service.get(args.id ?? '');
    return { ephemeral: true, card: presenterFor(ctx).card(incident, ctx.clock.now(), ctx.actor) };
  },
});
