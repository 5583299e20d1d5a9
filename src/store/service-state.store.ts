import { Schema, type Connection, type Model } from 'mongoose';
import type { Cause, ServiceState } from '../domain/service-state.js';
import { insertOnce, writeOne } from './insert-once.js';
import { prepareCollections } from './models.js';
import { retryTransient } from './transient.js';

/** A change of a service's state as history keeps it (the page, and notices still to send). */
export interface StateChange {
  rev: number;
  from: ServiceState;
  to: ServiceState;
  at: Date;
  causes: Cause[];
}

/** A service's current state: one small document per service, read by `_id`. */
export interface ServiceSnapshot {
  service: string;
  /** Transitions written so far: the next one is `rev + 1`. */
  rev: number;
  state: ServiceState;
  /** When the state was entered; absent while the service has never changed. */
  since?: Date;
  causes: Cause[];
  /** Its latest state changes, newest first (at most the policy's history.max). */
  recent: StateChange[];
  /** The newest state change whose notices are in the outbox. */
  notifiedRev: number;
}

/** One revision of a service's state: the state change (or the new set of incidents behind it) and the event that caused it. */
export interface Transition {
  service: string;
  rev: number;
  at: Date;
  from: ServiceState;
  to: ServiceState;
  causes: Cause[];
  /** `<incident id>#<event seq>`: the change that made this revision. */
  cause: string;
}

type SnapshotDoc = Omit<ServiceSnapshot, 'service'> & { _id: string };
type TransitionDoc = Transition & { _id: string };
interface SubscriptionDoc {
  _id: string;
  service: string;
  personId: string;
  at: Date;
}

/**
 * Service states (DESIGN.md: a unique insert decides every race): `service_transitions` is the
 * log, keyed `<service>:<rev>`, so of two processes deciding the same service's next revision one
 * insert lands and the other reloads; `service_states` is the snapshot, one document per service,
 * advanced after the insert under a revision guard and brought forward from the log by `_id`
 * whenever it is behind (a crash, a slower writer). `service_subscriptions` holds who follows
 * which service, one document per pair. All three stay small: one per service, per change of a
 * service, per subscription.
 */
export class ServiceStateStore {
  private readonly states: Model<SnapshotDoc>;
  private readonly transitions: Model<TransitionDoc>;
  private readonly subscriptions: Model<SubscriptionDoc>;

  constructor(
    conn: Connection,
    /** How many state changes a snapshot keeps (policy.statusPage.history.max). */
    private readonly keep: number,
  ) {
    const options = { versionKey: false, autoIndex: false, minimize: false } as const;
    const snapshot = new Schema<SnapshotDoc>({ _id: String, rev: Number, state: String, since: Date, causes: Schema.Types.Mixed, recent: Schema.Types.Mixed, notifiedRev: Number }, { ...options, collection: 'service_states' });
    const transition = new Schema<TransitionDoc>({ _id: String, service: String, rev: Number, at: Date, from: String, to: String, causes: Schema.Types.Mixed, cause: String }, { ...options, collection: 'service_transitions' });
    const subscription = new Schema<SubscriptionDoc>({ _id: String, service: { type: String, required: true }, personId: { type: String, required: true }, at: Date }, { ...options, collection: 'service_subscriptions' });
    subscription.index({ service: 1 });
    subscription.index({ personId: 1 });
    this.states = (conn.models.ServiceState as Model<SnapshotDoc> | undefined) ?? conn.model<SnapshotDoc>('ServiceState', snapshot);
    this.transitions = (conn.models.ServiceTransition as Model<TransitionDoc> | undefined) ?? conn.model<TransitionDoc>('ServiceTransition', transition);
    this.subscriptions = (conn.models.ServiceSubscription as Model<SubscriptionDoc> | undefined) ?? conn.model<SubscriptionDoc>('ServiceSubscription', subscription);
  }

  async init(): Promise<void> {
    await prepareCollections([this.states, this.transitions, this.subscriptions]);
  }

  /** A service's state, brought forward by any transition written after its snapshot. */
  async load(service: string): Promise<ServiceSnapshot> {
    const doc = await retryTransient(() => this.states.findById(service).lean<SnapshotDoc>().exec());
    return this.forward(doc ? fromDoc(service, doc) : initial(service));
  }

  /** Every service that ever changed (one document each), brought forward the same way. */
  async all(): Promise<ServiceSnapshot[]> {
    const docs = await retryTransient(() => this.states.find({}).lean<SnapshotDoc[]>().exec());
    return Promise.all(docs.map((doc) => this.forward(fromDoc(doc._id, doc))));
  }

  /**
   * Writes `transition` as revision `current.rev + 1`, then the snapshot it makes. False when
   * another process wrote that revision first: the caller reloads and decides again.
   */
  async advance(current: ServiceSnapshot, transition: Transition): Promise<boolean> {
    if (!(await insertOnce(this.transitions, { _id: transitionId(current.service, transition.rev), ...transition }))) return false;
    await this.saveSnapshot(apply(current, transition, this.keep));
    return true;
  }

  /** Notices of the state changes up to `rev` are in the outbox. */
  async markNotified(service: string, rev: number): Promise<void> {
    await writeOne(this.states, { updateOne: { filter: { _id: service, notifiedRev: { $lt: rev } }, update: { $set: { notifiedRev: rev } } } });
  }

  /** False when the person already follows the service. */
  subscribe(service: string, personId: string, at: Date): Promise<boolean> {
    return insertOnce(this.subscriptions, { _id: subscriptionId(service, personId), service, personId, at });
  }

  /** False when the person did not follow the service. */
  async unsubscribe(service: string, personId: string): Promise<boolean> {
    const result = await retryTransient(() => this.subscriptions.deleteOne({ _id: subscriptionId(service, personId) }).exec());
    return result.deletedCount > 0;
  }

  async subscribers(service: string): Promise<string[]> {
    const docs = await retryTransient(() => this.subscriptions.find({ service }, { personId: 1 }).lean<SubscriptionDoc[]>().exec());
    return docs.map((d) => d.personId).sort();
  }

  async subscriptionsOf(personId: string): Promise<string[]> {
    const docs = await retryTransient(() => this.subscriptions.find({ personId }, { service: 1 }).lean<SubscriptionDoc[]>().exec());
    return docs.map((d) => d.service).sort();
  }

  /** Applies the transitions written after the snapshot (read by `_id` until one is missing) and writes the result back. */
  private async forward(snapshot: ServiceSnapshot): Promise<ServiceSnapshot> {
    let current = snapshot;
    for (;;) {
      const next = await retryTransient(() => this.transitions.findById(transitionId(current.service, current.rev + 1)).lean<TransitionDoc>().exec());
      if (!next) break;
      current = apply(current, next, this.keep);
    }
    if (current.rev > snapshot.rev) await this.saveSnapshot(current);
    return current;
  }

  /**
   * The snapshot at its revision, unless one as new is there; the first one of a service is
   * inserted. `notifiedRev` moves only by `markNotified`, so a slow writer never sets it back.
   */
  private async saveSnapshot(snapshot: ServiceSnapshot): Promise<void> {
    const { service, notifiedRev, ...fields } = snapshot;
    if (await insertOnce(this.states, { _id: service, ...fields, notifiedRev })) return;
    await writeOne(this.states, { updateOne: { filter: { _id: service, rev: { $lt: snapshot.rev } }, update: { $set: fields } } });
  }
}

function transitionId(service: string, rev: number): string {
  return `${service}:${rev}`;
}

function subscriptionId(service: string, personId: string): string {
  return `${service}:${personId}`;
}

/** A service never changed: operational, with nothing behind it. */
function initial(service: string): ServiceSnapshot {
  return { service, rev: 0, state: 'operational', causes: [], recent: [], notifiedRev: 0 };
}

function fromDoc(service: string, doc: SnapshotDoc): ServiceSnapshot {
  return {
    service,
    rev: doc.rev,
    state: doc.state,
    ...(doc.since ? { since: new Date(doc.since) } : {}),
    causes: doc.causes ?? [],
    recent: (doc.recent ?? []).map((c) => ({ ...c, at: new Date(c.at) })),
    notifiedRev: doc.notifiedRev ?? 0,
  };
}

/** The snapshot a transition makes: a new state starts its `since` and joins the history. */
function apply(current: ServiceSnapshot, t: Transition, keep: number): ServiceSnapshot {
  const changed = t.from !== t.to;
  const change: StateChange = { rev: t.rev, from: t.from, to: t.to, at: new Date(t.at), causes: t.causes };
  return {
    ...current,
    rev: t.rev,
    state: t.to,
    causes: t.causes,
    ...(changed ? { since: new Date(t.at), recent: [change, ...current.recent].slice(0, keep) } : {}),
  };
}
