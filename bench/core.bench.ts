/**
 * Core benchmark: how fast the incident core is on the database the bootstrap picks
 * (MONGODB_URI, else mongodb-memory-server, else FerretDB). Prints numbers, asserts nothing.
 *   npm run bench:core            (BENCH_INCIDENTS=1000 to change the size)
 */
import mongoose from 'mongoose';
import pino from 'pino';
import { createApp, type App } from '../src/bot/app.js';
import { systemClock } from '../src/app/clock.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { startDatabase } from '../dev/database.js';
import { createRegistry } from '../commands/index.js';

const N = Number(process.env.BENCH_INCIDENTS ?? 300);
const user = { id: 'lin.na', name: 'Lin Na' };
const desk = { id: 'chen.jing', name: 'Chen Jing' };
const resolver = { id: 'li.wei', name: 'Li Wei' };
const input = { title: 'Benchmark incident', description: 'bench', impact: 3 as const, urgency: 3 as const, ci: 'bench-ci' };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function timed<T>(samples: number[], work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await work();
  samples.push(performance.now() - start);
  return result;
}

function report(name: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = samples.reduce((a, b) => a + b, 0);
  console.log(`${name.padEnd(34)} n=${String(samples.length).padStart(5)}  p50=${percentile(sorted, 50).toFixed(1)}ms  p99=${percentile(sorted, 99).toFixed(1)}ms  max=${(sorted.at(-1) ?? 0).toFixed(1)}ms  mean=${(total / samples.length).toFixed(1)}ms`);
}

async function lifecycle(app: App, samples: Record<string, number[]>): Promise<void> {
  const { incident } = await timed(samples.report!, () => app.service.report(user, input));
  await timed(samples.dispatch!, () => app.service.act(incident.id, 'dispatch', desk, { groupId: 'network' }));
  await timed(samples.accept!, () => app.service.act(incident.id, 'accept', resolver));
  await timed(samples.resolve!, () => app.service.act(incident.id, 'resolve', resolver, { resolutionCode: 'resolved-by-workaround', solution: 'fixed' }));
  await timed(samples.confirm!, () => app.service.act(incident.id, 'confirm', user));
  await timed(samples.close!, () => app.service.act(incident.id, 'close', desk, { closureCode: 'completed' }));
}

async function main(): Promise<void> {
  const db = await startDatabase({ uri: process.env.MONGODB_URI, log: (line) => console.log(`[db] ${line}`) });
  const conn = await mongoose.createConnection(db.uri, { dbName: `bench_${Date.now()}` }).asPromise();
  const app = await createApp({ registry: createRegistry(), conn, config: loadConfigFile(), log: pino({ level: 'silent' }), clock: systemClock });
  console.log(`database: ${db.describe}; ${N} incidents through the whole lifecycle\n`);
  try {
    const samples: Record<string, number[]> = { report: [], dispatch: [], accept: [], resolve: [], confirm: [], close: [] };
    const started = performance.now();
    for (let i = 0; i < N; i++) await lifecycle(app, samples);
    const seconds = (performance.now() - started) / 1000;
    for (const [name, values] of Object.entries(samples)) report(name, values);
    console.log(`\nsequential lifecycles: ${(N / seconds).toFixed(1)}/s (${((N * 6) / seconds).toFixed(0)} actions/s)`);

    // Contention: 20 people press Accept on the same incident at once; one wins.
    const contended: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { incident } = await app.service.report(user, input);
      await app.service.act(incident.id, 'dispatch', desk, { groupId: 'network' });
      await timed(contended, () => Promise.allSettled(Array.from({ length: 20 }, () => app.service.act(incident.id, 'accept', resolver))));
    }
    report('20 concurrent accepts (all settled)', contended);

    // Parallel reports: throughput of id allocation under contention.
    const burst = performance.now();
    await Promise.all(Array.from({ length: 200 }, () => app.service.report(user, input)));
    console.log(`200 parallel reports: ${((performance.now() - burst) / 1000).toFixed(2)}s`);

    const queue = performance.now();
    await app.service.list({ statuses: ['open'] });
    console.log(`queue query over ${N + 220} incidents: ${(performance.now() - queue).toFixed(1)}ms`);
    console.log(`RSS: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);
  } finally {
    await conn.dropDatabase().catch(() => undefined);
    await conn.close();
    await db.stop();
  }
}

await main();
