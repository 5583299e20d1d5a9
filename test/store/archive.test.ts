import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { people, reportInput } from '../support/fixtures.js';
import { IncidentStore } from '../../src/store/incident-store.js';
import { ACTIVE_STATUSES } from '../../src/domain/incident.js';

/**
 * Issue 11, flat cost as history grows: closed incidents leave `incidents` for `incidents_closed`
 * once their closing work is done, so queues and lists read only the open work, and a closed one
 * still loads by id.
 */
describe('closed incidents are archived', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  const resolve = { resolutionCode: 'resolved-by-workaround', solution: 'Restarted the gateway' };

  async function closed(title: string): Promise<string> {
    const { incident } = await t.app.service.report(people.user, reportInput({ title }));
    await t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network', assigneeId: people.network.id });
    await t.app.service.act(incident.id, 'accept', people.network);
    await t.app.service.act(incident.id, 'resolve', people.network, resolve);
    await t.app.service.act(incident.id, 'confirm', people.user);
    await t.app.service.act(incident.id, 'close', people.desk, { closureCode: 'completed' });
    return incident.id;
  }

  it('GIVEN open, archived, missing and behind-their-events incidents THEN loadAtLeast reads each at the revision asked, the up-to-date open ones in one command', async () => {
    const a = (await t.app.service.report(people.user, reportInput({ title: 'Batch A' }))).incident;
    const b = (await t.app.service.report(people.user, reportInput({ title: 'Batch B' }))).incident;
    const archived = await closed('Batch archived');
    // B's snapshot left behind its second event, as a crash between the two writes leaves it.
    await t.app.service.act(b.id, 'dispatch', people.desk, { groupId: 'network', assigneeId: people.network.id });
    await t.conn.collection('incidents').updateOne({ _id: b.id as never }, { $set: { rev: 1, status: 'open' } });
    const finds: Record<string, unknown>[] = [];
    const listen = (e: { commandName: string; command: Record<string, unknown> }) => {
      if (e.commandName === 'find' && e.command.find === 'incidents') finds.push(e.command.filter as Record<string, unknown>);
    };
    const client = t.conn.getClient();
    client.on('commandStarted', listen);
    try {
      const loaded = await t.app.store.loadAtLeast(new Map([[a.id, 1], [b.id, 2], [archived, 1], ['INC-999999', 1]]));
      const byId = new Map(loaded.map((i) => [i.id, i]));
      expect([...byId.keys()].sort()).toEqual([a.id, b.id, archived].sort());
      expect(byId.get(a.id)).toMatchObject({ rev: 1, title: 'Batch A' });
      expect(byId.get(b.id)).toMatchObject({ rev: 2, status: 'assigned' });
      expect(byId.get(archived)).toMatchObject({ status: 'closed' });
    } finally {
      client.off('commandStarted', listen);
    }
    // One read for the list; then one each for those it could not settle (B behind, the archived one, the missing one).
    expect(finds[0]).toEqual({ _id: { $in: [a.id, b.id, archived, 'INC-999999'] } });
    expect(finds.filter((f) => '_id' in f && typeof f._id === 'string').map((f) => f._id).sort()).toEqual([b.id, archived, 'INC-999999'].sort());
  });

  it('GIVEN an incident closed THEN it is only in incidents_closed, loads by id with its timeline, and queues do not read the archive', async () => {
    const id = await closed('Archive me');
    const open = await t.app.service.report(people.user, reportInput({ title: 'Still open' }));
    expect(await t.conn.collection('incidents').findOne({ _id: id as never })).toBeNull();
    expect(await t.conn.collection('incidents_closed').findOne({ _id: id as never })).toMatchObject({ status: 'closed', closureCode: 'completed' });
    expect(await t.app.service.get(id)).toMatchObject({ id, status: 'closed' });
    expect((await t.app.service.timeline(id)).map((e) => e.action)).toEqual(['report', 'dispatch', 'accept', 'resolve', 'confirm', 'close']);
    const queried: string[] = [];
    const client = t.conn.getClient() as unknown as { on(e: string, f: (ev: { commandName: string; command: Record<string, unknown> }) => void): void; removeAllListeners(e: string): void };
    client.on('commandStarted', (ev) => {
      if (ev.commandName === 'find') queried.push(String(ev.command.find));
    });
    const queue = await t.app.service.list({ statuses: ACTIVE_STATUSES });
    client.removeAllListeners('commandStarted');
    expect(queue.map((i) => i.id)).toContain(open.incident.id);
    expect(queue.map((i) => i.id)).not.toContain(id);
    expect(queried).toEqual(['incidents']);
    expect((await t.app.service.list({ statuses: ['closed'] })).map((i) => i.id)).toContain(id);
  });

  it('GIVEN a crash after the close was committed, before its work THEN the sweep does the work and archives it, once', async () => {
    const { incident } = await t.app.service.report(people.user, reportInput({ title: 'Crash on close' }));
    await t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network', assigneeId: people.network.id });
    await t.app.service.act(incident.id, 'accept', people.network);
    await t.app.service.act(incident.id, 'resolve', people.network, resolve);
    await t.app.service.act(incident.id, 'confirm', people.user);
    // The close as a process that died right after its commit leaves it: event and snapshot written, work pending.
    const store = t.app.store;
    const before = (await store.load(incident.id))!;
    const event = { incidentId: incident.id, seq: before.rev + 1, at: t.clock.now(), actorId: people.desk.id, actorName: people.desk.name, action: 'close', from: 'resolved' as const, to: 'closed' as const, data: {}, changes: { status: 'closed' as const, closureCode: 'completed' }, flags: [] };
    expect(await store.commit(before, { ...before, status: 'closed', closureCode: 'completed', rev: before.rev + 1 }, event)).toBe(true);
    expect(await t.conn.collection('incidents').findOne({ _id: incident.id as never })).toMatchObject({ status: 'closed' });
    t.clock.advance(60_000);
    const peer = await t.peer();
    expect(await peer.service.replayUnprocessed(30_000)).toBe(1);
    expect(await peer.service.replayUnprocessed(30_000)).toBe(0);
    expect(await t.conn.collection('incidents').findOne({ _id: incident.id as never })).toBeNull();
    expect(await t.conn.collection('incidents_closed').countDocuments({ _id: incident.id as never })).toBe(1);
  });

  it('GIVEN a database from before the archive (closed ones in incidents, an event flagged unprocessed) THEN the first start moves and replays them, and later starts query nothing', async () => {
    const id = await closed('Legacy closed');
    const legacy = (await t.conn.collection('incidents_closed').findOne({ _id: id as never }))!;
    await t.conn.collection('incidents_closed').deleteOne({ _id: id as never });
    await t.conn.collection('incidents').insertOne(legacy);
    const { incident: open } = await t.app.service.report(people.user, reportInput({ title: 'Legacy unprocessed' }));
    await t.conn.collection('incident_pending_effects').deleteMany({});
    await t.conn.collection('timer_plans').deleteOne({ _id: `${open.id}#1` as never });
    await t.conn.collection('incident_events').updateOne({ _id: `${open.id}#1` as never }, { $set: { processed: false } });
    await t.conn.collection('counters').deleteMany({ _id: { $in: ['done:pending-effects', 'done:closed-archived'] as never[] } });

    const peer = await t.peer();
    expect(await t.conn.collection('incidents').findOne({ _id: id as never })).toBeNull();
    expect(await t.conn.collection('incidents_closed').countDocuments({ _id: id as never })).toBe(1);
    expect(await peer.service.replayUnprocessed(0)).toBe(1);
    expect(await peer.timerStore.plan(open.id, 1)).toMatchObject({ rev: 1 });

    // Once done, a start sends no query but `_id` lookups.
    const queries: string[] = [];
    const second = new IncidentStore(t.conn);
    const client = t.conn.getClient() as unknown as { on(e: string, f: (ev: { commandName: string; command: Record<string, unknown> }) => void): void; removeAllListeners(e: string): void };
    client.on('commandStarted', (ev) => {
      const filter = (ev.command.filter ?? {}) as Record<string, unknown>;
      if (ev.commandName === 'find' && Object.keys(filter).some((k) => k !== '_id')) queries.push(`${String(ev.command.find)} ${JSON.stringify(filter)}`);
    });
    await second.init();
    client.removeAllListeners('commandStarted');
    expect(queries).toEqual([]);
  });
});
