import { Schema, type Connection, type Model } from 'mongoose';
import type { PlannedTimer } from '../domain/timers.js';
import { insertOnce } from '../outbox/outbox.store.js';
import { retryTransient } from '../store/transient.js';

/** The plan made at an incident's last change (policy as it was then), and the timers that fired. */
export interface StoredPlan {
  incidentId: string;
  rev: number;
  madeAt: Date;
  timers: PlannedTimer[];
}

export interface FiredTimer {
  incidentId: string;
  key: string;
  rule: string;
  dueAt: Date;
  firedAt: Date;
  lateMs: number;
}

const PlanSchema = new Schema(
  { _id: { type: String, required: true }, rev: Number, madeAt: Date, timers: Schema.Types.Mixed },
  { collection: 'timer_plans', versionKey: false, minimize: false, autoIndex: false },
);

const FiredSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    key: { type: String, required: true },
    rule: String,
    dueAt: Date,
    firedAt: Date,
    lateMs: Number,
  },
  { collection: 'timers_fired', versionKey: false, autoIndex: false },
);
FiredSchema.index({ incidentId: 1 });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

export class TimerStore {
  private readonly plans: AnyModel;
  private readonly fired: AnyModel;

  constructor(conn: Connection) {
    this.plans = (conn.models.TimerPlan as AnyModel | undefined) ?? conn.model('TimerPlan', PlanSchema);
    this.fired = (conn.models.TimerFired as AnyModel | undefined) ?? conn.model('TimerFired', FiredSchema);
  }

  async init(): Promise<void> {
    for (const model of [this.plans, this.fired]) await model.createIndexes();
  }

  async savePlan(plan: StoredPlan): Promise<void> {
    await retryTransient(() =>
      this.plans.updateOne({ _id: plan.incidentId }, { $set: { rev: plan.rev, madeAt: plan.madeAt, timers: plan.timers } }, { upsert: true }).exec(),
    );
  }

  async plan(incidentId: string): Promise<StoredPlan | undefined> {
    const doc = await retryTransient(() => this.plans.findById(incidentId).lean<{ rev: number; madeAt: Date; timers: PlannedTimer[] }>().exec());
    if (!doc) return undefined;
    return { incidentId, rev: doc.rev, madeAt: new Date(doc.madeAt), timers: doc.timers.map((t) => ({ ...t, dueAt: new Date(t.dueAt) })) };
  }

  /** Records that a timer fired; false when it already had (another process, a job run twice). */
  markFired(timer: FiredTimer): Promise<boolean> {
    return insertOnce(this.fired, { _id: `${timer.incidentId}|${timer.key}`, ...timer });
  }

  async firedKeys(incidentId: string): Promise<Set<string>> {
    const rows = await retryTransient(() => this.fired.find({ incidentId }, { key: 1 }).lean<{ key: string }[]>().exec());
    return new Set(rows.map((r) => r.key));
  }

  firedTimers(incidentId: string): Promise<FiredTimer[]> {
    return retryTransient(() => this.fired.find({ incidentId }, { _id: 0 }).sort({ dueAt: 1 }).lean<FiredTimer[]>().exec());
  }
}
