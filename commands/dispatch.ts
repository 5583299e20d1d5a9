import { actionCommand } from './support/action-command.js';
import { options, select, textarea } from './support/fields.js';

/** First line sends an open incident to an assignment group; the CI's owner group (catalog) is suggested, else the category's group. */
export default actionCommand({
  name: 'dispatch',
  async fields(ctx, args) {
    const incident = args.id ? await ctx.service.get(args.id).catch(() => undefined) : undefined;
    const owner = incident?.ci && incident.ciInCatalog ? (await ctx.service.catalog.get(incident.ci))?.ownerGroup : undefined;
    const suggested = owner ?? ctx.service.config.policy.categories.find((c) => c.id === incident?.category)?.group;
    return [
      select(ctx, 'groupId', options.groups(ctx), true, suggested),
      select(ctx, 'assigneeId', options.resolvers(ctx), false),
      textarea(ctx, 'note', false),
    ];
  },
});
