import { actionCommand } from './support/action-command.js';
import { options, select, textarea } from './support/fields.js';

/** A manual priority change (many users, repeated, complaints); the reason is kept in the priority log. */
export default actionCommand({
  name: 'change-priority',
  aliases: ['priority'],
  fields: (ctx) => [select(ctx, 'priority', options.priorities(), true), textarea(ctx, 'reason', true)],
});
