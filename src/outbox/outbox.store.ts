import { Schema, type Connection, type Model } from 'mongoose';
import type { Destination, MessageFile } from '../app/platform.js';
import type { CardView } from '../app/view.js';
import { deleteById, insertOnce, writeOne } from '../store/insert-once.js';
import { prepareCollections } from '../store/models.js';
import { retryTransient } from '../store/transient.js';
import { fromText, toText } from '../store/text-value.js';

/**
 * The outbox: everything the bot must say, one document per message and platform, keyed by
 * incident + rule + step (+ recipient, platform). A second write of the same key is a no-op; a
 * delivery attempt is claimed by inserting `<key>#<attempt>`, so two workers never send one
 * attempt twice (DESIGN.md: a unique-index insert decides every race, on MongoDB and FerretDB).
 *
 * Two collections, because on FerretDB (SQLite) only an insert and a find by exactly `{ _id }`
 * stay fast as a collection grows (FerretDB scans for anything else):
 * - `outbox` holds only the entries still in play (pending, dead, undeliverable), so it stays
 *   small and the worker's `due()` query and its writes stay cheap;
 * - `outbox_sent` is insert-only and read by `_id`. A sent entry's full record is inserted there
 *   first and only then deleted from `outbox`, so a crash in between leaves a duplicate (removed
 *   by the next delivery pass), never a lost record.
 * A key stays unique across both ("nothing sent twice"): a key sent before keeps its first
 * attempt's claim, so a copy written again (a replay) is refused that claim, found in
 * `outbox_sent` and removed (`dropIfSent`), never delivered. The
 * status readers (`forIncident`, `list`, `counts`) read both collections: they serve the admin
 * command, /metrics and tests, where a scan is acceptable.
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
  /** Files posted with the message (a monthly report). */
  files?: MessageFile[];
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  /** When the message was due (a timer's due time, else when it was written): delivery lag counts from it. */
  dueAt: Date;
  sentAt?: Date;
  lastError?: string;
  /**
   * Attempts that really failed: `attempts` also counts the ones put off (the adapter's pacing,
   * another process updating the incident), which bring nothing closer to the dead letter.
   * Absent until the first attempt is recorded (and on entries written before it was kept).
   */
  failures?: number;
}

/** The same schema for both collections: `outbox_sent` holds the records of `outbox`, with status 'sent'. */
const outboxFields = () => ({
  _id: { type: String, required: true },
  incidentId: String,
  rule: { type: String, required: true },
  /** The message (recipient, text, card, buttons, files) as one Extended JSON text: see `stored`. */
  m: String,
  destination: Schema.Types.Mixed,
  platform: { type: String, required: true },
  text: String,
  card: Schema.Types.Mixed,
  actions: [String],
  urgent: Boolean,
  files: Schema.Types.Mixed,
  status: { type: String, required: true },
  attempts: { type: Number, required: true },
  nextAttemptAt: { type: Date, required: true },
  createdAt: { type: Date, required: true },
  dueAt: Date,
  sentAt: Date,
  lastError: String,
  failures: Number,
});
const schemaOptions = { versionKey: false, minimize: false, autoIndex: false } as const;

const OutboxSchema = new Schema(outboxFields(), { ...schemaOptions, collection: 'outbox' });
OutboxSchema.index({ status: 1, nextAttemptAt: 1 });
OutboxSchema.index({ incidentId: 1 });

const SentSchema = new Schema(outboxFields(), { ...schemaOptions, collection: 'outbox_sent' });
// Serves forIncident/list on MongoDB; FerretDB scans for them anyway (admin and test paths only).
SentSchema.index({ incidentId: 1 });

const ClaimSchema = new Schema(
  { _id: { type: String, required: true }, at: { type: Date, required: true }, by: String },
  { collection: 'outbox_claims', versionKey: false, autoIndex: false },
);
ClaimSchema.index({ at: 1 });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

/**
 * An entry as stored: what is queried or updated as fields (status, times, attempts), the message
 * itself (recipient, text, card, buttons, files) as one Extended JSON text. FerretDB encodes, stores
 * and decodes a document value by value, and a card alone is dozens of values, written with every
 * notice and read again by each look for due entries, by its move to `outbox_sent` and its delete.
 */
function stored(entry: OutboxEntry): Record<string, unknown> {
  const { destination, text, card, actions, files, ...rest } = entry;
  const doc: Record<string, unknown> = { ...rest, m: toText({ destination, text, card, actions, files }) };
  for (const [key, value] of Object.entries(doc)) if (value === undefined) delete doc[key];
  return doc;
}

/** An entry from its document, as this version stores it or as earlier ones did (the message's fields as they are). */
function entryOf(doc: Record<string, unknown>): OutboxEntry {
  if (typeof doc.m !== 'string') return doc as unknown as OutboxEntry;
  const { m, ...rest } = doc;
  return { ...rest, ...fromText<object>(m) } as unknown as OutboxEntry;
}

const entriesOf = (docs: Record<string, unknown>[]): OutboxEntry[] => docs.map(entryOf);

export class OutboxStore {
  private readonly outbox: AnyModel;
  private readonly sent: AnyModel;
  private readonly claims: AnyModel;
  private readonly pendingListeners = new Set<(entries: OutboxEntry[]) => void>();

  constructor(conn: Connection) {
    this.outbox = (conn.models.Outbox as AnyModel | undefined) ?? conn.model('Outbox', OutboxSchema);
    this.sent = (conn.models.OutboxSent as AnyModel | undefined) ?? conn.model('OutboxSent', SentSchema);
    this.claims = (conn.models.OutboxClaim as AnyModel | undefined) ?? conn.model('OutboxClaim', ClaimSchema);
  }

  async init(): Promise<void> {
    await prepareCollections([this.outbox, this.sent, this.claims]);
  }

  /**
   * Calls `listener` (synchronously, errors ignored) whenever this store makes an entry due: an
   * `add()` that wrote a new pending entry, a `retry()`. The in-process delivery worker registers
   * here to send at once instead of at its next poll. Returns the function that removes it.
   */
  onPending(listener: (entries: OutboxEntry[]) => void): () => void {
    this.pendingListeners.add(listener);
    return () => this.pendingListeners.delete(listener);
  }

  /**
   * Inserts what is new; entries already there (a replay, another process) are left as they are.
   * A key already sent and moved to `outbox_sent` is not looked up here (that would be a read on
   * every write for a case only a replay meets): its attempt's claim is still there, so the
   * worker is refused it, finds it sent and removes the copy (`dropIfSent`). Returns how many
   * were written.
   */
  async add(entries: OutboxEntry[]): Promise<number> {
    const written = await Promise.all(entries.map((entry) => this.insertEntry(this.outbox, entry)));
    const pending = entries.filter((entry, i) => written[i] && entry.status === 'pending');
    if (pending.length > 0) this.notifyPending(pending);
    return written.filter(Boolean).length;
  }

  /** Pending entries whose next attempt is due, oldest first. */
  due(now: Date, limit: number): Promise<OutboxEntry[]> {
    return retryTransient(() =>
      this.outbox.find({ status: 'pending', nextAttemptAt: { $lte: now } }).sort({ nextAttemptAt: 1 }).limit(limit).lean<Record<string, unknown>[]>().exec(),
    ).then(entriesOf);
  }

  /**
   * True when the key is already in `outbox_sent`; then its copy in `outbox` (a re-add that raced
   * the move, or the leftover of a crash between the move's two steps) is deleted. One find by
   * `_id`, plus a delete on the small `outbox` when there is a duplicate.
   */
  async dropIfSent(id: string): Promise<boolean> {
    const sent = await retryTransient(() => this.sent.findById(id).lean().exec());
    if (!sent) return false;
    await retryTransient(() => this.outbox.deleteOne({ _id: id }).exec());
    return true;
  }

  /** Claims one delivery attempt; false when another worker holds it. */
  claim(id: string, attempt: number, by: string, now: Date): Promise<boolean> {
    return insertOnce(this.claims, { _id: `${id}#${attempt}`, at: now, by });
  }

  /**
   * Replaces a dead holder's claim with ours: its record goes (only if still that holder's), then
   * the unique insert decides between two processes taking over at once.
   */
  async takeOverClaim(id: string, attempt: number, from: string | undefined, by: string, now: Date): Promise<boolean> {
    await retryTransient(() => this.claims.deleteOne({ _id: `${id}#${attempt}`, ...(from ? { by: from } : {}) }).exec());
    return this.claim(id, attempt, by, now);
  }

  /** When the holder of an attempt's claim took it (to take over a claim whose worker died). */
  async claimedAt(id: string, attempt: number): Promise<{ at: Date; by?: string } | undefined> {
    const claim = await retryTransient(() => this.claims.findById(`${id}#${attempt}`).lean<{ at: Date; by?: string }>().exec());
    return claim ? { at: new Date(claim.at), by: claim.by } : undefined;
  }

  /**
   * Moves a delivered entry (as read by `due()`, delivered at attempt `attempt`) to `outbox_sent`:
   * its full record is inserted there first (a record already there, from a taken-over attempt,
   * is kept), then the entry is deleted from `outbox`. A crash between the two leaves a duplicate
   * that the next pass removes (`dropIfSent`), never a lost record; no update touches the
   * ever-growing `outbox_sent`.
   */
  async markSent(entry: OutboxEntry, attempt: number, now: Date): Promise<void> {
    const record: OutboxEntry = { ...entry, status: 'sent', sentAt: now, attempts: attempt + 1 };
    await this.insertEntry(this.sent, record);
    await deleteById(this.outbox, entry._id);
  }

  /**
   * Records an attempt that did not deliver: failed (`failures` counts it) or put off (it does
   * not). The `attempts` condition stays although the attempt's claim already makes one worker its
   * writer: a claim is taken over once its lease is over, and the condition turns the late write of
   * a worker that was only slow, not dead, into a no-op instead of overwriting what the new holder
   * recorded since. It costs nothing extra: the lookup is by `_id` either way (on FerretDB too,
   * with dev/ferretdb/sqlite-id-pushdown.patch). Records of attempts made side by side (a burst of
   * notices put off to their channel's pace) go out as one bulk write.
   */
  async markFailed(id: string, attempt: number, update: { status: OutboxStatus; nextAttemptAt: Date; error: string; failures: number }): Promise<void> {
    const { status, nextAttemptAt, error, failures } = update;
    await writeOne(this.outbox, { updateOne: { filter: { _id: id, attempts: attempt }, update: { $set: { status, nextAttemptAt, lastError: error, failures, attempts: attempt + 1 } } } });
  }

  /** A dead entry sent again (admin), from attempt 0 of a fresh series. Dead entries are all in `outbox`. */
  async retry(id: string, now: Date): Promise<boolean> {
    const doc = await this.outbox.findById(id).lean<Record<string, unknown>>().exec();
    const entry = doc ? entryOf(doc) : undefined;
    if (!entry || entry.status !== 'dead') return false;
    const res = await this.outbox.updateOne({ _id: id, status: 'dead' }, { $set: { status: 'pending', nextAttemptAt: now } }).exec();
    if (res.modifiedCount !== 1) return false;
    this.notifyPending([{ ...entry, status: 'pending', nextAttemptAt: now }]);
    return true;
  }

  /** Entries by status: `outbox` grouped, plus the size of `outbox_sent` as 'sent'. */
  async counts(): Promise<Record<OutboxStatus, number>> {
    const [rows, sent] = await Promise.all([
      retryTransient(() => this.outbox.aggregate<{ _id: OutboxStatus; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }]).exec()),
      // Insert-only: its document count is the number sent (from metadata on MongoDB). A crash
      // leftover counts once as pending too, until the next delivery pass removes it.
      retryTransient(() => this.sent.estimatedDocumentCount().exec()),
    ]);
    const counts: Record<OutboxStatus, number> = { pending: 0, sent: 0, dead: 0, undeliverable: 0 };
    for (const row of rows) counts[row._id] = row.n;
    counts.sent += sent;
    return counts;
  }

  /** Newest first: status 'sent' reads `outbox_sent`, another status `outbox`, no status both. */
  async list(filter: { status?: OutboxStatus; incidentId?: string }, limit: number): Promise<OutboxEntry[]> {
    const newestFirst = (model: AnyModel) => retryTransient(() => model.find(filter).sort({ createdAt: -1 }).limit(limit).lean<Record<string, unknown>[]>().exec()).then(entriesOf);
    if (filter.status === 'sent') return newestFirst(this.sent);
    const [inPlay, sent] = await Promise.all([newestFirst(this.outbox), filter.status ? [] : newestFirst(this.sent)]);
    const live = await this.withoutSent(inPlay, sent, false);
    return [...live, ...sent].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, limit);
  }

  /** Every entry of an incident, from both collections, oldest first, each with its real status. */
  async forIncident(incidentId: string): Promise<OutboxEntry[]> {
    const oldestFirst = (model: AnyModel) => retryTransient(() => model.find({ incidentId }).sort({ createdAt: 1, _id: 1 }).lean<Record<string, unknown>[]>().exec()).then(entriesOf);
    const [inPlay, sent] = await Promise.all([oldestFirst(this.outbox), oldestFirst(this.sent)]);
    // `sent` holds every sent entry of the incident: no need to look keys up one by one.
    const live = await this.withoutSent(inPlay, sent, true);
    return [...live, ...sent].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
  }

  /** The oldest pending entry's due time (for the lag metric). */
  async oldestPending(): Promise<Date | undefined> {
    const entry = await retryTransient(() => this.outbox.findOne({ status: 'pending' }).sort({ nextAttemptAt: 1 }).lean<OutboxEntry>().exec());
    return entry?.nextAttemptAt;
  }

  /**
   * `outbox` entries whose key is not sent: a key in both (a crash between the move's two steps,
   * not yet cleaned up) counts as sent. `sent` is what the caller read already; unless it is
   * `complete`, the other keys are looked up by `_id`, one cheap find each (callers read few).
   */
  private async withoutSent(entries: OutboxEntry[], sent: OutboxEntry[], complete: boolean): Promise<OutboxEntry[]> {
    const known = new Set(sent.map((e) => e._id));
    const kept: OutboxEntry[] = [];
    for (const entry of entries) {
      if (known.has(entry._id)) continue;
      if (!complete && (await retryTransient(() => this.sent.findById(entry._id).lean().exec()))) continue;
      kept.push(entry);
    }
    return kept;
  }

  private notifyPending(entries: OutboxEntry[]): void {
    for (const listener of this.pendingListeners) {
      try {
        listener(entries);
      } catch {
        // A listener only speeds delivery up; the poll still finds the entry.
      }
    }
  }

  private insertEntry(model: AnyModel, entry: OutboxEntry): Promise<boolean> {
    return insertOnce(model, stored(entry));
  }
}

