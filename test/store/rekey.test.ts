import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/bot/app.js';
import { FakeClock } from '../../src/app/clock.js';
import { IncidentStore } from '../../src/store/incident-store.js';
import { connectTestDb, type TestDb } from '../support/db.js';
import { T0, config, people, reportInput } from '../support/fixtures.js';
import pino from 'pino';
import { createRegistry } from '../../commands/index.js';

/**
 * A database written before incidents and events were keyed by their ids (ObjectId keys): the
 * next start moves every document to its new key, nothing lost, and loads work by id again.
 */
describe('documents from an earlier version are re-keyed at start', () => {
  let db: TestDb;
  const log = pino({ level: 'silent' });
  beforeAll(async () => {
    db = await connectTestDb();
  });
  afterAll(async () => db?.drop());

  it('GIVEN an incident and its events under ObjectId keys, and one move a crash left half done THEN after start each is under its new key once and loads', async () => {
    const app = await createApp({ registry: createRegistry(), conn: db.conn, config, log, clock: new FakeClock(T0) });
    const { incident } = await app.service.report(people.user, reportInput());
    await app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network' });
    const incidents = db.conn.collection('incidents');
    const events = db.conn.collection('incident_events');
    // Rewrite them as the earlier version stored them.
    for (const collection of [incidents, events]) {
      for (const doc of await collection.find({}).toArray()) {
        await collection.deleteOne({ _id: doc._id });
        await collection.insertOne({ ...doc, _id: new ObjectId() });
      }
    }
    const eventCount = await events.countDocuments({});
    expect(await new IncidentStore(db.conn).load(incident.id)).toBeUndefined();
    // A move a crash interrupted: parked, old copy already deleted, new one not yet written.
    const second = (await incidents.findOne({ id: incident.id }))!;
    await incidents.deleteOne({ _id: second._id });
    await db.conn.collection('store_rekey').insertOne({ _id: `incidents:${incident.id}` as never, collection: 'incidents', doc: { ...second, _id: incident.id } });

    // A database of that version has none of the markers of the moves this version made once.
    await db.conn.collection('counters').deleteMany({ _id: { $in: ['done:rekeyed', 'done:ci-open-sets', 'done:pending-effects', 'done:closed-archived'] as never[] } });
    const store = new IncidentStore(db.conn);
    await store.init();
    expect(await incidents.countDocuments({})).toBe(1);
    expect(await incidents.countDocuments({ _id: incident.id as never })).toBe(1);
    expect(await events.countDocuments({})).toBe(eventCount);
    expect(await events.countDocuments({ _id: { $type: 'objectId' } })).toBe(0);
    expect(await db.conn.collection('store_rekey').countDocuments({})).toBe(0);
    const loaded = await store.load(incident.id);
    expect(loaded).toMatchObject({ id: incident.id, title: incident.title });
    expect((await store.events(incident.id, loaded!.rev)).map((e) => e.seq)).toEqual(Array.from({ length: eventCount }, (_, i) => i + 1));
  });
});
