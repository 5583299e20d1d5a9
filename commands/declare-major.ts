import { actionCommand } from './support/action-command.js';
import { options, select, textarea } from './support/fields.js';

/** The incident manager declares a major incident and names its manager. */
export default actionCommand({
  name: 'declare-major',
  aliases: ['major'],
  fields: (ctx) => [select(ctx, 'majorIncidentManagerId', options.majorManagers(ctx), true, options.majorManagers(ctx)[0]?.value), textarea(ctx, 'reason', true)],
});
