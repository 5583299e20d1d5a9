import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRIORITIES, type Priority } from '../../src/config/config.schema.js';
import { formatDuration } from '../../src/config/duration.js';
import type { DeliveryWorker } from '../../src/outbox/delivery.worker.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { T0, config, people, reportInput } from '../support/fixtures.js';
import { FakeScheduler, RecordingMessenger, deliveryWorker, tick } from '../support/timers.js';

/** Impact × urgency giving each priority, read from the shipped matrix (rows urgency, columns impact). */
function levelsFor(priority: Priority): { impact: 1 | 2 | 3 | 4; urgency: 1 | 2 | 3 | 4 } {
  for (let u = 0; u < 4; u++) for (let i = 0; i < 4; i++) {
    if (config.policy.priorityMatrix[u]![i] === priority) return { impact: (i + 1) as 1, urgency: (u + 1) as 1 };
  }
  throw new Error(`no cell gives ${priority}`);
}

/** Role holders the default organisation names for a tier. */
function holders(roles: readonly string[]): string[] {
  return [...new Set(roles.flatMap((r) => config.organisation.roles[r] ?? []))].sort();
}

interface Expected {
  rule: string;
  afterMs: number;
  to: string[];
}

/** Generated from the policy file: every escalation tier (SPEC §6) and notification step (§7) of a priority. */
function expectations(priority: Priority): Expected[] {
  const escalation = config.policy.escalation[priority].map((tier, i) => ({ rule: `escalation:${i}`, afterMs: tier.after, to: holders(tier.roles) }));
  const notification = config.policy.notification[priority].steps.map((step, i) => ({ rule: `notification:${i}`, afterMs: step.after, to: holders(step.roles) }));
  return [...escalation, ...notification].sort((a, b) => a.afterMs - b.afterMs);
}

describe('timers fire at the SPEC minute (fake clock, real database)', () => {
  let t: TestApp;
  let scheduler: FakeScheduler;
  let messenger: RecordingMessenger;
  let worker: DeliveryWorker;
  beforeAll(async () => {
    scheduler = new FakeScheduler();
    t = await startTestApp(config, { scheduler: () => scheduler, messengers: [] });
    messenger = new RecordingMessenger(t.clock);
    t.app.messengers.push(messenger);
    worker = deliveryWorker(t.app, t.clock);
  });
  afterAll(async () => t.close());

  for (const priority of PRIORITIES) {
    const plan = expectations(priority);
    it(`GIVEN an unresolved ${priority} THEN ${plan.map((e) => `${e.rule} at ${formatDuration(e.afterMs)}`).join(', ')}; none a second early`, async () => {
      t.clock.set(T0);
      const { incident } = await t.app.service.report(people.user, reportInput({ ...levelsFor(priority), title: `unresolved ${priority}` }));
      expect(incident.priority).toBe(priority);
      // Rules due the same minute are checked together: none a second early, all on the minute.
      for (const afterMs of [...new Set(plan.map((e) => e.afterMs))]) {
        const group = plan.filter((e) => e.afterMs === afterMs);
        t.clock.set(new Date(T0.getTime() + afterMs - 1000));
        await tick(t.app, t.clock, scheduler, worker);
        for (const expected of group) expect(messenger.to(incident.id, expected.rule), `${expected.rule} one second early`).toEqual([]);
        t.clock.set(new Date(T0.getTime() + afterMs));
        await tick(t.app, t.clock, scheduler, worker);
        for (const expected of group) {
          expect(messenger.to(incident.id, expected.rule), `${expected.rule} at ${formatDuration(afterMs)}`).toEqual(expected.to);
          const sent = messenger.sent.filter((d) => d.message.key.startsWith(`${incident.id}:${expected.rule}:`));
          expect(sent.every((d) => d.at.getTime() === T0.getTime() + afterMs)).toBe(true);
          expect(sent[0]!.message.text).toContain(incident.id);
          // SPEC §7 standard content: how to reach the service desk, and the card.
          expect(sent[0]!.message.text).toContain(config.organisation.serviceDeskContact);
          expect(sent[0]!.message.card?.incidentId).toBe(incident.id);
          expect(sent[0]!.message.urgent).toBe(expected.rule.startsWith('notification') ? config.policy.notification[priority].channels.includes('mention') : priority === 'P1');
        }
      }
      // Nothing fires twice however often the scheduler wakes.
      await tick(t.app, t.clock, scheduler, worker);
      for (const expected of plan) expect(messenger.to(incident.id, expected.rule)).toEqual(expected.to);
    });
  }

  for (const priority of PRIORITIES) {
    const targets = config.policy.targets[priority];
    it(`GIVEN a ${priority} nobody dispatches THEN the incident manager hears of the missed response target at ${formatDuration(targets.respond)}`, async () => {
      t.clock.set(T0);
      const { incident } = await t.app.service.report(people.user, reportInput({ ...levelsFor(priority) }));
      t.clock.set(new Date(T0.getTime() + targets.respond - 1000));
      await tick(t.app, t.clock, scheduler, worker);
      expect(messenger.to(incident.id, 'target:respond')).toEqual([]);
      t.clock.set(new Date(T0.getTime() + targets.respond));
      await tick(t.app, t.clock, scheduler, worker);
      expect(messenger.to(incident.id, 'target:respond')).toEqual(config.organisation.incidentManagers);
    });
  }

  for (const priority of PRIORITIES) {
    const cadence = config.policy.updates[priority];
    it(`GIVEN a ${priority} THEN the first stakeholder report goes out at ${formatDuration(cadence.first)} and the owner is reminded every ${formatDuration(cadence.every)}`, async () => {
      t.clock.set(T0);
      const { incident } = await t.app.service.report(people.user, reportInput({ ...levelsFor(priority), category: 'failure' }));
      await t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'applications', assigneeId: people.apps.id });
      await t.app.service.act(incident.id, 'accept', people.apps);
      t.clock.set(new Date(T0.getTime() + cadence.first));
      await tick(t.app, t.clock, scheduler, worker);
      expect(messenger.to(incident.id, 'update:first')).toEqual(holders(cadence.audience));
      t.clock.set(new Date(T0.getTime() + cadence.first + cadence.every - 1000));
      await tick(t.app, t.clock, scheduler, worker);
      expect(messenger.to(incident.id, 'update:reminder')).toEqual([]);
      t.clock.set(new Date(T0.getTime() + cadence.first + cadence.every));
      await tick(t.app, t.clock, scheduler, worker);
      const owners = [people.apps.id, ...(incident.majorIncidentManagerId ? [incident.majorIncidentManagerId] : [])].sort();
      expect(messenger.to(incident.id, 'update:reminder')).toEqual(owners);
      // An update posted now restarts the cadence from it (P3/P4 are raised to P2 at 4 h first; see the upgrade test).
      if (cadence.first + 2 * cadence.every > config.policy.upgrades.unresolvedAfter) return;
      t.clock.advance(60_000);
      await t.app.service.act(incident.id, 'update', people.apps, { note: 'root cause found' });
      t.clock.advance(cadence.every - 1000);
      await tick(t.app, t.clock, scheduler, worker);
      expect(messenger.to(incident.id, 'update:reminder')).toEqual(owners);
      t.clock.advance(1000);
      await tick(t.app, t.clock, scheduler, worker);
      expect(messenger.to(incident.id, 'update:reminder')).toEqual([...owners, ...owners].sort());
      // Left alone, the reminders go on past the few planned ahead (the plan extends itself).
      for (let n = 3; n <= 8; n++) {
        t.clock.advance(cadence.every);
        await tick(t.app, t.clock, scheduler, worker);
        expect(messenger.to(incident.id, 'update:reminder'), `reminder ${n}`).toHaveLength(n * owners.length);
      }
    });
  }
});
