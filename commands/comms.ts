import { defineCommand, type CommandContext } from '../src/app/command.js';
import type { Reply } from '../src/app/view.js';
import { UserError } from '../src/domain/errors.js';
import type { Incident } from '../src/domain/incident.js';
import { approversOf } from '../src/domain/major.js';
import { word } from '../src/i18n/index.js';
import { formatDuration } from '../src/config/duration.js';
import { changedReply, presenterFor } from './support/action-command.js';

/**
 * A major incident's communication plan (SPEC §12): `comms INC-…` shows each audience (channel,
 * cadence, approver, next due, last sent) and the drafts; `comms INC-… draft <audience> <text>`
 * drafts an update (posted at once, or sent to the audience's approvers); approvers answer with the
 * buttons they get, or `comms INC-… approve <n>`, `edit <n> <text>`, `reject <n> <reason>`.
 */
export default defineCommand({
  name: 'comms',
  takesIncident: true,
  positional: ['op', 'text'],
  fields: () => [],
  async run(ctx, args) {
    const incident = await ctx.service.get(args.id ?? '');
    const op = (args.op ?? '').toLowerCase();
    const text = (args.text ?? '').trim();
    if (op === '') return show(ctx, incident);
    const [first = '', ...rest] = text.split(/\s+/);
    if (op === 'draft') return act(ctx, incident, 'comms-draft', { audience: first, text: rest.join(' ') });
    if (op === 'approve') return act(ctx, incident, 'comms-approve', { draft: first });
    if (op === 'edit') return act(ctx, incident, 'comms-approve', { draft: first, text: rest.join(' ') });
    if (op === 'reject') return act(ctx, incident, 'comms-reject', { draft: first, reason: rest.join(' ') });
    throw new UserError('comms_usage', {});
  },
});

async function act(ctx: CommandContext, incident: Incident, action: 'comms-draft' | 'comms-approve' | 'comms-reject', input: Record<string, string>): Promise<Reply> {
  const result = await ctx.service.act(incident.id, action, ctx.actor, input, ctx.key);
  if (result.duplicate) return { ephemeral: true, text: ctx.m.reply.duplicateRequest({ id: incident.id }) };
  const n = Number(result.event?.data.draft);
  const draft = result.incident.comms?.drafts.find((d) => d.n === n);
  const said = draft ? ctx.m.reply.commsDraftState({ n, audience: word(ctx.m.audience, draft.audience) ?? draft.audience, state: ctx.m.commsState[draft.state] }) : '';
  return { ...changedReply(ctx, result.incident, action, said ? [said] : []), card: undefined };
}

function show(ctx: CommandContext, incident: Incident): Reply {
  const { m } = ctx;
  const comms = incident.comms;
  if (!comms) throw new UserError('not_major', { id: incident.id });
  const presenter = presenterFor(ctx);
  const audiences = comms.audiences.map((a) => {
    const approvers = approversOf(a, incident, ctx.service.directory).map((id) => presenter.nameOf(id)).join(', ');
    return m.reply.commsAudience({
      audience: word(m.audience, a.audience) ?? a.audience, key: a.audience, channel: m.commsChannel[a.channel], every: formatDuration(a.every, m.duration),
      due: presenter.formatTime(a.nextDueAt), last: a.lastSentAt ? presenter.formatTime(a.lastSentAt) : m.time.never, approvers: approvers || '—',
    });
  });
  const drafts = comms.drafts.map((d) => `#${d.n} [${m.commsState[d.state]}] ${word(m.audience, d.audience) ?? d.audience} — ${d.byName}: ${d.text}${d.reason ? ` (${d.reason})` : ''}`);
  return { ephemeral: true, text: [m.reply.commsHeading({ id: incident.id }), ...audiences, ...(drafts.length > 0 ? [m.reply.commsDrafts, ...drafts] : [])].join('\n') };
}
