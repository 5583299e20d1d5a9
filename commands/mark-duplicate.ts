import { actionCommand } from './support/action-command.js';
import { text } from './support/fields.js';

/** Link to an unresolved master; resolving the master resolves this one. */
export default actionCommand({ name: 'mark-duplicate', aliases: ['duplicate'], fields: (ctx) => [text(ctx, 'masterId', true, 20)] });
