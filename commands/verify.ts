import { actionCommand } from './support/action-command.js';
import { textarea } from './support/fields.js';

/** The team lead of the closing group checks a closed record and marks it verified (SPEC §11 值班组组长核实). */
export default actionCommand({ name: 'verify', positional: ['note'], fields: (ctx) => [textarea(ctx, 'note', false)] });
