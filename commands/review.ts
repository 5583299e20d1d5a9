import { defineCommand } from '../src/app/command.js';
import { reviewDocument } from '../src/app/review-doc.js';
import { reviewPdf } from '../src/app/review-pdf.js';
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
  positional: ['format'],
  fields: () => [],
  async run(ctx, args) {
    const incident = await ctx.service.get(args.id ?? '');
    const format = (args.format ?? 'md').toLowerCase();
    if (format !== 'md' && format !== 'pdf') throw new UserError('review_usage', {});
    if (!isMajor(incident, ctx.service.config.policy)) throw new UserError('not_major', { id: incident.id });
    const events = await ctx.service.timeline(incident.id);
    const written = events.find((e) => e.action === 'review-doc');
    const name = `${incident.id}-post-incident-review.md`;
    const final = written && typeof written.data.markdown === 'string' ? written.data.markdown : undefined;
    const markdown = final ?? reviewDocument(incident, events, await ctx.service.notes.of(incident.id), presenterFor(ctx), ctx.m);
    const text = final ? ctx.m.reply.reviewWritten({ id: incident.id, at: presenterFor(ctx).formatTime(written!.at) }) : ctx.m.reply.reviewDraft({ id: incident.id });
    const fileName = final ? name : name.replace('.md', '-draft.md');
    if (format === 'md') return { ephemeral: true, text, file: { name: fileName, type: 'text/markdown', content: markdown } };
    const pdf = await reviewPdf(markdown);
    if (!pdf) throw new UserError('review_no_pdf_font', {});
    return { ephemeral: true, text, file: { name: fileName.replace(/\.md$/, '.pdf'), type: 'application/pdf', content: pdf.toString('base64'), encoding: 'base64' } };
  },
});
