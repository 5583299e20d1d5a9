import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Db } from 'mongodb';
import { Schema, type Connection, type Model } from 'mongoose';
import type { Logger } from 'pino';
import { holderIsGone } from '../store/holder.js';
import { deleteById, insertOnce, readByIds } from '../store/insert-once.js';
import { isDuplicateKey, prepareCollections } from '../store/models.js';
import { retryTransient } from '../store/transient.js';
import type { TimerScheduler } from './timer.service.js';

export const RECOVER_JOB = 'incident-timers-recover';

export interface WakeupSettings {
  /** Width of a time bucket of the wake-up log. */
  bucketMs: number;
  /** How often this process reads the log's current buckets for wake-ups other processes wrote. */
  tickMs: number;
  /** Wake-ups due within this are held in memory and fired by a local timer at their exact time. */
  lookaheadMs: number;
  /** A bucket is read again for this long after it ends (a writer that chose it a moment before). */
  closeAfterMs: number;
  /** A claimed wake-up not done after this belongs to a process that died: another takes it over. */
  leaseMs: number;
  /** Agenda runs the recovery sweep (missed, orphaned and late-written wake-ups; log retention) this often. */
  recoverEveryMs: number;
  /** Agenda's own poll, for the recovery job only. */
  agendaProcessEveryMs: number;
  /** Incidents fired side by side. */
  concurrency: number;
  /** Fired wake-ups older than this are removed from the log by the recovery sweep. */
  retainMs: number;
}

export const DEFAULT_WAKEUPS: WakeupSettings = {
  bucketMs: 1_000,
  tickMs: 200,
  lookaheadMs: 2_000,
  closeAfterMs: 10_000,
  leaseMs: 60_000,
  recoverEveryMs: 60_000,
  agendaProcessEveryMs: 5_000,
  concurrency: 32,
  retainMs: 10 * 60_000,
};

/** The incident of a placeholder written where a wake-up's insert failed. */
const HOLE = '-';

/** A wake-up's bucket, from its `_id` (`<bucket>#<n>`). */
const bucketOfSlot = (id: string) => Number(id.slice(0, id.indexOf('#')));

interface Slot {
  _id: string;
  incidentId: string;
  at: Date;
}

const SlotSchema = new Schema(
  { _id: { type: String, required: true }, incidentId: { type: String, required: true }, at: { type: Date, required: true }, by: String },
  { collection: 'timer_wakeups', versionKey: false, autoIndex: false },
);
const MarkSchema = new Schema(
  { _id: { type: String, required: true }, at: { type: Date, required: true }, by: String },
  { versionKey: false, autoIndex: false },
);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

function model(conn: Connection, name: string, schema: Schema, collection?: string): AnyModel {
  return (conn.models[name] as AnyModel | undefined) ?? conn.model(name, schema, collection);
}

/**
 * The timer scheduler: a wake-up log plus local timers, with Agenda for the recovery sweep.
 *
 * `schedule(incident, at)` inserts a wake-up into the log under `<bucket>#<n>` (the bucket is the
 * second it is due, never one already past), so every write is an insert and every read a lookup
 * by `_id`: the only operations that stay fast as the log grows on every server, FerretDB included
 * (it scans the collection for anything else, and an Agenda job's lock is such a query). Each
 * process reads the current buckets a few times a second, keeps what is due within the lookahead
 * in memory and fires each at its exact time: claim (a unique insert, so one process fires it),
 * run the handler, mark it done (another insert). A process that dies leaves its wake-ups in the
 * log: the recovery sweep (an Agenda job, and once at start) fires the ones never claimed and takes
 * over claims whose lease ran out; the handler is idempotent, so a wake-up run twice does nothing
 * the second time. Extra wake-ups (an incident re-planned) fire and find nothing due.
 */
export class WakeupScheduler implements TimerScheduler {
  readonly agenda: Agenda;
  readonly settings: WakeupSettings;
  /** Wake-ups taken, fired and recovered by this process (metrics, the benchmark). */
  readonly stats = { scheduled: 0, fired: 0, recovered: 0, skipped: 0 };
  private readonly slots: AnyModel;
  private readonly claims: AnyModel;
  private readonly done: AnyModel;
  private readonly by = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Next slot number to try per bucket (a hint: an insert that finds it taken tries the next). */
  private readonly nextSlot = new Map<number, number>();
  /** Per bucket still being read: the first slot number not yet seen. */
  private readonly cursor = new Map<number, number>();
  /**
   * Per bucket still being read: the slots this process wrote, by number. The reader passes over
   * them without a lookup (it knows what they hold), one read of the log less per wake-up.
   */
  private readonly written = new Map<number, Map<number, Slot>>();
  private readonly armed = new Map<string, NodeJS.Timeout>();
  /** Wake-ups this process already ran, per bucket still being read (so a re-read does not arm them again). */
  private readonly ran = new Map<number, Set<string>>();
  private readonly queue: { slot: Slot; claimId: string }[] = [];
  /** Slot numbers taken by a write that failed; an empty wake-up is written there so readers go on past it. */
  private readonly holes: string[] = [];
  private readonly running = new Set<Promise<void>>();
  private readFrom = 0;
  private lastPastRead = 0;
  private ticker?: NodeJS.Timeout;
  private reading?: Promise<void>;
  private stopped = false;

  constructor(
    conn: Connection,
    private readonly handler: (incidentId: string) => Promise<unknown>,
    private readonly log: Logger,
    settings: Partial<WakeupSettings> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.settings = { ...DEFAULT_WAKEUPS, ...settings };
    this.slots = model(conn, 'TimerWakeup', SlotSchema);
    this.claims = model(conn, 'TimerWakeupClaim', MarkSchema, 'timer_wakeup_claims');
    this.done = model(conn, 'TimerWakeupDone', MarkSchema, 'timer_wakeup_done');
    this.agenda = new Agenda({
      backend: new MongoBackend({ mongo: conn.db as unknown as Db, collection: 'agendaJobs' }),
      processEvery: this.settings.agendaProcessEveryMs,
      maxConcurrency: 1,
      defaultLockLifetime: 10 * 60_000,
    });
    this.agenda.define(RECOVER_JOB, async () => {
      await this.recover();
    });
    this.agenda.on('fail', (error: Error) => this.log.error({ err: error }, 'timers: recovery sweep failed; it runs again on schedule'));
    this.agenda.on('error', (error: Error) => this.log.error({ err: error }, 'timers: Agenda error'));
  }

  /** Recovers what was missed while no process ran, then reads the log and starts the sweep job. */
  async start(): Promise<void> {
    this.stopped = false;
    await prepareCollections([this.slots, this.claims, this.done]);
    this.readFrom = this.bucketOf(this.now() - this.settings.closeAfterMs);
    await this.recover();
    await this.read();
    this.ticker = setInterval(() => void this.tick(), this.settings.tickMs);
    await this.agenda.start();
    await this.agenda.every(this.settings.recoverEveryMs, RECOVER_JOB, undefined, { skipImmediate: true });
    for (const job of this.recurringJobs) await this.agenda.every(job.everyMs, job.name);
  }

  private readonly recurringJobs: { name: string; everyMs: number }[] = [];

  /**
   * Another recurring Agenda job (the monthly follow-up draw): defined now, run every `everyMs`
   * from start (also once at start). One process runs it at a time (Agenda's lock); the work must
   * be safe to run again.
   */
  recurring(name: string, everyMs: number, work: () => Promise<void>): void {
    this.agenda.define(name, work);
    this.recurringJobs.push({ name, everyMs });
  }

  async schedule(incidentId: string, at: Date): Promise<void> {
    const now = this.now();
    const bucket = Math.max(this.bucketOf(at.getTime()), this.bucketOf(now));
    for (;;) {
      // Taken before the insert, so concurrent schedules in this process never race for one number.
      const n = this.nextSlot.get(bucket) ?? 0;
      this.nextSlot.set(bucket, n + 1);
      const slot: Slot = { _id: `${bucket}#${n}`, incidentId, at };
      let inserted: boolean;
      try {
        inserted = await insertOnce(this.slots, { ...slot, by: this.by });
      } catch (error) {
        // The number is taken but nothing is there: readers stop at such a hole, so fill it later.
        this.holes.push(slot._id);
        throw error;
      }
      if (inserted) {
        this.remember(bucket, n, slot);
        this.stats.scheduled++;
        if (!this.stopped && at.getTime() <= now + this.settings.lookaheadMs) this.arm(slot);
        return;
      }
    }
  }

  /** Many wake-ups at once (an import, a benchmark's setup): one insert per bucket, the rest as `schedule`. */
  async scheduleMany(wakeups: readonly { incidentId: string; at: Date }[]): Promise<void> {
    const byBucket = new Map<number, { incidentId: string; at: Date }[]>();
    const now = this.now();
    for (const w of wakeups) {
      const bucket = Math.max(this.bucketOf(w.at.getTime()), this.bucketOf(now));
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), w]);
    }
    for (const [bucket, items] of byBucket) {
      const first = this.nextSlot.get(bucket) ?? 0;
      this.nextSlot.set(bucket, first + items.length);
      const docs = items.map((w, i) => ({ _id: `${bucket}#${first + i}`, incidentId: w.incidentId, at: w.at, by: this.by }));
      try {
        await retryTransient(() => this.slots.insertMany(docs, { ordered: true }));
        docs.forEach((doc, i) => this.remember(bucket, first + i, doc));
        this.stats.scheduled += items.length;
        for (const doc of docs) if (doc.at.getTime() <= now + this.settings.lookaheadMs) this.arm(doc);
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Another writer has slots here: one at a time instead (any inserted before the clash fire twice, harmlessly).
        for (const w of items) await this.schedule(w.incidentId, w.at);
      }
    }
  }

  /**
   * Graceful stop: no new wake-ups, local timers dropped (their wake-ups stay in the log for the
   * next process), then up to `timeoutMs` for handlers already running. One cut short is
   * recovered once its lease runs out; its work is claimed by unique keys and not done twice.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const timer of this.armed.values()) clearTimeout(timer);
    this.armed.clear();
    this.queue.length = 0;
    await this.agenda.stop().catch((err: unknown) => this.log.error({ err }, 'timers: Agenda stop failed'));
    await this.reading?.catch(() => undefined);
    if (this.running.size === 0) return;
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    const outcome = await Promise.race([Promise.allSettled([...this.running]), timeout]);
    if (outcome === 'timeout') this.log.warn({ running: this.running.size }, 'timers: handlers still running at shutdown; their wake-ups are recovered after the lease');
  }

  /**
   * The recovery sweep: wake-ups due a while ago and not done were missed (their process died, or
   * a writer was slow). Never claimed → fired now; claimed longer ago than the lease → taken over.
   * Done ones older than the retention are removed. Reads the whole log: it runs once a minute.
   */
  async recover(): Promise<number> {
    const now = this.now();
    const { closeAfterMs, leaseMs, retainMs, bucketMs } = this.settings;
    const settled = this.bucketOf(now - closeAfterMs) * bucketMs;
    const [slots, done] = await Promise.all([
      retryTransient(() => this.slots.find({ at: { $lt: new Date(now - closeAfterMs + bucketMs) } }).lean<Slot[]>().exec()),
      retryTransient(() => this.done.find({}, { _id: 1 }).lean<{ _id: string }[]>().exec()),
    ]);
    const isDone = new Set(done.map((d) => d._id));
    const old: string[] = [];
    let recovered = 0;
    for (const slot of slots) {
      const bucketStart = bucketOfSlot(slot._id) * bucketMs;
      if (isDone.has(slot._id) || slot.incidentId === HOLE) {
        if (now - new Date(slot.at).getTime() > retainMs && bucketStart < settled) old.push(slot._id);
        continue;
      }
      if (bucketStart >= settled || this.armed.has(slot._id)) continue; // still being read, or ours to fire
      const claim = await retryTransient(() => this.claims.findById(slot._id).lean<{ at: Date; by?: string }>().exec());
      let claimId = slot._id;
      if (claim) {
        const held = now - new Date(claim.at).getTime();
        // A claim of a process of this host that is gone (killed, then this one started) is over now:
        // its wake-up may have fired without scheduling the next one.
        const gone = claim.by !== undefined && holderIsGone(claim.by);
        if (held < leaseMs && !gone) continue;
        claimId = `${slot._id}~${gone ? `gone-${claim.by}` : Math.floor(held / leaseMs)}`;
      }
      recovered++;
      this.enqueue({ ...slot, at: new Date(slot.at) }, claimId);
    }
    // By `_id`, grouped into few commands: a `$in` is a scan of the whole log on FerretDB (21 s a
    // call at 100,000 wake-ups, measured), and it held up the firing meanwhile.
    for (let i = 0; i < old.length; i += 500) {
      const ids = old.slice(i, i + 500);
      await Promise.all([this.slots, this.done, this.claims].flatMap((model) => ids.map((id) => deleteById(model, id))));
    }
    if (recovered > 0) this.log.warn({ recovered }, 'timers: wake-ups missed by their process fired now');
    this.stats.recovered += recovered;
    return recovered;
  }

  private bucketOf(ms: number): number {
    return Math.floor(ms / this.settings.bucketMs);
  }

  private async tick(): Promise<void> {
    if (this.reading || this.stopped) return;
    this.reading = this.read().catch((err: unknown) => this.log.error({ err }, 'timers: reading the wake-up log failed; retrying'));
    await this.reading;
    this.reading = undefined;
  }

  /** Reads every bucket from the oldest still open to the lookahead, from where it left off. */
  private async read(): Promise<void> {
    while (this.holes.length > 0) {
      await insertOnce(this.slots, { _id: this.holes[0], incidentId: HOLE, at: new Date(0), by: this.by });
      this.holes.shift();
    }
    const now = this.now();
    const current = this.bucketOf(now);
    const last = this.bucketOf(now + this.settings.lookaheadMs);
    // Past buckets only get late writers: read them once a second, the current ones every tick.
    const pastToo = now - this.lastPastRead >= 1_000;
    if (pastToo) this.lastPastRead = now;
    // Every bucket's next slot in one read (its own slots passed over first), then again for the
    // buckets where one was found: one command a tick, where a read per bucket was fifteen.
    let buckets: number[] = [];
    for (let bucket = pastToo ? this.readFrom : current; bucket <= last; bucket++) buckets.push(bucket);
    while (buckets.length > 0) {
      const asked = new Map<string, number>();
      for (const bucket of buckets) {
        let n = this.cursor.get(bucket) ?? 0;
        const ours = this.written.get(bucket);
        for (let own = ours?.get(n); own; own = ours?.get(n)) {
          ours!.delete(n);
          n++;
          if (own.incidentId !== HOLE) this.arm(own);
        }
        this.cursor.set(bucket, n);
        asked.set(`${bucket}#${n}`, bucket);
      }
      buckets = [];
      for (const slot of await readByIds<Slot>(this.slots, [...asked.keys()])) {
        const bucket = asked.get(slot._id)!;
        this.cursor.set(bucket, (this.cursor.get(bucket) ?? 0) + 1);
        if (slot.incidentId !== HOLE) this.arm({ ...slot, at: new Date(slot.at) });
        buckets.push(bucket);
      }
    }
    // Buckets closed for good are left to the recovery sweep.
    const closed = this.bucketOf(now - this.settings.closeAfterMs);
    for (; this.readFrom < closed; this.readFrom++) {
      this.cursor.delete(this.readFrom);
      this.written.delete(this.readFrom);
      this.nextSlot.delete(this.readFrom);
      this.ran.delete(this.readFrom);
    }
  }

  /** A slot this process wrote, for the reader to pass over without a lookup (a bucket already closed is not read again). */
  private remember(bucket: number, n: number, slot: Slot): void {
    if (bucket < this.readFrom) return;
    const ours = this.written.get(bucket) ?? new Map<number, Slot>();
    ours.set(n, { _id: slot._id, incidentId: slot.incidentId, at: slot.at });
    this.written.set(bucket, ours);
  }

  /** Holds a wake-up in memory until its time (at once if due). */
  private arm(slot: Slot): void {
    if (this.armed.has(slot._id) || this.ran.get(bucketOfSlot(slot._id))?.has(slot._id) || this.stopped) return;
    const timer = setTimeout(() => this.enqueue(slot, slot._id), Math.max(0, slot.at.getTime() - this.now()));
    this.armed.set(slot._id, timer);
  }

  private enqueue(slot: Slot, claimId: string): void {
    if (this.stopped) return;
    this.queue.push({ slot, claimId });
    this.drain();
  }

  private drain(): void {
    while (this.running.size < this.settings.concurrency && this.queue.length > 0) {
      const { slot, claimId } = this.queue.shift()!;
      const run = this.run(slot, claimId).finally(() => {
        this.running.delete(run);
        this.armed.delete(slot._id);
        const bucket = bucketOfSlot(slot._id);
        if (bucket >= this.readFrom) this.ran.set(bucket, (this.ran.get(bucket) ?? new Set()).add(slot._id));
        this.drain();
      });
      this.running.add(run);
    }
  }

  /** Claim, fire, mark done. A wake-up someone else claimed is theirs; a failed one is recovered after the lease. */
  private async run(slot: Slot, claimId: string): Promise<void> {
    try {
      if (!(await insertOnce(this.claims, { _id: claimId, at: new Date(this.now()), by: this.by }))) {
        this.stats.skipped++;
        return;
      }
      await this.handler(slot.incidentId);
      await insertOnce(this.done, { _id: slot._id, at: new Date(this.now()), by: this.by });
      this.stats.fired++;
    } catch (err) {
      this.log.error({ err, incidentId: slot.incidentId, wakeup: slot._id }, 'timers: wake-up failed; the recovery sweep fires it again after the lease');
    }
  }
}
