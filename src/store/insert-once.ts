import type { Collection } from 'mongodb';
import type { Model } from 'mongoose';
import { isDuplicateKey } from './models.js';
import { isTransient, retryTransient } from './transient.js';

/** Documents written by one `insertMany` at most. */
const MAX_BATCH = 500;

interface Waiting {
  doc: Record<string, unknown>;
  resolve: (inserted: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for inserts into one collection: a call made while another write to the same
 * collection is in flight waits for it and goes out with everything else that arrived meanwhile,
 * as one unordered `insertMany`. An idle collection is written at once, so a lone insert waits
 * for nothing; a busy one turns dozens of round trips (and, on FerretDB, SQLite transactions)
 * into one. Each caller still gets its own answer: inserted, or already there.
 */
class InsertBatcher {
  private readonly waiting: Waiting[] = [];
  private flushing = false;

  constructor(private readonly collection: Collection) {}

  insert(doc: Record<string, unknown>): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ doc, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        void this.flush();
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.waiting.length > 0) await this.write(this.waiting.splice(0, MAX_BATCH));
    } finally {
      this.flushing = false;
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) {
      const [one] = batch as [Waiting];
      await single(this.collection, one.doc).then(one.resolve, one.reject);
      return;
    }
    try {
      await this.collection.insertMany(batch.map((w) => w.doc) as never[], { ordered: false });
      for (const w of batch) w.resolve(true);
    } catch (error) {
      const failures = writeErrors(error);
      if (!failures) {
        // The batch as a whole failed (network, server busy): each document on its own, with retries.
        await Promise.all(batch.map((w) => single(this.collection, w.doc).then(w.resolve, w.reject)));
        return;
      }
      await Promise.all(
        batch.map(async (w, i) => {
          const failure = failures.get(i);
          if (!failure) w.resolve(true);
          else if (failure.code === 11000) w.resolve(false);
          else if (isTransient(failure)) await single(this.collection, w.doc).then(w.resolve, w.reject);
          else w.reject(Object.assign(new Error(failure.message), { code: failure.code }));
        }),
      );
    }
  }
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

/** The per-document errors of an unordered bulk insert, by index; undefined when the error is not one. */
function writeErrors(error: unknown): Map<number, { code?: number; message: string }> | undefined {
  const raw = (error as { writeErrors?: unknown } | null)?.writeErrors;
  if (raw === undefined) return undefined;
  const list = (Array.isArray(raw) ? raw : [raw]) as { index: number; code?: number; errmsg?: string; err?: { code?: number; errmsg?: string } }[];
  return new Map(list.map((e) => [e.index, { code: e.code ?? e.err?.code, message: e.errmsg ?? e.err?.errmsg ?? 'insert failed' }]));
}

const batchers = new WeakMap<Collection, InsertBatcher>();

/**
 * Inserts a document keyed by `_id`; false when it is already there (the unique index decided:
 * DESIGN.md, every race is settled by an insert). Concurrent inserts into one collection are
 * written together (see InsertBatcher).
 */
export function insertOnce(model: Model<any>, doc: Record<string, unknown>): Promise<boolean> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const collection = model.collection as unknown as Collection;
  let batcher = batchers.get(collection);
  if (!batcher) batchers.set(collection, (batcher = new InsertBatcher(collection)));
  return batcher.insert(doc);
}

/** Group commit for deletes by `_id` from one collection, as InsertBatcher does for inserts. */
class DeleteBatcher {
  private readonly waiting: { id: string; done: () => void; fail: (error: unknown) => void }[] = [];
  private flushing = false;

  constructor(private readonly collection: Collection) {}

  delete(id: string): Promise<void> {
    return new Promise((done, fail) => {
      this.waiting.push({ id, done, fail });
      if (!this.flushing) {
        this.flushing = true;
        void this.flush();
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        const ids = batch.map((w) => w.id);
        // One command of single-_id deletes rather than one `$in`: each is an index lookup on every
        // server, where FerretDB would scan the collection for `$in`.
        await retryTransient(() => this.collection.bulkWrite(ids.map((id) => ({ deleteOne: { filter: { _id: id as never } } })), { ordered: false })).then(
          () => batch.forEach((w) => w.done()),
          (error: unknown) => batch.forEach((w) => w.fail(error)),
        );
      }
    } finally {
      this.flushing = false;
    }
  }
}

const deleters = new WeakMap<Collection, DeleteBatcher>();

/** Deletes a document by `_id`; concurrent deletes from one collection go out as one command. */
export function deleteById(model: Model<any>, id: string): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const collection = model.collection as unknown as Collection;
  let batcher = deleters.get(collection);
  if (!batcher) deleters.set(collection, (batcher = new DeleteBatcher(collection)));
  return batcher.delete(id);
}
