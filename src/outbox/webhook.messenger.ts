import type { Directory } from '../domain/directory.js';
import { DeliveryError, type Destination, type Messenger, type OutgoingMessage } from '../app/platform.js';
import { WEBHOOK_PLATFORM } from './outbox.js';

/**
 * SPEC §7's phone/SMS/e-mail hook: each message for a person is POSTed as JSON to the configured
 * URL (`organisation.webhooks.notify`), with the person's e-mail and phone, for a gateway to
 * forward. `Idempotency-Key` carries the outbox key so a gateway can drop a retried delivery.
 */
export class WebhookMessenger implements Messenger {
  readonly platform = WEBHOOK_PLATFORM;

  constructor(
    private readonly url: string,
    private readonly directory: Directory,
    private readonly timeoutMs = 10_000,
  ) {}

  reaches(destination: Destination): boolean {
    return destination.kind === 'person' && Boolean(this.directory.person(destination.personId));
  }

  async deliver(destination: Destination, message: OutgoingMessage): Promise<void> {
    if (destination.kind !== 'person') throw new DeliveryError('the webhook only takes messages for people', { permanent: true });
    const person = this.directory.person(destination.personId);
    const body = {
      key: message.key,
      incidentId: message.incidentId,
      urgent: message.urgent,
      text: message.text,
      person: { id: destination.personId, name: person?.name, email: person?.email, phone: person?.phone },
    };
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': message.key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new DeliveryError(`notification webhook unreachable: ${(error as Error).message}`);
    }
    if (response.ok) return;
    const retryAfter = Number(response.headers.get('retry-after'));
    if (response.status === 429) throw new DeliveryError('notification webhook rate limit', { retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined });
    throw new DeliveryError(`notification webhook answered ${response.status}`, { permanent: response.status >= 400 && response.status < 500 });
  }
}
