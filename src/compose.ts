import type { Readable, Writable } from 'node:stream';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { createRegistry } from '../commands/index.js';
import { ShellAdapter } from '../adapters/shell/shell.adapter.js';
import { createApp, type App } from './bot/app.js';
import type { Clock } from './app/clock.js';
import type { Messenger } from './app/platform.js';
import type { AdapterHost, PlatformAdapter } from './bot/adapter.js';
import type { ConfigFile } from './config/config.schema.js';
import { configWarnings } from './config/config-warnings.js';
import type { Env } from './config/env.js';
import { Directory } from './domain/directory.js';
import { BotMetrics } from './http/metrics.js';
import type { RouteHandler } from './http/server.js';
import { WakeupScheduler } from './jobs/wakeup.scheduler.js';
import type { TimerScheduler } from './jobs/timer.service.js';
import { DeliveryWorker } from './outbox/delivery.worker.js';
import type { Surface } from './outbox/surface.js';
import { WebhookMessenger } from './outbox/webhook.messenger.js';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { createTransport } from 'nodemailer';
import { ciReferences, readCiFile } from './domain/ci.js';
import { errorText } from './i18n/index.js';
import { AlertIntake } from './intake/intake.js';
import { EmailMessenger } from './outbox/email.messenger.js';
import { LinkStore } from './links/link.store.js';
import { LinkSigner } from './links/signer.js';
import { LINKS_GET_ROUTE, LINKS_POST_ROUTE, ReporterLinks } from './links/reporter-links.js';
import { ALERTS_ROUTE, alertsRoute } from './intake/routes.js';
import { STATUS_ROUTE, statusRoute } from './status/status-page.js';

/** Builds one platform adapter from what the composition root hands it. */
export type AdapterFactory = (host: AdapterHost) => PlatformAdapter;

export interface ComposeOptions {
  conn: Connection;
  config: ConfigFile;
  env: Env;
  log: Logger;
  clock: Clock;
  /** Wakes timers: the wake-up log (production) unless a test brings its own. */
  scheduler?: TimerScheduler;
  /** The chat platforms; by default those the environment has tokens for. */
  adapters?: AdapterFactory[];
  /** The terminal chat on these streams (main decides whether it runs). */
  shell?: { input: Readable; output: Writable; actAs?: string };
  /** Messengers beyond the adapters' (tests record what is sent); the adapters' are added to this list. */
  messengers?: Messenger[];
  /** prom-client's process metrics (default on; tests with many bots in one process turn them off). */
  defaultMetrics?: boolean;
  /** Where the secrets the policy names are read (monitoring sources' tokens): process.env unless a test brings its own. */
  secrets?: Record<string, string | undefined>;
}

export interface Bot {
  app: App;
  adapters: PlatformAdapter[];
  shell?: ShellAdapter;
  delivery: DeliveryWorker;
  /** What GET /metrics serves. */
  metrics: BotMetrics;
  /** The wake-up log, when this bot runs its own timers (not a test's scheduler). */
  wakeups?: WakeupScheduler;
  /** HTTP routes the adapters mount on the bot's one server (e.g. Slack's POST /slack/events). */
  routes: Map<string, RouteHandler>;
  /** Monitoring alerts in (POST /alerts/<source>). */
  intake: AlertIntake;
  /** Starts adapters, the after-commit sweep, delivery and timers. */
  start(): Promise<void>;
  /** Stops them in the order that loses nothing: timers, the requests adapters have taken, after-commit work, delivery, adapters. */
  stop(): Promise<void>;
  /**
   * Waits until requests in progress are answered and everything the outbox holds that is due
   * now has been delivered (tests; a clock that does not move leaves later retries for later).
   */
  settle(): Promise<void>;
}

/**
 * The platform adapters the environment asks for: each platform adds one line here. A platform's
 * module (and its SDK) is loaded only when the platform is configured: discord.js alone is 13 MB
 * of heap, Bolt 9 MB, and every full collection marks what is loaded (src/memory.ts).
 */
export async function adaptersFromEnv(env: Env): Promise<AdapterFactory[]> {
  const factories: AdapterFactory[] = [];
  if (env.SLACK_BOT_TOKEN) factories.push((await import('../adapters/slack/slack.adapter.js')).createSlackAdapter);
  if (env.DISCORD_TOKEN) {
    const { createDiscordAdapter } = await import('../adapters/discord/discord.adapter.js');
    factories.push((host) => createDiscordAdapter(host));
  }
  return factories;
}

/**
 * The composition root: every part of the bot is built here and handed what it uses — stores and
 * service, the command registry, adapters, their messengers and surfaces for the outbox, the
 * delivery worker and the timers. `src/main.ts` and the test harnesses call it, so tests run the
 * same wiring as production.
 */
export async function composeBot(options: ComposeOptions): Promise<Bot> {
  const { conn, config, env, log, clock } = options;
  // A list handed in is used as it is (tests share one between processes and add a recording messenger).
  const messengers: Messenger[] = options.messengers ?? [];
  const surfaces: Surface[] = [];
  const hook = config.organisation.webhooks.notify;
  if (hook && !messengers.some((m) => m.platform === 'webhook')) messengers.push(new WebhookMessenger(hook, new Directory(config)));
  // The wake-up log fires the app's timers; the app is built right after (it needs the scheduler).
  const built: { app?: App } = {};
  const wakeups = options.scheduler
    ? undefined
    : new WakeupScheduler(conn, (incidentId) => built.app!.timers.fire(incidentId), log, {
        recoverEveryMs: env.TIMER_RECOVER_EVERY_MS,
        agendaProcessEveryMs: env.AGENDA_PROCESS_EVERY_MS,
      });
  const metrics = new BotMetrics({ defaultMetrics: options.defaultMetrics ?? true }).countCommands(conn.getClient());
  const app = await createApp({ conn, config, log, clock, registry: createRegistry(), messengers, surfaces, metrics, scheduler: options.scheduler ?? wakeups });
  built.app = app;
  // The monthly report (SPEC §15): Agenda looks whether a month is due; a month is posted once.
  wakeups?.recurring('monthly report', config.policy.reports.checkEvery, async () => {
    await app.monthlyReports.runDue();
  });
  // The monthly follow-up draw (SPEC §11 回访): Agenda looks whether a month is due; a month is drawn once.
  wakeups?.recurring('follow-up calls', config.policy.closure.followUp.checkEvery, async () => {
    await app.followUps.runDue();
  });
  const routes = new Map<string, RouteHandler>();
  const secrets = options.secrets ?? process.env;
  const intake = new AlertIntake({ service: app.service, store: app.alertStore, config, clock, log, secrets, metrics });
  routes.set(ALERTS_ROUTE, alertsRoute(intake, () => config.policy.monitoring.maxBodyBytes));
  const links = await reporterLinks(options, app);
  routes.set(LINKS_GET_ROUTE, links.route());
  routes.set(LINKS_POST_ROUTE, links.route());
  // The public service status page (SPEC §7): read-only, from the service states.
  routes.set(STATUS_ROUTE, statusRoute({ config, status: app.serviceStatus, voice: (locale) => app.voice(locale), now: () => clock.now() }));
  if (env.SMTP_URL && !messengers.some((m) => m.platform === 'email')) {
    const contact = config.organisation.serviceDeskContact;
    messengers.push(new EmailMessenger({ transport: createTransport(env.SMTP_URL), from: env.SMTP_FROM, directory: app.directory, voice: () => app.voice(), links, load: (id) => app.store.load(id), contact }));
  }
  const host: AdapterHost = { app, conn, env, log, routes, surfaces: app.surfaceStore };
  const adapters = (options.adapters ?? (await adaptersFromEnv(env))).map((make) => make(host));
  const shell = options.shell ? new ShellAdapter({ app, exportDir: join(env.DATA_DIR, 'exports'), ...options.shell }) : undefined;
  const all: PlatformAdapter[] = shell ? [...adapters, shell] : adapters;
  for (const adapter of all) {
    if (adapter.messenger) messengers.push(adapter.messenger);
    if (adapter.surface) surfaces.push(adapter.surface);
  }
  const delivery = new DeliveryWorker({ store: app.outboxStore, messengers, surfaces: app.surfaces, clock, log, metrics, options: { pollMs: env.OUTBOX_POLL_MS } });
  metrics.collectFrom({ store: app.store, outbox: app.outboxStore, delivery, now: () => clock.now() });
  let sweep: NodeJS.Timeout | undefined;

  return {
    app,
    adapters,
    shell,
    delivery,
    metrics,
    wakeups,
    routes,
    intake,
    async start() {
      for (const warning of configWarnings(config, { smtp: Boolean(env.SMTP_URL) })) log.warn(warning);
      if (env.SMTP_URL) log.info({ from: env.SMTP_FROM }, 'e-mail on: reporters outside chat get their updates by e-mail (SMTP_URL)');
      if (env.SMTP_URL && !env.PUBLIC_URL) log.warn(`PUBLIC_URL is not set: the Confirm/Reopen links in e-mails point at http://localhost:${env.PORT}, which only works on this machine`);
      // Monitoring not set up at all is one quiet line; a source left out of a set-up is a warning.
      const sources = Object.entries(config.policy.monitoring.sources).map(([name, source]) => ({ name, secret: 'bearer' in source.auth ? source.auth.bearer : source.auth.hmac.secret }));
      const unset = sources.filter((s) => !secrets[s.secret]);
      if (sources.length > 0 && unset.length === sources.length) {
        log.info(`monitoring alerts are off: POST /alerts/<source> refuses every request until its secret is set (${unset.map((s) => s.secret).join(', ')}; docs/alerts.md)`);
      } else {
        for (const s of unset) log.warn({ source: s.name }, `monitoring source "${s.name}" refuses every request until ${s.secret} is set (POST /alerts/${s.name})`);
      }
      if (env.CI_CATALOG) await loadCatalog(env.CI_CATALOG, app, log, clock.now());
      // Which text search runs (issue 14: say it at start).
      log.info({ reason: app.store.textReason }, app.store.text.describe());
      // Alert payloads a crash left stored but unprocessed.
      await intake.sweep(0).catch((err: unknown) => log.error({ err }, 'alert sweep failed'));
      // Work a crash left half done: after-commit work of events committed but not processed.
      const replayed = await app.service.replayUnprocessed(0);
      if (replayed > 0) log.warn({ replayed }, 'finished after-commit work left over from an earlier run');
      // Incidents stored before the KPIs' facts existed are filed once, in the background.
      void app.kpis.fillOnce().catch((err: unknown) => log.error({ err }, 'filing KPI facts for earlier incidents failed; the next start tries again'));
      // Delivery first: what earlier runs left in the outbox goes out while the adapters connect
      // (messengers and surfaces use the platforms' REST APIs, not the gateway).
      delivery.start();
      await wakeups?.start();
      for (const adapter of adapters) {
        await adapter.start();
        log.info({ adapter: adapter.name }, 'adapter started');
      }
      log.info({ messengers: messengers.map((m) => m.platform), surfaces: surfaces.map((s) => s.platform) }, 'timers and outbox delivery running');
      log.debug({ timers: wakeups?.settings, outboxPollMs: env.OUTBOX_POLL_MS }, 'timer and delivery settings');
      // After-commit work that failed (a database blip) is retried here rather than waiting for a restart.
      sweep = setInterval(() => {
        app.service.replayUnprocessed(30_000).catch((err: unknown) => log.error({ err }, 'after-commit sweep failed'));
        intake.sweep(30_000).catch((err: unknown) => log.error({ err }, 'alert sweep failed'));
      }, 60_000);
      sweep.unref();
    },
    async stop() {
      if (sweep) clearInterval(sweep);
      // Timers first (running handlers finish, locks are released for other processes), then delivery.
      await wakeups?.stop().catch((err: unknown) => log.error({ err }, 'timer scheduler stop failed'));
      // Forms already taken (acknowledged, their commit still running) are committed first, so that
      // their after-commit work is among what is waited for next.
      for (const adapter of adapters) await adapter.idle?.().catch((err: unknown) => log.error({ err, adapter: adapter.name }, 'adapter did not settle'));
      await intake.idle();
      // Work after answers already given finishes before the process goes (else the sweep of the next start does it).
      await app.service.idle();
      await delivery.stop();
      for (const adapter of adapters) await adapter.stop().catch((err: unknown) => log.error({ err, adapter: adapter.name }, 'adapter stop failed'));
      app.store.stop();
    },
    async settle() {
      let idlePasses = 0;
      for (let round = 0; round < 400 && idlePasses < 3; round++) {
        for (const adapter of adapters) await adapter.idle?.();
        await app.service.idle();
        await intake.idle();
        const before = delivery.stats.sent + delivery.stats.retried + delivery.stats.dead;
        await delivery.runOnce();
        const moved = delivery.stats.sent + delivery.stats.retried + delivery.stats.dead !== before;
        // Nothing moved: nothing is due, or another process holds an incident (then wait a little).
        idlePasses = moved ? 0 : idlePasses + 1;
        if (!moved) await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

/**
 * The reporter links (Confirm / Reopen by e-mail): signed with LINK_SECRET or the database's own
 * secret, pointing at PUBLIC_URL (else this server on localhost, which only works on this machine).
 */
async function reporterLinks(options: ComposeOptions, app: App): Promise<ReporterLinks> {
  const { conn, env, config, clock } = options;
  const store = new LinkStore(conn);
  await store.init();
  const signer = new LinkSigner(await store.secret(env.LINK_SECRET));
  const baseUrl = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  return new ReporterLinks({
    signer, store, baseUrl, clock, contact: config.organisation.serviceDeskContact,
    load: (id) => app.store.load(id),
    run: (actor, name, args, runOptions) => app.run(actor, name, args, { ...runOptions, locale: config.organisation.locale }),
    voice: () => app.voice(),
  });
}

/**
 * Loads a CI catalog file (CI_CATALOG) at start: every good row is added or replaced, each broken
 * one is logged with its line and why. A file that cannot be read at all stops start-up, naming it.
 */
async function loadCatalog(path: string, app: App, log: Logger, now: Date): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`CI_CATALOG: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const format = ['.yml', '.yaml'].includes(extname(path).toLowerCase()) ? 'yaml' : 'csv';
  let result: ReturnType<typeof readCiFile>;
  try {
    result = readCiFile(text, format, ciReferences(app.config));
  } catch (error) {
    throw new Error(`CI_CATALOG: ${path} is not a ${format === 'csv' ? 'CSV' : 'YAML'} catalog: ${(error as Error).message}`, { cause: error });
  }
  for (const item of result.items) await app.service.catalog.save(item, now);
  for (const { line, problem } of result.problems) log.warn(`CI_CATALOG ${path}, line ${line}: ${errorText(problem)}; row skipped`);
  log.info({ loaded: result.items.length, skipped: result.problems.length }, `CI catalog: ${result.items.length} CI(s) loaded from ${path}${result.problems.length > 0 ? `, ${result.problems.length} row(s) skipped (see the warnings above)` : ''}`);
}
