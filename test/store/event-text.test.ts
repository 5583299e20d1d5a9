import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { people, reportInput } from '../support/fixtures.js';

/**
 * An event's change set is stored as one Extended JSON text (cheaper for FerretDB to write than a
 * document of thirty fields); what an earlier version stored as a document is still read, and both
 * give back the same incident and timeline, dates as dates.
 */
describe('event change sets as text', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('GIVEN a report and a dispatch THEN each event holds its change set as text, read back with its dates', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput({ title: 'Text change set' }));
    await t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network', assigneeId: people.network.id });
    const raw = await t.conn.collection('incident_events').findOne({ _id: `${incident.id}#1` as never });
    expect(typeof raw?.c).toBe('string');
    expect(raw).not.toHaveProperty('changes');
    const [reported, dispatched] = await t.app.service.timeline(incident.id);
    expect(reported!.changes).toMatchObject({ id: incident.id, title: 'Text change set', status: 'open' });
    expect(reported!.changes.createdAt).toEqual(incident.createdAt);
    expect(reported!.changes.sla?.respond.dueAt).toBeInstanceOf(Date);
    expect(dispatched!.changes).toMatchObject({ status: 'assigned', groupId: 'network', assigneeId: people.network.id });
    expect(dispatched!.changes.dispatchedAt).toBeInstanceOf(Date);
  });

  it('GIVEN events an earlier version stored (change set as a document) behind the snapshot THEN loading replays them as before', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput({ title: 'Old change set' }));
    const dispatched = await t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network', assigneeId: people.network.id });
    const events = t.conn.collection('incident_events');
    // Both events as an earlier version wrote them, and the snapshot put back to revision 1: the
    // dispatch is then only in the log, in the old shape.
    for (const event of await t.app.service.timeline(incident.id)) {
      await events.replaceOne({ _id: `${incident.id}#${event.seq}` as never }, { ...event } as never);
    }
    expect(await events.countDocuments({ incidentId: incident.id, c: { $exists: true } })).toBe(0);
    await t.conn.collection('incidents').replaceOne({ _id: incident.id as never }, { ...incident } as never);
    const loaded = await t.app.service.get(incident.id);
    expect(loaded).toMatchObject({ rev: 2, status: 'assigned', groupId: 'network', assigneeId: people.network.id });
    expect(loaded.dispatchedAt).toEqual(dispatched.incident.dispatchedAt);
    expect((await t.app.service.timeline(incident.id)).map((e) => e.changes.status)).toEqual(['open', 'assigned']);
  });
});
