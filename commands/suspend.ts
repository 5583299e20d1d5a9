import { actionCommand } from './support/action-command.js';
import { textarea } from './support/fields.js';

/** Waiting on a vendor or the user: leaves the work queue and pauses the SLA clocks. */
export default actionCommand({ name: 'suspend', fields: (ctx) => [textarea(ctx, 'reason', true)] });
