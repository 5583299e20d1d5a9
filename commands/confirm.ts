import { actionCommand } from './support/action-command.js';
import { textarea } from './support/fields.js';

/** The reporter confirms the resolution, which lets first line close. */
export default actionCommand({ name: 'confirm', fields: (ctx) => [{ ...textarea(ctx, 'note', false) }] });
