import { actionCommand } from './support/action-command.js';
import { textarea } from './support/fields.js';

/** Close an open or assigned incident as withdrawn or a false report (first line). */
export default actionCommand({ name: 'withdraw', fields: (ctx) => [textarea(ctx, 'reason', true)] });
