import { Schema } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deleteById, GroupCommit, insertOnce, writeOne } from '../../src/store/insert-once.js';
import { filingsFitting } from '../../src/store/kpi.store.js';
import { connectTestDb, type TestDb } from '../support/db.js';

/**
 * Group commit under a burst: hundreds of concurrent updates of one collection go out in bulks
 * small enough for the server. FerretDB 1.24 holds a connection per update statement until the
 * whole command ends, from a pool of 100 per database: one bulk of 100+ updates hung the database.
 */
describe('group commit', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await connectTestDb();
  });
  afterAll(async () => db?.drop());

  it('GIVEN 300 concurrent updates and inserts on one collection THEN all land and the database still answers', async () => {
    const Doc = db.conn.model('GroupCommitDoc', new Schema({ _id: String, n: Number }, { collection: 'group_commit', versionKey: false }));
    await Doc.createCollection();
    const ids = Array.from({ length: 300 }, (_, i) => `d${i}`);
    expect((await Promise.all(ids.map((id) => insertOnce(Doc, { _id: id, n: 0 })))).every(Boolean)).toBe(true);
    const all = Promise.all(ids.map((id, i) => writeOne(Doc, { updateOne: { filter: { _id: id }, update: { $set: { n: i + 1 } } } })));
    await expect(Promise.race([all.then(() => 'done'), new Promise((resolve) => setTimeout(() => resolve('hung'), 20_000))])).resolves.toBe('done');
    const docs = await Doc.find({}).lean<{ _id: string; n: number }[]>();
    expect(docs.filter((d) => d.n === Number(d._id.slice(1)) + 1)).toHaveLength(300);
    expect((await db.conn.db!.admin().ping()).ok).toBe(1);
  }, 40_000);

  it('GIVEN 120 concurrent deletes by _id, some of documents already gone THEN each caller is answered, exactly those documents go, and they go in a few single-statement commands', async () => {
    const watched = await connectTestDb({ monitorCommands: true });
    const Doc = watched.conn.model('GroupDeleteDoc', new Schema({ _id: String, n: Number }, { collection: 'group_delete', versionKey: false }));
    await Doc.createCollection();
    await Doc.insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: `k${i}`, n: i })));
    const statements: number[] = [];
    const client = watched.conn.getClient();
    const watch = (event: { commandName: string; command: Record<string, unknown> }) => {
      if (event.commandName === 'delete' && event.command.delete === 'group_delete') statements.push((event.command.deletes as unknown[]).length);
    };
    client.on('commandStarted', watch);
    // k0..k99 exist; k200..k219 never did.
    const gone = [...Array.from({ length: 100 }, (_, i) => `k${i}`), ...Array.from({ length: 20 }, (_, i) => `k${200 + i}`)];
    await Promise.all(gone.map((id) => deleteById(Doc, id)));
    client.off('commandStarted', watch);
    const left = (await Doc.find({}).lean<{ _id: string }[]>()).map((d) => d._id).sort();
    expect(left).toEqual(Array.from({ length: 100 }, (_, i) => `k${100 + i}`).sort());
    expect(statements.every((n) => n === 1)).toBe(true);
    expect(statements.length).toBeLessThanOrEqual(3);
    await watched.drop();
  });
});

/**
 * Group commit with a pace (the KPI day documents, issue 11): each write rewrites whole documents,
 * so under load the items of an interval go out together; a lone item after a quiet spell goes at once.
 */
describe('group commit with a minimum interval', () => {
  it('GIVEN items arriving while a write runs THEN they wait until the interval from its start is over and go out together, as many as `take` allows', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const writes: string[][] = [];
      let finish: () => void = () => undefined;
      const group = new GroupCommit<string, void>(async (batch) => {
        writes.push(batch.map((w) => w.item));
        await new Promise<void>((resolve) => (finish = resolve));
        batch.forEach((w) => w.resolve());
      }, { minIntervalMs: 250, take: (waiting) => Math.min(waiting.length, 3) });
      const first = group.add('a');
      await vi.advanceTimersByTimeAsync(0);
      expect(writes).toEqual([['a']]); // a lone item goes at once
      const rest = ['b', 'c', 'd', 'e'].map((item) => group.add(item));
      await vi.advanceTimersByTimeAsync(10);
      finish();
      await first;
      await vi.advanceTimersByTimeAsync(200);
      expect(writes).toHaveLength(1); // 210 ms after the first write started: still waiting
      await vi.advanceTimersByTimeAsync(40);
      expect(writes).toEqual([['a'], ['b', 'c', 'd']]);
      finish();
      // One left waiting: it goes at once, not an interval later.
      await vi.advanceTimersByTimeAsync(0);
      expect(writes).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
      finish();
      await vi.advanceTimersByTimeAsync(0);
      await Promise.all(rest);
      // Quiet for longer than the interval: the next item goes at once.
      await vi.advanceTimersByTimeAsync(1_000);
      const late = group.add('f');
      await vi.advanceTimersByTimeAsync(0);
      expect(writes.at(-1)).toEqual(['f']);
      finish();
      await vi.advanceTimersByTimeAsync(0);
      await late;
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('KPI filings per write', () => {
  it('GIVEN filings for more day documents than one write may update THEN the next write takes those of the first documents, each with all its filings', () => {
    const waiting = ['d1', 'd2', 'd1', 'd3', 'd2', 'd4'].map((bucket) => ({ bucket }));
    expect(filingsFitting(waiting, 3)).toBe(5);
    expect(filingsFitting(waiting, 4)).toBe(6);
    expect(filingsFitting(waiting.slice(0, 1), 1)).toBe(1);
  });
});
