import { hostname } from 'node:os';
import mongoose, { type Connection } from 'mongoose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/bot/app.js';
import { systemClock } from '../../src/app/clock.js';
import type { Destination, Messenger, OutgoingMessage } from '../../src/app/platform.js';
import type { ConfigFile } from '../../src/config/config.schema.js';
import { WakeupScheduler } from '../../src/jobs/wakeup.scheduler.js';
import { DeliveryWorker } from '../../src/outbox/delivery.worker.js';
import { testMongoUri } from '../support/db.js';
import { config as shipped, people, reportInput } from '../support/fixtures.js';
import { createRegistry } from '../../commands/index.js';

/** The shipped policy with P2's minutes turned into seconds, as a team trying the bot out would. */
function secondsPolicy(): ConfigFile {
  const config = structuredClone(shipped);
  config.policy.escalation.P2 = [{ after: 2_000, roles: ['project_manager'] }];
  config.policy.notification.P2 = { channels: ['dm'], steps: [{ after: 3_000, roles: ['maintenance_manager'] }] };
  return config;
}

class Recorder implements Messenger {
  readonly platform = 'test';
  readonly sent: { key: string; at: number }[] = [];
  reaches(): boolean {
    return true;
  }
  async deliver(_: Destination, message: OutgoingMessage): Promise<void> {
    this.sent.push({ key: message.key, at: Date.now() });
  }
}

/** One bot process: its own connection, wake-up scheduler and delivery worker, sharing the database. */
interface Process {
  app: App;
  scheduler: WakeupScheduler;
  worker: DeliveryWorker;
  conn: Connection;
}

describe('The wake-up log fires the timers on time with the real clock, two processes, one delivery each', () => {
  const recorder = new Recorder();
  const processes: Process[] = [];
  const dbName = `t_wakeup_${Math.random().toString(36).slice(2, 8)}`;
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

  async function startProcess(): Promise<Process> {
    const conn = await mongoose.createConnection(testMongoUri(), { dbName }).asPromise();
    const messengers: Messenger[] = [recorder];
    const late: { app?: App } = {};
    const scheduler = new WakeupScheduler(conn, (id) => late.app!.timers.fire(id), log, { leaseMs: 2_000 });
    const app = await createApp({ registry: createRegistry(), conn, config: secondsPolicy(), log, clock: systemClock, messengers, scheduler });
    late.app = app;
    const worker = new DeliveryWorker({ store: app.outboxStore, messengers, clock: systemClock, log, options: { pollMs: 100 } });
    await scheduler.start();
    worker.start();
    const p = { app, scheduler, worker, conn };
    processes.push(p);
    return p;
  }

  beforeAll(async () => {
    await startProcess();
    await startProcess();
  });
  afterAll(async () => {
    for (const p of processes) {
      await p.scheduler.stop(2_000);
      await p.worker.stop();
    }
    await processes[0]?.conn.dropDatabase().catch(() => undefined);
    for (const p of processes) await p.conn.close();
  });

  it('GIVEN a P2 with a 2 s escalation and a 3 s notification THEN each reaches its recipient once, soon after its due time, never before', async () => {
    const reported = Date.now();
    const { incident } = await processes[0]!.app.service.report(people.user, reportInput({ impact: 2, urgency: 1 }));
    const escalation = `${incident.id}:escalation:0:person:he.xin:test`;
    const notification = `${incident.id}:notification:0:person:ma.jun:test`;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !(recorder.sent.some((s) => s.key === escalation) && recorder.sent.some((s) => s.key === notification))) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1_000)); // a second delivery, if there were one, would land by now
    const esc = recorder.sent.filter((s) => s.key === escalation);
    const note = recorder.sent.filter((s) => s.key === notification);
    expect(esc).toHaveLength(1);
    expect(note).toHaveLength(1);
    const created = incident.createdAt.getTime();
    expect(esc[0]!.at).toBeGreaterThanOrEqual(created + 2_000);
    expect(note[0]!.at).toBeGreaterThanOrEqual(created + 3_000);
    // Generous for a loaded 2-core CI machine; bench:timers measures the real lag.
    expect(esc[0]!.at - (created + 2_000)).toBeLessThan(3_000);
    expect(reported).toBeLessThanOrEqual(created);
  });

  it('GIVEN wake-ups claimed by a process that died before firing them THEN after the lease the recovery sweep fires each once', async () => {
    const [a, b] = processes as [Process, Process];
    const { incident } = await a.app.service.report(people.user, reportInput({ impact: 2, urgency: 1 }));
    const key = `${incident.id}:escalation:0:person:he.xin:test`;
    const wakeups = await a.conn.collection('timer_wakeups').find({ incidentId: incident.id }).toArray();
    expect(wakeups.length).toBeGreaterThan(0);
    // As if a process claimed every wake-up a minute ago and died: the live ones must leave them alone…
    await a.conn.collection('timer_wakeup_claims').insertMany(wakeups.map((w) => ({ _id: w._id, at: new Date(Date.now() - 60_000), by: 'dead' })));
    await new Promise((r) => setTimeout(r, 3_500));
    expect(recorder.sent.filter((s) => s.key === key)).toHaveLength(0);
    // …until the sweep finds the lease over (a sweep that treats every bucket as settled, to not wait 10 s).
    const sweep = new WakeupScheduler(b.conn, (id) => b.app.timers.fire(id), log, { leaseMs: 2_000, closeAfterMs: 0 });
    expect(await sweep.recover()).toBeGreaterThanOrEqual(1);
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && !recorder.sent.some((s) => s.key === key)) await new Promise((r) => setTimeout(r, 100));
    await sweep.recover();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(recorder.sent.filter((s) => s.key === key)).toHaveLength(1);
    await sweep.stop(2_000);
  });

  it('GIVEN a wake-up claimed a moment ago by a process of this host that is gone (killed) THEN the sweep fires it now, not after the lease', async () => {
    const [, b] = processes as [Process, Process];
    const at = new Date(Date.now() - 15_000);
    const id = `${Math.floor(at.getTime() / 1_000)}#90`;
    await b.conn.collection('timer_wakeups').insertOne({ _id: id as never, incidentId: 'INC-KILLED', at });
    // Claimed 1 s ago by a pid that cannot run (above the kernel's pid_max): well within any lease.
    await b.conn.collection('timer_wakeup_claims').insertOne({ _id: id as never, at: new Date(Date.now() - 1_000), by: `${hostname()}:4194305:dead` });
    const fired: string[] = [];
    const sweep = new WakeupScheduler(b.conn, async (incidentId) => void fired.push(incidentId), log, { leaseMs: 600_000 });
    expect(await sweep.recover()).toBeGreaterThanOrEqual(1);
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline && !fired.includes('INC-KILLED')) await new Promise((r) => setTimeout(r, 50));
    expect(fired.filter((i) => i === 'INC-KILLED')).toHaveLength(1);
    await sweep.stop(1_000);
  });

  it('GIVEN wake-ups fired long ago THEN the recovery sweep removes them with their claims and done marks; pending ones stay', async () => {
    const [a] = processes as [Process];
    const old = Math.floor((Date.now() - 3_600_000) / 1_000);
    await a.conn.collection('timer_wakeups').insertMany([
      { _id: `${old}#0` as never, incidentId: 'INC-GONE', at: new Date(old * 1_000) },
      { _id: `${old}#1` as never, incidentId: 'INC-GONE', at: new Date(old * 1_000) },
    ]);
    await a.conn.collection('timer_wakeup_claims').insertOne({ _id: `${old}#0` as never, at: new Date(old * 1_000), by: 'someone' });
    await a.conn.collection('timer_wakeup_done').insertOne({ _id: `${old}#0` as never, at: new Date(old * 1_000), by: 'someone' });
    const sweep = new WakeupScheduler(a.conn, async () => undefined, log, { retainMs: 60_000 });
    await sweep.recover();
    await sweep.stop(1_000);
    expect(await a.conn.collection('timer_wakeups').countDocuments({ _id: `${old}#0` as never })).toBe(0);
    expect(await a.conn.collection('timer_wakeup_claims').countDocuments({ _id: `${old}#0` as never })).toBe(0);
    expect(await a.conn.collection('timer_wakeup_done').countDocuments({ _id: `${old}#0` as never })).toBe(0);
    // Never fired: kept (and fired by this sweep's handler), not removed.
    expect(await a.conn.collection('timer_wakeups').countDocuments({ _id: `${old}#1` as never })).toBe(1);
  });
});

describe('The wake-up log reader', () => {
  const dbName = `t_wakeup_own_${Math.random().toString(36).slice(2, 8)}`;
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const conns: Connection[] = [];
  const schedulers: WakeupScheduler[] = [];
  afterAll(async () => {
    for (const s of schedulers) await s.stop(1_000);
    await conns[0]?.dropDatabase().catch(() => undefined);
    for (const c of conns) await c.close();
  });

  it("GIVEN wake-ups written by this process and by another THEN both fire once, and only the other's is looked up in the log", async () => {
    const lookedUp: string[] = [];
    const fired: string[] = [];
    const open = async (monitor: boolean) => {
      const conn = await mongoose.createConnection(testMongoUri(), { dbName, monitorCommands: monitor }).asPromise();
      conns.push(conn);
      return conn;
    };
    const mine = await open(true);
    mine.getClient().on('commandStarted', (event) => {
      const command = event.command as { find?: string; filter?: { _id?: string | { $in?: string[] } } };
      const id = command.filter?._id;
      // One slot, or every bucket's next slot in one read.
      if (command.find === 'timer_wakeups' && id !== undefined) lookedUp.push(...(typeof id === 'string' ? [id] : (id.$in ?? [])));
    });
    const other = await open(false);
    const a = new WakeupScheduler(mine, async (id) => void fired.push(id), log);
    const b = new WakeupScheduler(other, async () => undefined, log);
    schedulers.push(a, b);
    await a.start();
    await b.start();
    // Due beyond the lookahead, so the reader meets them when their bucket comes near, not at the write.
    const at = new Date(Date.now() + 3_500);
    await a.schedule('INC-OURS', at);
    await b.schedule('INC-THEIRS', at);
    // b never fires: only a's reader runs the handler, for its own wake-up and the one b wrote.
    await b.stop(1_000);
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline && fired.length < 2) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    expect(fired.sort()).toEqual(['INC-OURS', 'INC-THEIRS']);
    const ours = await mine.collection('timer_wakeups').findOne({ incidentId: 'INC-OURS' });
    const theirs = await mine.collection('timer_wakeups').findOne({ incidentId: 'INC-THEIRS' });
    expect(lookedUp).toContain(String(theirs!._id));
    expect(lookedUp).not.toContain(String(ours!._id));
  });

  it('GIVEN an idle reader THEN each tick reads the log once, for every bucket it watches together', async () => {
    const conn = await mongoose.createConnection(testMongoUri(), { dbName: `${dbName}_idle`, monitorCommands: true }).asPromise();
    conns.push(conn);
    const reader = new WakeupScheduler(conn, async () => undefined, log);
    schedulers.push(reader);
    await reader.start();
    const reads: unknown[] = [];
    conn.getClient().on('commandStarted', (event) => {
      if ((event.command as { find?: string }).find === 'timer_wakeups') reads.push((event.command as { filter?: unknown }).filter);
    });
    await new Promise((r) => setTimeout(r, 1_100));
    await reader.stop(1_000);
    // About five ticks a second, each watching the current buckets (and the past ten once a second):
    // a read per bucket was over twenty-five a second.
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads.length).toBeLessThanOrEqual(8);
    await conn.dropDatabase().catch(() => undefined);
  });
});
