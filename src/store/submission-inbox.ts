import { Schema, type Connection, type Model } from 'mongoose';
import { deleteById, insertOnce } from './insert-once.js';
import { prepareCollections } from './models.js';
import { retryTransient } from './transient.js';
import { fromText, toText } from './text-value.js';

/** A submission held this long and still not answered belongs to a process that stopped (or is far behind): it is run again. */
export const HELD_SUBMISSION_STALE_MS = 60_000;

/**
 * A held submission that still fails when run again this long after it was taken is given up: its
 * person is told, with what they entered, and it is let go (rather than tried each minute forever).
 */
export const HELD_SUBMISSION_GIVE_UP_MS = 60 * 60_000;

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
/** Where the replay says what it ran (the adapter's logger). */
interface ReplayLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** What the replay does with a held submission: run it again, or (failing for too long) tell its person it was given up. */
export interface ReplayHandlers<T> {
  run(held: T): Promise<void>;
  giveUp(held: T, error: unknown): Promise<void>;
}

export class SubmissionInbox<T extends Held> {
  private readonly model: Model<T>;
  /** The submissions this process is running now: the replay leaves them alone however long they take. */
  private readonly running = new Set<string>();

  constructor(conn: Connection, collection: string) {
    const name = `Held:${collection}`;
    // The platform's own record, as it is: only the key and the time are the inbox's.
    const schema = new Schema({ _id: String, at: Date }, { collection, strict: false, versionKey: false, autoIndex: false, minimize: false });
    this.model = (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema as unknown as Schema<T>);
  }

  async init(): Promise<void> {
    await prepareCollections([this.model]);
  }

  /**
   * Holds a submission: its key and time as fields, the platform's record as one Extended JSON text
   * (`d`). FerretDB encodes, stores and (to delete it) decodes a document value by value; a form's
   * answers, origin and entered lines are thirty-odd values a report, read back only by the replay.
   */
  async hold(submission: T): Promise<void> {
    const { _id, at, ...record } = submission;
    await insertOnce(this.model, { _id, at, d: toText(record) });
  }

  async release(key: string): Promise<void> {
    await deleteById(this.model, key);
  }

  /**
   * Runs a held submission's work (run it, answer its person) as this process's own, then lets it
   * go. A failure keeps it held, for the replay to run again.
   */
  async settle(key: string, work: () => Promise<void>): Promise<void> {
    this.running.add(key);
    try {
      await work();
    } finally {
      this.running.delete(key);
    }
    await this.release(key);
  }

  /**
   * Submissions a stopped process took and never answered (held longer than `olderThanMs`, and not
   * running here): each run again by `run`, oldest first, one at a time. A failure is logged and
   * left for the next replay, until the submission was taken `giveUpAfterMs` ago: then `giveUp`
   * tells its person and it is let go (kept if even that fails, for the next replay). Returns how
   * many were run.
   */
  async replay(olderThanMs: number, handlers: ReplayHandlers<T>, log: ReplayLog, giveUpAfterMs = HELD_SUBMISSION_GIVE_UP_MS): Promise<number> {
    const held = (await this.stale(new Date(), olderThanMs)).filter((h) => !this.running.has(h._id));
    for (const submission of held) {
      const key = submission._id;
      log.warn({ key, heldSince: submission.at }, 'a submission taken by a process that stopped is run now');
      await handlers.run(submission).catch(async (err: unknown) => {
        if (Date.now() - new Date(submission.at).getTime() < giveUpAfterMs) {
          log.error({ err, key }, 'a held submission failed again; the next replay runs it again');
          return;
        }
        log.error({ err, key, heldSince: submission.at }, 'a held submission still fails; its person is told and it is let go');
        await handlers.giveUp(submission, err).then(
          () => this.release(key),
          (error: unknown) => log.error({ err: error, key }, 'could not tell the person a held submission was given up; the next replay tries again'),
        );
      });
    }
    return held.length;
  }

  /** Submissions held longer than `olderThanMs`: their process stopped (or is far behind), oldest first. */
  async stale(now: Date, olderThanMs: number): Promise<T[]> {
    const docs = await retryTransient(() => this.model.find({}).lean<(Held & { d?: string })[]>().exec());
    // Earlier versions held the record's fields as they are.
    const all = docs.map(({ d, ...doc }) => (typeof d === 'string' ? { ...fromText<object>(d), _id: doc._id, at: doc.at } : doc) as T);
    return all.filter((s) => now.getTime() - new Date(s.at).getTime() > olderThanMs).sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  }
}
