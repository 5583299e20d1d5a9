/**
 * KPIs and reports as history grows (issue 17): BENCH_KPI_INCIDENTS (100,000) closed incidents
 * over the past year are written into the database (bench/prefill.ts), their facts filed once as a
 * database from before the KPIs would have them filed at its first start (`fillOnce`), then `kpi`
 * is read for one month and for one quarter, and the monthly report (six charts and a CSV) is
 * built, each timed and with the database commands it cost. Beside them, in the same run: how long
 * the database takes to read the same incidents the way a plain query would (a find over the
 * archive by creation date), the floor the day documents avoid.
 *   npm run bench:kpi                    (BENCH_KPI_INCIDENTS=10000 for a quick run)
 */
import mongoose from 'mongoose';
import pino from 'pino';
import { startDatabase } from '../dev/database.js';
import { composeBot } from '../src/compose.js';
import { systemClock } from '../src/app/clock.js';
import { loadEnv } from '../src/config/env.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { parsePeriod } from '../src/domain/kpi.js';
import { prefill } from './prefill.js';

const INCIDENTS = Number(process.env.BENCH_KPI_INCIDENTS ?? 100_000);
const MANAGER = { id: 'zhao.lei', name: 'Zhao Lei' };

async function main(): Promise<void> {
  const db = await startDatabase({ uri: process.env.MONGODB_URI, log: (line) => console.log(`[db] ${line}`) });
  const dbName = `bench_kpi_${Date.now()}`;
  const config = loadConfigFile();
  const filled = performance.now();
  await prefill(db.uri, dbName, config, INCIDENTS, (done) => done % 20_000 === 0 && console.log(`  prefill ${done}/${INCIDENTS}`));
  console.log(`database: ${db.describe}\n${INCIDENTS} closed incidents over the past year written in ${((performance.now() - filled) / 1000).toFixed(0)} s\n`);
  const conn = await mongoose.createConnection(db.uri, { dbName, monitorCommands: true }).asPromise();
  let commands = 0;
  conn.getClient().on('commandStarted', () => commands++);
  const bot = await composeBot({
    conn, config, env: loadEnv({ NODE_ENV: 'test' }), log: pino({ level: 'silent' }), clock: systemClock,
    scheduler: { schedule: async () => undefined }, adapters: [], defaultMetrics: false, secrets: {},
  });
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const before = commands;
    const start = performance.now();
    const result = await work();
    console.log(`${label.padEnd(58)} ${`${(performance.now() - start).toFixed(0)} ms`.padStart(10)} ${String(commands - before).padStart(8)} commands`);
    return result;
  };
  try {
    await timed('facts filed once for every stored incident (fillOnce)', () => bot.app.kpis.fillOnce());
    const last = parsePeriod(['last-month'], new Date(), config.organisation.timezone);
    if ('problem' in last) throw new Error('period');
    const month = last.period.label;
    const quarter = `${month.slice(0, 4)}-Q${Math.floor((Number(month.slice(5)) - 1) / 3) + 1}`;
    const reply = await timed(`kpi ${month} (beside the month before)`, () => bot.app.run(MANAGER, 'kpi', { text: month }));
    console.log(`  ${reply.text?.split('\n')[1] ?? ''}`);
    await timed(`kpi ${quarter} (beside the quarter before)`, () => bot.app.run(MANAGER, 'kpi', { text: quarter }));
    const report = await timed(`report month ${month} (6 charts + CSV)`, () => bot.app.run(MANAGER, 'report', { title: `month ${month}` }));
    console.log(`  ${report.files?.length ?? 0} files, ${((report.files ?? []).reduce((n, f) => n + f.content.length, 0) / 1024).toFixed(0)} KiB`);
    // The floor: the same month read as a query over the archive (what a $match aggregation reads).
    await timed('floor: the month\'s incidents found by a query on the archive', async () => {
      const found = await conn.collection('incidents_closed').find({ createdAt: { $gte: last.period.from, $lt: last.period.to } }, { projection: { _id: 1 } }).toArray();
      return found.length;
    });
  } finally {
    await bot.stop();
    await conn.dropDatabase().catch(() => undefined);
    await conn.close();
    await db.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
