import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/app/clock.js';
import { composeBot } from '../../src/compose.js';
import type { ConfigFile } from '../../src/config/config.schema.js';
import { loadEnv } from '../../src/config/env.js';
import { connectTestDb, type TestDb } from '../support/db.js';
import { T0, config as shipped, people, reportInput } from '../support/fixtures.js';
import { RecordingMessenger } from '../support/timers.js';

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

  it('GIVEN a form taken by an adapter whose commit is still running WHEN the bot stops THEN the report is stored and its after-commit work done before stop returns', async () => {
    const conn = db.conn.useDb(`${db.conn.name}_stop`);
    let taken: Promise<unknown> = Promise.resolve();
    // An adapter that has acknowledged a form (Slack's ack) and commits it a moment later, as the real ones do.
    const adapter = { name: 'fake', start: async () => undefined, stop: async () => void (await taken), idle: async () => void (await taken) };
    const bot = await composeBot({
      conn, config: shipped, env: loadEnv({ NODE_ENV: 'test' }), log: pino({ level: 'silent' }), clock: new FakeClock(T0),
      scheduler: { schedule: async () => undefined }, adapters: [() => adapter], defaultMetrics: false,
    });
    // The slowest after-commit work of a change (the service state, the KPIs) runs after the answer.
    let afterAnswerDone = false;
    bot.app.service.onChange(async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      afterAnswerDone = true;
    }, { afterAnswer: true });
    await bot.start();
    try {
      taken = new Promise((resolve) => setTimeout(resolve, 50)).then(() => bot.app.service.report(people.user, reportInput({ title: 'Taken just before the stop' }), undefined, { answerFirst: true }));
      await bot.stop();
      const stored = await conn.collection('incidents').find({}).project({ title: 1 }).toArray();
      expect(stored).toEqual([expect.objectContaining({ title: 'Taken just before the stop' })]);
      // Nothing left for the next start's sweep: the after-commit work ran while the database was still there.
      expect(afterAnswerDone).toBe(true);
      expect(await conn.collection('incident_pending_effects').countDocuments({})).toBe(0);
    } finally {
      await conn.dropDatabase();
    }
  });

  it('GIVEN the first working day of a month has come THEN the Agenda job draws last month\'s follow-up calls on its own, once, however often it runs', async () => {
    const config: ConfigFile = structuredClone(shipped);
    config.policy.closure.followUp.checkEvery = 300;
    const conn = db.conn.useDb(`${db.conn.name}_followup`);
    // Monday 2 February 2026, 09:30 UTC: January is due. Its one closed incident is in the archive.
    const clock = new FakeClock(new Date('2026-02-02T09:30:00Z'));
    const bot = await composeBot({ conn, config, env: loadEnv({ NODE_ENV: 'test', AGENDA_PROCESS_EVERY_MS: '200' }), log: pino({ level: 'silent' }), clock, adapters: [], defaultMetrics: false });
    await conn.collection('incidents_closed').insertOne({
      _id: 'INC-000007' as never, id: 'INC-000007', number: 7, rev: 9, title: 'Printer jams', description: 'x', status: 'closed', priority: 'P4', impact: 4, urgency: 4, major: false,
      source: 'user', reporterId: 'lin.na', reporterName: 'Lin Na', createdAt: new Date('2026-01-10T08:00:00Z'), updatedAt: new Date('2026-01-10T10:00:00Z'),
      closedAt: new Date('2026-01-10T10:00:00Z'), outageStart: new Date('2026-01-10T08:00:00Z'), pausedMs: 0, sla: { respond: {}, accept: {}, resolve: {} },
      withdrawn: false, closureRequested: false, reDispatchCount: 0, rejectCount: 0, managerTakeover: false, escalated: false, links: {}, priorityLog: [],
    });
    await bot.start();
    try {
      const runs = conn.collection('follow_up_runs');
      for (let i = 0; i < 100 && (await runs.countDocuments({})) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      // It keeps running on schedule; the month is not drawn again.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await runs.find({}).toArray()).toEqual([expect.objectContaining({ _id: '2026-01', drawn: 1 })]);
      expect(await conn.collection('follow_up_calls').find({}).project({ _id: 1 }).toArray()).toEqual([{ _id: '2026-01:INC-000007' }]);
    } finally {
      await bot.stop();
      await conn.dropDatabase();
    }
  });
});

describe('the monthly report job', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await connectTestDb();
  });
  afterAll(async () => db.drop());

  it('GIVEN the first working day of a month has come THEN the Agenda job posts last month\'s report with its charts and CSV to the management channel, once, however often it runs', async () => {
    const config: ConfigFile = structuredClone(shipped);
    config.policy.reports.checkEvery = 300;
    const conn = db.conn.useDb(`${db.conn.name}_report`);
    // An incident logged in January, then Monday 2 February 2026, 09:30 UTC: January's report is due.
    const clock = new FakeClock(new Date('2026-01-12T08:00:00Z'));
    const recorder = new RecordingMessenger(clock);
    const bot = await composeBot({ conn, config, env: loadEnv({ NODE_ENV: 'test', AGENDA_PROCESS_EVERY_MS: '200' }), log: pino({ level: 'silent' }), clock, adapters: [], messengers: [recorder], defaultMetrics: false });
    await bot.app.service.report({ id: 'lin.na', name: 'Lin Na' }, { title: 'Printer jams', description: 'Every job', impact: 4, urgency: 4 });
    clock.set(new Date('2026-02-02T09:30:00Z'));
    await bot.start();
    try {
      const posted = () => recorder.sent.filter((d) => d.message.rule === 'monthly-report');
      for (let i = 0; i < 100 && posted().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      // It keeps running on schedule; the month is not posted again.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(posted()).toHaveLength(1);
      const [report] = posted();
      expect(report!.destination).toEqual({ kind: 'channel', channel: 'management' });
      expect(report!.message.text).toContain('The monthly report for 2026-01');
      expect(report!.message.text).toContain('Incidents logged: 1 (before: 0; +1)');
      expect(report!.message.files?.map((f) => f.name)).toEqual(expect.arrayContaining(['month-2026-01.csv', 'month-2026-01-trend.png']));
      expect(report!.message.files).toHaveLength(7);
    } finally {
      await bot.stop();
      await conn.dropDatabase();
    }
  });
});
