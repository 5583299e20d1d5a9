import type { CardView } from './view.js';

/** Where a message goes: a person (DM), a configured channel, everyone in a group, a service's channel, or an outside contact (e-mail). */
export type Destination =
  | { kind: 'person'; personId: string }
  /** `warroom`: the incident's own war room, wherever the platform opened it (a major incident). */
  | { kind: 'channel'; channel: 'serviceDesk' | 'stakeholders' | 'management' | 'warroom' }
  | { kind: 'group'; groupId: string }
  /** The channel configured for a service (organisation.serviceChannels): its state changes are posted there. */
  | { kind: 'service'; serviceId: string }
  | { kind: 'contact'; name: string; email?: string; phone?: string };

export interface OutgoingMessage {
  /** The outbox key (incident + rule + step): unique, so a platform-side retry can be recognised. */
  key: string;
  /** What produced it ("status:assigned", "escalation:1", …): a messenger may leave to its adapter what that adapter already says itself. */
  rule?: string;
  incidentId?: string;
  text: string;
  card?: CardView;
  /** P1: use every channel the person has (mention + direct message, plus hooks). */
  urgent: boolean;
  /** The buttons the message offers (confirm, reopen, …): e-mail turns confirm/reopen into links. */
  actions?: string[];
  /**
   * An earlier attempt failed or its process stopped mid-way, so the message may already be
   * there: a messenger that can look (Slack message metadata) checks before posting again.
   */
  maybeSent?: boolean;
  /** Files posted with it (a monthly report's charts and CSV), in the same channel. */
  files?: MessageFile[];
}

/** A file carried by a message: text as is, or binary as base64. */
export interface MessageFile {
  name: string;
  content: string;
  encoding?: 'base64';
}

/** A failed delivery; `retryAfterMs` carries a platform's Retry-After, `permanent` stops retries. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';

  constructor(
    message: string,
    readonly options: { retryAfterMs?: number; permanent?: boolean } = {},
  ) {
    super(message);
  }
}

/** Sends outbox messages through one platform. Throws DeliveryError on failure. */
export interface Messenger {
  readonly platform: string;
  /** Whether this platform knows how to reach the destination (the person has an id here, the channel is configured). */
  reaches(destination: Destination): boolean;
  deliver(destination: Destination, message: OutgoingMessage): Promise<void>;
}
