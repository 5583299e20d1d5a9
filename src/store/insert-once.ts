import type { Collection } from 'mongodb';
import type { Model } from 'mongoose';
import { isDuplicateKey } from './models.js';
import { isTransient, retryTransient } from './transient.js';

/** Documents written by one `insertMany` at most. */
const MAX_BATCH = 500;
/**
 * Updates in one `bulkWrite` at most. FerretDB 1.24 keeps each update statement's read open until
 * the whole command ends (its handler defers the close inside the loop over statements) while each
 * statement's write takes another connection from a pool of 100 per database: a bulk of 100
 * updates waited for a connection it held itself, and the database stopped answering (found by
 * `npm run bench:slack`: a goroutine dump showed 100 open reads and every request waiting).
 */
export const MAX_UPDATE_BATCH = 16;

export interface Waiting<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions<I> {
  /** Items one write takes at most (default MAX_BATCH). */
  maxBatch?: number;
  /** How many of the waiting items (oldest first, at least one) the next write takes; default: up to `maxBatch`. */
  take?: (waiting: readonly I[]) => number;
  /**
   * Under load (more than one item waiting), a write starts no sooner than this after the one
   * before it started, so the items of this long go out in one write. A lone item goes at once,
   * so one person's changes one after another wait for nothing. For writes whose cost grows with
   * the documents rewritten rather than with the items (a day's KPI documents).
   */
  minIntervalMs?: number;
}

/**
 * Group commit: a call made while a write to the same collection is in flight waits for it and
 * goes out with everything else that arrived meanwhile, in one command. An idle collection is
 * written at once, so a lone call waits for nothing; a busy one turns dozens of round trips (and,
 * on FerretDB, SQLite transactions) into one. `write` settles each caller with its own answer.
 */
export class GroupCommit<I, R> {
  private readonly waiting: Waiting<I, R>[] = [];
  private flushing = false;
  private lastStarted = 0;

  constructor(
    private readonly write: (batch: Waiting<I, R>[]) => Promise<void>,
    private readonly options: GroupCommitOptions<I> = {},
  ) {}

  add(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve: (result) => release(() => resolve(result)), reject: (error) => release(() => reject(error)) });
      if (!this.flushing) {
        this.flushing = true;
        void this.flush();
      }
    });
  }

  private async flush(): Promise<void> {
    const { maxBatch = MAX_BATCH, take, minIntervalMs = 0 } = this.options;
    try {
      while (this.waiting.length > 0) {
        const wait = this.waiting.length > 1 ? this.lastStarted + minIntervalMs - Date.now() : 0;
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        this.lastStarted = Date.now();
        const count = take ? Math.max(1, take(this.waiting.map((w) => w.item))) : maxBatch;
        await this.write(this.waiting.splice(0, count));
      }
    } finally {
      this.flushing = false;
    }
  }
}

/** Callers woken per turn of the event loop (see release). */
const RELEASE_PER_TURN = 8;
const released: (() => void)[] = [];
let releasing = false;

/**
 * Wakes the callers of a finished batch a few per turn of the event loop, not all at once. Each
 * caller runs on to its next round trip when woken (a report renders, plans its timers, writes
 * its outbox entries): a batch of 300 woken together is one turn of 300 callers' work, and every
 * request that arrived meanwhile (a Slack ack) waits behind all of it. A few per turn lets the
 * sockets be read in between.
 */
function release(wake: () => void): void {
  released.push(wake);
  if (releasing) return;
  releasing = true;
  setImmediate(function turn() {
    for (const next of released.splice(0, RELEASE_PER_TURN)) next();
    if (released.length > 0) setImmediate(turn);
    else releasing = false;
  });
}

/** Inserts as one unordered `insertMany`; each caller learns inserted, or already there. */
function insertBatch(collection: Collection): (batch: Waiting<Record<string, unknown>, boolean>[]) => Promise<void> {
  return async (batch) => {
    if (batch.length === 1) {
      const [one] = batch as [Waiting<Record<string, unknown>, boolean>];
      await single(collection, one.item).then(one.resolve, one.reject);
      return;
    }
    try {
      await collection.insertMany(batch.map((w) => w.item) as never[], { ordered: false });
      for (const w of batch) w.resolve(true);
    } catch (error) {
      const failures = writeErrors(error);
      if (!failures) {
        // The batch as a whole failed (network, server busy): each document on its own, with retries.
        await Promise.all(batch.map((w) => single(collection, w.item).then(w.resolve, w.reject)));
        return;
      }
      await Promise.all(
        batch.map(async (w, i) => {
          const failure = failures.get(i);
          if (!failure) w.resolve(true);
          else if (failure.code === 11000) w.resolve(false);
          else if (isTransient(failure)) await single(collection, w.item).then(w.resolve, w.reject);
          else w.reject(Object.assign(new Error(failure.message), { code: failure.code }));
        }),
      );
    }
  };
}

/**
 * Deletes as one `deleteMany` of the batch's `_id` list: one statement, where a `deleteOne` each was
 * a statement each, and FerretDB runs every statement as a query and a transaction of its own
 * (deletes were a fifth of its CPU under a burst of reports, a `perf` profile of the server). An
 * `_id` list is read by the index on MongoDB and on the project's FerretDB (sqlite-id-pushdown.patch,
 * up to 500 ids: MAX_BATCH).
 */
function deleteBatch(collection: Collection): (batch: Waiting<string, void>[]) => Promise<void> {
  return (batch) => {
    const ids = [...new Set(batch.map((w) => w.item))];
    const filter = ids.length === 1 ? { _id: ids[0] } : { _id: { $in: ids } };
    return retryTransient(() => collection.deleteMany(filter as never)).then(
      () => batch.forEach((w) => w.resolve()),
      (error: unknown) => batch.forEach((w) => w.reject(error)),
    );
  };
}

async function single(collection: Collection, doc: Record<string, unknown>): Promise<boolean> {
  try {
    await retryTransient(() => collection.insertOne(doc as never));
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/** The per-document errors of an unordered bulk write, by index; undefined when the error is not one. */
export function writeErrors(error: unknown): Map<number, { code?: number; message: string }> | undefined {
  const raw = (error as { writeErrors?: unknown } | null)?.writeErrors;
  if (raw === undefined) return undefined;
  const list = (Array.isArray(raw) ? raw : [raw]) as { index: number; code?: number; errmsg?: string; err?: { code?: number; errmsg?: string } }[];
  return new Map(list.map((e) => [e.index, { code: e.code ?? e.err?.code, message: e.errmsg ?? e.err?.errmsg ?? 'insert failed' }]));
}

/**
 * Updates (and replaces) as one unordered `bulkWrite`: each operation keeps its own filter (an
 * `_id` lookup first), so this is the same work for the server in one round trip.
 */
function writeBatch(collection: Collection): (batch: Waiting<AnyWriteModel, void>[]) => Promise<void> {
  return (batch) =>
    retryTransient(() => collection.bulkWrite(batch.map((w) => w.item) as never[], { ordered: false })).then(
      () => batch.forEach((w) => w.resolve()),
      (error: unknown) => batch.forEach((w) => w.reject(error)),
    );
}

/** One `updateOne` or `replaceOne` of a bulk write, filtered by `_id` (and whatever guards it). */
export type AnyWriteModel =
  | { updateOne: { filter: Record<string, unknown>; update: Record<string, unknown>; upsert?: boolean } }
  | { replaceOne: { filter: Record<string, unknown>; replacement: Record<string, unknown>; upsert?: boolean } };

const inserters = new WeakMap<Collection, GroupCommit<Record<string, unknown>, boolean>>();
const deleters = new WeakMap<Collection, GroupCommit<string, void>>();
const writers = new WeakMap<Collection, GroupCommit<AnyWriteModel, void>>();

/** The collection's queue in `queues`, made with `make` on first use. */
function queueOf<I, R>(queues: WeakMap<Collection, GroupCommit<I, R>>, model: Model<any>, make: (c: Collection) => (batch: Waiting<I, R>[]) => Promise<void>, maxBatch?: number): GroupCommit<I, R> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const collection = model.collection as unknown as Collection;
  let queue = queues.get(collection);
  if (!queue) queues.set(collection, (queue = new GroupCommit(make(collection), { maxBatch })));
  return queue;
}

/**
 * Inserts a document keyed by `_id`; false when it is already there (the unique index decided:
 * DESIGN.md, every race is settled by an insert). Concurrent inserts into one collection are
 * written together (see GroupCommit).
 */
export function insertOnce(model: Model<any>, doc: Record<string, unknown>): Promise<boolean> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return queueOf(inserters, model, insertBatch).add(doc);
}

/** Deletes a document by `_id`; concurrent deletes from one collection go out as one command. */
export function deleteById(model: Model<any>, id: string): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return queueOf(deleters, model, deleteBatch).add(id);
}

/**
 * An update or replace whose result the caller does not need (a snapshot guarded by its revision,
 * a flag); concurrent ones on one collection go out as one `bulkWrite`.
 */
export function writeOne(model: Model<any>, operation: AnyWriteModel): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return queueOf(writers, model, writeBatch, MAX_UPDATE_BATCH).add(operation);
}

/**
 * A document by `_id`, through the driver rather than a Mongoose query, whose casting, options and
 * hooks were most of the bot's cost for a lookup this small (the wake-up log's reads, a card's
 * records: hundreds a second in a burst; `npm run bench:slack` profile). Plain documents, as `lean()`.
 */
export function readById<T>(model: Model<any>, id: string): Promise<T | null> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return retryTransient(() => (model.collection as unknown as Collection).findOne({ _id: id as never }) as Promise<T | null>);
}

/**
 * Documents by `_id`, in one read (up to MAX_BATCH ids), through the driver as `readById`. An `_id`
 * list is an index lookup on MongoDB and on the project's FerretDB (dev/ferretdb/sqlite-id-pushdown.patch
 * reads up to 500 string or ObjectId values by the index). Those found, in no particular order.
 */
export async function readByIds<T>(model: Model<any>, ids: readonly string[]): Promise<T[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (ids.length === 0) return [];
  const collection = model.collection as unknown as Collection;
  const found: T[] = [];
  for (let i = 0; i < ids.length; i += MAX_BATCH) {
    const part = ids.slice(i, i + MAX_BATCH);
    found.push(...((await retryTransient(() => (part.length === 1 ? collection.find({ _id: part[0] as never }) : collection.find({ _id: { $in: part } as never })).toArray())) as T[]));
  }
  return found;
}
