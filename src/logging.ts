import pino, { type DestinationStream, type Logger } from 'pino';

/** Anything that may carry a secret is replaced before a line is written. */
export const REDACT_PATHS = [
  'token', '*.token', 'botToken', 'appToken', 'signingSecret', '*.signingSecret', 'password', '*.password',
  'authorization', 'headers.authorization', 'req.headers.authorization', 'headers.cookie', 'req.headers.cookie',
  'env.SLACK_BOT_TOKEN', 'env.SLACK_APP_TOKEN', 'env.SLACK_SIGNING_SECRET', 'env.DISCORD_TOKEN', 'env.MONGODB_URI',
  'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'DISCORD_TOKEN', 'MONGODB_URI',
];

export interface LogOptions {
  level: string;
  /** JSON lines in production; readable lines in a terminal. */
  pretty: boolean;
  /** File descriptor to write to; 2 keeps stdout free for the terminal chat. */
  fd?: number;
  /** A stream instead of a file descriptor (tests). */
  destination?: DestinationStream;
}

export function createLogger(options: LogOptions): Logger {
  const base = { level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (options.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: options.fd ?? 2, colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } },
    });
  }
  return pino(base, options.destination ?? pino.destination({ fd: options.fd ?? 2, sync: false }));
}

/** Masks the password part of a connection string before it is shown anywhere. */
export function maskUri(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}
