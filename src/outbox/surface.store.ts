import { Schema, type Connection, type Model } from 'mongoose';
import { deleteById, insertOnce, readById, writeOne } from '../store/insert-once.js';
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
 * A post is recorded twice: `claimed` before the platform call, `done` after it. A record left
 * `claimed` means a process stopped between the two (killed, or the call failed): the next holder
 * asks the platform whether the post arrived before posting again, so a crash neither loses nor
 * doubles it.
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

  async get(key: string): Promise<SurfaceRef | undefined> {
    return (await readById<SurfaceRef>(this.refs, key)) ?? undefined;
  }

  /** Inserts the record; false when it exists already (its earlier holder claimed it). */
  claim(key: string, incidentId: string, fields: RefFields = {}, state: SurfaceRef['state'] = 'claimed'): Promise<boolean> {
    return insertOnce(this.refs, { ...fields, _id: key, incidentId, state, at: new Date() });
  }

  /** Updates the record; concurrent updates (other incidents' posts) go out as one command. */
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
