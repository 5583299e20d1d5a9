import { randomUUID } from 'node:crypto';
import { App as BoltApp, HTTPReceiver, LogLevel } from '@slack/bolt';
import { slackEventsListener } from './slack.events.js';
import type { AdapterHost, PlatformAdapter } from '../../src/bot/adapter.js';
import { backgroundClient, boltLogger, clientOptions, deliveryClient, ViewOpener } from './slack.clients.js';
import { SlackDirectory } from './slack.directory.js';
import { HomeTab } from './slack.home.js';
import { Interactions } from './slack.interactions.js';
import { SlackLocales } from './slack.locales.js';
import { SlackMessenger } from './slack.messenger.js';
import { ChannelPacer, type PacingOptions } from './slack.pacer.js';
import { ReplySender } from './slack.replies.js';
import { SlackSurface } from './slack.surface.js';
import { slackInbox } from './slack.inbox.js';
import { HELD_SUBMISSION_STALE_MS } from '../../src/store/submission-inbox.js';

export const SLACK_EVENTS_ROUTE = 'POST /slack/events';

export interface SlackAdapter extends PlatformAdapter {
  readonly mode: 'socket' | 'http';
  readonly messenger: SlackMessenger;
  readonly surface: SlackSurface;
  /** Resolves when every request's after-ack work has finished (tests, shutdown). */
  idle(): Promise<void>;
  /**
   * Runs the submissions a stopped process acknowledged and never answered (held longer than
   * `olderThanMs`); gives up, telling their people, those that still fail `giveUpAfterMs` after they
   * were sent. Done at start and once a minute; resolves when the pass has finished.
   */
  replayHeld(olderThanMs?: number, giveUpAfterMs?: number): Promise<void>;
}

export interface SlackAdapterOptions {
  /** How fast posts go into one channel; by default SLACK_CHANNEL_POSTS_PER_SECOND and SLACK_CHANNEL_POST_BURST. */
  pacing?: Partial<PacingOptions>;
}

/**
 * Slack over Socket Mode (SLACK_APP_TOKEN) or HTTP (SLACK_SIGNING_SECRET). In HTTP mode Bolt's
 * HTTPReceiver does not open a port: its request listener is mounted on the bot's one server at
 * `POST /slack/events` (read by slackEventsListener, with Bolt's checks: Slack's signature, bad or
 * older than 5 minutes → 401).
 * Requests in, and two things out for the composition root to hand the outbox: the messenger
 * (notices) and the surface (cards, threads, war rooms), which share one pace per channel.
 */
export function createSlackAdapter(host: AdapterHost, options: SlackAdapterOptions = {}): SlackAdapter {
  const { app, env } = host;
  const token = env.SLACK_BOT_TOKEN;
  if (!token) throw new Error('SLACK_BOT_TOKEN is required for the Slack adapter');
  const log = host.log.child({ adapter: 'slack' });
  const mode = env.SLACK_APP_TOKEN ? 'socket' : 'http';
  const logger = boltLogger(log, 'bolt');
  const interactive = clientOptions(env.SLACK_API_URL, log, 'slack-interactive');

  let receiver: HTTPReceiver | undefined;
  let bolt: BoltApp;
  if (mode === 'socket') {
    bolt = new BoltApp({ token, appToken: env.SLACK_APP_TOKEN, socketMode: true, logger, logLevel: LogLevel.INFO, clientOptions: interactive, deferInitialization: true, convoStore: false });
  } else {
    receiver = new HTTPReceiver({ signingSecret: env.SLACK_SIGNING_SECRET ?? '', endpoints: '/slack/events', logger, logLevel: LogLevel.INFO });
    // No conversation store: the bot keeps no per-conversation state in Bolt, and its middleware ran on every request.
    bolt = new BoltApp({ token, receiver, logger, logLevel: LogLevel.INFO, clientOptions: interactive, deferInitialization: true, convoStore: false });
  }

  const dir = new SlackDirectory(app);
  const background = backgroundClient(token, env.SLACK_API_URL, log);
  // The outbox retries on its own schedule: its client throws on 429 with the wait instead of pausing.
  const delivery = deliveryClient(token, env.SLACK_API_URL, log);
  // One pace per channel for every chat.postMessage the outbox makes (PLATFORMS.md: about 1/s per channel).
  const pacer = new ChannelPacer({ perSecond: env.SLACK_CHANNEL_POSTS_PER_SECOND, burst: env.SLACK_CHANNEL_POST_BURST, ...options.pacing });
  const replies = new ReplySender(bolt.client, log, (locale) => app.voice(locale).m);
  const locales = new SlackLocales(bolt.client, app, log);
  const home = new HomeTab(app, bolt.client, locales, log);

  const inFlight = new Set<Promise<void>>();
  const track = (work: () => Promise<void>) => {
    const running = work().catch((err: unknown) => log.error({ err, ref: randomUUID().slice(0, 8) }, 'Slack request failed after its ack'));
    inFlight.add(running);
    void running.finally(() => inFlight.delete(running));
  };
  const views = new ViewOpener(token, env.SLACK_API_URL);
  const inbox = slackInbox(host.conn);
  const interactions = new Interactions({ app, client: bolt.client, views, background, replies, claims: host.surfaces, home, locales, log, track, inbox });
  interactions.register(bolt);
  let sweep: NodeJS.Timeout | undefined;
  // Submissions a stopped process acknowledged and never answered: held this long, they are run again.
  const replayHeld = (olderThanMs = HELD_SUBMISSION_STALE_MS, giveUpAfterMs?: number): Promise<void> => {
    const pass = (async () => {
      const replayed = await interactions.replayHeld(olderThanMs, giveUpAfterMs);
      if (replayed > 0) log.warn({ replayed }, 'answered submissions a stopped process had acknowledged');
    })();
    track(() => pass);
    return pass;
  };
  bolt.error(async (error) => {
    log.error({ err: error }, 'Slack handler failed');
  });

  // Requests may arrive before start() has verified the token: they wait for it rather than fail.
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  if (receiver) {
    const listener = receiver.requestListener;
    const events = slackEventsListener({ bolt, signingSecret: env.SLACK_SIGNING_SECRET ?? '', logger });
    host.routes.set(SLACK_EVENTS_ROUTE, async (req, res) => {
      await ready;
      // Slack's requests are POSTs, read once (slack.events.ts); anything else gets Bolt's answer.
      if (req.method === 'POST') await events(req, res);
      else listener(req, res);
    });
  }

  return {
    name: 'slack',
    mode,
    messenger: new SlackMessenger(delivery, dir, host.surfaces, pacer),
    surface: new SlackSurface({
      client: delivery, pacer, dir, presenter: app.presenter, m: app.m, clock: app.clock, majorPriority: app.config.policy.majorPriority, log,
    }),
    replayHeld,
    async start() {
      await inbox.init();
      await bolt.init(); // auth.test: a wrong token stops start-up here, with Slack's error
      if (mode === 'socket') await bolt.start();
      markReady();
      log.info({ mode }, mode === 'socket' ? 'Slack connected over Socket Mode' : `Slack listening on ${SLACK_EVENTS_ROUTE}`);
      void replayHeld();
      sweep = setInterval(() => void replayHeld(), HELD_SUBMISSION_STALE_MS);
      sweep.unref();
    },
    async stop() {
      if (sweep) clearInterval(sweep);
      if (mode === 'socket') await bolt.stop().catch((err: unknown) => log.warn({ err }, 'Socket Mode did not stop cleanly'));
      await this.idle();
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
