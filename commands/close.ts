import { actionCommand } from './support/action-command.js';
import { options, select, textarea } from './support/fields.js';

/** First line closes a resolved incident with a closure code. */
export default actionCommand({
  name: 'close',
  fields: (ctx) => [select(ctx, 'closureCode', options.closureCodes(ctx), true), textarea(ctx, 'note', false)],
});
