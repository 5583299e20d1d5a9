import { createHash } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import { DeliveryError, type Destination, type Messenger, type OutgoingMessage } from '../app/platform.js';
import type { Voice } from '../app/voice.js';
import type { Directory } from '../domain/directory.js';
import type { Incident } from '../domain/incident.js';
import { EMAIL_PLATFORM } from './outbox.js';

export interface EmailMessengerDeps {
  /** nodemailer's transport for SMTP_URL. */
  transport: Transporter;
  /** The From address (SMTP_FROM). */
  from: string;
  directory: Directory;
  /** The organisation's words: e-mail goes to people whose chat language is unknown. */
  voice(): Voice;
  /** Confirm / Reopen links for a resolution notice (src/links), when the bot can sign them. */
  links?: { url(incident: Incident, action: 'confirm' | 'reopen' | 'rate'): string; expiresAt(): Date };
  load(id: string): Promise<Incident | undefined>;
  contact: string;
}

/**
 * E-mail through SMTP (`SMTP_URL`, nodemailer), for whoever chat does not reach: an outside
 * contact who phoned in, a person with no chat account, and everyone when the policy asks for
 * e-mail. It goes through the outbox like any message, so it is retried until the server takes it;
 * the Message-ID is made from the outbox key, so a retry after a lost answer is recognisably the
 * same message. A resolution notice carries the reporter's Confirm and Reopen links.
 */
export class EmailMessenger implements Messenger {
  readonly platform = EMAIL_PLATFORM;

  constructor(private readonly deps: EmailMessengerDeps) {}

  reaches(destination: Destination): boolean {
    return Boolean(this.address(destination));
  }

  async deliver(destination: Destination, message: OutgoingMessage): Promise<void> {
    const to = this.address(destination);
    if (!to) throw new DeliveryError('no e-mail address for this recipient', { permanent: true });
    const { m, presenter } = this.deps.voice();
    const incident = message.incidentId ? await this.deps.load(message.incidentId) : undefined;
    const lines = [message.text];
    const offers = (message.actions ?? []).filter((a) => a === 'confirm' || a === 'reopen');
    const { links } = this.deps;
    if (links && incident && incident.status === 'resolved' && offers.length > 0) {
      lines.push('');
      if (offers.includes('confirm')) lines.push(m.email.confirm({ url: links.url(incident, 'confirm') }));
      if (offers.includes('reopen')) lines.push(m.email.reopen({ url: links.url(incident, 'reopen') }));
      lines.push(m.email.linksWork({ until: presenter.formatTime(links.expiresAt()) }));
    }
    // After closure, the reporter is asked once how the service was (SPEC §11).
    if (links && incident && incident.status === 'closed' && !incident.rating && (message.actions ?? []).includes('rate')) {
      lines.push('', m.email.rate({ url: links.url(incident, 'rate') }), m.email.linksWork({ until: presenter.formatTime(links.expiresAt()) }));
    }
    lines.push('', m.email.footer({ contact: this.deps.contact }));
    const subject = incident ? m.email.subject({ id: incident.id, title: incident.title }) : message.text.split('\n')[0]!.slice(0, 120);
    try {
      await this.deps.transport.sendMail({
        from: this.deps.from,
        to: destination.kind === 'contact' ? { name: destination.name, address: to } : to,
        subject,
        text: lines.join('\n'),
        messageId: `<${createHash('sha256').update(message.key).digest('hex').slice(0, 32)}@incident-bot>`,
        headers: { 'X-Incident-Id': message.incidentId ?? '', 'Auto-Submitted': 'auto-generated' },
      });
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      // 5xx: the server refuses this message for good (no such mailbox, policy); anything else is tried again.
      throw new DeliveryError(`SMTP: ${(error as Error).message}`, { permanent: code !== undefined && code >= 500 && code < 600 });
    }
  }

  private address(destination: Destination): string | undefined {
    if (destination.kind === 'contact') return destination.email;
    if (destination.kind === 'person') return this.deps.directory.person(destination.personId)?.email;
    return undefined;
  }
}
