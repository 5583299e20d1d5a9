import { createHmac, timingSafeEqual } from 'node:crypto';

export const LINK_ACTIONS = ['confirm', 'reopen', 'rate'] as const;
export type LinkAction = (typeof LINK_ACTIONS)[number];

/** What a reporter link says: which incident, which answer, to which resolution (its time), until when. */
export interface LinkClaims {
  incidentId: string;
  action: LinkAction;
  /** The resolution it answers (resolvedAt, ms): a later resolution makes the link stale. For `rate`, the closure (closedAt). */
  resolvedAt: number;
  /** Expiry (ms since the epoch). */
  expires: number;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; why: 'forged' };

/**
 * Signs and checks reporter links: the claims as base64url JSON, a dot, and their HMAC-SHA256.
 * A link changed by one character, cut short or signed with another secret is "forged"; whether
 * it expired or was used is for the caller to say (it has the clock and the store).
 */
export class LinkSigner {
  constructor(private readonly secret: Buffer) {}

  sign(claims: LinkClaims): string {
    const body = Buffer.from(JSON.stringify([claims.incidentId, claims.action, claims.resolvedAt, claims.expires])).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  check(token: string): LinkCheck {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined || token.length > 512) return { ok: false, why: 'forged' };
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, why: 'forged' };
    try {
      const [incidentId, action, resolvedAt, expires] = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown[];
      if (typeof incidentId !== 'string' || !LINK_ACTIONS.includes(action as LinkAction) || typeof resolvedAt !== 'number' || typeof expires !== 'number') return { ok: false, why: 'forged' };
      return { ok: true, claims: { incidentId, action: action as LinkAction, resolvedAt, expires } };
    } catch {
      return { ok: false, why: 'forged' };
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
