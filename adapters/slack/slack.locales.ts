import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { AdapterCore } from '../../src/bot/adapter.js';
import type { Actor } from '../../src/domain/directory.js';
import type { Locale } from '../../src/i18n/index.js';

/** How long a Slack user's locale is trusted before it is asked again. */
const FRESH_MS = 24 * 3_600_000;
/** How long a first request waits for `users.info`; a later answer still serves the next request. */
export const LOCALE_BUDGET_MS = 300;

/**
 * The language a Slack user reads. A person's configured `locale` wins without a call; otherwise
 * Slack's own (`users.info` with `include_locale`, which needs the `users:read` scope), asked once
 * a day per user and cached. The first request of a user waits for it at most `LOCALE_BUDGET_MS`,
 * so a slow or refused look-up costs a form no more than that: it is then in the organisation's
 * language, and the answer, when it comes, serves the next one.
 */
export class SlackLocales {
  private readonly known = new Map<string, { tag?: string; at: number }>();
  private readonly asking = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly app: AdapterCore,
    private readonly log: Logger,
  ) {}

  async of(userId: string, actor: Actor): Promise<Locale> {
    const { app } = this;
    const configured = app.directory.localeOf(actor.id);
    if (configured) return configured;
    const cached = this.known.get(userId);
    if (cached && Date.now() - cached.at < FRESH_MS) return app.localeFor(actor.id, cached.tag);
    const tag = await within(this.ask(userId), LOCALE_BUDGET_MS);
    return app.localeFor(actor.id, tag);
  }

  private ask(userId: string): Promise<string | undefined> {
    let asking = this.asking.get(userId);
    if (!asking) {
      asking = this.client.users
        .info({ user: userId, include_locale: true })
        .then((answer) => (answer.user as { locale?: string } | undefined)?.locale)
        .catch((err: unknown) => {
          this.log.warn({ err, userId }, 'slack: users.info failed; the organisation language is used');
          return undefined;
        })
        .then((tag) => {
          this.known.set(userId, { tag, at: Date.now() });
          this.asking.delete(userId);
          return tag;
        });
      this.asking.set(userId, asking);
    }
    return asking;
  }
}

async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
