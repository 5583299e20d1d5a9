import { defineCommand, type CommandContext, type CommandDef, type RawArgs } from '../../src/app/command.js';
import { Presenter } from '../../src/app/presenter.js';
import type { Reply } from '../../src/app/view.js';
import type { Incident } from '../../src/domain/incident.js';
import { permittedRow, type ActionName } from '../../src/domain/lifecycle.js';
import { parseIncidentRef } from '../../src/domain/incident.js';
import type { FormField } from '../../src/app/view.js';
import { word } from '../../src/i18n/index.js';

export function presenterFor(ctx: CommandContext): Presenter {
  return new Presenter(ctx.service.config, ctx.service.directory, ctx.m, ctx.locale);
}

/** The reply after a change: what happened, for whom, and the card as it is now. */
export function changedReply(ctx: CommandContext, incident: Incident, action: string, extra: string[] = []): Reply {
  const text = [
    ctx.m.reply.done({ id: incident.id, action: word(ctx.m.action, action) ?? action, status: ctx.m.status[incident.status] }),
    ...extra,
  ].join('\n');
  return { ephemeral: true, text, card: presenterFor(ctx).card(incident, ctx.clock.now(), ctx.actor), changedIncidentId: incident.id };
}

interface ActionCommandSpec {
  name: ActionName;
  aliases?: string[];
  /** Argument names filled from the words typed after the incident id ("rate INC-… 4 great"). */
  positional?: string[];
  alwaysAsk?: boolean;
  fields?: (ctx: CommandContext, args: RawArgs) => FormField[] | Promise<FormField[]>;
  /** Refuses before a form is shown, beyond who may (e.g. nothing to correct). */
  precheck?: (ctx: CommandContext, incident: Incident) => void;
  /** Adds to the reply after the change (a hint, a follow-up button). */
  after?: (ctx: CommandContext, incident: Incident, reply: Reply) => Reply;
}

/** A command that runs one lifecycle action on one incident; most intents are exactly this. */
export function actionCommand(spec: ActionCommandSpec): CommandDef {
  return defineCommand({
    name: spec.name,
    aliases: spec.aliases,
    positional: spec.positional,
    alwaysAsk: spec.alwaysAsk,
    takesIncident: true,
    fields: spec.fields ?? (() => []),
    async precheck(ctx, args) {
      const incident = await ctx.service.get(args.id ?? '');
      permittedRow(incident, spec.name, ctx.service.directory.relationsOf(ctx.actor, incident), ctx.service.directory);
      spec.precheck?.(ctx, incident);
    },
    formTitle: (ctx, args) => `${word(ctx.m.action, spec.name) ?? spec.name}${args.id ? ` ${parseIncidentRef(args.id) ?? args.id}` : ''}`,
    async run(ctx, args) {
      const { id, ...input } = args;
      const result = await ctx.service.act(id ?? '', spec.name, ctx.actor, input, ctx.key);
      if (result.duplicate) return { ephemeral: true, text: ctx.m.reply.duplicateRequest({ id: result.incident.id }) };
      const reply = changedReply(ctx, result.incident, spec.name, flagNotes(ctx, result.event?.flags ?? []));
      return spec.after ? spec.after(ctx, result.incident, reply) : reply;
    },
  });
}

function flagNotes(ctx: CommandContext, flags: string[]): string[] {
  return flags.map((f) => word(ctx.m.flag, f)).filter((t): t is string => Boolean(t));
}
