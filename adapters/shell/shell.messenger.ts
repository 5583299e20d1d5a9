import type { Writable } from 'node:stream';
import type { AdapterCore } from '../../src/bot/adapter.js';
import type { Destination, Messenger, OutgoingMessage } from '../../src/app/platform.js';

/**
 * The terminal as a recipient: every notification the outbox delivers is printed with its time
 * and who it was for, so a newcomer sees escalations and reminders arrive as they would in chat.
 */
export class ShellMessenger implements Messenger {
  readonly platform = 'shell';
  private readonly time: Intl.DateTimeFormat;

  constructor(
    private readonly app: AdapterCore,
    private readonly output: Writable,
  ) {
    this.time = new Intl.DateTimeFormat('en-GB', { timeZone: app.config.organisation.timezone, hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  reaches(): boolean {
    return true;
  }

  /** The words around a message are the recipient's language, like the message. */
  private words(destination: Destination) {
    return this.app.voice(destination.kind === 'person' ? this.app.localeFor(destination.personId) : undefined);
  }

  async deliver(destination: Destination, message: OutgoingMessage): Promise<void> {
    const { m } = this.words(destination);
    const buttons = (message.card?.actions ?? []).map((a) => a.label);
    const withButtons = buttons.length > 0 ? `${message.text}\n${m.shell.notificationButtons({ buttons: buttons.join(', '), id: message.card?.incidentId ?? '' })}` : message.text;
    const text = message.files?.length ? `${withButtons}\n${m.shell.notificationFiles({ files: message.files.map((f) => f.name).join(', ') })}` : withButtons;
    const line = m.shell.notification({
      time: this.time.format(this.app.clock.now()),
      to: this.describe(destination),
      how: this.how(destination, message),
      text: text.replace(/\n/g, '\n    '),
    });
    this.output.write(`\n${line}\n`);
  }

  private how(destination: Destination, message: OutgoingMessage): string {
    const { m } = this.words(destination);
    if (destination.kind === 'channel') return destination.channel === 'stakeholders' && message.incidentId ? m.shell.threadPost : m.shell.channelPost;
    if (destination.kind === 'service') return m.shell.channelPost;
    return message.urgent ? m.shell.urgent : m.shell.direct;
  }

  private describe(destination: Destination): string {
    const { m, presenter } = this.words(destination);
    if (destination.kind === 'person') return presenter.nameOf(destination.personId);
    if (destination.kind === 'group') return m.shell.group({ name: presenter.nameOf(destination.groupId) });
    if (destination.kind === 'contact') return destination.name;
    if (destination.kind === 'service') return `#${presenter.serviceLabel(destination.serviceId)}`;
    return `#${destination.channel}`;
  }
}
