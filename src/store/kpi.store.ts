import { Schema, type Connection, type Model } from 'mongoose';
import type { KpiFacts } from '../domain/kpi.js';
import { insertOnce, writeOne } from './insert-once.js';
import { prepareCollections } from './models.js';
import { retryTransient } from './transient.js';

interface DayDoc {
  _id: string;
  /** By incident id, by revision ("r7"): the facts as of that revision. */
  i?: Record<string, Record<string, KpiFacts>>;
}

/**
 * KPI facts filed by the day an incident was logged (organisation time zone): `kpi_days`, one
 * document per day ("2026-11-30"), holding each incident's facts under its revision. A period is
 * read as one `_id` lookup per day, never a query over the incidents (which FerretDB answers by
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
    const update: Record<string, unknown> = { $set: { [`i.${incidentId}.r${facts.rev}`]: facts } };
    if (facts.rev > 1) update.$unset = { [`i.${incidentId}.r${facts.rev - 1}`]: '' };
    await writeOne(this.days, { updateOne: { filter: { _id: day }, update, upsert: true } });
  }

  /** Files many incidents of one day in one write (the one-time fill); each at its revision. */
  async recordMany(day: string, entries: readonly { id: string; facts: KpiFacts }[]): Promise<void> {
    if (entries.length === 0) return;
    const set = Object.fromEntries(entries.map(({ id, facts }) => [`i.${id}.r${facts.rev}`, facts]));
    await retryTransient(() => this.days.updateOne({ _id: day }, { $set: set }, { upsert: true }).exec());
  }

  /** The newest facts of every incident logged on these days. */
  async read(days: readonly string[]): Promise<KpiFacts[]> {
    const docs = await Promise.all(days.map((day) => retryTransient(() => this.days.findById(day).lean<DayDoc>().exec())));
    const out: KpiFacts[] = [];
    for (const doc of docs) {
      for (const revisions of Object.values(doc?.i ?? {})) {
        const newest = Object.values(revisions).reduce<KpiFacts | undefined>((best, f) => (!best || f.rev > best.rev ? f : best), undefined);
        if (newest) out.push(newest);
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
