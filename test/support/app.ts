import mongoose, { type Connection } from 'mongoose';
import pino from 'pino';
import type { App } from '../../src/bot/app.js';
import { composeBot, type AdapterFactory, type Bot } from '../../src/compose.js';
import { loadEnv } from '../../src/config/env.js';
import { FakeClock } from '../../src/app/clock.js';
import type { Messenger } from '../../src/app/platform.js';
import type { ConfigFile } from '../../src/config/config.schema.js';
import type { TimerScheduler } from '../../src/jobs/timer.service.js';
import { T0, config as defaultConfig } from './fixtures.js';
import { testMongoUri } from './db.js';

export interface TestApp {
  app: App;
  /** Everything the composition root built around `app` (adapters, delivery worker). */
  bot: Bot;
  clock: FakeClock;
  conn: Connection;
  dbName: string;
  /** Another process's view of the same database: its own connection and app. */
  peer(): Promise<App>;
  /** The same, with that process's adapters and delivery worker. */
  peerBot(): Promise<Bot>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  messengers?: Messenger[];
  /** Each app (the first and every peer) gets its own scheduler from this. */
  scheduler?: () => TimerScheduler;
  /** Platform adapters (none by default) and the environment they read. */
  adapters?: AdapterFactory[];
  env?: Record<string, string>;
  /** Secrets the policy names (monitoring tokens); none unless given. */
  secrets?: Record<string, string>;
}

/**
 * A full bot (store, service, commands, outbox; adapters when asked) built by the composition root
 * on a fresh database of the test server, with a fake clock and no timers of its own.
 */
export async function startTestApp(config: ConfigFile = defaultConfig, options: TestAppOptions = {}): Promise<TestApp> {
  const uri = testMongoUri();
  const dbName = `t_${Math.random().toString(36).slice(2, 10)}`;
  const clock = new FakeClock(T0);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const env = loadEnv({ NODE_ENV: 'test', MONGODB_DB: dbName, ...options.env });
  const connections: Connection[] = [];
  const open = async () => {
    const conn = await mongoose.createConnection(uri, { dbName, monitorCommands: true }).asPromise();
    connections.push(conn);
    return conn;
  };
  const compose = async (conn: Connection) =>
    composeBot({
      conn, config, env, log, clock,
      // A scheduler of the test's (never the wake-up log: tests move time themselves).
      scheduler: options.scheduler?.() ?? { schedule: async () => undefined },
      adapters: options.adapters ?? [],
      messengers: options.messengers,
      defaultMetrics: false,
      secrets: options.secrets ?? {},
    });
  const conn = await open();
  const bot = await compose(conn);
  return {
    app: bot.app,
    bot,
    clock,
    conn,
    dbName,
    peer: async () => (await compose(await open())).app,
    peerBot: async () => compose(await open()),
    async close() {
      await conn.dropDatabase().catch(() => undefined);
      await Promise.all(connections.map((c) => c.close()));
    },
  };
}
