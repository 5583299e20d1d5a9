import { defineCommand } from '../src/app/command.js';
import { presenterFor } from './support/action-command.js';

/** Every action on the incident, oldest first: who, when, what, why. */
export default defineCommand({
  name: 'timeline',
  aliases: ['history', 'log'],
  takesIncident: true,
  fields: () => [],
  async run(ctx, args) {
    const events = await ctx.service.timeline(args.id ?? '');
    const presenter = presenterFor(ctx);
    const id = events[0]?.incidentId ?? args.id ?? '';
    return { ephemeral: true, text: ctx.m.reply.timelineHeading({ id }), lines: events.map((e) => presenter.timelineLine(e)) };
  },
});
