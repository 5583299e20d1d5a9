import { actionCommand } from './support/action-command.js';
import { textarea } from './support/fields.js';

/** The reporter asks first line to close (false or mistaken report). */
export default actionCommand({ name: 'request-closure', fields: (ctx) => [textarea(ctx, 'reason', true)] });
