import { Schema, type Model } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestDb, type TestDb } from '../support/db.js';

/**
 * A filter that names one `_id` and more (the outbox's guarded update `{_id, attempts}`, a lock's
 * delete `{_id, by}`) finds that document and only when the rest holds too. On FerretDB this runs
 * through dev/ferretdb/sqlite-id-pushdown.patch, which reads the one row by its `_id` instead of
 * every row of the collection: the results must be the ones MongoDB gives, and the server says it
 * used the `_id` (without the patch its explain reports no pushdown for such a filter).
 */
describe('lookups by _id with more conditions', () => {
  let db: TestDb;
  let ferret: boolean;
  interface LookupDoc { _id: string; attempts: number; by: string; status: string }
  const Doc = (): Model<LookupDoc> =>
    (db.conn.models.IdLookupDoc as Model<LookupDoc> | undefined)
    ?? db.conn.model<LookupDoc>('IdLookupDoc', new Schema<LookupDoc>({ _id: String, attempts: Number, by: String, status: String }, { collection: 'id_lookup', versionKey: false }));

  beforeAll(async () => {
    db = await connectTestDb();
    ferret = 'ferretdbVersion' in (await db.conn.db!.admin().command({ buildInfo: 1 }));
    await Doc().insertMany([
      { _id: 'a', attempts: 1, by: 'p1', status: 'pending' },
      { _id: 'b', attempts: 1, by: 'p2', status: 'pending' },
      { _id: 'c', attempts: 3, by: 'p1', status: 'dead' },
    ]);
  });
  afterAll(async () => db?.drop());

  it('GIVEN an update guarded by a field THEN it changes the document only while the guard holds', async () => {
    const first = await Doc().updateOne({ _id: 'a', attempts: 1 }, { $set: { attempts: 2 } });
    const late = await Doc().updateOne({ _id: 'a', attempts: 1 }, { $set: { attempts: 9 } });
    expect([first.matchedCount, first.modifiedCount, late.matchedCount]).toEqual([1, 1, 0]);
    expect(await Doc().findById('a').lean()).toMatchObject({ attempts: 2 });
    expect(await Doc().findById('b').lean()).toMatchObject({ attempts: 1 });
  });

  it('GIVEN finds, deletes and counts naming an _id and more THEN each sees only that document when the rest holds', async () => {
    expect(await Doc().find({ _id: 'c', status: 'dead' }).lean()).toHaveLength(1);
    expect(await Doc().find({ _id: 'c', status: 'pending' }).lean()).toHaveLength(0);
    expect(await Doc().find({ _id: 'b', $or: [{ by: 'p1' }, { by: 'p2' }] }).lean()).toMatchObject([{ _id: 'b' }]);
    expect(await Doc().countDocuments({ _id: 'b', attempts: { $gte: 1 } })).toBe(1);
    expect(await Doc().find({ _id: 'zz', status: 'pending' }).lean()).toHaveLength(0);
    expect((await Doc().deleteOne({ _id: 'b', by: 'p1' })).deletedCount).toBe(0);
    expect((await Doc().deleteOne({ _id: 'b', by: 'p2' })).deletedCount).toBe(1);
    expect((await Doc().find({}).lean()).map((d) => d._id).sort()).toEqual(['a', 'c']);
  });

  it('GIVEN FerretDB THEN a filter naming an _id and more is looked up by that _id, as one naming the _id alone is', async (ctx) => {
    if (!ferret) return ctx.skip();
    const explain = async (filter: Record<string, unknown>) =>
      (await db.conn.db!.command({ explain: { find: 'id_lookup', filter }, verbosity: 'queryPlanner' })) as { filterPushdown?: boolean };
    expect((await explain({ _id: 'a' })).filterPushdown).toBe(true);
    expect((await explain({ _id: 'a', attempts: 2 })).filterPushdown).toBe(true);
    expect((await explain({ attempts: 2 })).filterPushdown).toBe(false);
    // A list of _ids is read by those _ids; a list the patch does not take is read as before.
    expect((await explain({ _id: { $in: ['a', 'c', 'zz'] } })).filterPushdown).toBe(true);
    expect((await explain({ _id: { $in: ['a', 'c'] }, status: 'dead' })).filterPushdown).toBe(true);
    expect((await explain({ _id: { $in: ['a', 7] } })).filterPushdown).toBe(false);
    expect((await explain({ _id: { $in: [] } })).filterPushdown).toBe(false);
    expect((await explain({ _id: { $nin: ['a'] } })).filterPushdown).toBe(false);
  });

  it('GIVEN a list of _ids THEN the documents with those _ids come back, and only those the rest of the filter allows', async () => {
    await Doc().insertMany([{ _id: 'd', attempts: 1, by: 'p1', status: 'pending' }, { _id: 'e', attempts: 5, by: 'p2', status: 'dead' }]);
    const ids = async (filter: Record<string, unknown>) => (await Doc().find(filter).lean()).map((d) => d._id).sort();
    expect(await ids({ _id: { $in: ['a', 'd', 'e', 'zz'] } })).toEqual(['a', 'd', 'e']);
    expect(await ids({ _id: { $in: ['a', 'd', 'e'] }, status: 'dead' })).toEqual(['e']);
    expect(await ids({ _id: { $in: ['zz'] } })).toEqual([]);
    expect(await ids({ _id: { $in: ['a', 7] } })).toEqual(['a']);
    expect(await Doc().countDocuments({ _id: { $in: ['c', 'd'] }, attempts: { $gte: 1 } })).toBe(2);
    expect((await Doc().deleteMany({ _id: { $in: ['d', 'e'] }, by: 'p1' })).deletedCount).toBe(1);
    expect(await ids({})).toEqual(['a', 'c', 'e']);
  });
});
