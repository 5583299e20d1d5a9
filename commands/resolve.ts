import { actionCommand } from './support/action-command.js';
import { options, select, textarea } from './support/fields.js';

/** Record the resolution code and solution; duplicates of this incident are resolved with it. */
export default actionCommand({
  name: 'resolve',
  fields: (ctx) => [select(ctx, 'resolutionCode', options.resolutionCodes(ctx), true), textarea(ctx, 'solution', true)],
});
