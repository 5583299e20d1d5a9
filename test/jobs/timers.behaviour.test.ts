import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../../src/app/platform.js';
import type { DeliveryWorker } from '../../src/outbox/delivery.worker.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { T0, config, people, reportInput } from '../support/fixtures.js';
import { FakeScheduler, RecordingMessenger, deliveryWorker, tick } from '../support/timers.js';

const MIN = 60_000;
const at = (ms: number) => new Date(T0.getTime() + ms);
const P2 = { impact: 2, urgency: 1 } as const;
const P4 = { impact: 4, urgency: 4 } as const;

describe('timers follow the incident: suspend, resolve, re-dispatch, upgrade, status matrix', () => {
  let t: TestApp;
  let scheduler: FakeScheduler;
  let messenger: RecordingMessenger;
  let worker: DeliveryWorker;
  const run = () => tick(t.app, t.clock, scheduler, worker);

  beforeAll(async () => {
    scheduler = new FakeScheduler();
    t = await startTestApp(config, { scheduler: () => scheduler, messengers: [] });
    messenger = new RecordingMessenger(t.clock);
    t.app.messengers.push(messenger);
    worker = deliveryWorker(t.app, t.clock);
  });
  afterAll(async () => t.close());
  beforeEach(() => t.clock.set(T0));

  async function workedP2(): Promise<string> {
    const { incident } = await t.app.service.report(people.user, reportInput({ ...P2, category: 'failure' }));
    await t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'applications', assigneeId: people.apps.id });
    await t.app.service.act(incident.id, 'accept', people.apps);
    return incident.id;
  }

  it('GIVEN a P2 suspended from minute 2 to 12 THEN its 5-minute escalation fires at minute 15, not before', async () => {
    const id = await workedP2();
    t.clock.set(at(2 * MIN));
    await t.app.service.act(id, 'suspend', people.apps, { reason: 'waiting for the vendor' });
    t.clock.set(at(5 * MIN));
    await run();
    expect(messenger.to(id, 'escalation:0')).toEqual([]);
    t.clock.set(at(12 * MIN));
    await t.app.service.act(id, 'resume', people.apps, {});
    t.clock.set(at(15 * MIN - 1000));
    await run();
    expect(messenger.to(id, 'escalation:0')).toEqual([]);
    t.clock.set(at(15 * MIN));
    await run();
    expect(messenger.to(id, 'escalation:0')).toEqual(['he.xin', 'liu.yang']);
    // The resolve target (1 h after accept) moved by the 10 minutes too.
    expect((await t.app.service.get(id)).sla.resolve.dueAt).toEqual(at(70 * MIN));
  });

  it('GIVEN a P2 resolved at minute 3 THEN no escalation, notification or target miss follows, and the post-resolution report goes out at +20 min', async () => {
    const id = await workedP2();
    t.clock.set(at(3 * MIN));
    await t.app.service.act(id, 'resolve', people.apps, { resolutionCode: 'resolved-by-workaround', solution: 'restarted the pool' });
    t.clock.set(at(23 * MIN - 1000));
    await run();
    expect(messenger.to(id, 'update:after_resolution')).toEqual([]);
    t.clock.set(at(23 * MIN));
    await run();
    expect(messenger.to(id, 'update:after_resolution')).toEqual(['gao.feng', 'he.xin']);
    t.clock.set(at(5 * 60 * MIN));
    await run();
    const rules = messenger.sent.filter((d) => d.message.key.startsWith(`${id}:`)).map((d) => d.message.key.split(':')[1]);
    expect(rules.filter((r) => r === 'escalation' || r === 'notification' || r === 'target' || r === 'upgrade')).toEqual([]);
  });

  it('GIVEN the revision before a resolve planned after it (a slower process) THEN its wake-up fires what the incident is now: no escalation', async () => {
    const id = await workedP2();
    const accepted = await t.app.service.get(id);
    t.clock.set(at(3 * MIN));
    await t.app.service.act(id, 'resolve', people.apps, { resolutionCode: 'resolved-by-workaround', solution: 'restarted the pool' });
    // Another process planning the accepted revision only now: its plan still holds the escalation at minute 5.
    const stale = await t.app.timers.replan(id, accepted);
    expect(stale?.timers.some((timer) => timer.rule === 'escalation')).toBe(true);
    t.clock.set(at(6 * MIN));
    await run();
    expect(messenger.to(id, 'escalation:0')).toEqual([]);
    t.clock.set(at(23 * MIN));
    await run();
    expect(messenger.to(id, 'update:after_resolution')).toEqual(['gao.feng', 'he.xin']);
  });

  it('GIVEN three re-dispatches THEN the incident manager is told of each cross-group move and of the hand-over on the third', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput());
    const id = incident.id;
    await t.app.service.act(id, 'dispatch', people.desk, { groupId: 'network' });
    await t.app.service.act(id, 'redispatch', people.desk, { groupId: 'applications', reason: 'application issue' });
    await t.app.service.act(id, 'redispatch', people.desk, { groupId: 'applications', reason: 'to Liu Yang', assigneeId: people.apps.id });
    expect(messenger.to(id, 'report:manager_takeover')).toEqual([]);
    await t.app.service.act(id, 'redispatch', people.desk, { groupId: 'infrastructure', reason: 'hardware after all' });
    await run();
    expect(messenger.to(id, 'report:cross_group_redispatch')).toEqual(['zhao.lei', 'zhao.lei']);
    expect(messenger.to(id, 'report:manager_takeover')).toEqual(['zhao.lei']);
    expect((await t.app.service.get(id)).reDispatchCount).toBe(3);
  });

  it('GIVEN a P4 still unresolved after 4 h THEN it becomes P2 with the reason in its priority log, and P2 clocks apply', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput({ ...P4 }));
    t.clock.set(at(4 * 60 * MIN - 1000));
    await run();
    expect((await t.app.service.get(incident.id)).priority).toBe('P4');
    t.clock.set(at(4 * 60 * MIN));
    await run();
    const upgraded = await t.app.service.get(incident.id);
    expect(upgraded.priority).toBe('P2');
    expect(upgraded.priorityLog.at(-1)).toMatchObject({ from: 'P4', to: 'P2', byId: 'system', reason: expect.stringContaining('4h') });
    // P2's deputy-director step (60 min) is long past: it goes out now rather than never.
    expect(messenger.to(incident.id, 'notification:3')).toEqual(['gao.feng']);
  });

  it('GIVEN first line logging for a user THEN the SPEC §7 status matrix is followed at every step, never telling people what they did themselves', async () => {
    const { incident } = await t.app.service.report(people.desk2, reportInput({ reporterId: people.user.id }));
    const id = incident.id;
    await run();
    expect(messenger.to(id, 'status:open:reporter')).toEqual([people.user.id]);
    expect(messenger.to(id, 'status:open')).toEqual([people.desk.id]);
    await t.app.service.act(id, 'dispatch', people.desk2, { groupId: 'network', assigneeId: people.network.id });
    await run();
    expect(messenger.to(id, 'status:assigned')).toEqual([people.network.id]);
    const assigned = messenger.sent.find((d) => d.message.key.startsWith(`${id}:status:assigned:`))!;
    expect(assigned.message.card?.actions.map((a) => a.command)).toEqual(['accept', 'reject']);
    await t.app.service.act(id, 'accept', people.network);
    await t.app.service.act(id, 'suspend', people.network, { reason: 'vendor' });
    await run();
    expect(messenger.to(id, 'status:suspended')).toEqual([people.user.id]);
    await t.app.service.act(id, 'resume', people.network, {});
    await t.app.service.act(id, 'resolve', people.network, { resolutionCode: 'resolved-by-workaround', solution: 'new cable' });
    await run();
    expect(messenger.to(id, 'status:resolved:reporter')).toEqual([people.user.id]);
    const ask = messenger.sent.find((d) => d.message.key.startsWith(`${id}:status:resolved:reporter:`))!;
    expect(ask.message.card?.actions.map((a) => a.command)).toEqual(['confirm', 'reopen']);
    expect(messenger.to(id, 'status:resolved')).toEqual([people.desk2.id]);
    await t.app.service.act(id, 'confirm', people.user);
    await t.app.service.act(id, 'close', people.desk, { closureCode: 'completed' });
    await run();
    // The reporter is told and asked for a rating (SPEC §11); the recorder is told; the team lead verifies.
    expect(messenger.to(id, 'status:closed:reporter')).toEqual([people.user.id]);
    const rate = messenger.sent.find((d) => d.message.key.startsWith(`${id}:status:closed:reporter:`))!;
    expect(rate.message.card?.actions.map((a) => `${a.command} ${a.args.score ?? ''}`.trim())).toEqual(['rate 1', 'rate 2', 'rate 3', 'rate 4', 'rate 5']);
    expect(messenger.to(id, 'status:closed')).toEqual([people.desk2.id]);
    expect(messenger.to(id, 'verify:request')).toEqual([people.desk2.id]);
  });
});

describe('exactly once across processes, crashes and platform failures', () => {
  let t: TestApp;
  let scheduler: FakeScheduler;
  let messenger: RecordingMessenger;

  beforeAll(async () => {
    scheduler = new FakeScheduler();
    t = await startTestApp(config, { scheduler: () => scheduler, messengers: [] });
    messenger = new RecordingMessenger(t.clock);
    t.app.messengers.push(messenger);
  });
  afterAll(async () => t.close());
  beforeEach(() => t.clock.set(T0));

  it('GIVEN two bot processes firing and delivering the same timers at once THEN each message is delivered once', async () => {
    const peer = await t.peer();
    const { incident } = await t.app.service.report(people.user, reportInput({ impact: 1, urgency: 1 }));
    t.clock.set(at(31 * MIN));
    await Promise.all([t.app.timers.fire(incident.id), peer.timers.fire(incident.id), t.app.timers.fire(incident.id)]);
    const workers = [deliveryWorker(t.app, t.clock), deliveryWorker(peer, t.clock), deliveryWorker(t.app, t.clock)];
    await Promise.all(workers.map((w) => w.runOnce()));
    const keys = messenger.sent.filter((d) => d.message.key.startsWith(`${incident.id}:`)).map((d) => d.message.key);
    expect(keys.length).toBeGreaterThan(10);
    expect(new Set(keys).size).toBe(keys.length);
    expect(messenger.to(incident.id, 'escalation:2')).toEqual(['ma.jun']);
  });

  it('GIVEN the bot was down while timers fell due THEN the restarted process fires each once, saying it is late', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput({ impact: 1, urgency: 1 }));
    // Down from minute 0 to minute 21: nothing fired. A new process comes up.
    t.clock.set(at(21 * MIN));
    const restarted = await t.peer();
    await restarted.timers.fire(incident.id);
    await restarted.timers.fire(incident.id);
    await deliveryWorker(restarted, t.clock).runOnce();
    const sent = messenger.sent.filter((d) => d.message.key.startsWith(`${incident.id}:notification:`) || d.message.key.startsWith(`${incident.id}:escalation:`));
    expect(sent.map((d) => d.message.key.split(':').slice(1, 3).join(':')).sort()).toEqual(
      ['escalation:0', 'escalation:0', 'escalation:1', 'escalation:1', 'notification:0', 'notification:1', 'notification:2'].sort(),
    );
    for (const d of sent) expect(d.message.text).toMatch(/Sent late: this was due .*, \d+m( \d+s)? ago/);
    const fired = await restarted.timerStore.firedTimers(incident.id);
    expect(fired.find((f) => f.key === 'notification:0')).toMatchObject({ lateMs: 16 * MIN });
  });

  it('GIVEN a crash after the change was logged but before its notices and plan THEN the replay at start-up does them, once', async () => {
    const { incident } = await t.app.service.report(people.desk2, reportInput({ reporterId: people.user.id }));
    // Undo the after-commit work as if the process had died right after the commit.
    await t.conn.collection('timer_plans').deleteOne({ _id: `${incident.id}#1` as never });
    await t.conn.collection('outbox').deleteMany({ incidentId: incident.id });
    await t.conn.collection('incident_pending_effects').insertOne({ _id: `${incident.id}#1` as never, incidentId: incident.id, seq: 1, at: T0 });
    t.clock.advance(1000);
    const restarted = await t.peer();
    expect(await restarted.service.replayUnprocessed(0)).toBeGreaterThanOrEqual(1);
    expect(await restarted.service.replayUnprocessed(0)).toBe(0);
    expect(await restarted.timerStore.plan(incident.id, 1)).toMatchObject({ rev: 1 });
    const entries = await restarted.outboxStore.forIncident(incident.id);
    expect(entries.map((e) => e.rule).sort()).toEqual(['status:open', 'status:open:reporter']);
  });

  it('GIVEN a plan stored as one text, or as an earlier version stored it (an array) THEN both read back the same timers, dates as dates', async () => {
    const { incident } = await t.app.service.report(people.desk2, reportInput({ reporterId: people.user.id, title: 'plan as text' }));
    const plan = await t.app.timerStore.plan(incident.id, 1);
    expect(plan?.timers.length).toBeGreaterThan(3);
    expect(plan?.timers.every((timer) => timer.dueAt instanceof Date && !Number.isNaN(timer.dueAt.getTime()))).toBe(true);
    const raw = await t.conn.collection('timer_plans').findOne({ _id: `${incident.id}#1` as never });
    expect(typeof raw?.t).toBe('string');
    expect(raw).not.toHaveProperty('timers');
    // As an earlier version wrote it: the timers as an array of documents.
    await t.conn.collection('timer_plans').replaceOne({ _id: `${incident.id}#1` as never }, { incidentId: incident.id, rev: 1, madeAt: plan!.madeAt, timers: plan!.timers });
    expect(await t.app.timerStore.plan(incident.id, 1)).toEqual(plan);
    // Its notices are not this test's: left pending, the next test's deliveries would meet them.
    await t.conn.collection('outbox').deleteMany({ incidentId: incident.id });
  });

  it('GIVEN the platform answers 429 with Retry-After THEN the message waits that long and is delivered once', async () => {
    const worker = deliveryWorker(t.app, t.clock);
    const { incident } = await t.app.service.report(people.desk2, reportInput({ reporterId: people.user.id, title: 'rate limited' }));
    messenger.failures = [new DeliveryError('Slack rate limit (ratelimited)', { retryAfterMs: 30_000 }), new DeliveryError('rate limited', { retryAfterMs: 30_000 })];
    await worker.runOnce();
    const pending = (await t.app.outboxStore.forIncident(incident.id)).filter((e) => e.status === 'pending');
    expect(pending).toHaveLength(2);
    expect(pending.every((e) => e.nextAttemptAt.getTime() === T0.getTime() + 30_000)).toBe(true);
    t.clock.set(at(29_000));
    await worker.runOnce();
    expect(messenger.to(incident.id, 'status:open')).toEqual([]);
    t.clock.set(at(30_000));
    await worker.runOnce();
    await worker.runOnce();
    expect(messenger.to(incident.id, 'status:open')).toEqual([people.desk.id]);
    expect(messenger.to(incident.id, 'status:open:reporter')).toEqual([people.user.id]);
  });

  it('GIVEN a platform that is down for minutes THEN nothing is lost; a refusal no retry can fix is dead-lettered, shown to admins and can be sent again', async () => {
    const worker = deliveryWorker(t.app, t.clock);
    const { incident } = await t.app.service.report(people.user, reportInput({ title: 'platform down', reporterId: undefined }));
    messenger.failures = Array.from({ length: 5 }, () => new DeliveryError('Slack unavailable: 503'));
    for (let minute = 0; minute <= 10; minute++) {
      t.clock.set(at(minute * MIN));
      await worker.runOnce();
    }
    expect(messenger.to(incident.id, 'status:open')).toEqual([people.desk.id]);
    const entry = (await t.app.outboxStore.forIncident(incident.id)).find((e) => e.rule === 'status:open')!;
    expect(entry).toMatchObject({ status: 'sent', attempts: 6 });

    const { incident: second } = await t.app.service.report(people.user, reportInput({ title: 'channel archived' }));
    messenger.failures = [new DeliveryError('Slack refused the message: is_archived', { permanent: true })];
    await worker.runOnce();
    const dead = (await t.app.outboxStore.forIncident(second.id)).find((e) => e.status === 'dead')!;
    expect(dead.lastError).toContain('is_archived');

    const refused = await t.app.run(people.network, 'admin', { topic: 'outbox' });
    expect(refused.error?.code).toBe('admin_only');
    const report = await t.app.run(people.manager, 'admin', { topic: 'outbox' });
    expect(report.text).toMatch(/1 dead/);
    expect(report.sections?.[0]?.items.map((i) => i.line).join('\n')).toContain(dead._id);
    const retried = await t.app.run(people.manager, 'admin', { topic: 'outbox', action: 'retry', target: dead._id });
    expect(retried.text).toContain('queued again');
    await worker.runOnce();
    expect(messenger.to(second.id, 'status:open')).toEqual([people.desk.id]);
  });
});
