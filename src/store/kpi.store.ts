import { Schema, type Connection, type Model } from 'mongoose';
import { groupBy, type KpiFacts } from '../domain/kpi.js';
import { GroupCommit, insertOnce, MAX_UPDATE_BATCH } from './insert-once.js';
import { prepareCollections } from './models.js';
import { retryTransient } from './transient.js';

/**
 * Each day is kept in this many documents, by incident number: a change rewrites its document
 * (FerretDB rewrites the whole JSON under its one writer lock), so a busy day's facts must not grow
 * into one large document that every change of every incident of that day rewrites.
 */
const BUCKETS = 16;

/** The document of a day an incident's facts are filed in: "2026-11-30#7". */
function bucketOf(day: string, incidentId: string): string {
  const number = Number(/(\d+)$/.exec(incidentId)?.[1] ?? 0);
  return `${day}#${number % BUCKETS}`;
}

/**
 * The update filing these facts in one day document: for each incident its newest revision here,
 * and every revision before it that this batch or the last change filed dropped (never one the
 * update also sets: MongoDB refuses a path set and unset at once).
 */
function filingUpdate(filings: readonly Filing[]): { $set: Record<string, string>; $unset?: Record<string, ''> } {
  const byIncident = new Map<string, { newest: KpiFacts; oldest: number }>();
  for (const { incidentId, facts } of filings) {
    const seen = byIncident.get(incidentId);
    if (!seen) byIncident.set(incidentId, { newest: facts, oldest: facts.rev });
    else byIncident.set(incidentId, { newest: facts.rev > seen.newest.rev ? facts : seen.newest, oldest: Math.min(seen.oldest, facts.rev) });
  }
  const $set: Record<string, string> = {};
  const $unset: Record<string, ''> = {};
  for (const [id, { newest, oldest }] of byIncident) {
    $set[`s.${id}@${newest.rev}`] = JSON.stringify(encodeFacts(newest));
    for (let rev = Math.max(1, oldest - 1); rev < newest.rev; rev++) $unset[`s.${id}@${rev}`] = '';
  }
  return Object.keys($unset).length > 0 ? { $set, $unset } : { $set };
}

/** Facts as stored: their values in FIELDS order (no key names: a day of a large desk is a third the size to read). */
type StoredFacts = unknown[];

interface DayDoc {
  _id: string;
  /**
   * By incident id and revision ("INC-000123@7"): the facts as of that revision, as the JSON text
   * of their array. Text, not an array: FerretDB reads and rewrites a document value by value, and
   * a day's sixty incidents held as arrays made each change cost 28 ms of its one core (measured),
   * as strings 5 ms.
   */
  s?: Record<string, string>;
  /** As versions before the strings filed them: by incident id, by revision ("r7"). Read, never written. */
  i?: Record<string, Record<string, StoredFacts | KpiFacts>>;
}

/** Under load, filings gather this long into one write per day document (see `record`). */
const FILING_INTERVAL_MS = 250;

/**
 * How many of the waiting filings, oldest first, go to at most `documents` day documents: one
 * update statement each (MAX_UPDATE_BATCH says why they are capped), however many filings it holds.
 */
export function filingsFitting(waiting: readonly Pick<Filing, 'bucket'>[], documents: number): number {
  const buckets = new Set<string>();
  for (let i = 0; i < waiting.length; i++) {
    buckets.add(waiting[i]!.bucket);
    if (buckets.size > documents) return i;
  }
  return waiting.length;
}

/** One incident's facts at one revision, waiting to be filed in its day's document. */
interface Filing {
  bucket: string;
  incidentId: string;
  facts: KpiFacts;
}

const FIELDS = [
  'rev', 'at', 'priority', 'major', 'group', 'service', 'category', 'ci', 'reporter', 'recorder', 'resolver', 'status', 'closed',
  'successful', 'problem', 'duplicate', 'knowledge', 'redispatches', 'rating', 'line', 'respondMs', 'resolveMs',
] as const satisfies readonly (keyof KpiFacts)[];
const TARGETS = ['respond', 'accept', 'resolve'] as const;

/**
 * Facts as one flat array (FerretDB stores no nested arrays): the fields in order, null where
 * absent, then two slots per target: missed (null when the target never ran) and how late.
 */
export function encodeFacts(facts: KpiFacts): StoredFacts {
  return [
    ...FIELDS.map((field) => facts[field] ?? null),
    ...TARGETS.flatMap((t) => [facts.targets[t]?.missed ?? null, facts.targets[t]?.lateMs ?? null]),
  ];
}

/** Facts back from their array (or as an earlier version stored them, an object). */
export function decodeFacts(stored: StoredFacts | KpiFacts): KpiFacts {
  if (!Array.isArray(stored)) return stored;
  const facts: Record<string, unknown> = { targets: {} };
  FIELDS.forEach((field, i) => {
    if (stored[i] !== null && stored[i] !== undefined) facts[field] = stored[i];
  });
  TARGETS.forEach((t, i) => {
    const missed = stored[FIELDS.length + 2 * i] as boolean | null;
    const lateMs = stored[FIELDS.length + 2 * i + 1] as number | null;
    if (missed !== null && missed !== undefined) (facts.targets as Record<string, unknown>)[t] = { missed, ...(lateMs !== null && lateMs !== undefined ? { lateMs } : {}) };
  });
  return facts as unknown as KpiFacts;
}

/**
 * KPI facts filed by the day an incident was logged (organisation time zone): `kpi_days`, sixteen
 * documents per day ("2026-11-30#0" … "#15", by incident number), holding each incident's facts
 * under its revision. A period is read as `_id` lookups, never a query over the incidents (which FerretDB answers by
 * reading them all). Each change writes its revision's facts and drops the one before, so a
 * replayed or late write never hides a newer one: the newest revision present counts.
 */
export class KpiStore {
  private readonly days: Model<DayDoc>;
  private readonly markers: Model<{ _id: string; at: Date }>;

  constructor(conn: Connection) {
    const schema = new Schema<DayDoc>({ _id: String, s: Schema.Types.Mixed, i: Schema.Types.Mixed }, { versionKey: false, autoIndex: false, minimize: false, collection: 'kpi_days' });
    this.days = (conn.models.KpiDay as Model<DayDoc> | undefined) ?? conn.model<DayDoc>('KpiDay', schema);
    const markerSchema = new Schema({ _id: String, at: Date }, { versionKey: false, autoIndex: false, collection: 'kpi_markers' });
    this.markers = (conn.models.KpiMarker as Model<{ _id: string; at: Date }> | undefined) ?? conn.model<{ _id: string; at: Date }>('KpiMarker', markerSchema);
  }

  async init(): Promise<void> {
    await prepareCollections([this.days, this.markers]);
  }

  /**
   * Files an incident's facts at its revision and drops the revision before (an idempotent write:
   * a replay sets the same). Each update rewrites its whole day document, so filings go out
   * together, one update per document: those that arrive while a write is in flight, and under
   * load (more than one waiting) those of FILING_INTERVAL_MS, as many as fit in MAX_UPDATE_BATCH
   * documents. A burst of reports then rewrites each of the day's documents about once per
   * interval, not once per report (a rewrite per report made the KPI filing the database's largest
   * cost in a burst, and a growing one: 2.1 ms of its CPU per report without it, 3 → 7 ms with it
   * over 4,000 reports). A lone filing still goes at once: one person's changes one after another
   * wait for nothing.
   */
  record(incidentId: string, day: string, facts: KpiFacts): Promise<void> {
    return this.filings.add({ bucket: bucketOf(day, incidentId), incidentId, facts });
  }

  private readonly filings = new GroupCommit<Filing, void>(async (batch) => {
    const operations = groupBy(batch, (w) => w.item.bucket).map(([bucket, waiting]) => ({ updateOne: { filter: { _id: bucket }, update: filingUpdate(waiting.map((w) => w.item)), upsert: true } }));
    try {
      await retryTransient(() => this.days.bulkWrite(operations, { ordered: false }));
      batch.forEach((w) => w.resolve());
    } catch (error) {
      batch.forEach((w) => w.reject(error));
    }
  }, { take: (waiting) => filingsFitting(waiting, MAX_UPDATE_BATCH), minIntervalMs: FILING_INTERVAL_MS });

  /** Files many incidents of one day in one write per document (the one-time fill); each at its revision. */
  async recordMany(day: string, entries: readonly { id: string; facts: KpiFacts }[]): Promise<void> {
    const filings = entries.map(({ id, facts }) => ({ bucket: bucketOf(day, id), incidentId: id, facts }));
    for (const [bucket, ofBucket] of groupBy(filings, (f) => f.bucket)) await retryTransient(() => this.days.updateOne({ _id: bucket }, filingUpdate(ofBucket), { upsert: true }).exec());
  }

  /** The newest facts of every incident logged on these days. */
  async read(days: readonly string[]): Promise<KpiFacts[]> {
    const ids = days.flatMap((day) => Array.from({ length: BUCKETS }, (_, b) => `${day}#${b}`));
    const docs = await Promise.all(ids.map((id) => retryTransient(() => this.days.findById(id).lean<DayDoc>().exec())));
    const out: KpiFacts[] = [];
    for (const doc of docs) {
      // The newest revision present counts (7 beats 6), in either way of filing.
      const newest = new Map<string, { rev: number; stored: StoredFacts | KpiFacts | string }>();
      const offer = (id: string, rev: number, stored: StoredFacts | KpiFacts | string) => {
        if (rev > (newest.get(id)?.rev ?? -1)) newest.set(id, { rev, stored });
      };
      for (const [id, revisions] of Object.entries(doc?.i ?? {})) for (const [key, stored] of Object.entries(revisions)) offer(id, Number(key.slice(1)), stored);
      for (const [key, text] of Object.entries(doc?.s ?? {})) {
        const at = key.lastIndexOf('@');
        offer(key.slice(0, at), Number(key.slice(at + 1)), text);
      }
      for (const { stored } of newest.values()) out.push(decodeFacts(typeof stored === 'string' ? (JSON.parse(stored) as StoredFacts) : stored));
    }
    return out;
  }

  /** Whether a one-time fill ran (`done`), and marking it. */
  async done(name: string): Promise<boolean> {
    return Boolean(await retryTransient(() => this.markers.findById(name).lean().exec()));
  }

  async markDone(name: string, at: Date): Promise<void> {
    await insertOnce(this.markers, { _id: name, at });
  }
}
