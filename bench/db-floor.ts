import mongoose from 'mongoose';

/**
 * The database's own speed in the same run, as the floor a benchmark's figures stand beside:
 * `n` single-document inserts, then `n` reads by `_id`, `concurrency` at a time.
 */
export async function databaseFloor(uri: string, n: number, concurrency: number): Promise<{ inserts: number; reads: number }> {
  const conn = await mongoose.createConnection(uri, { dbName: `bench_floor_${Date.now()}` }).asPromise();
  try {
    const collection = conn.collection<{ _id: string; n: number; text: string }>('floor');
    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await collection.insertOne({ _id: `doc-${i}`, n: i, text: 'x'.repeat(400) });
      }
    }));
    const inserts = n / ((performance.now() - started) / 1000);
    const readStarted = performance.now();
    next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) await collection.findOne({ _id: `doc-${next++}` });
    }));
    const reads = n / ((performance.now() - readStarted) / 1000);
    await conn.dropDatabase();
    return { inserts, reads };
  } finally {
    await conn.close();
  }
}
