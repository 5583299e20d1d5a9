import { defineCommand } from '../src/app/command.js';
import { reviewDocument } from '../src/app/review-doc.js';
import { UserError } from '../src/domain/errors.js';
import { isMajor } from '../src/domain/major.js';
import { presenterFor } from './support/action-command.js';

/**
 * A major incident's post-incident review (SPEC §12) as a Markdown file: the one written when it
 * closed, or, before that, a draft from the record as it stands.
 */
export default defineCommand({
  name: 'review',
  aliases: ['pir'],
  takesIncident: true,
  fields: () => [],
  async run(ctx, args) {
    const incident = await ctx.service.get(args.id ?? '');
    if (!isMajor(incident, ctx.service.config.policy)) throw new UserError('not_major', { id: incident.id });
    const events = await ctx.service.timeline(incident.id);
    const written = events.find((e) => e.action === 'review-doc');
    const name = `${incident.id}-post-incident-review.md`;
    if (written && typeof written.data.markdown === 'string') {
      return { ephemeral: true, text: ctx.m.reply.reviewWritten({ id: incident.id, at: presenterFor(ctx).formatTime(written.at) }), file: { name, type: 'text/markdown', content: written.data.markdown } };
    }
    const draft = reviewDocument(incident, events, await ctx.service.notes.of(incident.id), presenterFor(ctx), ctx.m);
    return { ephemeral: true, text: ctx.m.reply.reviewDraft({ id: incident.id }), file: { name: name.replace('.md', '-draft.md'), type: 'text/markdown', content: draft } };
  },
});
