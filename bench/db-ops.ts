/**
 * What each kind of write and read costs the database server, per document: the measurements behind
 * the store's choices (a done record inserted rather than a claim updated, deletes as one `_id`
 * list, reads of several `_id`s at once). Starts the embedded database as `npm start` does (or uses
 * MONGODB_URI), runs each operation OPS times in commands of BATCH documents, one command at a
 * time, and prints the server's CPU per document (from /proc, Linux only) and the wall time.
 *
 *   npm run bench:db-ops                 (BENCH_OPS=2000, BENCH_BATCH=16, BENCH_ROUNDS=2)
 *
 * Prints numbers, asserts nothing.
 */
import { MongoClient, type Collection, type Document } from 'mongodb';
import { startDatabase } from '../dev/database.js';
import { cpuSeconds, databasePid } from './cpu.js';

const OPS = Number(process.env.BENCH_OPS ?? 2000);
const BATCH = Number(process.env.BENCH_BATCH ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

/** A surface record's shape: what the bot writes most. */
const record = (i: number) => ({ _id: `k${i}`, incidentId: `INC-${String(i).padStart(6, '0')}`, state: 'claimed', at: new Date(), channel: 'C0123456789', rev: 1 });
const ids = (from: number, n = BATCH) => Array.from({ length: n }, (_, j) => `k${from + j}`);

async function main(): Promise<void> {
  const database = await startDatabase({ uri: process.env.MONGODB_URI, log: (line) => console.log(`[db] ${line}`) });
  // The embedded server's CPU; NaN for one elsewhere (MONGODB_URI).
  const pid = databasePid();
  const client = await new MongoClient(database.uri).connect();
  const db = client.db(`bench_db_ops_${process.pid}`);
  const rows: { round: number; name: string; cpuMs: number; wallMs: number }[] = [];
  const measure = async (round: number, name: string, n: number, run: () => Promise<unknown>) => {
    const cpu = cpuSeconds(pid);
    const started = performance.now();
    await run();
    rows.push({ round, name, cpuMs: ((cpuSeconds(pid) - cpu) * 1000) / n, wallMs: (performance.now() - started) / n });
  };
  const batches = async (each: (from: number) => Promise<unknown>) => {
    for (let i = 0; i < OPS; i += BATCH) await each(i);
  };
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const c: Collection<Document> = db.collection(`records_${round}`);
      const done = db.collection(`done_${round}`);
      await c.insertOne({ _id: 'first' as never });
      await done.insertOne({ _id: 'first' as never });
      await measure(round, `insert, ${BATCH} a command`, OPS, () => batches((i) => c.insertMany(ids(i).map((_, j) => record(i + j)) as never[], { ordered: false })));
      await measure(round, `insert a done record, ${BATCH} a command`, OPS, () => batches((i) => done.insertMany(ids(i).map((id) => ({ _id: id, message: '1700000000.000100', channel: 'C0123456789' })) as never[], { ordered: false })));
      await measure(round, `update by _id ($set), ${BATCH} a bulk`, OPS, () => batches((i) => c.bulkWrite(ids(i).map((id) => ({ updateOne: { filter: { _id: id as never }, update: { $set: { state: 'done', message: '1700000000.000100' } } } })))));
      await measure(round, `find by an _id list of ${BATCH}`, OPS, () => batches((i) => c.find({ _id: { $in: ids(i) } as never }).toArray()));
      await measure(round, 'find one by _id', OPS / 4, async () => {
        for (let i = 0; i < OPS / 4; i++) await c.findOne({ _id: `k${i}` as never });
      });
      await measure(round, `deleteMany by an _id list of ${BATCH}`, OPS, () => batches((i) => c.deleteMany({ _id: { $in: ids(i) } as never })));
      await c.insertMany(Array.from({ length: OPS }, (_, i) => record(i)) as never[]);
      await measure(round, `deleteOne by _id, ${BATCH} a bulk`, OPS, () => batches((i) => c.bulkWrite(ids(i).map((id) => ({ deleteOne: { filter: { _id: id as never } } })))));
      await c.insertMany(Array.from({ length: OPS }, (_, i) => record(i)) as never[]);
      await measure(round, 'findOneAndUpdate by _id', OPS / 4, async () => {
        for (let i = 0; i < OPS / 4; i++) await c.findOneAndUpdate({ _id: `k${i}` as never }, { $set: { rev: 2 } });
      });
      await measure(round, 'insert one, alone', OPS / 4, async () => {
        for (let i = 0; i < OPS / 4; i++) await db.collection(`single_${round}`).insertOne({ _id: `k${i}` as never, at: new Date() });
      });
    }
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
    await database.stop();
  }
  const names = [...new Set(rows.map((r) => r.name))];
  const insertCpu = rows.filter((r) => r.name === names[0]).map((r) => r.cpuMs);
  console.log(`\nThe database server's CPU per document (ms), ${OPS} documents an operation, one command at a time; round by round:`);
  console.log(`${'operation'.padEnd(40)} ${'server CPU / doc'.padStart(18)} ${'vs a batched insert'.padStart(20)} ${'wall / doc'.padStart(16)}`);
  for (const name of names) {
    const mine = rows.filter((r) => r.name === name);
    const ratio = mine.map((r, i) => r.cpuMs / (insertCpu[i] ?? NaN));
    console.log(`${name.padEnd(40)} ${mine.map((r) => r.cpuMs.toFixed(3)).join(' / ').padStart(18)} ${ratio.map((x) => `${x.toFixed(1)}×`).join(' / ').padStart(20)} ${mine.map((r) => r.wallMs.toFixed(3)).join(' / ').padStart(16)}`);
  }
  process.exit(0);
}

await main();
