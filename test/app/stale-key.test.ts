import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEffects } from '../../src/app/effects.js';
import { Problems } from '../../src/app/problems.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { people, reportInput } from '../support/fixtures.js';

/**
 * A keyed change whose process stopped after claiming its key and before settling it (a crash):
 * a repeat says "busy" while the claim is fresh, and takes the key over once it is stale, so the
 * bot's own follow-ups (a major incident's review, a cascade) are never lost to a dead claim.
 */
describe('a request key left claimed by a process that stopped', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('GIVEN a fresh claim THEN busy; a minute later THEN the change is made once', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput({ title: 'Badge reader offline' }));
    const key = `test:stale:${incident.id}`;
    await t.conn.collection('request_keys').insertOne({ _id: key as never, at: t.clock.now() });
    const fresh = await t.app.service.act(incident.id, 'update', people.desk, { note: 'Checking the reader' }, key).catch((e: unknown) => e);
    expect((fresh as { code?: string }).code).toBe('busy');
    t.clock.advance(61_000);
    await t.app.service.act(incident.id, 'update', people.desk, { note: 'Checking the reader' }, key);
    await t.app.service.act(incident.id, 'update', people.desk, { note: 'Checking the reader' }, key);
    expect((await t.app.service.timeline(incident.id)).filter((e) => e.action === 'update')).toHaveLength(1);
  });

  it('GIVEN a keyed report THEN its key is settled without an update; the same request again THEN the same incident, and a key an earlier version settled still answers', async () => {
    const updates: string[] = [];
    const client = t.conn.getClient() as unknown as { on(e: string, f: (ev: { commandName: string; command: Record<string, unknown> }) => void): void; off(e: string, f: unknown): void };
    const watch = (ev: { commandName: string; command: Record<string, unknown> }) => {
      if (ev.commandName === 'update' && String(ev.command.update).startsWith('request_')) updates.push(String(ev.command.update));
    };
    client.on('commandStarted', watch);
    const first = await t.app.service.report(people.user, reportInput({ title: 'Printer jammed' }), 'test:key:printer');
    client.off('commandStarted', watch);
    expect(updates).toEqual([]);
    const again = await t.app.service.report(people.user, reportInput({ title: 'Printer jammed' }), 'test:key:printer');
    expect(again).toMatchObject({ duplicate: true, incident: { id: first.incident.id } });
    // As an earlier version stored it: the result on the claim itself.
    await t.conn.collection('request_keys').insertOne({ _id: 'test:key:legacy' as never, at: t.clock.now(), result: first.incident.id });
    const legacy = await t.app.service.report(people.user, reportInput({ title: 'Printer jammed' }), 'test:key:legacy');
    expect(legacy).toMatchObject({ duplicate: true, incident: { id: first.incident.id } });
  });

  it('GIVEN the bot\'s own follow-up meets a busy key THEN its after-commit work fails (to be done again), not silently skipped', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput({ title: 'Core switch down', impact: 1, urgency: 1 }));
    await t.app.service.act(incident.id, 'resolve', people.desk, { resolutionCode: 'resolved-by-workaround', solution: 'Failover' });
    await t.app.service.act(incident.id, 'confirm', people.user);
    const close = await t.app.service.act(incident.id, 'close', people.desk, { closureCode: 'completed' });
    const written = (await t.app.service.timeline(incident.id)).filter((e) => e.action === 'review-doc');
    expect(written).toHaveLength(1);
    // The same close's effects again, with the review's key claimed by a stopped process a moment ago.
    await t.conn.collection('request_keys').deleteOne({ _id: `review-doc:${incident.id}` as never });
    await t.conn.collection('request_results').deleteOne({ _id: `review-doc:${incident.id}` as never });
    await t.conn.collection('request_keys').insertOne({ _id: `review-doc:${incident.id}` as never, at: t.clock.now() });
    const last = (await t.app.service.timeline(incident.id)).find((e) => e.action === 'close')!;
    const failed = await runEffects(t.app.service, { incident: close.incident, event: last }, new Problems(t.app.service)).catch((e: unknown) => e);
    expect((failed as { code?: string }).code).toBe('busy');
  });
});
