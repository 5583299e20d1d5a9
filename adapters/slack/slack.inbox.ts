import { Schema, type Connection, type Model } from 'mongoose';
import { deleteById, insertOnce } from '../../src/store/insert-once.js';
import { prepareCollections } from '../../src/store/models.js';
import { retryTransient } from '../../src/store/transient.js';
import type { Locale } from '../../src/i18n/index.js';
import type { RawArgs } from '../../src/app/command.js';

/** A submitted form acknowledged to Slack and not yet answered: enough to run it again and answer its person. */
export interface HeldSubmission {
  /** The submission's request key (`slack:view:<view id>`): running it again acts once. */
  _id: string;
  user: { id: string; name?: string };
  command: string;
  args: RawArgs;
  /** Where the answer goes (FormMetadata's origin: user, channel, response_url, message, language). */
  origin: Record<string, unknown> & { user: string; locale?: Locale };
  /** What the person entered, as lines ready to show back if nothing could be saved. */
  entered: string[];
  at: Date;
}

const HeldSchema = new Schema(
  { _id: String, user: Schema.Types.Mixed, command: String, args: Schema.Types.Mixed, origin: Schema.Types.Mixed, entered: [String], at: Date },
  { collection: 'slack_submissions', versionKey: false, autoIndex: false, minimize: false },
);

/**
 * Submissions between their ack and their answer (`slack_submissions`). Slack does not send an
 * acknowledged `view_submission` again, so one whose process stopped before the commit would be
 * lost, with its person never told: each is written here as soon as it is acknowledged (after the
 * ack, which needs no database) and removed once its person has the answer. Left over, it is run
 * again by `stale` (the request key makes a second run return the first one's incident). The
 * collection only holds submissions in flight, so reading all of it stays cheap.
 */
export class SubmissionInbox {
  private readonly model: Model<HeldSubmission>;

  constructor(conn: Connection) {
    this.model = (conn.models.SlackSubmission as Model<HeldSubmission> | undefined) ?? conn.model<HeldSubmission>('SlackSubmission', HeldSchema);
  }

  async init(): Promise<void> {
    await prepareCollections([this.model]);
  }

  async hold(submission: HeldSubmission): Promise<void> {
    await insertOnce(this.model, submission as unknown as Record<string, unknown>);
  }

  async release(key: string): Promise<void> {
    await deleteById(this.model, key);
  }

  /** Submissions held longer than `olderThanMs`: their process stopped (or is far behind), oldest first. */
  async stale(now: Date, olderThanMs: number): Promise<HeldSubmission[]> {
    const all = await retryTransient(() => this.model.find({}).lean<HeldSubmission[]>().exec());
    return all.filter((s) => now.getTime() - new Date(s.at).getTime() > olderThanMs).sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  }
}
