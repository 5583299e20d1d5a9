/**
 * Slack under load, side by side with its floor (issue 11), in one run on one machine:
 *   1. a bare Bolt app that only acks /incident;
 *   2. a minimal Bolt app that acks, then opens a one-field modal (bench/floor-app.ts);
 *   3. this bot (src/main.ts in HTTP mode, as docs/slack.md tells a user), /incident opening its report form.
 * Each gets the same load: CONCURRENCY signed slash commands in flight for SECONDS seconds, against
 * the same local fake Web API, which refuses a trigger_id older than Slack's 3 s. Prints requests/s,
 * ack p50/p99/max and how many views.open were refused as expired, with the ratios to the floor.
 *   npm run bench:slack                    (BENCH_SECONDS=10, BENCH_CONCURRENCY=100)
 * Prints numbers, asserts nothing. Measuring reports through the modal (reports/s, database commands
 * per report, --prefill) is not built yet: see the README.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startDatabase } from '../dev/database.js';
import { FakeSlackApi } from '../test/support/slack/fake-slack-api.js';
import { SECRET, slackUserOf } from '../test/support/slack/slack-bot.js';
import { sign, slashCommandBody, triggerId } from '../test/support/slack/slack-payloads.js';
import { freePort, installationConfig, until } from '../test/support/installation.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);

interface Result {
  name: string;
  requests: number;
  seconds: number;
  acks: number[];
  failed: number;
  opened: number;
  expired: number;
}

async function main(): Promise<void> {
  const db = await startDatabase({ uri: process.env.MONGODB_URI, log: (line) => console.log(`[db] ${line}`) });
  const api = new FakeSlackApi();
  await api.start();
  api.triggerLifetimeMs = 3_000;
  const results: Result[] = [];
  try {
    results.push(await measure('bare Bolt app: ack only', api, (port) => floor(port, api, 'ack-only')));
    results.push(await measure('minimal Bolt app: ack + views.open', api, (port) => floor(port, api, 'modal')));
    results.push(await measure('this bot: /incident opens the report form', api, (port) => bot(port, api, db.uri)));
  } finally {
    await api.stop();
    await db.stop();
  }
  const floorRow = results[1]!;
  console.log(`\n${CONCURRENCY} concurrent /incident for ${SECONDS} s each, one after the other, same fake Web API (trigger_id valid 3 s)\n`);
  console.log(`${'target'.padEnd(44)} ${'req/s'.padStart(7)} ${'ack p50'.padStart(9)} ${'ack p99'.padStart(9)} ${'ack max'.padStart(9)} ${'failed'.padStart(7)} ${'opened'.padStart(7)} ${'expired'.padStart(8)}  p99 vs floor`);
  for (const r of results) {
    const sorted = [...r.acks].sort((a, b) => a - b);
    const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    const floorSorted = [...floorRow.acks].sort((a, b) => a - b);
    const floorP99 = floorSorted[Math.min(floorSorted.length - 1, Math.floor(0.99 * floorSorted.length))] ?? NaN;
    console.log(
      `${r.name.padEnd(44)} ${(r.requests / r.seconds).toFixed(0).padStart(7)} ${ms(p(0.5))} ${ms(p(0.99))} ${ms(sorted.at(-1) ?? NaN)} ${String(r.failed).padStart(7)} ${String(r.opened).padStart(7)} ${String(r.expired).padStart(8)}  ${(p(0.99) / floorP99).toFixed(2)}×`,
    );
  }
}

function ms(value: number): string {
  return `${value.toFixed(0)} ms`.padStart(9);
}

/** Starts a target, drives the load at it, stops it; counts what the fake Web API saw meanwhile. */
async function measure(name: string, api: FakeSlackApi, start: (port: number) => ChildProcess): Promise<Result> {
  const port = await freePort();
  const child = start(port);
  const url = `http://127.0.0.1:${port}`;
  try {
    await until(() => fetch(`${url}/slack/events`, { method: 'POST' }).then(() => true, () => false), 120_000);
    // Warm-up: a few requests, not counted.
    await load(url, 5, 1);
    const from = api.calls.length;
    const started = performance.now();
    const acks: number[] = [];
    const { requests, failed } = await load(url, CONCURRENCY, SECONDS, acks);
    const seconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // views.open calls still in flight
    const opens = api.calls.slice(from).filter((c) => c.method === 'views.open');
    const expired = opens.filter((c) => c.response?.error === 'expired_trigger_id').length;
    return { name, requests, seconds, acks, failed, opened: opens.length - expired, expired };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

/** CONCURRENCY workers posting signed slash commands until the time is up; the ack is the HTTP answer. */
async function load(url: string, concurrency: number, seconds: number, acks: number[] = []): Promise<{ requests: number; failed: number }> {
  const until = performance.now() + seconds * 1000;
  let requests = 0;
  let failed = 0;
  const user = slackUserOf('lin.na');
  const worker = async () => {
    while (performance.now() < until) {
      const body = slashCommandBody({ user, text: '', channel: 'CDESK', responseUrl: 'http://127.0.0.1:9/respond', triggerId: triggerId() });
      const started = performance.now();
      try {
        const res = await fetch(`${url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body, SECRET) }, body });
        await res.text();
        if (res.status !== 200) failed++;
      } catch {
        failed++;
      }
      acks.push(performance.now() - started);
      requests++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { requests, failed };
}

function floor(port: number, api: FakeSlackApi, mode: 'ack-only' | 'modal'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'bench/floor-app.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: api.apiUrl, FLOOR_MODE: mode },
    stdio: 'ignore',
  });
}

function bot(port: number, api: FakeSlackApi, uri: string): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'bench-slack-'));
  const configPath = join(dir, 'config.yml');
  writeFileSync(configPath, stringify(installationConfig({ discord: false })));
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env, NODE_ENV: 'production', MONGODB_URI: uri, MONGODB_DB: `bench_slack_${Date.now()}`, PORT: String(port),
      INCIDENT_CONFIG: configPath, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: api.apiUrl,
      SHELL_ADAPTER: 'off', LOG_LEVEL: 'error',
    },
    stdio: 'ignore',
  });
}

await main();
