import { Schema, type Connection, type Model } from 'mongoose';
import { deleteById, insertOnce } from './insert-once.js';
import { prepareCollections } from './models.js';
import { retryTransient } from './transient.js';

/** A submission held this long and still not answered belongs to a process that stopped (or is far behind): it is run again. */
export const HELD_SUBMISSION_STALE_MS = 60_000;

/** What every held submission has: its request key (running it again acts once) and when it was held. */
export interface Held {
  _id: string;
  at: Date;
}

/**
 * Submitted forms between the moment the platform stops waiting and their answer, one collection
 * per platform (`slack_submissions`, `discord_submissions`). Neither platform sends a form again once
 * the bot has taken it (Slack's ack, Discord's deferral), so one whose process stopped before the
 * commit would be lost and its person never told: each is written here as it is taken and removed
 * once its person has the answer. Left over, it is run again by the next process (`stale`); its
 * request key makes a second run return the first one's incident. The collection only holds
 * submissions in flight, so reading all of it stays cheap.
 */
export class SubmissionInbox<T extends Held> {
  private readonly model: Model<T>;

  constructor(conn: Connection, collection: string) {
    const name = `Held:${collection}`;
    // The platform's own record, as it is: only the key and the time are the inbox's.
    const schema = new Schema({ _id: String, at: Date }, { collection, strict: false, versionKey: false, autoIndex: false, minimize: false });
    this.model = (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema as unknown as Schema<T>);
  }

  async init(): Promise<void> {
    await prepareCollections([this.model]);
  }

  async hold(submission: T): Promise<void> {
    await insertOnce(this.model, submission as unknown as Record<string, unknown>);
  }

  async release(key: string): Promise<void> {
    await deleteById(this.model, key);
  }

  /** Submissions held longer than `olderThanMs`: their process stopped (or is far behind), oldest first. */
  async stale(now: Date, olderThanMs: number): Promise<T[]> {
    const all = await retryTransient(() => this.model.find({}).lean<T[]>().exec());
    return all.filter((s) => now.getTime() - new Date(s.at).getTime() > olderThanMs).sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  }
}
