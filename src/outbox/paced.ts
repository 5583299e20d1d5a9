import { DeliveryError } from '../app/platform.js';

/**
 * A delivery an adapter put off to keep a platform's rate limit (Slack: about one post a second per
 * channel): nothing was sent and nothing failed. The worker tries the entry again after
 * `retryAfterMs` without counting a failed attempt, so a backlog never dead-letters anything.
 */
export class PacedDelivery extends DeliveryError {
  override name = 'PacedDelivery';

  constructor(message: string, retryAfterMs: number) {
    super(message, { retryAfterMs });
  }
}
