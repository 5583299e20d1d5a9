import mongoose, { type Connection } from 'mongoose';
import pino from 'pino';
import { createApp, type App } from '../../src/app/app.js';
import { FakeClock } from '../../src/app/clock.js';
import type { Messenger } from '../../src/app/platform.js';
import type { ConfigFile } from '../../src/config/config.schema.js';
import type { TimerScheduler } from '../../src/jobs/timer.service.js';
import { T0, config as defaultConfig } from './fixtures.js';
import { testMongoUri } from './db.js';

export interface TestApp {
  app: App;
  clock: FakeClock;
  conn: Connection;
  dbName: string;
  /** Another process's view of the same database: its own connection and app. */
  peer(): Promise<App>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  messengers?: Messenger[];
  /** Each app (the first and every peer) gets its own scheduler from this. */
  scheduler?: () => TimerScheduler;
}

/** A full core (store, service, commands) on a fresh database of the test server, with a fake clock. */
export async function startTestApp(config: ConfigFile = defaultConfig, options: TestAppOptions = {}): Promise<TestApp> {
  const uri = testMongoUri();
  const dbName = `t_${Math.random().toString(36).slice(2, 10)}`;
  const clock = new FakeClock(T0);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const connections: Connection[] = [];
  const open = async () => {
    const conn = await mongoose.createConnection(uri, { dbName }).asPromise();
    connections.push(conn);
    return conn;
  };
  const conn = await open();
  const extra = () => ({ messengers: options.messengers, scheduler: options.scheduler?.() });
  const app = await createApp({ conn, config, log, clock, ...extra() });
  return {
    app,
    clock,
    conn,
    dbName,
    peer: async () => createApp({ conn: await open(), config, log, clock, ...extra() }),
    async close() {
      await conn.dropDatabase().catch(() => undefined);
      await Promise.all(connections.map((c) => c.close()));
    },
  };
}
