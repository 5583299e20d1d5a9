import { defineCommand } from '../src/app/command.js';
import { timelineLines } from '../src/app/timeline-lines.js';
import { presenterFor } from './support/action-command.js';

/** Every action on the incident, oldest first: who, when, what, why; and what the timers did, who was told and how. */
export default defineCommand({
  name: 'timeline',
  aliases: ['history', 'log'],
  takesIncident: true,
  fields: () => [],
  async run(ctx, args) {
    const events = await ctx.service.timeline(args.id ?? '');
    const presenter = presenterFor(ctx);
    const id = events[0]?.incidentId ?? args.id ?? '';
    // What the timers did (escalations, notifications, missed targets, reports) is kept beside the events.
    const notes = events[0] ? await ctx.service.notes.of(events[0].incidentId) : [];
    return { ephemeral: true, text: ctx.m.reply.timelineHeading({ id }), lines: timelineLines(presenter, ctx.m, events, notes) };
  },
});
