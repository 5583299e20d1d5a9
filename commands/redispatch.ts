import { actionCommand } from './support/action-command.js';
import { options, select, textarea } from './support/fields.js';

/** Re-dispatch to another group, or escalate to the next line (the group's `nextLine` is suggested). */
export default actionCommand({
  name: 'redispatch',
  aliases: ['escalate', 're-dispatch'],
  async fields(ctx, args) {
    const incident = args.id ? await ctx.service.get(args.id).catch(() => undefined) : undefined;
    const nextLine = incident?.groupId ? ctx.service.directory.group(incident.groupId)?.nextLine : undefined;
    return [
      select(ctx, 'groupId', options.groups(ctx), true, nextLine),
      select(ctx, 'assigneeId', options.resolvers(ctx), false),
      textarea(ctx, 'reason', true),
      select(ctx, 'escalate', options.yesNo(ctx), false, 'false'),
    ];
  },
});
