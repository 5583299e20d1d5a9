import { UserError } from '../../src/domain/errors.js';

/** The UserError a decision throws; anything else (or nothing) fails the test. */
export function refusal(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}
