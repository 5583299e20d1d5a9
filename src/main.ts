import './memory.js';
import { resolve } from 'node:path';
import mongoose from 'mongoose';
import { systemClock } from './app/clock.js';
import { composeBot } from './compose.js';
import { EnvError, loadEnv, requireMongoUri, type Env } from './config/env.js';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile } from './config/load-config.js';
import { startHttp } from './http/server.js';
import { createLogger, maskUri } from './logging.js';

/** Starts the bot: environment → configuration → database → everything composeBot builds → HTTP. */
async function main(): Promise<void> {
  const env = loadEnv();
  const shellOn = wantsShell(env);
  const log = createLogger({ level: env.LOG_LEVEL, pretty: env.NODE_ENV !== 'production' && process.stderr.isTTY });
  const configPath = env.INCIDENT_CONFIG ? resolve(env.INCIDENT_CONFIG) : DEFAULT_CONFIG_PATH;
  const config = loadConfigFile(configPath);
  log.info({ config: configPath }, 'configuration loaded');

  // The database is given (production, or `npm start`, which starts a development one and sets it).
  const mongoUri = requireMongoUri(env);
  log.info({ uri: maskUri(mongoUri) }, 'database: MONGODB_URI');
  const conn = await mongoose.createConnection(mongoUri, {
    dbName: env.MONGODB_DB, serverSelectionTimeoutMS: 10_000,
    // Command monitoring feeds /metrics' mongodb_commands_total (round trips per action).
    monitorCommands: true,
  }).asPromise();
  const bot = await composeBot({
    conn, config, env, log, clock: systemClock,
    shell: shellOn ? { input: process.stdin, output: process.stdout, actAs: env.SHELL_ACT_AS } : undefined,
  });
  let started = false;
  const http = await startHttp({
    port: env.PORT,
    // Ready once everything runs (adapters connected, delivery and timers started) and the database answers.
    ready: async () => started && (await conn.db?.admin().ping())?.ok === 1,
    metrics: () => bot.metrics.text(),
    routes: bot.routes,
    timed: (route, seconds) => bot.metrics.requestTimed(route, seconds),
  });
  log.info({ port: http.port }, 'health, readiness and metrics listening');
  await bot.start();
  started = true;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await bot.stop();
    await http.close();
    await conn.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  if (bot.shell) {
    // The chat owns the terminal from here: start-up was logged above; only warnings interrupt it.
    if (log.levelVal < 40) log.level = 'warn';
    await bot.shell.run();
    await stop('end of terminal input');
  } else if (bot.adapters.length > 0) {
    log.info('no terminal chat (a platform adapter is configured); set SHELL_ADAPTER=on to add it');
  } else {
    log.warn('no chat platform is configured (SLACK_BOT_TOKEN, DISCORD_TOKEN) and the terminal chat is off: only HTTP, timers and delivery run');
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
