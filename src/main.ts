import { resolve } from 'node:path';
import mongoose from 'mongoose';
import { createPlatformAdapters } from '../adapters/index.js';
import { ShellAdapter } from '../adapters/shell/shell.adapter.js';
import { ShellMessenger } from '../adapters/shell/shell.messenger.js';
import { WakeupScheduler } from './jobs/wakeup.scheduler.js';
import { DeliveryWorker } from './outbox/delivery.worker.js';
import { WebhookMessenger } from './outbox/webhook.messenger.js';
import { Directory } from './domain/directory.js';
import type { Messenger } from './app/platform.js';
import type { RouteHandler } from './http/server.js';
import { createApp } from './app/app.js';
import { systemClock } from './app/clock.js';
import { EnvError, loadEnv, requireMongoUri, type Env } from './config/env.js';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from './config/load-config.js';
import { startHttp } from './http/server.js';
import { incidentMetrics } from './http/metrics.js';
import { createLogger, maskUri } from './logging.js';

/** The composition root: environment → configuration → database → core → HTTP → adapters. */
async function main(): Promise<void> {
  const env = loadEnv();
  const log = createLogger({ level: env.LOG_LEVEL, pretty: env.NODE_ENV !== 'production' && process.stderr.isTTY });
  const configPath = env.INCIDENT_CONFIG ? resolve(env.INCIDENT_CONFIG) : DEFAULT_CONFIG_PATH;
  const config = loadConfigFile(configPath);
  log.info({ config: configPath }, 'configuration loaded');

  // The database is given (production, or `npm start`, which starts a development one and sets it).
  const mongoUri = requireMongoUri(env);
  log.info({ uri: maskUri(mongoUri) }, 'database: MONGODB_URI');
  const conn = await mongoose.createConnection(mongoUri, { dbName: env.MONGODB_DB, serverSelectionTimeoutMS: 10_000 }).asPromise();
  // One array of messengers: the outbox reads it at each write, adapters add theirs below.
  const messengers: Messenger[] = [];
  const hook = config.organisation.webhooks.notify;
  if (hook) messengers.push(new WebhookMessenger(hook, new Directory(config)));
  const scheduler = new WakeupScheduler(conn, (incidentId) => app.timers.fire(incidentId), log, {
    recoverEveryMs: env.TIMER_RECOVER_EVERY_MS,
    agendaProcessEveryMs: env.AGENDA_PROCESS_EVERY_MS,
  });
  const app = await createApp({ conn, config, log, clock: systemClock, messengers, scheduler });

  const routes = new Map<string, RouteHandler>();
  const adapters = createPlatformAdapters({ app, env, log, routes, messengers });
  const shell = wantsShell(env) ? new ShellAdapter({ app, input: process.stdin, output: process.stdout, actAs: env.SHELL_ACT_AS }) : undefined;
  if (shell) messengers.push(new ShellMessenger(app, process.stdout));
  // Work a crash left half done: notifications and timer plans of events committed but not processed.
  const replayed = await app.service.replayUnprocessed(0);
  if (replayed > 0) log.warn({ replayed }, 'finished after-commit work left over from an earlier run');
  const delivery = new DeliveryWorker({ store: app.outboxStore, messengers, clock: systemClock, log, options: { pollMs: env.OUTBOX_POLL_MS } });
  const http = await startHttp({
    port: env.PORT,
    ready: async () => (await conn.db?.admin().ping())?.ok === 1,
    metrics: () => incidentMetrics(app.store, { outbox: app.outboxStore, delivery }),
    routes,
  });
  log.info({ port: http.port }, 'health, readiness and metrics listening');
  for (const adapter of adapters) {
    await adapter.start();
    log.info({ adapter: adapter.name }, 'adapter started');
  }
  delivery.start();
  await scheduler.start();
  log.info({ timers: scheduler.settings, outboxPollMs: env.OUTBOX_POLL_MS, messengers: messengers.map((m) => m.platform) }, 'timers and outbox delivery running');
  // After-commit work that failed (a database blip) is retried here rather than waiting for a restart.
  const sweep = setInterval(() => {
    app.service.replayUnprocessed(30_000).catch((err: unknown) => log.error({ err }, 'after-commit sweep failed'));
  }, 60_000);
  sweep.unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    clearInterval(sweep);
    // Timers first (running handlers finish, locks are released for other processes), then delivery.
    await scheduler.stop().catch((err: unknown) => log.error({ err }, 'timer scheduler stop failed'));
    await delivery.stop();
    for (const adapter of adapters) await adapter.stop().catch((err: unknown) => log.error({ err, adapter: adapter.name }, 'adapter stop failed'));
    await http.close();
    await conn.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  if (shell) {
    await shell.run();
    await stop('end of terminal input');
  } else {
    log.info('no terminal chat (a platform adapter is configured); set SHELL_ADAPTER=on to add it');
  }
}

/** The shell runs when no platform is configured, or when asked for explicitly. */
function wantsShell(env: Env): boolean {
  if (env.SHELL_ADAPTER !== 'auto') return env.SHELL_ADAPTER === 'on';
  return !env.SLACK_BOT_TOKEN && !env.DISCORD_TOKEN;
}

main().catch((error: unknown) => {
  // Start-up problems a user can fix are shown as plain sentences, not stack traces.
  if (error instanceof EnvError || error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Start-up failed: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
