import { actionCommand } from './support/action-command.js';
import { options, select, text, textarea } from './support/fields.js';

/** Set category, service, CI, impact and urgency; a resulting priority change needs a reason. */
export default actionCommand({
  name: 'classify',
  // Every field is optional, but pressing Classify means "let me classify", not "change nothing".
  alwaysAsk: true,
  async fields(ctx, args) {
    const incident = args.id ? await ctx.service.get(args.id).catch(() => undefined) : undefined;
    return [
      select(ctx, 'category', options.categories(ctx), false, incident?.category),
      select(ctx, 'subcategory', options.areas(ctx, incident?.category), false, incident?.subcategory && incident.category ? [incident.category, incident.subcategory, incident.subarea].filter(Boolean).join('/') : undefined),
      select(ctx, 'service', options.services(ctx), false, incident?.service),
      text(ctx, 'ci', false, 100),
      select(ctx, 'impact', options.levels(ctx, 'impact'), false, incident ? String(incident.impact) : undefined),
      select(ctx, 'urgency', options.levels(ctx, 'urgency'), false, incident ? String(incident.urgency) : undefined),
      textarea(ctx, 'reason', false),
    ];
  },
});
