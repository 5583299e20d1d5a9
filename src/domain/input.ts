import type { ActionContext } from './action.js';
import { UserError } from './errors.js';

/** An optional free-text input, trimmed; blank is absent; longer than `max` is refused by name. */
export function textInput(ctx: ActionContext, field: string, max: number): string | undefined {
  const value = ctx.input[field];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (value.trim().length > max) throw new UserError('too_long', { field, max });
  return value.trim();
}

/** The same, required: missing is refused with the field's name. */
export function neededInput(ctx: ActionContext, field: string, max: number): string {
  const value = textInput(ctx, field, max);
  if (!value) throw new UserError('field_required', { id: ctx.incident.id, field });
  return value;
}
