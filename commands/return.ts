import { actionCommand } from './support/action-command.js';
import { textarea } from './support/fields.js';

/** The team lead sends a closed record back to the closer with what needs correcting; it stays closed. */
export default actionCommand({ name: 'return', aliases: ['return-record'], positional: ['reason'], fields: (ctx) => [textarea(ctx, 'reason', true)] });
