import { Schema } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertOnce, writeOne } from '../../src/store/insert-once.js';
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
});
