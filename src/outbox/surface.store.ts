import { Schema, type Connection, type Model } from 'mongoose';
import { deleteById, insertOnce, readByIds, writeOne } from '../store/insert-once.js';
import { holderIsGone, PROCESS_ID } from '../store/holder.js';
import { prepareCollections } from '../store/models.js';
import { retryTransient } from '../store/transient.js';

/**
 * Where an incident lives on each chat platform, and which of its posts are done: the card's
 * channel and message id, the stakeholder thread, the war room, one record per posted line or
 * direct message. One store for every adapter (`_id` is `<platform>:<what>`), so both adapters
 * keep their platform references the same way, and the insert that lands first decides every
 * race (DESIGN.md data rules).
 *
 * A post is recorded twice: `claimed` before the platform call, then a done record
 * (`<key>|done`, with what the call returned) after it; records an earlier version kept were marked
 * done on the claim itself. A claim with no done record means a process stopped between the two
 * (killed, or the call failed): the next holder asks the platform whether the post arrived before
 * posting again, so a crash neither loses nor doubles it.
 */
export interface SurfaceRef {
  _id: string;
  incidentId: string;
  state: 'claimed' | 'failed' | 'done';
  at: Date;
  /** Channel (Slack channel id, Discord channel or thread id). */
  channel?: string;
  /** Message id (Slack ts, Discord message id). */
  message?: string;
  /** A thread (Discord thread channel id) or parent message (Slack thread_ts) hanging off the message. */
  thread?: string;
  name?: string;
  archived?: boolean;
  /** The incident revision the message shows (cards) or the last event handled (progress). */
  rev?: number;
}

export type RefFields = Partial<Pick<SurfaceRef, 'channel' | 'message' | 'thread' | 'name' | 'archived' | 'rev'>>;

const RefSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    state: { type: String, required: true },
    at: { type: Date, required: true },
    channel: String,
    message: String,
    thread: String,
    name: String,
    archived: Boolean,
    rev: Number,
  },
  { collection: 'surface_refs', versionKey: false, autoIndex: false },
);
RefSchema.index({ incidentId: 1 });

/** One holder per incident and platform at a time, so its posts land in order across processes. */
const LockSchema = new Schema(
  { _id: { type: String, required: true }, by: { type: String, required: true }, at: { type: Date, required: true } },
  { collection: 'surface_locks', versionKey: false, autoIndex: false },
);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

/** The `_id` of a claimed post's done record (SurfaceStore.done). */
function doneKey(key: string): string {
  return `${key}|done`;
}

export class SurfaceStore {
  readonly refs: AnyModel;
  private readonly locks: AnyModel;

  constructor(conn: Connection) {
    this.refs = (conn.models.SurfaceRef as AnyModel | undefined) ?? conn.model('SurfaceRef', RefSchema);
    this.locks = (conn.models.SurfaceLock as AnyModel | undefined) ?? conn.model('SurfaceLock', LockSchema);
  }

  async init(): Promise<void> {
    await prepareCollections([this.refs, this.locks]);
  }

  /**
   * The record under `key`, with its done record (`done`) over it: the post's fields from there,
   * anything `set` wrote since from the claim. One read of both by `_id`.
   */
  async get(key: string): Promise<SurfaceRef | undefined> {
    const docs = await readByIds<SurfaceRef>(this.refs, [key, doneKey(key)]);
    const claim = docs.find((doc) => doc._id === key);
    const done = docs.find((doc) => doc._id !== key);
    if (!done) return claim;
    // The claim's fields over the post's: `set` writes there, after the post.
    return { ...done, ...claim, _id: key, state: 'done' };
  }

  /** Inserts the record; false when it exists already (its earlier holder claimed it). */
  claim(key: string, incidentId: string, fields: RefFields = {}, state: SurfaceRef['state'] = 'claimed'): Promise<boolean> {
    return insertOnce(this.refs, { ...fields, _id: key, incidentId, state, at: new Date() });
  }

  /**
   * Records a claimed post done, with what it returned (channel, message id…): a document of its
   * own next to the claim (an insert, with others under load) rather than an update of the claim,
   * which FerretDB runs for 0.25–0.5 ms of its CPU, 6–7 times an insert (`npm run bench:db-ops`).
   * Every post of every card and thread passes here once.
   */
  async done(key: string, incidentId: string, fields: RefFields): Promise<void> {
    // Already there: a holder before this one recorded the same post (found on the platform, or posted).
    await insertOnce(this.refs, { ...fields, _id: doneKey(key), incidentId, state: 'done', at: new Date() });
  }

  /** Updates the claim; concurrent updates (other incidents' posts) go out as one command. */
  set(key: string, fields: RefFields & { state?: SurfaceRef['state'] }): Promise<void> {
    return writeOne(this.refs, { updateOne: { filter: { _id: key }, update: { $set: fields } } });
  }

  /**
   * Takes the incident's lock for this platform. A lock whose holder is gone (this host, dead pid)
   * or whose lease ran out is taken over; the unique insert still decides between two takers.
   */
  async lock(key: string, leaseMs: number): Promise<boolean> {
    if (await insertOnce(this.locks, { _id: key, by: PROCESS_ID, at: new Date() })) return true;
    const held = await retryTransient(() => this.locks.findById(key).lean<{ by: string; at: Date }>().exec());
    if (!held) return insertOnce(this.locks, { _id: key, by: PROCESS_ID, at: new Date() });
    if (!holderIsGone(held.by) && Date.now() - new Date(held.at).getTime() < leaseMs) return false;
    await retryTransient(() => this.locks.deleteOne({ _id: key, by: held.by }).exec());
    return insertOnce(this.locks, { _id: key, by: PROCESS_ID, at: new Date() });
  }

  async unlock(key: string): Promise<void> {
    await deleteById(this.locks, key);
  }
}
