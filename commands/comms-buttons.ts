import { defineCommand } from '../src/app/command.js';
import { actionCommand, changedReply } from './support/action-command.js';
import { textarea } from './support/fields.js';

/** Approve on an approver's message: the drafted update goes out as written. */
export const commsApprove = { ...actionCommand({ name: 'comms-approve', positional: ['draft'] }), buttonOnly: true };

/** Reject on an approver's message: a reason, back to the drafter. */
export const commsReject = { ...actionCommand({ name: 'comms-reject', positional: ['draft', 'reason'], fields: (ctx) => [textarea(ctx, 'reason', true)] }), buttonOnly: true };

/** Edit on an approver's message: the draft's text in a form, approved as edited. */
export const commsEdit = defineCommand({
  name: 'comms-edit',
  takesIncident: true,
  buttonOnly: true,
  positional: ['draft', 'text'],
  alwaysAsk: true,
  async fields(ctx, args) {
    const incident = args.id ? await ctx.service.get(args.id) : undefined;
    const draft = incident?.comms?.drafts.find((d) => d.n === Number(args.draft));
    return [{ ...textarea(ctx, 'text', true), label: ctx.m.field.updateText, maxLength: 2_000, ...(draft ? { initial: draft.text } : {}) }];
  },
  async run(ctx, args) {
    const result = await ctx.service.act(args.id ?? '', 'comms-approve', ctx.actor, { draft: args.draft, text: args.text }, ctx.key);
    if (result.duplicate) return { ephemeral: true, text: ctx.m.reply.duplicateRequest({ id: result.incident.id }) };
    return { ...changedReply(ctx, result.incident, 'comms-approve'), card: undefined };
  },
});
