import { actionCommand } from './support/action-command.js';
import { textarea } from './support/fields.js';

/** The reporter rejects the resolution: back to in progress with the same owner. */
export default actionCommand({ name: 'reopen', fields: (ctx) => [textarea(ctx, 'reason', true)] });
