/**
 * Monitoring under a storm (issue 13): alerts posted to POST /alerts/alertmanager as Alertmanager
 * would — BENCH_ALERTS (10,000) over BENCH_SECONDS (60) across BENCH_FINGERPRINTS (500), with
 * repeats and resolutions — to the bot in HTTP mode on the database the bootstrap picks, beside
 * the database's own insert rate in the same run. Prints alerts accepted/s, accept latency, the
 * incidents opened and alerts attached, and whether every stored payload was processed.
 *   npm run bench:alerts
 */
import mongoose from 'mongoose';
import pino from 'pino';
import { startDatabase } from '../dev/database.js';
import { composeBot } from '../src/compose.js';
import { systemClock } from '../src/app/clock.js';
import { loadEnv } from '../src/config/env.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { startHttp } from '../src/http/server.js';
import { databaseFloor } from './db-floor.js';

const ALERTS = Number(process.env.BENCH_ALERTS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const FINGERPRINTS = Number(process.env.BENCH_FINGERPRINTS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const TOKEN = 'bench-token';

function payload(i: number): string {
  const n = i % FINGERPRINTS;
  // Every tenth notification of a fingerprint says it resolved; the others repeat it firing.
  const status = Math.floor(i / FINGERPRINTS) % 10 === 9 ? 'resolved' : 'firing';
  const labels = { alertname: 'NodeDown', instance: `node-${n}:9100`, severity: n % 7 === 0 ? 'critical' : 'warning' };
  return JSON.stringify({
    version: '4', status, receiver: 'incident-bot', groupKey: `{}:{instance="node-${n}:9100"}`, truncatedAlerts: 0,
    groupLabels: { instance: labels.instance }, commonLabels: labels, commonAnnotations: {}, externalURL: 'http://alertmanager:9093',
    notification_reason: `notification ${i}`,
    alerts: [{ status, labels, annotations: { summary: `Node ${n} is down` }, startsAt: '2026-11-29T10:00:00Z', endsAt: status === 'resolved' ? '2026-11-29T10:05:00Z' : '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus:9090/graph', fingerprint: n.toString(16).padStart(16, '0') }],
  });
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const db = await startDatabase({ uri: process.env.MONGODB_URI, log: (line) => console.log(`[db] ${line}`) });
  const floor = await databaseFloor(db.uri, 2_000, CONCURRENCY);
  const conn = await mongoose.createConnection(db.uri, { dbName: `bench_alerts_${Date.now()}`, monitorCommands: true }).asPromise();
  const bot = await composeBot({
    conn, config: loadConfigFile(), env: loadEnv({ NODE_ENV: 'test' }), log: pino({ level: 'silent' }), clock: systemClock,
    scheduler: { schedule: async () => undefined }, adapters: [], defaultMetrics: false, secrets: { ALERTMANAGER_TOKEN: TOKEN },
  });
  const http = await startHttp({ port: 0, ready: async () => true, metrics: async () => '', routes: bot.routes });
  const url = `http://127.0.0.1:${http.port}/alerts/alertmanager`;
  let commands = 0;
  conn.getClient().on('commandStarted', () => commands++);
  console.log(`database: ${db.describe}\n${ALERTS} alerts over ${SECONDS} s across ${FINGERPRINTS} fingerprints, ${CONCURRENCY} in flight\n`);
  try {
    const latencies: number[] = [];
    let failed = 0;
    let next = 0;
    const started = performance.now();
    const perMs = ALERTS / (SECONDS * 1000);
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        const i = next++;
        if (i >= ALERTS) return;
        // Paced: alert i is due at i / rate; a late one goes at once.
        const wait = started + i / perMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const sent = performance.now();
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: payload(i) });
        await res.text();
        latencies.push(performance.now() - sent);
        if (res.status !== 202) failed++;
      }
    }));
    const postSeconds = (performance.now() - started) / 1000;
    await bot.intake.idle();
    await bot.intake.sweep(0);
    const drainedSeconds = (performance.now() - started) / 1000;
    const stored = await conn.collection('alert_payloads').countDocuments();
    const done = await conn.collection('alert_payloads').countDocuments({ state: 'done' });
    const count = async (filter: Record<string, unknown>) =>
      (await conn.collection('incidents').countDocuments(filter)) + (await conn.collection('incidents_closed').countDocuments(filter));
    const opened = await count({ source: 'monitoring' });
    const resolvedNotes = await count({ source: 'monitoring', 'alert.state': 'resolved' });
    console.log(`database floor, same run, ${CONCURRENCY} concurrent: ${floor.inserts.toFixed(0)} single-document inserts/s, ${floor.reads.toFixed(0)} _id reads/s`);
    console.log(`accepted                ${ALERTS - failed} of ${ALERTS} (${failed} refused) in ${postSeconds.toFixed(1)} s: ${((ALERTS - failed) / postSeconds).toFixed(0)} alerts/s (offered ${(ALERTS / SECONDS).toFixed(0)}/s)`);
    console.log(`accept latency          p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`);
    console.log(`processed               ${done} of ${stored} stored payloads (${stored === done ? 'none lost' : `${stored - done} NOT processed`}), all done ${drainedSeconds.toFixed(1)} s after the first`);
    console.log(`incidents opened        ${opened} for ${FINGERPRINTS} fingerprints; alerts attached to them ${ALERTS - failed - opened}; ${resolvedNotes} whose alert has now resolved`);
    console.log(`database commands       ${(commands / Math.max(1, ALERTS - failed)).toFixed(1)} per alert (${(commands / drainedSeconds).toFixed(0)}/s against a floor of ${floor.inserts.toFixed(0)} inserts/s)`);
    console.log(`peak RSS                ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB (bot and load generator in one process)`);
  } finally {
    await http.close();
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
