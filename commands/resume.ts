import { actionCommand } from './support/action-command.js';
import { textarea } from './support/fields.js';

/** Back to work from suspended or pending change; the paused time shifts the clocks. */
export default actionCommand({ name: 'resume', fields: (ctx) => [textarea(ctx, 'note', false)] });
