import mongoose from 'mongoose';

export interface DatabaseFloor {
  /** Single-document inserts per second. */
  inserts: number;
  /** Reads by `_id` per second. */
  reads: number;
  /** The database server's CPU per insert, in ms (NaN when its process is not known). */
  insertCpuMs: number;
}

/**
 * The database's own speed in the same run, as the floor a benchmark's figures stand beside:
 * `n` single-document inserts, then `n` reads by `_id`, `concurrency` at a time. `dbCpu`: the
 * server's CPU seconds so far (bench/cpu.ts), to say what one insert costs it.
 */
export async function databaseFloor(uri: string, n: number, concurrency: number, dbCpu: () => number = () => NaN): Promise<DatabaseFloor> {
  const conn = await mongoose.createConnection(uri, { dbName: `bench_floor_${Date.now()}` }).asPromise();
  try {
    const collection = conn.collection<{ _id: string; n: number; text: string }>('floor');
    const started = performance.now();
    const cpuBefore = dbCpu();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await collection.insertOne({ _id: `doc-${i}`, n: i, text: 'x'.repeat(400) });
      }
    }));
    const inserts = n / ((performance.now() - started) / 1000);
    const insertCpuMs = ((dbCpu() - cpuBefore) * 1000) / n;
    const readStarted = performance.now();
    next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) await collection.findOne({ _id: `doc-${next++}` });
    }));
    const reads = n / ((performance.now() - readStarted) / 1000);
    await conn.dropDatabase();
    return { inserts, reads, insertCpuMs };
  } finally {
    await conn.close();
  }
}
