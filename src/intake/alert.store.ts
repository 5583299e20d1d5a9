import { Schema, type Connection, type Model } from 'mongoose';
import { deleteById, insertOnce } from '../store/insert-once.js';
import { prepareCollections } from '../store/models.js';
import { retryTransient } from '../store/transient.js';

/** A payload as received: stored before the 2xx answer, so nothing acknowledged is lost. */
export interface StoredPayload {
  _id: string;
  source: string;
  receivedAt: Date;
  body: string;
  state: 'pending' | 'done' | 'failed';
  attempts: number;
  alerts: number;
  error?: string;
}

/** Which incident an alert (or an alert group) belongs to, and what it last said. */
export interface AlertKey {
  _id: string;
  incidentId: string;
  state: 'firing' | 'resolved';
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

const model = (conn: Connection, name: string, collection: string, definition: Record<string, unknown>): AnyModel =>
  (conn.models[name] as AnyModel | undefined) ?? conn.model(name, new Schema({ _id: String, ...definition }, { collection, versionKey: false, autoIndex: false }));

/**
 * Monitoring's side of the database (SPEC §14). `alert_payloads` keeps every payload by a key of
 * its source and bytes (a re-delivery is the same key: stored once, processed once);
 * `alert_backlog` lists the ones not yet processed, so the sweep after a crash reads a small
 * collection; `alert_keys` attaches each alert (fingerprint) and each alert group to its incident;
 * `alert_tallies` counts what each incident received. Every read is by `_id`.
 */
export class AlertStore {
  private readonly payloads: AnyModel;
  private readonly backlog: AnyModel;
  private readonly keys: AnyModel;
  private readonly tallies: AnyModel;

  constructor(conn: Connection) {
    this.payloads = model(conn, 'AlertPayload', 'alert_payloads', { source: String, receivedAt: Date, body: String, state: String, attempts: Number, alerts: Number, error: String });
    this.backlog = model(conn, 'AlertBacklog', 'alert_backlog', { at: Date, source: String });
    this.keys = model(conn, 'AlertKey', 'alert_keys', { incidentId: String, state: String });
    this.tallies = model(conn, 'AlertTally', 'alert_tallies', { count: Number, lastSeen: Date });
  }

  async init(): Promise<void> {
    await prepareCollections([this.payloads, this.backlog, this.keys, this.tallies]);
  }

  /**
   * Stores a payload and lists it for processing; false when the same payload was stored before
   * (a re-delivery). The backlog entry goes in first: a crash between the two leaves work the
   * sweep finds, never a payload nobody processes.
   */
  async receive(payload: Omit<StoredPayload, 'state' | 'attempts'>): Promise<boolean> {
    await retryTransient(() => this.backlog.updateOne({ _id: payload._id }, { $setOnInsert: { at: payload.receivedAt, source: payload.source } }, { upsert: true }));
    const stored = await insertOnce(this.payloads, { ...payload, state: 'pending', attempts: 0 });
    if (!stored) {
      // Received before: the backlog entry just written is only kept if that one is still pending.
      const earlier = await this.payload(payload._id);
      if (earlier && earlier.state !== 'pending') await deleteById(this.backlog, payload._id);
    }
    return stored;
  }

  async payload(id: string): Promise<StoredPayload | undefined> {
    return (await retryTransient(() => this.payloads.findById(id).lean<StoredPayload>().exec())) ?? undefined;
  }

  async finish(id: string): Promise<void> {
    await retryTransient(() => this.payloads.updateOne({ _id: id }, { $set: { state: 'done' }, $unset: { error: 1 } }));
    await deleteById(this.backlog, id);
  }

  /** A processing failure: kept, visible, retried by the sweep; after `maxAttempts` it stays failed until retried by hand. */
  async fail(id: string, error: string, maxAttempts: number): Promise<StoredPayload['state']> {
    const updated = await retryTransient(() =>
      this.payloads.findOneAndUpdate({ _id: id }, { $inc: { attempts: 1 }, $set: { error: error.slice(0, 500) } }, { returnDocument: 'after' }).lean<StoredPayload>().exec());
    if (updated && updated.attempts >= maxAttempts) {
      await retryTransient(() => this.payloads.updateOne({ _id: id }, { $set: { state: 'failed' } }));
      await deleteById(this.backlog, id);
      return 'failed';
    }
    return 'pending';
  }

  /** Payloads waiting longer than `olderThan` (the sweep), oldest first. */
  async waiting(olderThan: Date, limit = 100): Promise<string[]> {
    const entries = await retryTransient(() => this.backlog.find({}).lean<{ _id: string; at: Date }[]>().exec());
    return entries.filter((e) => new Date(e.at) <= olderThan).sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime()).slice(0, limit).map((e) => e._id);
  }

  /** For `admin alerts`: what waits and what failed. */
  async overview(limit: number): Promise<{ waiting: number; failed: StoredPayload[] }> {
    const waiting = await retryTransient(() => this.backlog.countDocuments({}).exec());
    const failed = await retryTransient(() => this.payloads.find({ state: 'failed' }, { body: 0 }).sort({ receivedAt: -1 }).limit(limit).lean<StoredPayload[]>().exec());
    return { waiting, failed };
  }

  /** Puts a failed payload back in the backlog. */
  async retry(id: string, now: Date): Promise<boolean> {
    const payload = await this.payload(id);
    if (!payload || payload.state !== 'failed') return false;
    await retryTransient(() => this.payloads.updateOne({ _id: id }, { $set: { state: 'pending', attempts: 0 } }));
    await retryTransient(() => this.backlog.updateOne({ _id: id }, { $set: { at: now, source: payload.source } }, { upsert: true }));
    return true;
  }

  async key(id: string): Promise<AlertKey | undefined> {
    return (await retryTransient(() => this.keys.findById(id).lean<AlertKey>().exec())) ?? undefined;
  }

  async setKey(key: AlertKey): Promise<void> {
    await retryTransient(() => this.keys.replaceOne({ _id: key._id }, { incidentId: key.incidentId, state: key.state }, { upsert: true }));
  }

  /** Counts one more alert received for an incident; the new total. */
  async tally(incidentId: string, at: Date): Promise<number> {
    const doc = await retryTransient(() =>
      this.tallies.findOneAndUpdate({ _id: incidentId }, { $inc: { count: 1 }, $set: { lastSeen: at } }, { upsert: true, returnDocument: 'after' }).lean<{ count: number }>().exec());
    return doc?.count ?? 1;
  }
}
