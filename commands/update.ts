import { actionCommand } from './support/action-command.js';
import { textarea } from './support/fields.js';

/** A progress note on the timeline (and, with the stakeholder thread, posted to stakeholders). */
export default actionCommand({ name: 'update', aliases: ['note'], fields: (ctx) => [textarea(ctx, 'note', true)] });
