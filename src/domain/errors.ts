/**
 * A refusal the user caused and can fix: a stable code plus the parameters of its sentence.
 * The words come from the message catalog (src/i18n), never from here.
 */
export class UserError extends Error {
  override name = 'UserError';

  constructor(
    readonly code: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(`${code} ${JSON.stringify(params)}`);
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
