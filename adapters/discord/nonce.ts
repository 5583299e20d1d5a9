import { createHash } from 'node:crypto';

/**
 * Discord drops a repeated nonce (≤ 25 characters, with `enforce_nonce`) for a few minutes and
 * answers with the message it already made: a post retried after a crash or a failure lands once.
 */
export function nonceOf(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 25);
}
