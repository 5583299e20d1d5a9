import { actionCommand } from './support/action-command.js';
import { text, textarea } from './support/fields.js';

/** Waiting for a linked emergency change. */
export default actionCommand({ name: 'pending-change', aliases: ['change'], fields: (ctx) => [text(ctx, 'change', true, 100), textarea(ctx, 'note', false)] });
