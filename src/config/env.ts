import { z } from 'zod';
import { formatIssues } from './load-config.js';

const optionalText = z.string().trim().min(1).optional();

/** Environment variables: secrets and endpoints. A missing or invalid one stops start-up, naming it. */
export const Env = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** The MongoDB to use; required in production. `npm start` sets it to a development database when unset. */
    MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional(),
    /** Database name (the URI's own name wins when it has one). */
    MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/).default('incident_bot'),
    /** Where the development database started by `npm start` keeps its data (`$DATA_DIR/db`). */
    DATA_DIR: z.string().min(1).default('.data'),
    /** Policy and organisation file; the shipped default when unset. */
    INCIDENT_CONFIG: optionalText,
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** Run the terminal chat even when a platform token is set. */
    SHELL_ADAPTER: z.enum(['auto', 'on', 'off']).default('auto'),
    // Read by src/memory.ts before anything else loads; checked here so a typo stops start-up.
    BOT_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(1000).default(40),
    /** Who you are when the terminal chat starts (a person id or name). */
    SHELL_ACT_AS: optionalText,
    SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'must be a bot token starting with xoxb-').optional(),
    SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'must be an app-level token starting with xapp-').optional(),
    SLACK_SIGNING_SECRET: optionalText,
    SLACK_API_URL: z.string().url().optional(),
    /** Slack: posts per second the bot makes into one channel (Slack allows about 1) and how many a quiet channel takes at once. */
    SLACK_CHANNEL_POSTS_PER_SECOND: z.coerce.number().positive().max(1_000).default(1),
    SLACK_CHANNEL_POST_BURST: z.coerce.number().int().min(1).max(1_000).default(4),
    DISCORD_TOKEN: optionalText,
    DISCORD_APPLICATION_ID: optionalText,
    DISCORD_GUILD_ID: optionalText,
    DISCORD_API_URL: z.string().url().optional(),
    /** How often the timer recovery sweep (an Agenda job) runs (ms): wake-ups a dead process left are fired by it. */
    TIMER_RECOVER_EVERY_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
    /** How often Agenda looks for its jobs (ms); it runs only the recovery sweep. */
    AGENDA_PROCESS_EVERY_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    /** A CI catalog file (CSV with a header row, or YAML) loaded into the catalog at start: rows are added or replaced, broken rows reported by line. */
    CI_CATALOG: optionalText,
    /** E-mail for reporters outside chat (and policy e-mail): an SMTP URL, e.g. smtps://user:pass@smtp.example.com:465. */
    SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional(),
    /** The From address of that e-mail. */
    SMTP_FROM: z.string().trim().min(3).default('Service desk <servicedesk@localhost>'),
    /** Where people reach the bot's HTTP server from outside (the e-mailed Confirm/Reopen links): https://bot.example.com. */
    PUBLIC_URL: z.string().url().optional(),
    /** Signs those links; when unset, a random secret is made once and kept in the database for every replica. */
    LINK_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
    /** How often the outbox delivery worker looks for due messages (ms). */
    OUTBOX_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.MONGODB_URI) {
      ctx.addIssue({
        code: 'custom',
        path: ['MONGODB_URI'],
        message:
          'required when NODE_ENV=production: set it to your MongoDB connection string ' +
          '(mongodb://… or mongodb+srv://…); the embedded database is for development only',
      });
    }
    if (env.SLACK_BOT_TOKEN && !env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_APP_TOKEN'],
        message: 'SLACK_BOT_TOKEN needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)',
      });
    }
    if ((env.SLACK_APP_TOKEN || env.SLACK_SIGNING_SECRET) && !env.SLACK_BOT_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_BOT_TOKEN'], message: 'required when SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set' });
    }
    if (env.DISCORD_TOKEN && !env.DISCORD_APPLICATION_ID) {
      ctx.addIssue({ code: 'custom', path: ['DISCORD_APPLICATION_ID'], message: 'required with DISCORD_TOKEN' });
    }
  });
export type Env = z.infer<typeof Env>;

export class EnvError extends Error {
  override name = 'EnvError';
}

/**
 * The database URI main connects to. The product never starts a database itself: in production
 * MONGODB_URI is required (loadEnv refuses to start without it); in development `npm start`
 * (dev/start.ts) starts one and sets MONGODB_URI before main runs.
 */
export function requireMongoUri(env: Pick<Env, 'MONGODB_URI'>): string {
  if (env.MONGODB_URI) return env.MONGODB_URI;
  throw new EnvError(
    'MONGODB_URI is not set: run the bot with `npm start` (it starts a development database for you) ' +
      'or set MONGODB_URI=mongodb://… to your MongoDB.',
  );
}

/** Empty strings count as unset, so `FOO=` in a .env file does not fail validation. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = Env.safeParse(cleaned);
  if (!result.success) throw new EnvError(`Invalid environment:\n${formatIssues(result.error.issues)}`);
  return result.data;
}
