import { actionCommand } from './support/action-command.js';
import { options, select, textarea } from './support/fields.js';

/** Reject a dispatch: a reason and a suggested group are required; the incident returns to first line. */
export default actionCommand({
  name: 'reject',
  fields: (ctx) => [textarea(ctx, 'reason', true), select(ctx, 'suggestedGroupId', options.groups(ctx), true)],
});
