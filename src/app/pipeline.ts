import { randomUUID } from 'node:crypto';
import { isUserError } from '../domain/errors.js';
import { errorText, type Catalog } from '../i18n/index.js';
import { cleanArgs, schemaFor, type CommandContext, type RawArgs } from './command.js';
import type { CommandRegistry } from './registry.js';
import type { FormField, Reply } from './view.js';
import { word } from '../i18n/index.js';

/**
 * Problems with a filled form, by field name, checked in memory with the schema the form derives
 * (no database): adapters answer a submission with these at once, before anything is committed.
 */
export function formErrors(fields: FormField[], rawArgs: RawArgs, m: Catalog): Record<string, string> {
  const parsed = schemaFor(fields, m).safeParse(cleanArgs(rawArgs));
  const errors: Record<string, string> = {};
  for (const issue of parsed.error?.issues ?? []) errors[String(issue.path[0] ?? '')] ??= issue.message;
  return errors;
}

export interface RunOptions {
  /** The args come from a submitted form: problems are shown on its fields, not as a new blank form. */
  submitted?: boolean;
}

/**
 * The fixed run pipeline every adapter uses: find the command → collect and validate its input
 * (a form when something is missing) → run → reply. User mistakes become replies; anything else
 * is logged with an id the user can quote.
 */
export async function runCommand(
  registry: CommandRegistry,
  ctx: CommandContext,
  name: string,
  rawArgs: RawArgs,
  options: RunOptions = {},
): Promise<Reply> {
  const command = registry.get(name);
  if (!command) return { ephemeral: true, text: ctx.m.error.unknown_command({ command: name.slice(0, 40) }), error: { code: 'unknown_command' } };
  const args = cleanArgs(rawArgs);
  try {
    if (!command.takesIncident || args.id) await command.precheck?.(ctx, args);
    const fields: FormField[] = [...(await command.fields(ctx, args))];
    if (command.takesIncident && !args.id) {
      fields.unshift({ name: 'id', label: ctx.m.field.id ?? 'Incident', type: 'text', required: true, maxLength: 20 });
    }
    if (fields.length > 0) {
      chosenByLabel(fields, args);
      const nothingGiven = fields.every((f) => args[f.name] === undefined);
      // Nothing given and not submitted: the form is shown when the command always asks, or when a
      // field is required (an absent required field is always a problem), and a fresh form shows no
      // errors for what was not typed (see below), so its empty answers need no check (`/incident`
      // alone: the check was 6 % of the bot's CPU under a burst of it).
      const blankForm = !options.submitted && nothingGiven && (command.alwaysAsk === true || fields.some((f) => f.required));
      const problems = blankForm ? {} : formErrors(fields, args, ctx.m);
      if (Object.keys(problems).length > 0 || blankForm) {
        // A fresh form only complains about what was actually typed.
        const errors = Object.fromEntries(Object.entries(problems).filter(([field]) => options.submitted || args[field] !== undefined));
        // What the form does not ask is carried along as it came (the incident, a button's draft number).
        const formArgs = Object.fromEntries(Object.entries(args).filter((e): e is [string, string] => e[1] !== undefined && !fields.some((f) => f.name === e[0])));
        return {
          ephemeral: true,
          form: {
            title: command.formTitle?.(ctx, args) ?? word(ctx.m.action, command.name) ?? command.name,
            submitLabel: word(ctx.m.action, command.name) ?? command.name,
            cancelLabel: ctx.m.word.cancel,
            command: command.name,
            args: formArgs,
            fields: fields
              .filter((f) => f.name !== 'id' || !args.id)
              .map((f) => (args[f.name] !== undefined ? { ...f, initial: args[f.name], given: true } : f)),
            ...(Object.keys(errors).length > 0 ? { errors } : {}),
          },
        };
      }
    }
    return await command.run(ctx, args);
  } catch (error) {
    if (isUserError(error)) return { ephemeral: true, text: errorText(error, ctx.m), error: { code: error.code } };
    const ref = randomUUID().slice(0, 8);
    ctx.log.error({ err: error, ref, command: name, actor: ctx.actor.id }, 'command failed');
    return { ephemeral: true, text: ctx.m.error.internal({ ref }), error: { code: 'internal', ref } };
  }
}

/**
 * A choice typed as what people read rather than its id ("访问" or "Access" for the category
 * `access`, "Very important" for impact 1) is taken as that option. Exact value first, then the
 * label, then the label without its leading number and trailing hint ("1 — Very important (…)").
 */
function chosenByLabel(fields: FormField[], args: RawArgs): void {
  for (const field of fields) {
    const typed = args[field.name];
    if (!typed || !field.options || field.options.some((o) => o.value === typed)) continue;
    const wanted = typed.normalize('NFKC').toLowerCase();
    const core = (label: string) => label.replace(/^\d+\s*—\s*/, '').replace(/\s*[(（].*$/, '').normalize('NFKC').toLowerCase();
    const found = field.options.find((o) => o.label.normalize('NFKC').toLowerCase() === wanted) ?? field.options.find((o) => core(o.label) === wanted);
    if (found) args[field.name] = found.value;
  }
}
