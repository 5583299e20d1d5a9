/**
 * Slack under load, side by side with its floors (issue 11), in one run on one machine.
 *
 * Part 1, `/incident` (CONCURRENCY signed slash commands in flight for SECONDS seconds each, sent
 * from a load generator of its own, bench/post-load.ts):
 *   1. a bare Bolt app that only acks;
 *   2. a minimal Bolt app that acks, then opens a one-field modal (bench/floor-app.ts): the floor;
 *   3. this bot (as `npm start` runs it, in HTTP mode as docs/slack.md tells a user), opening its report form.
 * ROUNDS rounds of the three, one after the other (a single 10-second run of a target on two
 * shared cores swings its p99 by several times from run to run). The fake Web API refuses a
 * trigger_id older than Slack's 3 s. Prints, over all rounds, requests/s, ack p50/p99/max, how
 * many views.open were refused as expired, and the p99 against the floor's; then each round's p99s.
 *
 * Part 2, reports through the modal: REPORTS submissions of the bot's real report form (each its own
 * view, REPORT_CONCURRENCY in flight; WARM_REPORTS before them, five at a time and not counted, as
 * part 1's warm-up requests), first on an empty database, then on one pre-filled with
 * `--prefill N` closed incidents (several: `--prefill 10000,100000`). Prints the submission ack
 * p50/p99/max (as the load generator saw them, and as the bot timed them: its
 * http_request_duration_seconds, which leaves out the load generator's own waits), reports committed per second (the reporter told the id), cards posted per second in
 * the service-desk channel, database commands per report (the bot's own /metrics, MongoDB command
 * monitoring) and the bot's peak RSS; beside them the database's own single-insert and `_id`-read
 * rates at the same concurrency, measured in the same run. Then the CPU each report cost the bot
 * and the database server (/proc, Linux only), and the server's CPU per insert in the floor: what a
 * report costs the database in inserts' worth, and the most reports a second one core of it allows.
 *
 *   npm run bench:slack                                   (BENCH_SECONDS=10, BENCH_CONCURRENCY=100, BENCH_ROUNDS=3, BENCH_REPORTS=1000, BENCH_REPORT_CONCURRENCY=50, BENCH_WARM_REPORTS=20)
 *   npm run bench:slack -- --prefill 10000,100000         (adds a run per history size)
 *   npm run bench:slack -- --reports-only                 (skips part 1; --incident-only skips part 2)
 *   BENCH_PROFILE=/tmp/prof npm run bench:slack            (the bot writes a V8 CPU profile there)
 *   BENCH_CHANNEL_PACE=1 BENCH_CARDS_WAIT_MS=60000 …       (cards at Slack's pace; stop waiting for them after a minute)
 *   BENCH_KEEPALIVE=0 …                                    (a new connection per request, as a proxy without upstream keep-alive)
 * Posts are paced at 1,000/s per channel (the bot's delivery at full speed), and then, unless
 * BENCH_CHANNEL_PACE is set, once more on an empty database at Slack's pace of one post a second per
 * channel, as `npm start` paces them: the thousands of posts that then wait for their turn must
 * not slow the commits (the cards take 17 minutes there; that run stops waiting for them after
 * BENCH_PACED_CARDS_WAIT_MS, 5 s).
 * Prints numbers, asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startDatabase } from '../dev/database.js';
import { parseConfigText } from '../src/config/load-config.js';
import { FakeSlackApi, type ApiCall } from '../test/support/slack/fake-slack-api.js';
import { CHANNELS, SECRET, SlackDriver, slackUserOf } from '../test/support/slack/slack-bot.js';
import { freePort, installationConfig, until } from '../test/support/installation.js';
import { prefill } from './prefill.js';
import { databaseFloor, type DatabaseFloor } from './db-floor.js';
import { cpuSeconds, databasePid } from './cpu.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REPORTS = Number(process.env.BENCH_REPORTS ?? 1000);
const REPORT_CONCURRENCY = Number(process.env.BENCH_REPORT_CONCURRENCY ?? 50);
const WARM_REPORTS = Number(process.env.BENCH_WARM_REPORTS ?? 20);
const args = process.argv.slice(2);
const PREFILLS = [0, ...(valueOf('--prefill') ?? '').split(',').filter(Boolean).map(Number)];
const REPORTS_ONLY = args.includes('--reports-only');
/** Posts a second per channel for the reports' runs (Slack's is about 1; at that, 1,000 cards take 17 minutes). */
const PACE = Number(process.env.BENCH_CHANNEL_PACE ?? 1000);
const INCIDENT_ONLY = args.includes('--incident-only');
/** Temporary folders, removed when the bench exits (the report bodies alone are 13 MB a run). */
const scratch: string[] = [];
process.once('exit', () => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function valueOf(flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

interface Result {
  name: string;
  requests: number;
  seconds: number;
  acks: number[];
  failed: number;
  opened: number;
  expired: number;
  /** The load generator's own CPU (ms) over the round. */
  loadCpuMs: number;
}

interface ReportRun {
  prefill: number;
  /** Posts a second per channel the bot was given (SLACK_CHANNEL_POSTS_PER_SECOND). */
  pace: number;
  acks: number[];
  failedAcks: number;
  committedPerSecond: number;
  committed: number;
  cardsPerSecond: number;
  cards: number;
  commandsAtCommit: number;
  commandsTotal: number;
  byCommand: Record<string, number>;
  /** The bot's wait on each of them, sent to answered, in ms (its mongodb_command_seconds_total). */
  msByCommand: Record<string, number>;
  peakRssMb: number;
  startRssMb: number;
  /** The bot's event-loop delay while the submissions were arriving (prom-client's, reset at each scrape). */
  loop: { p99: number; max: number };
  /** The same acks as the bot timed them (arrival to last byte, its http_request_duration_seconds): the bucket bound under which 50 % and 99 % fell. */
  botAck: { p50: number; p99: number; max: number };
  /** CPU seconds the bot and the database server spent from the first submission to the last receipt (commit), and to the last card (total). */
  cpu: { botCommit: number; dbCommit: number; botTotal: number; dbTotal: number; commitSeconds: number; botMainCommit: number; benchCommit: number };
  /** The load generator's own CPU (ms) while it sent the submissions. */
  loadCpuMs: number;
}

async function main(): Promise<void> {
  const db = await startDatabase({ uri: process.env.MONGODB_URI, log: (line) => console.log(`[db] ${line}`) });
  const dbCpu = ((pid) => () => cpuSeconds(pid))(databasePid());
  const api = new FakeSlackApi();
  await api.start();
  api.triggerLifetimeMs = 3_000;
  /** Per target, one result per round. */
  const results: Result[][] = [];
  const reportRuns: ReportRun[] = [];
  let floorDb: DatabaseFloor | undefined;
  try {
    if (!REPORTS_ONLY) {
      const targets: [string, (port: number) => ChildProcess][] = [
        ['bare Bolt app: ack only', (port) => floor(port, api, 'ack-only')],
        ['minimal Bolt app: ack + views.open', (port) => floor(port, api, 'modal')],
        ['this bot: /incident opens the report form', (port) => bot(port, api, db.uri, `bench_slack_${Date.now()}`).child],
      ];
      for (let round = 1; round <= ROUNDS; round++) {
        for (const [i, [name, start]] of targets.entries()) {
          console.log(`[/incident] round ${round}/${ROUNDS}: ${name}`);
          (results[i] ??= []).push(await measure(name, api, start));
        }
      }
    }
    if (!INCIDENT_ONLY) {
      floorDb = await databaseFloor(db.uri, REPORTS, REPORT_CONCURRENCY, dbCpu);
      for (const size of PREFILLS) reportRuns.push(await reports(api, db.uri, size, dbCpu, PACE));
      if (process.env.BENCH_CHANNEL_PACE === undefined) reportRuns.push(await reports(api, db.uri, 0, dbCpu, 1));
    }
  } finally {
    await api.stop();
    await db.stop();
  }

  if (results.length === 3) {
    const pooled = results.map((rounds) => ({
      name: rounds[0]!.name,
      requests: rounds.reduce((a, r) => a + r.requests, 0),
      seconds: rounds.reduce((a, r) => a + r.seconds, 0),
      acks: rounds.flatMap((r) => r.acks).sort((a, b) => a - b),
      failed: rounds.reduce((a, r) => a + r.failed, 0),
      opened: rounds.reduce((a, r) => a + r.opened, 0),
      expired: rounds.reduce((a, r) => a + r.expired, 0),
      loadCpuMs: rounds.reduce((a, r) => a + r.loadCpuMs, 0),
    }));
    const floorP99 = percentile(pooled[1]!.acks, 0.99);
    console.log(`\n/incident: ${CONCURRENCY} concurrent for ${SECONDS} s each, ${ROUNDS} rounds of the three one after the other, same fake Web API (trigger_id valid 3 s); all rounds together\n`);
    console.log(`${'target'.padEnd(44)} ${'req/s'.padStart(7)} ${'ack p50'.padStart(9)} ${'ack p99'.padStart(9)} ${'ack max'.padStart(9)} ${'failed'.padStart(7)} ${'opened'.padStart(7)} ${'expired'.padStart(8)}  p99 vs floor`);
    for (const r of pooled) {
      console.log(
        `${r.name.padEnd(44)} ${(r.requests / r.seconds).toFixed(0).padStart(7)} ${ms(percentile(r.acks, 0.5))} ${ms(percentile(r.acks, 0.99))} ${ms(r.acks.at(-1) ?? NaN)} ${String(r.failed).padStart(7)} ${String(r.opened).padStart(7)} ${String(r.expired).padStart(8)}  ${(percentile(r.acks, 0.99) / floorP99).toFixed(2)}×`,
      );
    }
    console.log(`the load generator's own CPU per request: ${pooled.map((r) => `${r.name.split(':')[0]} ${(r.loadCpuMs / r.requests).toFixed(2)} ms`).join(', ')}`);
    console.log('\neach round: ack p99 (expired trigger_ids), and the p99 against the same round\'s floor');
    for (let round = 0; round < ROUNDS; round++) {
      const p99s = results.map((rounds) => percentile(rounds[round]!.acks, 0.99));
      const line = results.map((rounds, i) => `${rounds[round]!.name.split(':')[0]} ${p99s[i]!.toFixed(0)} ms (${rounds[round]!.expired})`).join(', ');
      console.log(`  round ${round + 1}: ${line}; bot vs floor ${(p99s[2]! / p99s[1]!).toFixed(2)}×`);
    }
  }
  if (reportRuns.length === 0) return;
  console.log(`\nReports through the modal: ${REPORTS} submissions, ${REPORT_CONCURRENCY} in flight, each its own view; posts paced at ${PACE}/s per channel (BENCH_CHANNEL_PACE)${reportRuns.some((r) => r.pace !== PACE) ? ', and in the row marked "@1/s" at Slack\'s one post a second per channel, as npm start paces them' : ''}`);
  if (floorDb) console.log(`database floor, same run, ${REPORT_CONCURRENCY} concurrent: ${floorDb.inserts.toFixed(0)} single-document inserts/s, ${floorDb.reads.toFixed(0)} _id reads/s; the server's CPU per insert ${floorDb.insertCpuMs.toFixed(2)} ms`);
  const label = (r: ReportRun) => `${r.prefill}${r.pace === PACE ? '' : ` @${r.pace}/s`}`.padStart(10);
  console.log(`\n${'history'.padStart(10)} ${'ack p50'.padStart(9)} ${'ack p99'.padStart(9)} ${'ack max'.padStart(9)} ${'failed'.padStart(7)} ${'committed/s'.padStart(12)} ${'cards/s'.padStart(8)} ${'cards'.padStart(6)} ${'db cmds/report'.padStart(15)} ${'incl. delivery'.padStart(15)} ${'RSS idle→peak'.padStart(13)} ${'loop p99/max'.padStart(15)} ${'bot-timed ack p50/p99/max'.padStart(26)}  committed/s vs empty`);
  const empty = reportRuns[0];
  for (const r of reportRuns) {
    console.log(
      `${label(r)} ${ms(percentile(r.acks, 0.5))} ${ms(percentile(r.acks, 0.99))} ${ms(Math.max(...r.acks))} ${String(r.failedAcks).padStart(7)} ${r.committedPerSecond.toFixed(0).padStart(12)} ${r.cardsPerSecond.toFixed(0).padStart(8)} ${String(r.cards).padStart(6)} ${(r.commandsAtCommit / REPORTS).toFixed(1).padStart(15)} ${(r.commandsTotal / REPORTS).toFixed(1).padStart(15)} ${`${r.startRssMb.toFixed(0)}→${r.peakRssMb.toFixed(0)} MB`.padStart(13)} ${`${r.loop.p99.toFixed(0)}/${r.loop.max.toFixed(0)} ms`.padStart(15)} ${`≤${r.botAck.p50.toFixed(0)}/≤${r.botAck.p99.toFixed(0)}/≤${r.botAck.max.toFixed(0)} ms`.padStart(26)}  ${empty ? `${((r.committedPerSecond / empty.committedPerSecond) * 100).toFixed(0)} %` : ''}`,
    );
  }
  console.log('\nCPU per report, from the first submission to the last receipt (and to the last card), and how busy each was meanwhile:');
  for (const r of reportRuns) {
    const { botCommit, dbCommit, botTotal, dbTotal, commitSeconds, botMainCommit, benchCommit } = r.cpu;
    const perReport = (seconds: number) => `${((seconds * 1000) / REPORTS).toFixed(1)} ms`;
    const inserts = floorDb && Number.isFinite(floorDb.insertCpuMs) ? `, ${((dbCommit * 1000) / REPORTS / floorDb.insertCpuMs).toFixed(1)} single inserts' worth` : '';
    console.log(
      `${label(r)}  bot ${perReport(botCommit)} (${perReport(botTotal)}), ${(botCommit / commitSeconds).toFixed(2)} cores, its main thread ${perReport(botMainCommit)} at ${(botMainCommit / commitSeconds).toFixed(2)};` +
        `  database ${perReport(dbCommit)} (${perReport(dbTotal)})${inserts}, ${(dbCommit / commitSeconds).toFixed(2)} cores` +
        ` → at that cost one database core commits at most ${(REPORTS / dbCommit).toFixed(0)} reports/s;` +
        `  the load generator ${(r.loadCpuMs / r.acks.length).toFixed(2)} ms per submission; the fake Slack Web API (the bench's process) ${perReport(benchCommit)}`,
    );
  }
  if (empty) {
    const per = (onCollection: boolean) => Object.entries(empty.byCommand)
      .filter(([c, n]) => c.includes(' ') === onCollection && n / REPORTS >= 0.05)
      .sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${(n / REPORTS).toFixed(1)}`).join(', ');
    console.log(`\ndatabase commands per report on the empty database, incl. delivery, by command: ${per(false)}`);
    console.log(`by command and collection: ${per(true)}`);
    const waits = Object.entries(empty.msByCommand).sort((a, b) => b[1] - a[1]).slice(0, 12)
      .map(([c, ms]) => `${c} ${(ms / (empty.byCommand[c] ?? 1)).toFixed(1)} ms × ${((empty.byCommand[c] ?? 0) / REPORTS).toFixed(1)}`).join(', ');
    console.log(`the bot's wait per command (sent to answered), most waited first: ${waits}`);
  }
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
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
    // Warm-up: a few requests, not counted; then the target's start-up work (the bot's first run of
    // its recurring jobs) is left to finish, so the load meets each target in its steady state.
    await slashLoad(`${url}/slack/events`, 5, 1, api.responseUrl('warmup'));
    await untilIdle();
    const from = api.calls.length;
    const started = performance.now();
    const { acks, failed, cpuMs } = await slashLoad(`${url}/slack/events`, CONCURRENCY, SECONDS, api.responseUrl('load'));
    const requests = acks.length;
    const seconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // views.open calls still in flight
    const opens = api.calls.slice(from).filter((c) => c.method === 'views.open');
    const expired = opens.filter((c) => c.response?.error === 'expired_trigger_id').length;
    // The fake keeps every call it answered (the bot's each with its 11 KB view): counted, they go,
    // or the bench process grows round by round and its collector holds up the later targets.
    api.calls.splice(from);
    return { name, requests, seconds, acks, failed, opened: opens.length - expired, expired, loadCpuMs: cpuMs };
  } finally {
    await stopChild(child);
  }
}

/**
 * `concurrency` workers posting signed slash commands for `seconds`, from bench/post-load.ts (a
 * process of its own, so the fake Web API's work on the target's views does not hold up its
 * clock); the ack is the HTTP answer. `responseUrl`: where answers to the person go.
 */
async function slashLoad(url: string, concurrency: number, seconds: number, responseUrl: string): Promise<Load> {
  const user = slackUserOf('lin.na');
  return runLoad(['slash', url, String(concurrency), SECRET, String(seconds), responseUrl, user.id, user.name, CHANNELS.desk]);
}

/** The database's own pace at the reports' concurrency: single-document inserts, then reads by `_id`. */
/**
 * The bot on a fresh database holding `history` closed incidents: one real report form is opened
 * with /incident, then REPORTS submissions of it (each with its own view id, as Slack gives every
 * opened modal) go in REPORT_CONCURRENCY at a time. Committed = the reporter was told the id.
 */
async function reports(api: FakeSlackApi, uri: string, history: number, dbCpu: () => number, pace: number): Promise<ReportRun> {
  const dbName = `bench_reports_${history}_${pace}_${Date.now()}`;
  if (history > 0) {
    const config = parseConfigText(stringify(installationConfig({ discord: false })));
    const started = performance.now();
    await prefill(uri, dbName, config, history, (done) => process.stdout.write(`\r[prefill] ${done}/${history} closed incidents`));
    console.log(` in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const port = await freePort();
  const { child } = bot(port, api, uri, dbName, pace);
  const url = `http://127.0.0.1:${port}`;
  const driver = new SlackDriver(api, url);
  const user = slackUserOf('lin.na');
  try {
    await until(() => fetch(`${url}/readyz`).then((r) => r.ok, () => false), 120_000);
    // A bot that has just started on a large database is still reading it (the search index; on
    // this bench's prefilled databases also the one-time KPI filing): the burst comes once the
    // machine is quiet again, as it would to a bot that has been running.
    const settledIn = await untilIdle();
    if (history > 0) console.log(`[reports] history ${history}: the bot's start-up work took ${(settledIn / 1000).toFixed(0)} s`);
    const opened = await driver.slash(user, '');
    const view = await driver.modalFor(opened.triggerId);
    if (WARM_REPORTS > 0) {
      // Warm-up, not counted (as part 1's few requests): the bot's first reports run its code cold.
      const warmFrom = api.calls.length;
      const warm = Array.from({ length: WARM_REPORTS }, (_, i) => driver.submissionBody(user, { ...view, id: `VWARM${history}x${i}` }, {
        title: `Warm-up report ${i}`, description: 'Not counted.', impact: '4', urgency: '4',
      }));
      const warmFile = join(scratchDir('bench-warm-'), 'bodies.json');
      writeFileSync(warmFile, JSON.stringify(warm));
      await postLoad(`${url}/slack/events`, warmFile, 5);
      await until(async () => api.calls.slice(warmFrom).filter(isReceipt).length >= WARM_REPORTS, 60_000);
      await untilIdle();
    }
    const peak = watchRss(child.pid);
    const before = await commandCounts(url);
    const msBefore = await commandMs(url);
    const acksBefore = await ackBuckets(url);
    const from = api.calls.length;
    const acks: number[] = [];
    let failedAcks = 0;
    // Every submission is built before the clock starts (each is the whole form, tens of kilobytes to
    // encode): the load generator's own work must not count as the bot's ack time.
    const bodies = Array.from({ length: REPORTS }, (_, i) => driver.submissionBody(user, { ...view, id: `VBENCH${history}x${i}` }, {
      title: `Core switch down, floor ${i % 12} (${i})`, description: 'No network on the whole floor since 09:10.',
      impact: '2', urgency: '2', ci: `sw-core-${i % 25}`, ...(process.env.BENCH_SERVICE ? { service: process.env.BENCH_SERVICE } : {}),
    }));
    const bodiesFile = join(scratchDir('bench-bodies-'), 'bodies.json');
    writeFileSync(bodiesFile, JSON.stringify(bodies));
    // The bot's main thread apart: it runs everything but the thread that accepts connections.
    // This process too: the fake Slack Web API answering the bot (receipts, views, cards) runs here, on the same two cores.
    const cpuAt = () => ({ bot: cpuSeconds(child.pid), botMain: cpuSeconds(child.pid, child.pid), db: dbCpu(), bench: cpuSeconds(process.pid) });
    const cpuBefore = cpuAt();
    const started = Date.now();
    const load = await postLoad(`${url}/slack/events`, bodiesFile, REPORT_CONCURRENCY);
    acks.push(...load.acks);
    failedAcks += load.failed;
    const slow = load.acks.map((ack, i) => ({ ack, at: load.sentAt[i]! })).filter((a) => a.ack > 1_000);
    if (slow.length > 0) console.log(`[reports] ${slow.length} acks over 1 s, sent at ${[...new Set(slow.map((a) => (a.at / 1000).toFixed(0)))].join(', ')} s into the run`);
    const since = () => api.calls.slice(from);
    const receipts = () => since().filter(isReceipt);
    console.log(`[reports] history ${history}: ${REPORTS} submitted in ${((Date.now() - started) / 1000).toFixed(1)} s (${failedAcks} failed); waiting for receipts and cards`);
    if (failedAcks === REPORTS) throw new Error(`every submission failed: ${JSON.stringify(await driver.submit(user, view, {}))}`);
    await until(async () => receipts().length >= REPORTS - failedAcks, Number(process.env.BENCH_WAIT_MS ?? 120_000)).catch(() => {
      const methods = since().reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.method]: (acc[c.method] ?? 0) + 1 }), {});
      console.log(`[reports] only ${receipts().length} receipts after 2 minutes; calls seen: ${JSON.stringify(methods)}; last answers: ${since().filter((c) => c.method === 'response_url').slice(-2).map((c) => String(c.params.text)).join(' | ')}`);
    });
    const committedAt = receipts().at(-1)?.at ?? Date.now();
    const cpuAtCommit = cpuAt();
    const atCommit = await commandCounts(url);
    // Read once the reports are committed, not while they are: each scrape of /metrics makes the
    // database read every open incident (the `incidents` gauges), and two scrapes during the commit
    // took about a fifth of FerretDB's CPU there (its profile), where a Prometheus scraping every
    // 15 s or more costs a few per cent. The loop delay covers the submissions and the commit.
    const loop = await eventLoopDelay(url);
    const botAck = bucketPercentiles(acksBefore, await ackBuckets(url));
    const cards = () => since().filter(isCard);
    const cardsWaitMs = pace === PACE ? Number(process.env.BENCH_CARDS_WAIT_MS ?? 300_000) : Number(process.env.BENCH_PACED_CARDS_WAIT_MS ?? 5_000);
    await until(async () => cards().length >= receipts().length, cardsWaitMs).catch(() => console.log(`[reports] only ${cards().length} cards after ${(cardsWaitMs / 1000).toFixed(0)} s`));
    const cardsAt = cards().at(-1)?.at ?? Date.now();
    const cpuAfter = cpuAt();
    const after = await commandCounts(url);
    const total = (counts: Record<string, number>) => Object.entries(counts).filter(([c]) => !c.includes(' ')).reduce((a, [, n]) => a + n, 0);
    const byCommand = Object.fromEntries(Object.entries(after).map(([c, n]) => [c, n - (before[c] ?? 0)]).filter(([, n]) => Number(n) > 0));
    const msAfter = await commandMs(url);
    const msByCommand = Object.fromEntries(Object.entries(msAfter).map(([c, n]) => [c, n - (msBefore[c] ?? 0)]).filter(([, n]) => Number(n) > 0));
    return {
      prefill: history,
      pace,
      acks,
      failedAcks,
      committed: receipts().length,
      committedPerSecond: receipts().length / ((committedAt - started) / 1000),
      cards: cards().length,
      cardsPerSecond: cards().length / ((cardsAt - started) / 1000),
      commandsAtCommit: total(atCommit) - total(before),
      commandsTotal: total(after) - total(before),
      byCommand,
      msByCommand,
      peakRssMb: peak.stop(),
      startRssMb: peak.atStart,
      loop,
      botAck,
      loadCpuMs: load.cpuMs,
      cpu: {
        botCommit: cpuAtCommit.bot - cpuBefore.bot, dbCommit: cpuAtCommit.db - cpuBefore.db, botMainCommit: cpuAtCommit.botMain - cpuBefore.botMain,
        botTotal: cpuAfter.bot - cpuBefore.bot, dbTotal: cpuAfter.db - cpuBefore.db, benchCommit: cpuAtCommit.bench - cpuBefore.bench,
        commitSeconds: (committedAt - started) / 1000,
      },
    };
  } finally {
    await stopChild(child);
  }
}

/** The reporter told the incident id (the answer to the submission, on its response_url). */
function isReceipt(call: ApiCall): boolean {
  return call.method === 'response_url' && /INC-\d+/.test(String(call.params.text ?? ''));
}

/** A new incident's card in the service-desk channel. */
function isCard(call: ApiCall): boolean {
  return call.method === 'chat.postMessage' && call.params.channel === CHANNELS.desk && JSON.stringify(call.params.blocks ?? '').includes('"card:INC-');
}

/** The bot's event-loop delay (ms) since its previous /metrics scrape. */
async function eventLoopDelay(url: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { p99: read('nodejs_eventloop_lag_p99_seconds'), max: read('nodejs_eventloop_lag_max_seconds') };
}

/** The bot's own count of Slack requests answered within each bound (seconds), so far. */
async function ackBuckets(url: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const match of text.matchAll(/^http_request_duration_seconds_bucket\{le="([^"]+)",route="POST \/slack\/events"\} (\d+)/gm)) {
    buckets.set(match[1] === '+Inf' ? Infinity : Number(match[1]), Number(match[2]));
  }
  return buckets;
}

/** From two snapshots of cumulative buckets: the smallest bound holding 50 %, 99 % and all of the requests in between (ms). */
function bucketPercentiles(before: Map<number, number>, after: Map<number, number>): { p50: number; p99: number; max: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const total = counts.at(-1) ?? 0;
  const at = (q: number) => (bounds[counts.findIndex((n) => n >= q * total)] ?? NaN) * 1000;
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
}

/** The bot's database commands so far, by command (`find`) and by command on a collection (`find incidents`). */
async function commandCounts(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^mongodb_commands_total\{command="([^"]+)",collection="([^"]+)"\} (\d+)/gm)) {
    const [, command, collection, n] = match as unknown as [string, string, string, string];
    counts[command] = (counts[command] ?? 0) + Number(n);
    counts[`${command} ${collection}`] = Number(n);
  }
  return counts;
}

/** The bot's time waiting on the database so far (sent to answered), by command on a collection, in ms. */
async function commandMs(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const ms: Record<string, number> = {};
  for (const match of text.matchAll(/^mongodb_command_seconds_total\{command="([^"]+)",collection="([^"]+)"\} ([\d.e+-]+)/gm)) {
    const [, command, collection, seconds] = match as unknown as [string, string, string, string];
    ms[`${command} ${collection}`] = Number(seconds) * 1000;
  }
  return ms;
}

/**
 * Waits until the machine is quiet: under a sixth of its CPU busy for two seconds (the bot reading
 * its database at start keeps the database busy too, while the bot itself may wait). Ms waited;
 * ten minutes at most.
 */
async function untilIdle(): Promise<number> {
  const started = Date.now();
  const sample = () => {
    try {
      const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
      const values = ticks.map(Number);
      return { idle: values[3]! + (values[4] ?? 0), total: values.reduce((a, b) => a + b, 0) };
    } catch {
      return undefined; // not Linux: no wait
    }
  };
  // Quiet for three samples in a row (6 s): longer than the bot's recurring jobs take to make their
  // first run (Agenda looks every 5 s), so a one-time start-up job (the monthly report a fresh
  // database has not had yet: its KPIs, charts and PDF) has run before the burst rather than in it.
  let quiet = 0;
  for (let before = sample(); before && Date.now() - started < 600_000 && quiet < 3; ) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const now = sample();
    if (!now) break;
    quiet = 1 - (now.idle - before.idle) / Math.max(1, now.total - before.total) < 1 / 6 ? quiet + 1 : 0;
    before = now;
  }
  return Date.now() - started;
}

/** Samples the bot's resident memory (/proc, so the sampling costs the bot nothing) every 200 ms; stop() gives the peak in MB. */
function watchRss(pid: number | undefined): { stop(): number; atStart: number } {
  const read = (): number => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return match ? Number(match[1]) / 1024 : 0;
    } catch {
      return 0; // not Linux, or the process is gone
    }
  };
  const atStart = read();
  let peak = atStart;
  const timer = setInterval(() => (peak = Math.max(peak, read())), 200);
  return { stop: () => (clearInterval(timer), peak), atStart };
}

function floor(port: number, api: FakeSlackApi, mode: 'ack-only' | 'modal'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'bench/floor-app.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: api.apiUrl, FLOOR_MODE: mode },
    stdio: 'ignore',
  });
}

function bot(port: number, api: FakeSlackApi, uri: string, dbName: string, pace = PACE): { child: ChildProcess } {
  const dir = scratchDir('bench-slack-');
  const configPath = join(dir, 'config.yml');
  writeFileSync(configPath, stringify(installationConfig({ discord: false })));
  // BENCH_PROFILE=<dir>: the bot writes a V8 CPU profile there when it stops (open it in Chrome's DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : [];
  // BENCH_BOT_NODE_FLAGS: Node flags NODE_OPTIONS does not take (say, --trace-gc), on the bot's command line.
  const flags = (process.env.BENCH_BOT_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  // As `npm start` runs it (scripts/start.mjs: compiled to .build/, then plain node; MONGODB_URI is
  // set, so no development database); BENCH_BOT_MAIN=dist/src/main.js runs the Docker image's build instead.
  const main = process.env.BENCH_BOT_MAIN ? ['--enable-source-maps', process.env.BENCH_BOT_MAIN] : ['scripts/start.mjs'];
  const child = spawn(process.execPath, [...profile, ...flags, ...main], {
    cwd: ROOT,
    env: {
      ...process.env, NODE_ENV: 'production', MONGODB_URI: process.env.BENCH_URI_EXTRA ? `${uri}${process.env.BENCH_URI_EXTRA}` : uri, MONGODB_DB: dbName, PORT: String(port),
      INCIDENT_CONFIG: configPath, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: api.apiUrl,
      SHELL_ADAPTER: 'off', LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
      // BENCH_BOT_NODE_OPTIONS: Node options for the bot alone (say, a heap limit), not the load generator's.
      ...(process.env.BENCH_BOT_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_BOT_NODE_OPTIONS } : {}),
      // Slack lets a channel take about one post a second; at that pace 1,000 cards take 17 minutes,
      // so the bench measures how fast the bot can deliver unless told to pace like Slack.
      SLACK_CHANNEL_POSTS_PER_SECOND: String(pace), SLACK_CHANNEL_POST_BURST: process.env.BENCH_CHANNEL_PACE === undefined && pace === PACE ? '1000' : '4',
    },
    // BENCH_BOT_LOG=<file>: the bot's log lines (LOG_LEVEL from BENCH_LOG_LEVEL) go there.
    stdio: ['ignore', process.env.BENCH_BOT_LOG ? openSync(process.env.BENCH_BOT_LOG, 'a') : 'ignore', 'inherit'],
  });
  return { child };
}

/** Runs bench/post-load.ts: the submissions go out from a process of their own, which only sends and times them. */
function postLoad(url: string, bodiesFile: string, concurrency: number): Promise<Load> {
  return runLoad([url, bodiesFile, String(concurrency), SECRET]);
}

/** What bench/post-load.ts measured: each ack (ms) and when it was sent, failures, its own CPU (ms). */
interface Load {
  acks: number[];
  sentAt: number[];
  failed: number;
  cpuMs: number;
}

async function runLoad(args: string[]): Promise<Load> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/post-load.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bench/post-load.ts exited with ${code}`);
  return JSON.parse(out) as Load;
}

/** A temporary folder, removed when the bench exits (`scratch`). */
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

await main();
