import { resolve } from 'node:path';
import mongoose from 'mongoose';
import { createPlatformAdapters } from '../adapters/index.js';
import { ShellAdapter } from '../adapters/shell/shell.adapter.js';
import type { Messenger } from './app/platform.js';
import type { RouteHandler } from './http/server.js';
import { createApp } from './app/app.js';
import { systemClock } from './app/clock.js';
import { EnvError, loadEnv, type Env } from './config/env.js';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from './config/load-config.js';
import { startHttp } from './http/server.js';
import { incidentMetrics } from './http/metrics.js';
import { createLogger, maskUri } from './logging.js';
import { DatabaseUnavailableError, startDatabase } from './store/bootstrap.js';

/** The composition root: environment → configuration → database → core → HTTP → adapters. */
async function main(): Promise<void> {
  const env = loadEnv();
  const log = createLogger({ level: env.LOG_LEVEL, pretty: env.NODE_ENV !== 'production' && process.stderr.isTTY });
  const configPath = env.INCIDENT_CONFIG ? resolve(env.INCIDENT_CONFIG) : DEFAULT_CONFIG_PATH;
  const config = loadConfigFile(configPath);
  log.info({ config: configPath }, 'configuration loaded');

  const db = await startDatabase({ uri: env.MONGODB_URI, dataDir: resolve(env.DATA_DIR, 'db'), log: (line) => log.info(line) });
  log.info({ database: db.kind, uri: maskUri(db.uri) }, `database: ${db.describe}`);
  const conn = await mongoose.createConnection(db.uri, { dbName: env.MONGODB_DB, serverSelectionTimeoutMS: 10_000 }).asPromise();
  const app = await createApp({ conn, config, log, clock: systemClock });
  const replayed = await app.service.replayUnprocessed(0);
  if (replayed > 0) log.warn({ replayed }, 'finished after-commit work left over from an earlier run');

  const routes = new Map<string, RouteHandler>();
  const messengers: Messenger[] = [];
  const adapters = createPlatformAdapters({ app, env, log, routes, messengers });
  const http = await startHttp({
    port: env.PORT,
    ready: async () => (await conn.db?.admin().ping())?.ok === 1,
    metrics: () => incidentMetrics(app.store),
    routes,
  });
  log.info({ port: http.port }, 'health, readiness and metrics listening');
  for (const adapter of adapters) {
    await adapter.start();
    log.info({ adapter: adapter.name }, 'adapter started');
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    for (const adapter of adapters) await adapter.stop().catch((err: unknown) => log.error({ err, adapter: adapter.name }, 'adapter stop failed'));
    await http.close();
    await conn.close();
    await db.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  if (wantsShell(env)) {
    const shell = new ShellAdapter({ app, input: process.stdin, output: process.stdout, actAs: env.SHELL_ACT_AS });
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
  if (error instanceof EnvError || error instanceof ConfigError || error instanceof DatabaseUnavailableError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Start-up failed: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
