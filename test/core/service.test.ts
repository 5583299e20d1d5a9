import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/domain/errors.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { people, reportInput } from '../support/fixtures.js';

describe('the incident service on a real database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  const resolve = { resolutionCode: 'resolved-by-workaround', solution: 'rebooted the switch' };

  it('gives human ids INC-000001, INC-000002… and records who reported', async () => {
    const first = await t.app.service.report(people.user, reportInput());
    const second = await t.app.service.report(people.user, reportInput());
    expect(first.incident.id).toMatch(/^INC-\d{6}$/);
    expect(second.incident.number).toBe(first.incident.number + 1);
    const timeline = await t.app.service.timeline(first.incident.id);
    expect(timeline).toMatchObject([{ seq: 1, action: 'report', actorId: people.user.id, actorName: 'Lin Na', to: 'open' }]);
  });

  it('GIVEN the same request key twice (a platform retry) THEN one incident is logged', async () => {
    const a = await t.app.service.report(people.user, reportInput({ title: 'retried' }), 'slack:view:V123');
    const b = await t.app.service.report(people.user, reportInput({ title: 'retried' }), 'slack:view:V123');
    expect(b).toMatchObject({ duplicate: true, incident: { id: a.incident.id } });
    expect((await t.app.service.list({})).filter((i) => i.title === 'retried')).toHaveLength(1);
  });

  it('GIVEN the same action key twice THEN the state changes once', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput());
    await t.app.service.act(incident.id, 'update', people.user, { note: 'more info' }, 'evt-1');
    const again = await t.app.service.act(incident.id, 'update', people.user, { note: 'more info' }, 'evt-1');
    expect(again.duplicate).toBe(true);
    expect((await t.app.service.timeline(incident.id)).filter((e) => e.action === 'update')).toHaveLength(1);
  });

  it('GIVEN a snapshot left behind by a crash after the event was logged THEN loading repairs it from the log', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput());
    await t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network' });
    // Simulate the crash: put the snapshot back to revision 1 while the log holds revision 2.
    const { store } = t.app;
    const original = await store.m.Incident.findOne({ id: incident.id }).lean();
    await store.m.Incident.replaceOne({ id: incident.id }, { ...incident, _id: (original as { _id: unknown })._id });
    const repaired = await t.app.service.get(incident.id);
    expect(repaired).toMatchObject({ rev: 2, status: 'assigned', groupId: 'network' });
    expect(await store.m.Incident.findOne({ id: incident.id }).lean()).toMatchObject({ rev: 2, status: 'assigned' });
  });

  it('GIVEN an event logged a moment ago whose writer has not advanced the snapshot yet THEN a reader sees it without writing', async () => {
    t.clock.set(new Date());
    const { incident } = await t.app.service.report(people.user, reportInput());
    await t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network' });
    const { store } = t.app;
    const original = await store.m.Incident.findOne({ id: incident.id }).lean();
    await store.m.Incident.replaceOne({ id: incident.id }, { ...incident, _id: (original as { _id: unknown })._id });
    expect(await t.app.service.get(incident.id)).toMatchObject({ rev: 2, status: 'assigned' });
    // The in-flight writer advances it; a racing reader must not add a write of its own.
    expect(await store.m.Incident.findOne({ id: incident.id }).lean()).toMatchObject({ rev: 1, status: 'open' });
  });

  it('GIVEN a master with two duplicates WHEN the master is resolved THEN its duplicates are resolved with it', async () => {
    const master = (await t.app.service.report(people.user, reportInput({ ci: 'vpn-gw-1' }))).incident;
    const dupA = (await t.app.service.report(people.vip, reportInput({ ci: 'vpn-gw-1' }))).incident;
    const dupB = (await t.app.service.report(people.user, reportInput({ ci: 'vpn-gw-1' }))).incident;
    await t.app.service.act(dupA.id, 'mark-duplicate', people.desk, { masterId: master.id });
    await t.app.service.act(dupB.id, 'dispatch', people.desk, { groupId: 'network' });
    await t.app.service.act(dupB.id, 'mark-duplicate', people.desk, { masterId: master.number.toString() });
    await expect(t.app.service.act(dupA.id, 'mark-duplicate', people.desk, { masterId: master.id })).rejects.toMatchObject({ code: 'already_duplicate' });
    const fresh = (await t.app.service.report(people.user, reportInput())).incident;
    await expect(t.app.service.act(fresh.id, 'mark-duplicate', people.desk, { masterId: dupB.id })).rejects.toMatchObject({ code: 'master_is_duplicate' });
    await t.app.service.act(master.id, 'dispatch', people.desk, { groupId: 'network' });
    await t.app.service.act(master.id, 'accept', people.network);
    await t.app.service.act(master.id, 'resolve', people.network, resolve);
    for (const dup of [dupA, dupB]) {
      const after = await t.app.service.get(dup.id);
      expect(after).toMatchObject({ status: 'resolved', resolutionCode: 'resolved-by-workaround', links: { masterId: master.id } });
      expect(after.solution).toContain(master.id);
    }
  });

  it('GIVEN a closed incident WHEN it recurs THEN a new record copies and links it; an open one cannot recur', async () => {
    const original = (await t.app.service.report(people.user, reportInput({ ci: 'printer-7', service: 'desktops', category: 'hardware' }))).incident;
    await expect(t.app.service.report(people.user, reportInput({ recurrenceOf: original.id }))).rejects.toMatchObject({ code: 'recurrence_needs_closed' });
    await t.app.service.act(original.id, 'resolve', people.desk, resolve);
    await t.app.service.act(original.id, 'confirm', people.user);
    await t.app.service.act(original.id, 'close', people.desk, { closureCode: 'completed' });
    const recurrence = (await t.app.service.report(people.user, reportInput({ recurrenceOf: original.id }))).incident;
    expect(recurrence).toMatchObject({ ci: 'printer-7', service: 'desktops', category: 'hardware', links: { recurrenceOf: original.id } });
  });

  it('GIVEN a "not completed" closure THEN the incident re-opens as a new one dispatched to the same handler', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput());
    await t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network' });
    await t.app.service.act(incident.id, 'accept', people.network);
    await t.app.service.act(incident.id, 'resolve', people.network, resolve);
    await t.app.service.act(incident.id, 'confirm', people.user);
    await t.app.service.act(incident.id, 'close', people.desk, { closureCode: 'not-completed' });
    const [followUp] = await t.app.service.list({ followUpOf: incident.id });
    expect(followUp).toMatchObject({ status: 'assigned', groupId: 'network', assigneeId: people.network.id, title: incident.title });
  });

  it('refuses an unknown incident with a clear message', async () => {
    await expect(t.app.service.act('INC-999999', 'accept', people.network)).rejects.toEqual(new UserError('not_found', { id: 'INC-999999' }));
    await expect(t.app.service.get('printer')).rejects.toMatchObject({ code: 'bad_reference' });
  });
});
