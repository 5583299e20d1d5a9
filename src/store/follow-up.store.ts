import { Schema, type Connection, type Model } from 'mongoose';
import type { CallOutcome, Incident } from '../domain/incident.js';
import { insertOnce } from './insert-once.js';
import { prepareCollections } from './models.js';
import { retryTransient } from './transient.js';

/** One call in the service desk's follow-up queue (SPEC §11 回访): who to call about which incident. */
export interface FollowUpCallEntry {
  _id: string;
  month: string;
  incidentId: string;
  priority: string;
  major: boolean;
  title: string;
  reporterName: string;
  /** How to reach the reporter, when the record says (an outside contact's phone or e-mail). */
  reach?: string;
  createdAt: Date;
  outcome?: CallOutcome;
  doneAt?: Date;
  doneById?: string;
}

/**
 * The follow-up queue: `follow_up_calls`, one per month and incident (`_id` "2026-10:INC-000042"),
 * and `follow_up_runs`, one per month drawn. The calls go in before the month's marker, and the
 * draw is the same whoever makes it, so a draw cut short by a crash is completed by the next run
 * and a month already drawn is never drawn twice.
 */
export class FollowUpStore {
  private readonly calls: Model<FollowUpCallEntry>;
  private readonly runs: Model<{ _id: string; at: Date; drawn: number }>;

  constructor(conn: Connection) {
    const callSchema = new Schema<FollowUpCallEntry>(
      { _id: String, month: String, incidentId: String, priority: String, major: Boolean, title: String, reporterName: String, reach: String, createdAt: Date, outcome: String, doneAt: Date, doneById: String },
      { versionKey: false, autoIndex: false, collection: 'follow_up_calls' },
    );
    callSchema.index({ month: 1 });
    this.calls = (conn.models.FollowUpCall as Model<FollowUpCallEntry> | undefined) ?? conn.model<FollowUpCallEntry>('FollowUpCall', callSchema);
    this.runs = (conn.models.FollowUpRun as Model<{ _id: string; at: Date; drawn: number }> | undefined)
      ?? conn.model<{ _id: string; at: Date; drawn: number }>('FollowUpRun', new Schema({ _id: String, at: Date, drawn: Number }, { versionKey: false, autoIndex: false, collection: 'follow_up_runs' }));
  }

  async init(): Promise<void> {
    await prepareCollections([this.calls, this.runs]);
  }

  async drawnAt(month: string): Promise<Date | undefined> {
    const run = await retryTransient(() => this.runs.findById(month).lean().exec());
    return run ? new Date(run.at) : undefined;
  }

  /** Queues the month's calls and marks the month drawn; false when it was drawn already. */
  async draw(month: string, incidents: readonly Incident[], now: Date): Promise<boolean> {
    if (await this.drawnAt(month)) return false;
    for (const incident of incidents) {
      const reach = incident.contact ? [incident.contact.phone, incident.contact.email].filter(Boolean).join(' · ') : undefined;
      await insertOnce(this.calls, {
        _id: `${month}:${incident.id}`, month, incidentId: incident.id, priority: incident.priority, major: incident.major,
        title: incident.title, reporterName: incident.reporterName, ...(reach ? { reach } : {}), createdAt: now,
      });
    }
    return insertOnce(this.runs, { _id: month, at: now, drawn: incidents.length });
  }

  /** A month's calls, those still to make first. */
  async month(month: string): Promise<FollowUpCallEntry[]> {
    const calls = await retryTransient(() => this.calls.find({ month }).lean<FollowUpCallEntry[]>().exec());
    return calls.sort((a, b) => Number(Boolean(a.outcome)) - Number(Boolean(b.outcome)) || a.incidentId.localeCompare(b.incidentId));
  }

  /** The newest month drawn, if any. */
  async latestMonth(): Promise<string | undefined> {
    const run = await retryTransient(() => this.runs.find({}).sort({ _id: -1 }).limit(1).lean().exec());
    return run[0]?._id;
  }

  /** The open call for an incident: in the given month, else in the newest month that has one for it. */
  async callFor(incidentId: string, month?: string): Promise<FollowUpCallEntry | undefined> {
    if (month) return (await retryTransient(() => this.calls.findById(`${month}:${incidentId}`).lean<FollowUpCallEntry>().exec())) ?? undefined;
    const found = await retryTransient(() => this.calls.find({ incidentId }).lean<FollowUpCallEntry[]>().exec());
    return found.sort((a, b) => b.month.localeCompare(a.month))[0];
  }

  async markDone(id: string, outcome: CallOutcome, byId: string, at: Date): Promise<void> {
    await retryTransient(() => this.calls.updateOne({ _id: id }, { $set: { outcome, doneById: byId, doneAt: at } }).exec());
  }
}
