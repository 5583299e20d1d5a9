import { Schema, type Connection, type Model } from 'mongoose';
import type { Destination } from '../app/platform.js';
import type { CardView } from '../app/view.js';
import { isDuplicateKey } from '../store/models.js';
import { retryTransient } from '../store/transient.js';

/**
 * The outbox: everything the bot must say, one document per message and platform, keyed by
 * incident + rule + step (+ recipient, platform). A second write of the same key is a no-op; a
 * delivery attempt is claimed by inserting `<key>#<attempt>`, so two workers never send one
 * attempt twice (DESIGN.md: a unique-index insert decides every race, on MongoDB and FerretDB).
 */
export type OutboxStatus = 'pending' | 'sent' | 'dead' | 'undeliverable';

export interface OutboxEntry {
  _id: string;
  incidentId?: string;
  rule: string;
  destination: Destination;
  /** "slack", "discord", "shell", "webhook", or "none" when nothing reaches the recipient. */
  platform: string;
  text: string;
  card?: CardView;
  /** Buttons the message offers (e.g. accept/reject for the assignee); the card shows only these. */
  actions?: string[];
  urgent: boolean;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  /** When the message was due (a timer's due time, else when it was written): delivery lag counts from it. */
  dueAt: Date;
  sentAt?: Date;
  lastError?: string;
}

const OutboxSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: String,
    rule: { type: String, required: true },
    destination: { type: Schema.Types.Mixed, required: true },
    platform: { type: String, required: true },
    text: { type: String, required: true },
    card: Schema.Types.Mixed,
    actions: [String],
    urgent: Boolean,
    status: { type: String, required: true },
    attempts: { type: Number, required: true },
    nextAttemptAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
    dueAt: Date,
    sentAt: Date,
    lastError: String,
  },
  { collection: 'outbox', versionKey: false, minimize: false, autoIndex: false },
);
OutboxSchema.index({ status: 1, nextAttemptAt: 1 });
OutboxSchema.index({ incidentId: 1 });

const ClaimSchema = new Schema(
  { _id: { type: String, required: true }, at: { type: Date, required: true }, by: String },
  { collection: 'outbox_claims', versionKey: false, autoIndex: false },
);
ClaimSchema.index({ at: 1 });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

export class OutboxStore {
  private readonly outbox: AnyModel;
  private readonly claims: AnyModel;

  constructor(conn: Connection) {
    this.outbox = (conn.models.Outbox as AnyModel | undefined) ?? conn.model('Outbox', OutboxSchema);
    this.claims = (conn.models.OutboxClaim as AnyModel | undefined) ?? conn.model('OutboxClaim', ClaimSchema);
  }

  async init(): Promise<void> {
    for (const model of [this.outbox, this.claims]) await model.createIndexes();
  }

  /** Inserts what is new; entries already there (a replay, another process) are left as they are. Returns how many were new. */
  async add(entries: OutboxEntry[]): Promise<number> {
    let added = 0;
    for (const entry of entries) {
      if (await this.insertOnce(this.outbox, { ...entry })) added++;
    }
    return added;
  }

  /** Pending entries whose next attempt is due, oldest first. */
  due(now: Date, limit: number): Promise<OutboxEntry[]> {
    return retryTransient(() =>
      this.outbox.find({ status: 'pending', nextAttemptAt: { $lte: now } }).sort({ nextAttemptAt: 1 }).limit(limit).lean<OutboxEntry[]>().exec(),
    );
  }

  /** Claims one delivery attempt; false when another worker holds it. */
  claim(id: string, attempt: number, by: string, now: Date): Promise<boolean> {
    return this.insertOnce(this.claims, { _id: `${id}#${attempt}`, at: now, by });
  }

  /** When the holder of an attempt's claim took it (to take over a claim whose worker died). */
  async claimedAt(id: string, attempt: number): Promise<Date | undefined> {
    const claim = await retryTransient(() => this.claims.findById(`${id}#${attempt}`).lean<{ at: Date }>().exec());
    return claim?.at;
  }

  async markSent(id: string, attempt: number, now: Date): Promise<void> {
    await retryTransient(() =>
      this.outbox.updateOne({ _id: id, attempts: attempt }, { $set: { status: 'sent', sentAt: now, attempts: attempt + 1 } }).exec(),
    );
  }

  async markFailed(id: string, attempt: number, update: { status: OutboxStatus; nextAttemptAt: Date; error: string }): Promise<void> {
    await retryTransient(() =>
      this.outbox
        .updateOne({ _id: id, attempts: attempt }, { $set: { status: update.status, nextAttemptAt: update.nextAttemptAt, lastError: update.error, attempts: attempt + 1 } })
        .exec(),
    );
  }

  /** A dead entry sent again (admin), from attempt 0 of a fresh series. */
  async retry(id: string, now: Date): Promise<boolean> {
    const entry = await this.outbox.findById(id).lean<OutboxEntry>().exec();
    if (!entry || entry.status !== 'dead') return false;
    const res = await this.outbox.updateOne({ _id: id, status: 'dead' }, { $set: { status: 'pending', nextAttemptAt: now } }).exec();
    return res.modifiedCount === 1;
  }

  async counts(): Promise<Record<OutboxStatus, number>> {
    const rows = await retryTransient(() => this.outbox.aggregate<{ _id: OutboxStatus; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]).exec());
    const counts: Record<OutboxStatus, number> = { pending: 0, sent: 0, dead: 0, undeliverable: 0 };
    for (const row of rows) counts[row._id] = row.n;
    return counts;
  }

  list(filter: { status?: OutboxStatus; incidentId?: string }, limit: number): Promise<OutboxEntry[]> {
    return retryTransient(() => this.outbox.find(filter).sort({ createdAt: -1 }).limit(limit).lean<OutboxEntry[]>().exec());
  }

  forIncident(incidentId: string): Promise<OutboxEntry[]> {
    return retryTransient(() => this.outbox.find({ incidentId }).sort({ createdAt: 1, _id: 1 }).lean<OutboxEntry[]>().exec());
  }

  /** The oldest pending entry's due time (for the lag metric). */
  async oldestPending(): Promise<Date | undefined> {
    const entry = await retryTransient(() => this.outbox.findOne({ status: 'pending' }).sort({ nextAttemptAt: 1 }).lean<OutboxEntry>().exec());
    return entry?.nextAttemptAt;
  }

  private insertOnce(model: AnyModel, doc: Record<string, unknown>): Promise<boolean> {
    return insertOnce(model, doc);
  }
}

/** Inserts a document keyed by `_id`; false when it is already there (the unique index decided). */
export async function insertOnce(model: Model<any>, doc: Record<string, unknown>): Promise<boolean> { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    await retryTransient(() => model.collection.insertOne(doc as never));
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}
