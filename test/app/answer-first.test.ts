import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { people, reportInput } from '../support/fixtures.js';

/**
 * A submitted report is answered once it is stored and its cards, notices and timers are queued;
 * the work nobody waits for (KPI filing, service status, metrics, the search feed) follows, still
 * before the change counts as processed (issue 11: the receipt need not wait for KPI filing).
 */
describe('answered first, the rest after', () => {
  let t: TestApp;
  let release: () => void = () => undefined;
  let held = Promise.resolve();
  const seen: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    // A listener that takes as long as the test says, like the KPI filing under a burst.
    t.app.service.onChange(async ({ event }) => {
      await held;
      seen.push(`${event.incidentId}#${event.seq}`);
    }, { afterAnswer: true });
  });
  afterAll(async () => t.close());

  const pending = () => t.conn.collection('incident_pending_effects').countDocuments();
  const hold = () => {
    held = new Promise<void>((resolve) => (release = resolve));
  };

  it('GIVEN a report answered first THEN the receipt does not wait for the after-answer work, the card entry is already queued, and the change stays pending until that work is done', async () => {
    hold();
    const { incident } = await t.app.service.report(people.user, reportInput(), undefined, { answerFirst: true });
    expect(seen).toEqual([]);
    expect(await pending()).toBe(1);
    // Queued before the answer: the card (the outbox entry of the surfaces), and the timers' plan.
    expect(await t.conn.collection('timer_plans').countDocuments({ incidentId: incident.id })).toBe(1);
    // The sweep leaves the work this process is still doing alone.
    expect(await t.app.service.replayUnprocessed(0)).toBe(0);
    release();
    await t.app.service.idle();
    expect(seen).toEqual([`${incident.id}#1`]);
    expect(await pending()).toBe(0);
  });

  it('GIVEN the after-answer work of a report still running WHEN the incident changes again THEN the second change\'s work waits for the first, in commit order', async () => {
    seen.length = 0;
    hold();
    const { incident } = await t.app.service.report(people.user, reportInput(), undefined, { answerFirst: true });
    const accepted = t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);
    release();
    await accepted;
    await t.app.service.idle();
    expect(seen).toEqual([`${incident.id}#1`, `${incident.id}#2`]);
  });

  it('GIVEN a report not answered first (a typed command, the intake) THEN all of its work is done when it returns', async () => {
    seen.length = 0;
    held = Promise.resolve();
    const { incident } = await t.app.service.report(people.user, reportInput());
    expect(seen).toEqual([`${incident.id}#1`]);
    expect(await pending()).toBe(0);
  });
});
