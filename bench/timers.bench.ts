/**
 * Timer benchmark: N open incidents, each with one timer due at a moment spread evenly over a
 * window, fired by the real WakeupScheduler + TimerService and sent by the real DeliveryWorker
 * (real clock) to an in-memory messenger that records the lag between due time and delivery.
 * Runs on the database the bootstrap picks (MONGODB_URI, else mongodb-memory-server, else FerretDB).
 *
 *   npm run bench:timers                              (10,000 incidents, timers due over 10 min)
 *   npm run bench:timers -- --incidents 100000 --window 1800
 *   npm run bench:timers -- --window 60               (a stress run: 167 timers/s)
 *
 * Rates: every open incident has a timer at least every 30 minutes under the default policy (a
 * P1's update reminder; P2 hourly, P3/P4 every 2 h), so N open incidents produce at most about
 * N / 1,800 s timers a second. The default (10,000 over 600 s, 16.7/s) is three times that for
 * 10,000 all-P1 incidents; 100,000 over 1,800 s is that rate for 100,000.
 *   npm run bench:timers -- --help                    (every option: scheduler and delivery settings too)
 *
 * Setup is bulk: incidents (built by the domain's newIncident), their report events and their stored
 * plans (planTimers) are written with insertMany, and one wake-up each with
 * WakeupScheduler.scheduleMany. `--setup replan` plans through TimerService.replan instead (the
 * production path, one incident at a time).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mongoose from 'mongoose';
import pino from 'pino';
import { createApp, type App } from '../src/bot/app.js';
import { systemClock } from '../src/app/clock.js';
import type { Destination, Messenger, OutgoingMessage } from '../src/app/platform.js';
import type { ConfigFile } from '../src/config/config.schema.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { PRIORITIES } from '../src/config/config.schema.js';
import type { Incident } from '../src/domain/incident.js';
import { newIncident } from '../src/domain/report.js';
import { planTimers } from '../src/domain/timers.js';
import { DEFAULT_WAKEUPS, WakeupScheduler, type WakeupSettings } from '../src/jobs/wakeup.scheduler.js';
import { eventId } from '../src/store/incident-store.js';
import { DEFAULT_DELIVERY, DeliveryWorker, type DeliveryOptions } from '../src/outbox/delivery.worker.js';
import { startDatabase } from '../dev/database.js';
import { createRegistry } from '../commands/index.js';

// ---------------------------------------------------------------- options

const { values: opt } = parseArgs({
  options: {
    incidents: { type: 'string', default: '10000' },
    window: { type: 'string', default: '600' },
    lead: { type: 'string' },
    grace: { type: 'string', default: '300' },
    setup: { type: 'string', default: 'bulk' },
    'replan-concurrency': { type: 'string', default: '8' },
    tick: { type: 'string', default: String(DEFAULT_WAKEUPS.tickMs) },
    lookahead: { type: 'string', default: String(DEFAULT_WAKEUPS.lookaheadMs) },
    'fire-concurrency': { type: 'string', default: String(DEFAULT_WAKEUPS.concurrency) },
    'recover-every': { type: 'string', default: String(DEFAULT_WAKEUPS.recoverEveryMs) },
    poll: { type: 'string', default: String(DEFAULT_DELIVERY.pollMs) },
    batch: { type: 'string', default: String(DEFAULT_DELIVERY.batch) },
    concurrency: { type: 'string', default: String(DEFAULT_DELIVERY.concurrency) },
    'no-probe': { type: 'boolean', default: false },
    'max-server-rss': { type: 'string', default: '8192' },
    help: { type: 'boolean', default: false },
  },
});

if (opt.help) {
  console.log(`npm run bench:timers -- [options]
  --incidents N          open incidents, one timer each (10000)
  --window S             seconds over which the due times are spread (600)
  --lead S               seconds from the start of setup to the first due time (auto: an estimate of setup + probes)
  --grace S              seconds after the last due time to wait for the rest (300)
  --setup bulk|replan    bulk: insertMany plans, scheduleMany wake-ups; replan: TimerService.replan per incident (bulk)
  --replan-concurrency C replans in flight with --setup replan (8)
  Timers:   --tick MS (${DEFAULT_WAKEUPS.tickMs})  --lookahead MS (${DEFAULT_WAKEUPS.lookaheadMs})  --fire-concurrency N (${DEFAULT_WAKEUPS.concurrency})  --recover-every MS (${DEFAULT_WAKEUPS.recoverEveryMs}, the Agenda job)
  Delivery: --poll MS (${DEFAULT_DELIVERY.pollMs})  --batch N (${DEFAULT_DELIVERY.batch})  --concurrency N (${DEFAULT_DELIVERY.concurrency})
  --no-probe             skip timing single queries before the run
  --max-server-rss MB    stop the run early when the database server's RSS passes this (8192)`);
  process.exit(0);
}

function num(name: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a non-negative number, got ${JSON.stringify(value)}`);
  return n;
}

const N = Math.floor(num('incidents', opt.incidents));
const WINDOW_MS = num('window', opt.window) * 1000;
const GRACE_MS = num('grace', opt.grace) * 1000;
const SETUP = opt.setup === 'replan' ? 'replan' : opt.setup === 'bulk' ? 'bulk' : undefined;
if (!SETUP) throw new Error(`--setup is bulk or replan, got ${JSON.stringify(opt.setup)}`);
const REPLAN_CONCURRENCY = Math.max(1, Math.floor(num('replan-concurrency', opt['replan-concurrency'])));
const PROBE = !opt['no-probe'];
const MAX_SERVER_RSS = num('max-server-rss', opt['max-server-rss']) * 1024 * 1024;
const timerSettings: WakeupSettings = {
  ...DEFAULT_WAKEUPS,
  tickMs: num('tick', opt.tick),
  lookaheadMs: num('lookahead', opt.lookahead),
  concurrency: Math.max(1, num('fire-concurrency', opt['fire-concurrency'])),
  recoverEveryMs: num('recover-every', opt['recover-every']),
};
const deliverySettings: Partial<DeliveryOptions> = {
  pollMs: num('poll', opt.poll),
  batch: num('batch', opt.batch),
  concurrency: num('concurrency', opt.concurrency),
};
const PROBE_TIMES = N > 20_000 ? 1 : 3;
// A rough estimate of setup + probes on FerretDB (≈2 ms an incident to write, ≈0.6 ms an incident per
// probe round: every probe is a collection scan there); replan is far slower.
const LEAD_MS = opt.lead !== undefined
  ? num('lead', opt.lead) * 1000
  : 15_000 + N * (SETUP === 'replan' ? 60 : 2) + (PROBE ? N * PROBE_TIMES * 0.6 : 0);

/** The one timer every incident gets: notification step 0, this long after creation. */
const STEP_MS = 60_000;
/** Everything else the policy would plan is pushed out of the way (but still planned and stored). */
const FAR_MS = 30 * 24 * 3_600_000;
const CHUNK = 1_000;
const TARGETS = N <= 10_000 ? { p99Ms: 1_000, rssMb: undefined as number | undefined } : { p99Ms: 2_000, rssMb: 300 };

// ---------------------------------------------------------------- helpers

/** A full GC between setup and run, so the run's RSS is the bot's and not the setup's garbage. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const mb = (bytes: number) => bytes / 1024 / 1024;
const secs = (ms: number) => (ms / 1000).toFixed(1);

/** Benchmark policy: one notification step per priority, every other timer a month away. */
function benchConfig(): ConfigFile {
  const config = loadConfigFile();
  const policy = config.policy;
  policy.upgrades.unresolvedAfter = FAR_MS;
  for (const p of PRIORITIES) {
    policy.targets[p] = { respond: FAR_MS, accept: FAR_MS, resolve: FAR_MS };
    policy.escalation[p] = [];
    // dm only: not urgent, no webhook/e-mail copy, so one outbox entry per timer.
    policy.notification[p] = { channels: ['dm'], steps: [{ after: STEP_MS, roles: ['project_manager'] }] };
    policy.updates[p] = { ...policy.updates[p], first: FAR_MS, every: FAR_MS, afterResolution: FAR_MS };
  }
  return config;
}

/** Raw inserts: no undefined values (the store never writes them either). */
function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => stripUndefined(v)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return Object.fromEntries(entries.map(([k, v]) => [k, stripUndefined(v)])) as T;
}

/** The database server's process when it is our child (FerretDB), for its CPU and RSS. */
function findServerPid(): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (Number(fields[1]) === process.pid && /ferretdb|mongod/.test(comm)) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc (not Linux)
  }
  return undefined;
}

function serverUsage(pid: number | undefined): { cpuS: number; rss: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime, USER_HZ (100 on Linux)
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    return { cpuS: ticks / 100, rss: rssKb * 1024 };
  } catch {
    return undefined;
  }
}

/** Median of a few timings of one read-only query. */
async function probe(work: () => Promise<unknown>, times = PROBE_TIMES): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await work();
    samples.push(performance.now() - start);
  }
  return percentile(samples.sort((a, b) => a - b), 50);
}

/** An error message short enough to count by: ids masked, head and tail kept (FerretDB puts the cause last). */
function brief(message: string): string {
  const m = message.replace(/[0-9a-f]{24}/g, '<id>');
  return m.length <= 140 ? m : `${m.slice(0, 60)} … ${m.slice(-75)}`;
}

/** Waits for `promise` at most `ms`; errors and timeouts are ignored (teardown). */
async function within(ms: number, promise: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/** Round-trip time per command and collection (driver command monitoring), to see where the time goes. */
function traceCommands(conn: mongoose.Connection) {
  const started = new Map<number, { key: string; at: number }>();
  const totals = new Map<string, { n: number; ms: number }>();
  let on = false;
  const client = conn.getClient();
  client.on('commandStarted', (e) => {
    if (!on) return;
    const target = (e.command as Record<string, unknown>)[e.commandName];
    started.set(e.requestId, { key: `${e.commandName} ${typeof target === 'string' ? target : ''}`.trim(), at: performance.now() });
  });
  const done = (e: { requestId: number }) => {
    const s = started.get(e.requestId);
    if (!s) return;
    started.delete(e.requestId);
    const t = totals.get(s.key) ?? { n: 0, ms: 0 };
    t.n++;
    t.ms += performance.now() - s.at;
    totals.set(s.key, t);
  };
  client.on('commandSucceeded', done);
  client.on('commandFailed', done);
  return {
    start: () => {
      on = true;
    },
    top: (k: number) => [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, k),
  };
}

// ---------------------------------------------------------------- the messenger

/** Delivers nowhere; records when each message was handed over, against its timer's due time. */
class RecordingMessenger implements Messenger {
  readonly platform = 'bench';
  readonly lags: number[] = [];
  readonly delivered = new Set<string>();
  readonly incidents = new Set<string>();
  duplicates = 0;
  firstAt = Infinity;
  lastAt = 0;

  constructor(private readonly dueAt: Map<string, number>) {}

  reaches(): boolean {
    return true;
  }

  async deliver(_destination: Destination, message: OutgoingMessage): Promise<void> {
    const now = Date.now();
    if (this.delivered.has(message.key)) {
      this.duplicates++;
      return;
    }
    this.delivered.add(message.key);
    const due = message.incidentId === undefined ? undefined : this.dueAt.get(message.incidentId);
    if (due === undefined || message.incidentId === undefined) return;
    this.incidents.add(message.incidentId);
    this.lags.push(now - due);
    this.firstAt = Math.min(this.firstAt, now);
    this.lastAt = Math.max(this.lastAt, now);
  }
}

// ---------------------------------------------------------------- setup

interface SetupResult {
  ms: number;
  how: string;
  parts: Record<string, number>;
}

async function bulkSetup(app: App, conn: mongoose.Connection, scheduler: WakeupScheduler, config: ConfigFile, dues: Map<string, number>, firstDue: number): Promise<SetupResult> {
  const started = performance.now();
  const parts: Record<string, number> = { incidents: 0, events: 0, plans: 0, wakeups: 0 };
  const db = conn.db!;

  const reporter = { id: 'lin.na', name: 'Lin Na' };
  const madeAt = new Date();
  const bulkPlans = SETUP === 'bulk';
  for (let from = 0; from < N; from += CHUNK) {
    const incidents: Incident[] = [];
    for (let i = from; i < Math.min(N, from + CHUNK); i++) {
      const due = firstDue + Math.floor((i * WINDOW_MS) / N);
      const createdAt = new Date(due - STEP_MS);
      const { incident } = newIncident(
        { title: `Timer benchmark incident ${i + 1}`, description: 'Created by bench/timers.bench.ts', impact: 3, urgency: 3, category: 'failure', service: 'finance', ci: `bench-ci-${i % 100}` },
        { number: i + 1, actor: reporter, config, directory: app.directory, now: createdAt },
      );
      dues.set(incident.id, due);
      incidents.push(incident);
    }
    let t = performance.now();
    await app.store.m.Incident.collection.insertMany(incidents.map((incident) => stripUndefined({ ...incident, _id: incident.id as never })), { ordered: false });
    parts.incidents! += performance.now() - t;
    t = performance.now();
    await app.store.m.Event.collection.insertMany(
      incidents.map((incident) => ({
        _id: eventId(incident.id, 1) as never, incidentId: incident.id, seq: 1, at: incident.createdAt, actorId: reporter.id, actorName: reporter.name, action: 'report',
        to: 'open', data: {}, changes: stripUndefined({ ...incident }), flags: [], processed: true,
      })),
      { ordered: false },
    );
    parts.events! += performance.now() - t;
    if (!bulkPlans) continue;
    const plans = incidents.map((incident) => ({ incident, timers: planTimers(incident, config.policy, madeAt) }));
    t = performance.now();
    await db.collection('timer_plans').insertMany(
      plans.map(({ incident, timers }) => ({ _id: `${incident.id}#${incident.rev}` as never, incidentId: incident.id, rev: incident.rev, madeAt, timers: stripUndefined(timers) })),
      { ordered: false },
    );
    parts.plans! += performance.now() - t;
    t = performance.now();
    await scheduler.scheduleMany(
      plans.map(({ incident, timers }) => {
        const at = timers[0]!.dueAt;
        if (timers[0]!.key !== 'notification:0' || at.getTime() !== dues.get(incident.id)) throw new Error(`unexpected first timer for ${incident.id}: ${timers[0]!.key} at ${at.toISOString()}`);
        return { incidentId: incident.id, at };
      }),
    );
    parts.wakeups! += performance.now() - t;
    if ((from / CHUNK) % 10 === 9) process.stderr.write(`  setup: ${from + CHUNK}/${N} incidents (${secs(performance.now() - started)} s)\n`);
  }

  let how = 'bulk: insertMany of incidents (newIncident), report events and timer_plans (planTimers); WakeupScheduler.scheduleMany of one wake-up each';
  if (SETUP === 'replan') {
    const t = performance.now();
    let done = 0;
    await pool([...dues.keys()], REPLAN_CONCURRENCY, async (id) => {
      await app.timers.replan(id);
      if (++done % 500 === 0) process.stderr.write(`  replan: ${done}/${N} (${secs(performance.now() - t)} s, ${(done / ((performance.now() - t) / 1000)).toFixed(0)}/s)\n`);
    });
    parts.replan = performance.now() - t;
    how = `replan: insertMany of incidents and report events, then TimerService.replan per incident (${REPLAN_CONCURRENCY} in flight)`;
  }
  return { ms: performance.now() - started, how, parts };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const setupStarted = Date.now();
  const firstDue = setupStarted + LEAD_MS;
  const lastDue = firstDue + Math.floor(((N - 1) * WINDOW_MS) / Math.max(1, N));
  const db = await startDatabase({ uri: process.env.MONGODB_URI, log: (line) => console.log(`[db] ${line}`) });
  const serverPid = findServerPid();
  const conn = await mongoose.createConnection(db.uri, { dbName: `bench_timers_${Date.now()}`, monitorCommands: true }).asPromise();
  const commands = traceCommands(conn);
  const log = pino({ level: process.env.BENCH_LOG ?? 'fatal' }, pino.destination(2));
  const config = benchConfig();
  const dues = new Map<string, number>();
  const messenger = new RecordingMessenger(dues);

  // Handler → TimerService.fire, wrapped to see when each wake-up started and how long it took.
  const wakeLags: number[] = [];
  const fireMs: number[] = [];
  const woken = new Set<string>();
  let handlerRuns = 0;
  let fired = 0;
  let failures = 0;
  const ref: { app?: App } = {};
  const scheduler = new WakeupScheduler(conn, async (incidentId) => {
    const started = Date.now();
    handlerRuns++;
    const due = dues.get(incidentId);
    if (due !== undefined && !woken.has(incidentId)) {
      woken.add(incidentId);
      wakeLags.push(started - due);
    }
    let results: Awaited<ReturnType<App['timers']['fire']>>;
    try {
      results = await ref.app!.timers.fire(incidentId);
    } catch (error) {
      failures++;
      const key = `fire: ${brief(error instanceof Error ? error.message : String(error))}`;
      errors.set(key, (errors.get(key) ?? 0) + 1);
      throw error;
    }
    fired += results.length;
    fireMs.push(Date.now() - started);
    return results;
  }, log, timerSettings);
  // Errors (the handler's, Agenda's), counted by message instead of logged one by one.
  const errors = new Map<string, number>();
  // Agenda calls unlockJob without awaiting it: a database error there is an unhandled rejection, which
  // would end the process (src/main.ts has no handler). Counted here so the run can report.
  process.on('unhandledRejection', (error) => {
    const key = `unhandled rejection: ${brief(error instanceof Error ? error.message : String(error))}`;
    errors.set(key, (errors.get(key) ?? 0) + 1);
  });
  scheduler.agenda.on('fail', () => failures++);
  scheduler.agenda.on('error', (error: Error) => {
    const key = brief(error.message);
    errors.set(key, (errors.get(key) ?? 0) + 1);
  });
  const app = await createApp({ registry: createRegistry(), conn, config, log, clock: systemClock, messengers: [messenger], scheduler });
  ref.app = app;
  const worker = new DeliveryWorker({ store: app.outboxStore, messengers: app.messengers, clock: systemClock, log, options: deliverySettings });
  let afterMarkSent = 0;
  const sentLags: number[] = [];
  worker.onDelivered = (_entry, lagMs) => {
    afterMarkSent++;
    sentLags.push(lagMs);
  };

  console.log(`database: ${db.describe}${serverPid === undefined ? '' : ` (pid ${serverPid})`}`);
  console.log(`${N} incidents, one timer each, due from +${secs(LEAD_MS)} s over ${secs(WINDOW_MS)} s (${(N / Math.max(1, WINDOW_MS / 1000)).toFixed(0)} timers/s offered)`);
  console.log(`timers: ${JSON.stringify(timerSettings)}`);
  console.log(`delivery: ${JSON.stringify({ ...DEFAULT_DELIVERY, ...deliverySettings })}\n`);

  const rssBeforeSetup = process.memoryUsage().rss;
  const cpuSetup0 = process.cpuUsage();
  const server0 = serverUsage(serverPid);
  let exitCode = 0;
  try {
    const setup = await bulkSetup(app, conn, scheduler, config, dues, firstDue);
    const cpuSetup = process.cpuUsage(cpuSetup0);
    const server1 = serverUsage(serverPid);
    console.log(`setup: ${secs(setup.ms)} s — ${setup.how}`);
    console.log(`  ${Object.entries(setup.parts).map(([k, v]) => `${k} ${secs(v)} s`).join(', ')}; bench CPU ${((cpuSetup.user + cpuSetup.system) / 1e6).toFixed(1)} s${server0 && server1 ? `, server CPU ${(server1.cpuS - server0.cpuS).toFixed(1)} s` : ''}`);

    const wakeupCount = await conn.db!.collection('timer_wakeups').countDocuments({});
    const rssAfterSetup = process.memoryUsage().rss;
    gc();
    console.log(`  wake-ups in the log: ${wakeupCount}; RSS ${mb(rssBeforeSetup).toFixed(0)} MB before setup, ${mb(rssAfterSetup).toFixed(0)} MB after, ${mb(process.memoryUsage().rss).toFixed(0)} MB after a full GC`);

    if (PROBE) {
      // Read-only versions of what each wake-up and delivery asks the database, at this size.
      const someId = [...dues.keys()][Math.floor(N / 2)]!;
      const wakeups = conn.db!.collection('timer_wakeups');
      const probes: Record<string, number> = {
        'incident load (by _id, + next event by _id)': await probe(() => app.store.load(someId)),
        'timer plan (by _id)': await probe(() => app.timerStore.plan(someId, 1)),
        'fired? (by _id)': await probe(() => app.timerStore.isFired(someId, 'notification:0')),
        'outbox due (find+sort on the pending only)': await probe(() => app.outboxStore.due(new Date(0), deliverySettings.batch ?? 200)),
        'wake-up log read (by _id)': await probe(() => wakeups.findOne({ _id: `${Math.floor(firstDue / timerSettings.bucketMs)}#0` as never })),
        'recovery sweep scan (whole log, once a minute)': await probe(() => wakeups.find({ at: { $lt: new Date(0) } }).toArray(), 1),
        'old path, for comparison: incidents query on id': await probe(() => app.store.m.Incident.findOne({ id: someId }).lean(), 1),
      };
      console.log(`single queries at this size (median of ${PROBE_TIMES}):`);
      for (const [name, ms] of Object.entries(probes)) console.log(`  ${name.padEnd(44)} ${ms.toFixed(1)} ms`);
    }

    const overdue = Math.max(0, Date.now() - firstDue);
    if (overdue > 0) console.log(`WARNING: setup ran ${secs(overdue)} s past the first due time; raise --lead (those timers start late)`);
    console.log(`\nrunning: first due in ${secs(firstDue - Date.now())} s, last due in ${secs(lastDue - Date.now())} s, waiting at most ${secs(GRACE_MS)} s after it…`);

    // ------------------------------------------------------------ run
    let peakRss = process.memoryUsage().rss;
    let peakServerRss = serverUsage(serverPid)?.rss ?? 0;
    let aborted: string | undefined;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      peakServerRss = Math.max(peakServerRss, serverUsage(serverPid)?.rss ?? 0);
      // A server that falls behind queues the work in memory (seen with Agenda per-incident jobs on
      // FerretDB: past 18 GB at 100k jobs). Stop before that.
      if (!aborted && peakServerRss > MAX_SERVER_RSS) aborted = `database server RSS passed ${mb(MAX_SERVER_RSS).toFixed(0)} MB`;
    }, 250);
    const cpu0 = process.cpuUsage();
    const serverRun0 = serverUsage(serverPid);
    const runStarted = Date.now();
    commands.start();
    await scheduler.start();
    worker.start();
    let lastReport = Date.now();
    while (messenger.lags.length < N && Date.now() < lastDue + GRACE_MS && !aborted) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        const dueNow = Math.max(0, Math.min(N, Math.floor(((Date.now() - firstDue) * N) / Math.max(1, WINDOW_MS)) + 1));
        process.stderr.write(`  t=${secs(Date.now() - runStarted)} s: due ${dueNow}, woken ${woken.size} (${handlerRuns} runs), fired ${fired}, delivered ${messenger.lags.length}, RSS ${mb(process.memoryUsage().rss).toFixed(0)} MB\n`);
      }
    }
    const runEnded = Date.now();
    if (aborted) console.log(`\nABORTED after ${secs(runEnded - runStarted)} s: ${aborted}`);
    await worker.stop();
    await scheduler.stop();
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpu0);
    const serverRun1 = serverUsage(serverPid);

    // ------------------------------------------------------------ report
    const lags = [...messenger.lags].sort((a, b) => a - b);
    const delivered = lags.length;
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    const max = lags.at(-1) ?? NaN;
    const undelivered = N - delivered;
    const span = Math.max(1, messenger.lastAt - Math.min(firstDue, messenger.firstAt));
    const throughput = delivered / (span / 1000);
    // Every timer, the undelivered counted at what they had waited by the end (so at least that late).
    const all = [...lags, ...[...dues.entries()].filter(([id]) => !messenger.incidents.has(id)).map(([, due]) => Math.max(0, runEnded - due))].sort((a, b) => a - b);
    const allP99 = percentile(all, 99);
    const wake = [...wakeLags].sort((a, b) => a - b);
    const fires = [...fireMs].sort((a, b) => a - b);
    const sent = [...sentLags].sort((a, b) => a - b);
    const serverCpu = serverRun0 && serverRun1 ? serverRun1.cpuS - serverRun0.cpuS : undefined;
    const runS = (runEnded - runStarted) / 1000;

    console.log(`\ndatabase:        ${db.kind}`);
    console.log(`incidents:       ${N}`);
    console.log(`timers due:      ${N} (over ${secs(WINDOW_MS)} s)`);
    console.log(`woken / fired:   ${woken.size} incidents woken in ${handlerRuns} handler runs (${fireMs.length} finished), ${fired} timers fired, ${failures} failed jobs`);
    for (const [message, count] of errors) console.log(`  error ×${count}: ${message}`);
    console.log(`  wake-ups: ${JSON.stringify(scheduler.stats)} (scheduled/fired/recovered/skipped by this process)`);
    console.log(`delivered:       ${delivered}${undelivered > 0 ? ` (${undelivered} NOT delivered within ${secs(GRACE_MS)} s after the last due time)` : ''}; duplicates ${messenger.duplicates}`);
    console.log(`setup:           ${secs(setup.ms)} s (${SETUP})`);
    console.log(`lag due→sent:    p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${max.toFixed(0)} ms${undelivered > 0 ? ' (delivered only: the undelivered are later still)' : ''}`);
    if (undelivered > 0) console.log(`  all timers:    p50 ≥ ${percentile(all, 50).toFixed(0)} ms, p99 ≥ ${allP99.toFixed(0)} ms (undelivered counted at end − due)`);
    console.log(`  wake-up lag:   p50 ${percentile(wake, 50).toFixed(0)} ms, p99 ${percentile(wake, 99).toFixed(0)} ms, max ${(wake.at(-1) ?? NaN).toFixed(0)} ms (due → first handler start, ${woken.size} incidents woken)`);
    console.log(`  fire():        p50 ${percentile(fires, 50).toFixed(0)} ms, p99 ${percentile(fires, 99).toFixed(0)} ms (handler duration)`);
    console.log(`  after markSent p99 ${percentile(sent, 99).toFixed(0)} ms (DeliveryWorker.onDelivered, ${afterMarkSent} entries)`);
    console.log(`throughput:      ${throughput.toFixed(1)} deliveries/s (offered ${(N / Math.max(1, WINDOW_MS / 1000)).toFixed(1)}/s)`);
    console.log(`CPU (bench):     user ${(cpu.user / 1e6).toFixed(1)} s, system ${(cpu.system / 1e6).toFixed(1)} s over ${runS.toFixed(1)} s (${(((cpu.user + cpu.system) / 1e6 / runS) * 100).toFixed(0)}% of a core)`);
    if (serverCpu !== undefined) console.log(`CPU (server):    ${serverCpu.toFixed(1)} s (${((serverCpu / runS) * 100).toFixed(0)}% of a core)`);
    console.log(`peak RSS:        ${mb(peakRss).toFixed(0)} MB (bench process)${peakServerRss ? `, server ${mb(peakServerRss).toFixed(0)} MB` : ''}`);
    console.log(`database time by command during the run (round trips, summed over concurrent calls; per fired timer):`);
    for (const [key, t] of commands.top(12)) {
      console.log(`  ${key.padEnd(36)} ${String(t.n).padStart(7)} calls ${secs(t.ms).padStart(8)} s  avg ${(t.ms / t.n).toFixed(1).padStart(7)} ms  ${(t.n / Math.max(1, fired)).toFixed(1)} calls/timer`);
    }
    console.log(`timer settings:  ${JSON.stringify(timerSettings)}`);
    console.log(`delivery:        ${JSON.stringify(deliverySettings)}`);

    const p99Met = undelivered === 0 && p99 <= TARGETS.p99Ms;
    const rssMet = TARGETS.rssMb === undefined ? undefined : mb(peakRss) <= TARGETS.rssMb;
    const met = p99Met && rssMet !== false;
    console.log(`target:          p99 ≤ ${TARGETS.p99Ms} ms${TARGETS.rssMb ? ` and RSS ≤ ${TARGETS.rssMb} MB` : ''} (${N <= 10_000 ? '10k' : '100k'} target): ${met ? 'MET' : 'NOT MET'}` +
      ` (p99 ${p99Met ? 'ok' : 'missed'}${rssMet === undefined ? '' : `, RSS ${rssMet ? 'ok' : 'over'}`})`);

    console.log(JSON.stringify({
      bench: 'timers', database: db.kind, incidents: N, windowS: WINDOW_MS / 1000, timersDue: N, delivered, duplicates: messenger.duplicates,
      setupS: +(setup.ms / 1000).toFixed(1), setup: SETUP,
      undelivered, lagMs: { p50, p99, max, p99AllAtLeast: undelivered > 0 ? allP99 : p99 }, wakeLagMs: { p50: percentile(wake, 50), p99: percentile(wake, 99) },
      throughputPerS: +throughput.toFixed(1), cpuS: { user: +(cpu.user / 1e6).toFixed(1), system: +(cpu.system / 1e6).toFixed(1), server: serverCpu === undefined ? null : +serverCpu.toFixed(1) },
      runS: +runS.toFixed(1), aborted: aborted ?? null, peakRssMb: +mb(peakRss).toFixed(0), serverPeakRssMb: peakServerRss ? +mb(peakServerRss).toFixed(0) : null,
      timers: timerSettings, delivery: deliverySettings, target: { p99Ms: TARGETS.p99Ms, rssMb: TARGETS.rssMb ?? null, met },
    }));
  } catch (error) {
    console.error(error);
    exitCode = 1;
  } finally {
    // Bounded: on an overloaded server a stop or a drop can queue behind minutes of scans.
    await within(30_000, worker.stop());
    await within(30_000, scheduler.stop(1_000));
    // An embedded server's data is a temporary folder removed by stop(); only a given server is cleaned up.
    if (db.kind === 'uri') await within(60_000, conn.dropDatabase());
    await within(10_000, conn.close(true));
    await db.stop();
  }
  process.exit(exitCode);
}

await main();
