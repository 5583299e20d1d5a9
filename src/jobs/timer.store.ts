import { Schema, type Connection, type Model } from 'mongoose';
import type { PlannedTimer } from '../domain/timers.js';
import { insertOnce } from '../store/insert-once.js';
import { prepareCollections } from '../store/models.js';
import { retryTransient } from '../store/transient.js';
import { fromText, toText } from '../store/text-value.js';

/**
 * The plan made at an incident's last change (policy as it was then), and the timers that fired.
 * Both collections are insert-only and read by `_id` (a plan is `<incident>#<rev>`, a fired timer
 * `<incident>|<key>`): they grow with every incident, and on FerretDB only inserts and `_id`
 * lookups stay fast as a collection grows (updates and other queries scan it).
 */
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

/**
 * A plan's timers are kept as one text (`t`, src/store/text-value.ts), not an array of objects: a
 * report's plan (twelve timers) cost FerretDB 0.27–0.40 ms to insert as an array against
 * 0.07–0.12 ms as text (3,000 inserts in batches of 20, measured).
 * Plans are only ever read whole, by `_id`. `timers` is how earlier versions stored them: still read.
 */
const PlanSchema = new Schema(
  { _id: { type: String, required: true }, incidentId: String, rev: Number, madeAt: Date, t: String, timers: Schema.Types.Mixed },
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
    await prepareCollections([this.plans, this.fired]);
  }

  /** Stores the plan for the incident's revision; false when that revision already has one (the first stands). */
  savePlan(plan: StoredPlan): Promise<boolean> {
    return insertOnce(this.plans, { _id: planId(plan.incidentId, plan.rev), incidentId: plan.incidentId, rev: plan.rev, madeAt: plan.madeAt, t: toText(plan.timers) });
  }

  async plan(incidentId: string, rev: number): Promise<StoredPlan | undefined> {
    const doc = await retryTransient(() => this.plans.findById(planId(incidentId, rev)).lean<{ rev: number; madeAt: Date; t?: string; timers?: PlannedTimer[] }>().exec());
    if (!doc) return undefined;
    const timers = typeof doc.t === 'string' ? fromText<PlannedTimer[]>(doc.t) : (doc.timers ?? []);
    return { incidentId, rev: doc.rev, madeAt: new Date(doc.madeAt), timers: timers.map(revive) };
  }

  async isFired(incidentId: string, key: string): Promise<boolean> {
    return (await retryTransient(() => this.fired.findById(firedId(incidentId, key), { _id: 1 }).lean().exec())) !== null;
  }

  /** Records that a timer fired; false when it already had (another process, a job run twice). */
  markFired(timer: FiredTimer): Promise<boolean> {
    return insertOnce(this.fired, { _id: firedId(timer.incidentId, timer.key), ...timer });
  }

  /** Every fired key of an incident (a query: for tests and the admin view, not the timer path). */
  async firedKeys(incidentId: string): Promise<Set<string>> {
    const rows = await retryTransient(() => this.fired.find({ incidentId }, { key: 1 }).lean<{ key: string }[]>().exec());
    return new Set(rows.map((r) => r.key));
  }

  firedTimers(incidentId: string): Promise<FiredTimer[]> {
    return retryTransient(() => this.fired.find({ incidentId }, { _id: 0 }).sort({ dueAt: 1 }).lean<FiredTimer[]>().exec());
  }
}

/** A timer as stored: its times as dates (some servers give a document's dates back as strings). */
function revive(timer: PlannedTimer): PlannedTimer {
  return { ...timer, dueAt: new Date(timer.dueAt), ...(timer.at !== undefined ? { at: new Date(timer.at) } : {}) };
}

const planId = (incidentId: string, rev: number) => `${incidentId}#${rev}`;
const firedId = (incidentId: string, key: string) => `${incidentId}|${key}`;
