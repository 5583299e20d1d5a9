import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryWorker } from '../../src/outbox/delivery.worker.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { T0, config, people, reportInput } from '../support/fixtures.js';
import { FakeScheduler, RecordingMessenger, deliveryWorker, tick } from '../support/timers.js';

const MIN = 60_000;
const at = (ms: number) => new Date(T0.getTime() + ms);
const P2 = { impact: 2, urgency: 1 } as const;

/**
 * Issue 18: fired escalations, notification steps and missed targets are written to the incident's
 * timeline (who was told, when, on which channel) without a new revision, and the ones SPEC §8 wants
 * stakeholders to follow (escalations, the first report, the report after resolution) become a line
 * for the incident's stakeholder thread.
 */
describe('what the timers did, in the timeline and the stakeholder thread', () => {
  let t: TestApp;
  let scheduler: FakeScheduler;
  let messenger: RecordingMessenger;
  let worker: DeliveryWorker;
  const run = () => tick(t.app, t.clock, scheduler, worker);
  const timeline = async (id: string) => (await t.app.run(people.desk, 'timeline', { id })).lines ?? [];

  beforeAll(async () => {
    scheduler = new FakeScheduler();
    t = await startTestApp(config, { scheduler: () => scheduler, messengers: [] });
    messenger = new RecordingMessenger(t.clock);
    t.app.messengers.push(messenger);
    worker = deliveryWorker(t.app, t.clock);
  });
  afterAll(async () => t.close());

  it('GIVEN a P2 left open WHEN its escalation, notification and response target fall due THEN each is a timeline line naming who was told and how; only the miss is a new revision, kept on the record', async () => {
    t.clock.set(T0);
    const { incident } = await t.app.service.report(people.user, reportInput({ ...P2, category: 'failure' }));
    const rev = (await t.app.service.get(incident.id)).rev;

    t.clock.set(at(5 * MIN));
    await run();
    t.clock.set(at(10 * MIN));
    await run();
    t.clock.set(at(15 * MIN));
    await run();

    // Notes do not move the revision; the missed target is stored as it is missed (SPEC §15): one event.
    const stored = await t.app.service.get(incident.id);
    expect(stored.rev).toBe(rev + 1);
    expect(stored.missed).toEqual({ respond: at(15 * MIN) });
    const lines = await timeline(incident.id);
    expect(lines).toContainEqual('2026-01-05 09:15 UTC Incident bot recorded a missed target [response target missed (created → dispatched)]');
    expect(lines[0]).toContain('Lin Na reported');
    expect(lines).toContainEqual('2026-01-05 09:05 UTC the bot: escalation 1 of 3 (unresolved after 5m) — told He Xin, Liu Yang by test; posted in the stakeholder thread');
    expect(lines).toContainEqual('2026-01-05 09:10 UTC the bot: notification step 1 of 4 (10m after the report) — told He Xin by test');
    expect(lines).toContainEqual(expect.stringMatching(/^2026-01-05 09:15 UTC the bot: response \(dispatch\) target missed \(due 2026-01-05 09:15 UTC\) — told Zhao Lei by test$/));
    // Timeline order is time order: report, then each timer as it fired.
    expect(lines.findIndex((l) => l.includes('escalation 1 of 3'))).toBeLessThan(lines.findIndex((l) => l.includes('notification step 1')));
  });

  it('GIVEN a P1 THEN its notification step is noted as urgent: mention + direct message', async () => {
    t.clock.set(T0);
    const { incident } = await t.app.service.report(people.user, reportInput({ impact: 1, urgency: 1, category: 'failure' }));
    t.clock.set(at(5 * MIN));
    await run();
    expect(await timeline(incident.id)).toContainEqual('2026-01-05 09:05 UTC the bot: notification step 1 of 4 (5m after the report) — told He Xin by test (mention + direct message)');
  });

  it('GIVEN an escalation fired WHEN its wake-up is replayed THEN no second note and no second thread line', async () => {
    t.clock.set(T0);
    const { incident } = await t.app.service.report(people.user, reportInput({ ...P2, category: 'failure' }));
    t.clock.set(at(5 * MIN));
    await run();
    await t.app.timers.fire(incident.id);
    await (await t.peer()).timers.fire(incident.id);
    expect((await t.app.service.notes.of(incident.id)).map((n) => n.key)).toEqual(['escalation:0']);
    expect(messenger.to(incident.id, 'thread:escalation:0')).toEqual(['channel:stakeholders']);
  });

  it('GIVEN an escalation THEN the outbox holds a line for the stakeholder thread: to the stakeholders channel, its own rule, who was told', async () => {
    t.clock.set(T0);
    const { incident } = await t.app.service.report(people.user, reportInput({ ...P2, category: 'failure' }));
    t.clock.set(at(5 * MIN));
    await scheduler.runDue(t.app, t.clock);
    const line = (await t.app.outboxStore.forIncident(incident.id)).find((e) => e.rule === 'thread:escalation:0');
    expect(line).toMatchObject({
      _id: `${incident.id}:thread:escalation:0:channel:stakeholders:test`,
      destination: { kind: 'channel', channel: 'stakeholders' },
      status: 'pending',
      urgent: false,
    });
    expect(line?.text).toBe(`⬆️ ${incident.id}: escalation 1 of 3, still unresolved after 5m (Open). Told: He Xin, Liu Yang.`);
    // Notification steps and target misses are for the people they name, not for the thread.
    t.clock.set(at(15 * MIN));
    await scheduler.runDue(t.app, t.clock);
    const rules = (await t.app.outboxStore.forIncident(incident.id)).map((e) => e.rule).filter((r) => r.startsWith('thread:'));
    expect(rules.sort()).toEqual(['thread:escalation:0', 'thread:escalation:1']);
  });

  it('GIVEN the first stakeholder report and the report after resolution THEN each is a thread line and a timeline line', async () => {
    t.clock.set(T0);
    const { incident } = await t.app.service.report(people.user, reportInput({ ...P2, category: 'failure' }));
    await t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'applications', assigneeId: people.apps.id });
    await t.app.service.act(incident.id, 'accept', people.apps);
    t.clock.set(at(20 * MIN));
    await run();
    await t.app.service.act(incident.id, 'resolve', people.apps, { resolutionCode: 'resolved-by-workaround', solution: 'restarted the pool' });
    t.clock.set(at(40 * MIN));
    await run();
    const thread = (await t.app.outboxStore.forIncident(incident.id)).filter((e) => e.rule.startsWith('thread:update:'));
    expect(thread.map((e) => e.text)).toEqual([
      expect.stringMatching(new RegExp(`^First report on ${incident.id} \\(P2\\) ".*": status In progress, worked by Liu Yang, estimated restoration 2026-01-05 10:00 UTC\\.$`)),
      `✅ ${incident.id} was resolved 2026-01-05 09:20 UTC by Liu Yang (Resolved by workaround): restarted the pool`,
    ]);
    const lines = await timeline(incident.id);
    expect(lines).toContainEqual(expect.stringMatching(/09:20 UTC the bot: first stakeholder report — told .* by test; posted in the stakeholder thread$/));
    expect(lines).toContainEqual(expect.stringMatching(/09:40 UTC the bot: report after resolution — told .* by test; posted in the stakeholder thread$/));
  });
});
