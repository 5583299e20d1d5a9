import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  messageId?: string;
  headers: ParsedMail['headers'];
}

/**
 * A real SMTP server (the `smtp-server` package) on a free local port: what the bot sends is
 * received over SMTP and parsed (mailparser), so tests assert the message as delivered. `refuse`
 * makes the next N messages fail with the given SMTP reply code.
 */
export async function startSmtp(): Promise<{ url: string; received: ReceivedMail[]; refuse(code: number, times: number): void; close(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  let refusal: { code: number; times: number } | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      if (refusal && refusal.times > 0) {
        refusal.times--;
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error('refused by the test'), { responseCode: refusal!.code })));
        return;
      }
      simpleParser(stream).then(
        (mail) => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            messageId: mail.messageId,
            headers: mail.headers,
          });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    refuse: (code, times) => (refusal = { code, times }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
