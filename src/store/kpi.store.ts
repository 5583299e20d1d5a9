import { Schema, type Connection, type Model } from 'mongoose';
import type { KpiFacts } from '../domain/kpi.js';
import { insertOnce, writeOne } from './insert-once.js';
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

/** Facts as stored: their values in FIELDS order (no key names: a day of a large desk is a third the size to read). */
type StoredFacts = unknown[];

interface DayDoc {
  _id: string;
  /** By incident id, by revision ("r7"): the facts as of that revision. */
  i?: Record<string, Record<string, StoredFacts | KpiFacts>>;
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
    const schema = new Schema<DayDoc>({ _id: String, i: Schema.Types.Mixed }, { versionKey: false, autoIndex: false, minimize: false, collection: 'kpi_days' });
    this.days = (conn.models.KpiDay as Model<DayDoc> | undefined) ?? conn.model<DayDoc>('KpiDay', schema);
    const markerSchema = new Schema({ _id: String, at: Date }, { versionKey: false, autoIndex: false, collection: 'kpi_markers' });
    this.markers = (conn.models.KpiMarker as Model<{ _id: string; at: Date }> | undefined) ?? conn.model<{ _id: string; at: Date }>('KpiMarker', markerSchema);
  }

  async init(): Promise<void> {
    await prepareCollections([this.days, this.markers]);
  }

  /** Files an incident's facts at its revision (an idempotent write: a replay sets the same). */
  async record(incidentId: string, day: string, facts: KpiFacts): Promise<void> {
    const update: Record<string, unknown> = { $set: { [`i.${incidentId}.r${facts.rev}`]: encodeFacts(facts) } };
    if (facts.rev > 1) update.$unset = { [`i.${incidentId}.r${facts.rev - 1}`]: '' };
    await writeOne(this.days, { updateOne: { filter: { _id: bucketOf(day, incidentId) }, update, upsert: true } });
  }

  /** Files many incidents of one day in one write (the one-time fill); each at its revision. */
  async recordMany(day: string, entries: readonly { id: string; facts: KpiFacts }[]): Promise<void> {
    const byBucket = new Map<string, Record<string, StoredFacts>>();
    for (const { id, facts } of entries) {
      const bucket = bucketOf(day, id);
      byBucket.set(bucket, { ...byBucket.get(bucket), [`i.${id}.r${facts.rev}`]: encodeFacts(facts) });
    }
    for (const [bucket, set] of byBucket) await retryTransient(() => this.days.updateOne({ _id: bucket }, { $set: set }, { upsert: true }).exec());
  }

  /** The newest facts of every incident logged on these days. */
  async read(days: readonly string[]): Promise<KpiFacts[]> {
    const ids = days.flatMap((day) => Array.from({ length: BUCKETS }, (_, b) => `${day}#${b}`));
    const docs = await Promise.all(ids.map((id) => retryTransient(() => this.days.findById(id).lean<DayDoc>().exec())));
    const out: KpiFacts[] = [];
    for (const doc of docs) {
      for (const revisions of Object.values(doc?.i ?? {})) {
        // The newest revision present counts ("r12" beats "r9").
        const newest = Object.keys(revisions).reduce<string | undefined>((best, key) => (!best || Number(key.slice(1)) > Number(best.slice(1)) ? key : best), undefined);
        if (newest) out.push(decodeFacts(revisions[newest]!));
      }
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
