import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../app/clock.js';
import { DeliveryError, type Messenger, type OutgoingMessage } from '../app/platform.js';
import type { OutboxEntry, OutboxStore } from './outbox.store.js';
import { PacedDelivery } from './paced.js';
import { SURFACE_RULE, SurfaceSync } from './surface.js';
import { holderIsGone } from '../store/holder.js';

export interface DeliveryOptions {
  /** How often the worker looks for due entries. */
  pollMs: number;
  /**
   * How often it looks while entries this process wrote keep it busy (a burst of reports), or
   * attempts it put off wait for their turn (the minutes a burst's posts take at Slack's pace): the look
   * is a scan of every pending entry on FerretDB, and at `pollMs` under a backlog of a thousand
   * cards it took about a sixth of the database's CPU while reports were being committed. What
   * the look is then for can wait this long: another process's entries, failed attempts coming
   * due (seconds apart at least). Attempts this worker put off come back without it, at their time.
   */
  busyPollMs: number;
  /** Entries taken per look. */
  batch: number;
  /**
   * Entries sent side by side. Each delivery is a chain of small writes (its claim, the incident's
   * lock, the post's record, the move to `outbox_sent`), and writes to one collection that wait
   * together go out as one command: with 16 side by side a card cost 6.6 commands (the chains drift
   * apart and rarely meet), with 64 about 2.5. `npm run bench:slack` (1,000 reports, cards at
   * 1,000/s): 8.6 → 4.2 commands a report including its card, the database's CPU to the last card
   * 10.3 → 7.5 ms a report, cards 64 → 82/s. 128 gained nothing more.
   */
  concurrency: number;
  /** Attempts before an entry is dead-lettered. With the backoff below: about an hour of retrying. */
  maxAttempts: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** A claim older than this whose entry is still pending belongs to a worker that died. */
  leaseMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  pollMs: 500,
  busyPollMs: 5_000,
  batch: 200,
  concurrency: 64,
  maxAttempts: 15,
  baseBackoffMs: 5_000,
  maxBackoffMs: 5 * 60_000,
  leaseMs: 2 * 60_000,
};

/** How many sent keys the worker remembers, to leave one that comes back to it again. */
const RECENT_KEPT = 10_000;

export interface DeliveryStats {
  sent: number;
  /** Attempts that failed and will be tried again. */
  retried: number;
  dead: number;
  /** Attempts put off without failing: the adapter paced a post, or another process held the incident. */
  putOff: number;
  /** Due time → sent time of delivered entries, for the lag metric and the benchmark. */
  lastLagMs: number;
}

/**
 * Sends outbox entries through the adapters' messengers. Each attempt is claimed first with a
 * unique insert, so two processes (or a job Agenda ran twice on FerretDB) never send it twice,
 * and a key already in `outbox_sent` is not sent again (its leftover in `outbox` is removed). A
 * sent entry moves to `outbox_sent` (OutboxStore.markSent); failures are retried with exponential
 * backoff or the platform's Retry-After, and entries no retry can help are dead-lettered where
 * `/incident admin outbox` and /metrics show them. An attempt put off rather than failed (an
 * adapter pacing its posts to a rate limit, another process updating the incident) is tried again
 * at the time given and counts toward nothing: not the dead letter, not the failure metric.
 *
 * When started, the worker passes over the due entries every `pollMs` (entries other processes
 * wrote, retries coming due) and, through `nudge()`, as soon as this process's outbox writes an
 * entry (the store's `onPending` hook, registered in `start()`).
 */
export class DeliveryWorker {
  readonly stats: DeliveryStats = { sent: 0, retried: 0, dead: 0, putOff: 0, lastLagMs: 0 };
  private readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = true;
  /** The poll loop is in a pass (or a run of passes) now. */
  private passing = false;
  /** A nudge came during a pass: go again right after it. */
  private nudged = false;
  private unsubscribe?: () => void;
  /** Entries this process just wrote, handed over by the store: delivered without a query. */
  private readonly local: OutboxEntry[] = [];
  /** Entries this worker put off, each handed back to `local` by its timer when due again. */
  private readonly putOffs = new Map<string, NodeJS.Timeout>();
  /** Keys in a pass now: a query that finds one again leaves it. */
  private readonly inFlight = new Set<string>();
  /**
   * Keys this worker sent lately (the last RECENT_KEPT): one handed over after the query already
   * found and sent it is dropped, instead of a claim, refused, and the lookups that find it sent.
   * (A copy the query finds is another matter: a replay or a crash leftover, removed by `claim`.)
   */
  private readonly recentlySent = new Set<string>();
  private lastQueryAt = 0;
  /** Called after each delivery with its lag (benchmarks, tests). */
  onDelivered?: (entry: OutboxEntry, lagMs: number) => void;

  constructor(
    private readonly deps: {
      store: OutboxStore;
      messengers: readonly Messenger[];
      /** The adapters' cards, threads and war rooms (outbox entries with rule "surface"). */
      surfaces?: SurfaceSync;
      clock: Clock;
      log: Logger;
      options?: Partial<DeliveryOptions>;
      /** Counts failed attempts by platform (/metrics; BotMetrics in production). */
      metrics?: { deliveryFailed(platform: string, outcome: 'retry' | 'dead'): void };
    },
  ) {}

  private get options(): DeliveryOptions {
    return { ...DEFAULT_DELIVERY, ...this.deps.options };
  }

  start(): void {
    this.stopped = false;
    this.unsubscribe?.();
    this.unsubscribe = this.deps.store.onPending((entries) => {
      this.local.push(...entries);
      this.nudge();
    });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.local.length = 0;
    for (const timer of this.putOffs.values()) clearTimeout(timer);
    this.putOffs.clear();
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /**
   * Something became due (this process wrote an entry): a pass starts now instead of at the next
   * poll if the worker is started and idle; if a pass is running, another follows right after it.
   */
  nudge(): void {
    if (this.stopped) return;
    if (this.passing) this.nudged = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), ms);
  }

  private async loop(): Promise<void> {
    if (this.stopped || this.passing) return;
    this.passing = true;
    try {
      // A full batch means more is waiting, and a nudge means something new: go again at once.
      let n: number;
      do {
        this.nudged = false;
        n = await this.runOnce();
      } while ((n >= this.options.batch || this.nudged) && !this.stopped);
    } catch (error) {
      this.deps.log.error({ err: error }, 'outbox: delivery pass failed; retrying');
    } finally {
      this.passing = false;
    }
    if (!this.stopped) this.schedule(this.nudged ? 0 : this.options.pollMs);
  }

  /** One pass: sends every entry due now. Returns how many entries it looked at. */
  runOnce(): Promise<number> {
    const pass = this.pass();
    this.running = pass;
    return pass;
  }

  /**
   * Entries handed over by this process's writes go first, with no query; the outbox itself is
   * queried when there are none, or at most once a poll interval (retries, other processes'
   * entries). Under a backlog this keeps the query (a scan of the pending entries on FerretDB)
   * off the path of every message.
   */
  private async pass(): Promise<number> {
    const { store, clock } = this.deps;
    const { batch, concurrency, pollMs, busyPollMs } = this.options;
    const now = clock.now();
    // A handed-over entry this worker already sent (the query found it first) is not in the outbox any more.
    const due = this.local.splice(0, batch).filter((e) => e.nextAttemptAt.getTime() <= now.getTime() && !this.recentlySent.has(e._id));
    // Attempts put off to a later turn keep the worker busy too: after a burst at Slack's pace they
    // come back one a second per channel for many minutes, and a look at each pass between them
    // (a scan of the thousands then pending: 150 ms waited per look in bench:slack at pace 1) would
    // run about twice a second all that time.
    const busy = due.length > 0 || this.putOffs.size > 0;
    if (!busy || Date.now() - this.lastQueryAt >= Math.max(pollMs, busyPollMs)) {
      this.lastQueryAt = Date.now();
      const taken = new Set(due.map((e) => e._id));
      const found = (await store.due(now, batch)).filter((entry) => !taken.has(entry._id) && !this.inFlight.has(entry._id));
      // Found here, so not handed back by its timer as well (a second claim, refused: commands for nothing).
      for (const entry of found) this.cancelHandBack(entry._id);
      due.push(...found);
      // Entries still waiting in the hand-over (more than a batch of them) that the query found: sent
      // from here, so not taken again from the hand-over later (a second claim, refused, and the
      // lookups that find it sent: three commands for nothing).
      if (found.length > 0 && this.local.length > 0) {
        const queried = new Set(found.map((e) => e._id));
        for (let i = this.local.length - 1; i >= 0; i--) if (queried.has(this.local[i]!._id)) this.local.splice(i, 1);
      }
    }
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const entry = due[next++]!;
        if (this.inFlight.has(entry._id)) continue;
        this.inFlight.add(entry._id);
        try {
          await this.deliver(entry);
        } finally {
          this.inFlight.delete(entry._id);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
    return due.length;
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const { store, clock, log, surfaces } = this.deps;
    const surface = entry.rule === SURFACE_RULE;
    const messenger = this.deps.messengers.find((m) => m.platform === entry.platform);
    // Another process may run this platform; leave the entry to it.
    if (surface ? !surfaces?.has(entry.platform) : !messenger) return;
    const claim = await this.claim(entry);
    if (!claim) return;
    const attempt = entry.attempts;
    const failures = this.failures(entry);
    const message: OutgoingMessage = {
      key: entry._id, rule: entry.rule, incidentId: entry.incidentId, text: entry.text, card: entry.card, actions: entry.actions, urgent: entry.urgent,
      ...(entry.files ? { files: entry.files } : {}),
      // An earlier attempt failed or its process stopped mid-way: the message may have arrived (a put-off attempt sent nothing).
      maybeSent: failures > 0 || claim === 'taken-over',
    };
    try {
      if (surface) {
        if (!(await surfaces!.sync(entry.platform, entry.incidentId ?? '', SurfaceSync.seqOf(entry._id)))) {
          // Another process holds this incident now: due again at once, taken up by the next poll.
          await this.putOff(entry, attempt, 0, 'busy: another process is updating this incident');
          return;
        }
      } else {
        await messenger!.deliver(entry.destination, message);
      }
      const now = clock.now();
      await store.markSent(entry, attempt, now);
      this.recentlySent.add(entry._id);
      if (this.recentlySent.size > RECENT_KEPT) this.recentlySent.delete(this.recentlySent.values().next().value!);
      const lag = now.getTime() - (entry.dueAt ?? entry.createdAt).getTime();
      this.stats.sent++;
      this.stats.lastLagMs = lag;
      this.onDelivered?.(entry, lag);
    } catch (error) {
      if (error instanceof PacedDelivery) return this.putOff(entry, attempt, error.options.retryAfterMs ?? 0, error.message);
      const failure = error instanceof DeliveryError ? error : new DeliveryError(error instanceof Error ? error.message : String(error));
      const exhausted = failure.options.permanent || failures + 1 >= this.options.maxAttempts;
      const wait = failure.options.retryAfterMs ?? this.backoff(failures);
      await store.markFailed(entry._id, attempt, {
        status: exhausted ? 'dead' : 'pending',
        nextAttemptAt: new Date(clock.now().getTime() + wait),
        error: failure.message.slice(0, 500),
        failures: failures + 1,
      });
      this.deps.metrics?.deliveryFailed(entry.platform, exhausted ? 'dead' : 'retry');
      if (exhausted) {
        this.stats.dead++;
        log.error({ outbox: entry._id, platform: entry.platform, attempts: attempt + 1, error: failure.message }, 'outbox: message dead-lettered (see /incident admin outbox)');
      } else {
        this.stats.retried++;
        log.warn({ outbox: entry._id, platform: entry.platform, attempt: attempt + 1, retryInMs: wait, error: failure.message }, 'outbox: delivery failed; will retry');
      }
    }
  }

  /** Attempts of this entry that really failed (an entry written before they were counted: all its attempts). */
  private failures(entry: OutboxEntry): number {
    return entry.failures ?? entry.attempts;
  }

  /**
   * An attempt that neither delivered nor failed: due again in `waitMs`, its failures unchanged.
   * The attempt number still moves on, since each attempt is claimed under its own number.
   */
  private async putOff(entry: OutboxEntry, attempt: number, waitMs: number, reason: string): Promise<void> {
    const { store, clock, log } = this.deps;
    const update = { status: 'pending' as const, nextAttemptAt: new Date(clock.now().getTime() + waitMs), error: reason.slice(0, 500), failures: this.failures(entry) };
    await store.markFailed(entry._id, attempt, update);
    this.stats.putOff++;
    log.debug({ outbox: entry._id, platform: entry.platform, retryInMs: waitMs, reason }, 'outbox: delivery put off');
    // A post paced to a later slot comes back at its slot through the hand-over, not with the next
    // look at the outbox (which waits `busyPollMs` under a backlog). "Busy" (another process holds
    // the incident, no time given) is left to that look, so it is not retried in a tight loop.
    if (waitMs > 0) this.handBack({ ...entry, status: update.status, nextAttemptAt: update.nextAttemptAt, lastError: update.error, failures: update.failures, attempts: attempt + 1 }, waitMs);
  }

  /** Hands a put-off entry back to this worker when it is due again. */
  private handBack(entry: OutboxEntry, waitMs: number): void {
    if (this.stopped) return;
    this.cancelHandBack(entry._id);
    const timer = setTimeout(() => {
      this.putOffs.delete(entry._id);
      this.local.push(entry);
      this.nudge();
    }, waitMs);
    timer.unref();
    this.putOffs.set(entry._id, timer);
  }

  private cancelHandBack(id: string): void {
    const timer = this.putOffs.get(id);
    if (!timer) return;
    clearTimeout(timer);
    this.putOffs.delete(id);
  }

  /**
   * The attempt's claim. A claim left by a worker that died is taken over: at once when it was a
   * process of this host that no longer runs (killed and restarted), else once its lease is over.
   */
  private async claim(entry: OutboxEntry): Promise<false | 'claimed' | 'taken-over'> {
    const { store, clock } = this.deps;
    const now = clock.now();
    if (await store.claim(entry._id, entry.attempts, this.id, now)) return 'claimed';
    // Taken: by a live worker, a dead one, or this key was sent already (re-added after its move, or
    // left by a crash between the move's two steps; its first claim stays): then the copy goes.
    if (await store.dropIfSent(entry._id)) return false;
    const held = await store.claimedAt(entry._id, entry.attempts);
    if (!held) return false;
    const gone = held.by ? holderIsGone(held.by) : false;
    if (!gone && now.getTime() - held.at.getTime() < this.options.leaseMs) return false;
    return (await store.takeOverClaim(entry._id, entry.attempts, held.by, this.id, now)) ? 'taken-over' : false;
  }

  private backoff(attempt: number): number {
    const { baseBackoffMs, maxBackoffMs } = this.options;
    return Math.min(maxBackoffMs, baseBackoffMs * 2 ** attempt) * (0.75 + Math.random() * 0.5);
  }
}
