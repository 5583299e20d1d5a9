import { defineCommand } from '../src/app/command.js';
import { reportAndReceipt, reportFields } from './report.js';

/** A closed incident happened again: a new record copying the original, linked as its recurrence (SPEC §10). */
export default defineCommand({
  name: 'recur',
  aliases: ['recurrence'],
  takesIncident: true,
  async fields(ctx, args) {
    const original = args.id ? await ctx.service.get(args.id).catch(() => undefined) : undefined;
    return reportFields(ctx).map((field) => {
      const copied = original ? { title: original.title, description: original.description, impact: String(original.impact), urgency: String(original.urgency), service: original.service, ci: original.ci, category: original.category, location: original.location }[field.name] : undefined;
      return copied ? { ...field, initial: copied } : field;
    });
  },
  run: (ctx, { id, ...args }) => reportAndReceipt(ctx, args, { recurrenceOf: id }),
});
