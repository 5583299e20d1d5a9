import { UserError } from '../src/domain/errors.js';
import { actionCommand } from './support/action-command.js';
import { options, select, textarea } from './support/fields.js';

/**
 * The closer (or first line) corrects a record the team lead returned: the solution, the
 * resolution or closure code, and a note saying what was corrected; it goes back for verification.
 */
export default actionCommand({
  name: 'correct',
  alwaysAsk: true,
  precheck(_ctx, incident) {
    if (!incident.returned) throw new UserError('nothing_to_correct', { id: incident.id });
  },
  fields: (ctx) => [
    textarea(ctx, 'note', true),
    textarea(ctx, 'solution', false),
    select(ctx, 'resolutionCode', options.resolutionCodes(ctx), false),
    select(ctx, 'closureCode', options.closureCodes(ctx), false),
  ],
});
