import { Schema, type Connection, type Model } from 'mongoose';
import { formatProblemId, type Problem, type ProblemStatus } from '../domain/problem.js';
import { insertOnce } from './insert-once.js';
import { prepareCollections } from './models.js';
import { retryTransient } from './transient.js';

interface ProblemDoc extends Omit<Problem, 'id'> {
  _id: string;
}

/**
 * Problem records in `problems` (numbered PRB-000001 from `problem_counters`). A save names the
 * revision it was decided on, so two people changing one problem at once cannot overwrite each
 * other: the later save is refused and decided again. A problem raised by the bot (from a closure,
 * from a major incident) is keyed in `problem_keys`, so a replay raises it once.
 */
export class ProblemStore {
  private readonly problems: Model<ProblemDoc>;
  private readonly counters: Model<{ _id: string; n: number }>;
  private readonly keys: Model<{ _id: string; problemId: string }>;

  constructor(conn: Connection) {
    const schema = new Schema<ProblemDoc>(
      {
        _id: String, number: Number, rev: Number, title: String, description: String, status: String, ownerId: String,
        incidents: [String], cis: [String], services: [String], rootCause: String, workaround: String, resolution: String, article: String,
        origin: String, createdAt: Date, updatedAt: Date, timeline: Schema.Types.Mixed,
      },
      { versionKey: false, autoIndex: false, collection: 'problems' },
    );
    schema.index({ status: 1 });
    this.problems = (conn.models.Problem as Model<ProblemDoc> | undefined) ?? conn.model<ProblemDoc>('Problem', schema);
    this.counters = (conn.models.ProblemCounter as Model<{ _id: string; n: number }> | undefined) ?? conn.model<{ _id: string; n: number }>('ProblemCounter', new Schema({ _id: String, n: Number }, { versionKey: false, autoIndex: false, collection: 'problem_counters' }));
    this.keys = (conn.models.ProblemKey as Model<{ _id: string; problemId: string }> | undefined) ?? conn.model<{ _id: string; problemId: string }>('ProblemKey', new Schema({ _id: String, problemId: String }, { versionKey: false, autoIndex: false, collection: 'problem_keys' }));
  }

  async init(): Promise<void> {
    await prepareCollections([this.problems, this.counters, this.keys]);
  }

  /**
   * Stores a new problem under the next number. With a `key`, a second call with the same key (a
   * replay after a crash) returns the first one instead.
   */
  async create(fields: Omit<Problem, 'id' | 'number' | 'rev' | 'createdAt' | 'updatedAt'>, now: Date, key?: string): Promise<{ problem: Problem; created: boolean }> {
    if (key) {
      const earlier = await this.byKey(key);
      if (earlier) return { problem: earlier, created: false };
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      const counter = await retryTransient(() => this.counters.findOneAndUpdate({ _id: 'problem' }, { $inc: { n: 1 } }, { upsert: true, returnDocument: 'after' }).lean().exec());
      const number = counter?.n ?? 1;
      const problem: Problem = { ...fields, id: formatProblemId(number), number, rev: 1, createdAt: now, updatedAt: now };
      // The key first: whoever claims it raises the problem; a loser returns the winner's.
      if (key && !(await insertOnce(this.keys, { _id: key, problemId: problem.id }))) {
        const winner = await this.byKey(key);
        if (winner) return { problem: winner, created: false };
      }
      if (await insertOnce(this.problems, { ...toDoc(problem) })) return { problem, created: true };
    }
    throw new Error('could not number a new problem record');
  }

  private async byKey(key: string): Promise<Problem | undefined> {
    const claimed = await retryTransient(() => this.keys.findById(key).lean().exec());
    return claimed ? this.get(claimed.problemId) : undefined;
  }

  async get(id: string): Promise<Problem | undefined> {
    const doc = await retryTransient(() => this.problems.findById(id).lean<ProblemDoc>().exec());
    return doc ? toProblem(doc) : undefined;
  }

  /** Saves `next` if the stored problem is still at `prevRev`; false when someone saved first. */
  async save(next: Problem, prevRev: number): Promise<boolean> {
    const result = await retryTransient(() => this.problems.replaceOne({ _id: next.id, rev: prevRev }, toDoc(next)).exec());
    return result.matchedCount === 1;
  }

  /** Problems in these statuses, newest first. */
  async list(statuses: readonly ProblemStatus[], limit = 50): Promise<Problem[]> {
    const docs = await retryTransient(() => this.problems.find({ status: { $in: [...statuses] } }).sort({ number: -1 }).limit(limit).lean<ProblemDoc[]>().exec());
    return docs.map(toProblem);
  }
}

function toDoc(problem: Problem): ProblemDoc {
  const { id, ...rest } = problem;
  return { _id: id, ...rest };
}

function toProblem(doc: ProblemDoc): Problem {
  const { _id, ...rest } = doc;
  return {
    ...rest, id: _id, incidents: rest.incidents ?? [], cis: rest.cis ?? [], services: rest.services ?? [],
    timeline: (rest.timeline ?? []).map((e) => ({ ...e, at: new Date(e.at) })),
    createdAt: new Date(rest.createdAt), updatedAt: new Date(rest.updatedAt),
  };
}
