import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/app/clock.js';
import { composeBot } from '../../src/compose.js';
import type { ConfigFile } from '../../src/config/config.schema.js';
import { loadEnv } from '../../src/config/env.js';
import { connectTestDb, type TestDb } from '../support/db.js';
import { T0, config as shipped } from '../support/fixtures.js';

/** The composition root as main.ts runs it: what it builds, what it starts, what it says at start. */
describe('composeBot', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await connectTestDb();
  });
  afterAll(async () => db.drop());

  it('GIVEN a policy that lists "email" with no e-mail route THEN start-up logs the warning naming the setting; the terminal chat is an adapter with its messenger', async () => {
    const config: ConfigFile = structuredClone(shipped);
    config.policy.notification.P3.channels = ['dm', 'email'];
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const log = pino({ level: 'info' }, sink);
    const output = new Writable({ write: (_chunk, _enc, done) => done() });
    const bot = await composeBot({
      conn: db.conn, config, env: loadEnv({ NODE_ENV: 'test' }), log, clock: new FakeClock(T0),
      scheduler: { schedule: async () => undefined }, adapters: [], shell: { input: process.stdin, output }, defaultMetrics: false,
    });
    await bot.start();
    try {
      const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40).map((l) => l.msg);
      expect(warnings).toContain('policy.notification.P3.channels lists "email" but no e-mail route is configured (SMTP_URL, or organisation.webhooks.notify): e-mail notifications will be marked undeliverable');
      expect(bot.shell?.name).toBe('shell');
      expect(bot.app.messengers.map((m) => m.platform)).toEqual(['shell']);
      expect(bot.adapters).toEqual([]);
    } finally {
      await bot.stop();
    }
  });
});
