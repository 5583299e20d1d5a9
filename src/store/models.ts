import mongoose, { Schema, type Connection, type Model } from 'mongoose';

/**
 * Collections and their indexes (DESIGN.md: plain, compound and unique only; every field under a
 * unique index is required). Documents are mapped to domain objects by the repository.
 */
const Clock = new Schema({ dueAt: Date, metAt: Date }, { _id: false });

// `_id` is the incident's id and an event's is `<incident id>#<seq>`: the hot paths (a timer firing,
// a card refresh) then read by `_id` alone, the one filter every server answers from an index
// (FerretDB pushes down nothing else and scans the collection).
const IncidentSchema = new Schema(
  {
    _id: { type: String, required: true },
    id: { type: String, required: true },
    number: { type: Number, required: true },
    rev: { type: Number, required: true },
    title: { type: String, required: true },
    description: { type: String, default: '' },
    status: { type: String, required: true },
    priority: { type: String, required: true },
    impact: Number,
    urgency: Number,
    major: Boolean,
    category: String,
    subcategory: String,
    subarea: String,
    service: String,
    ci: String,
    ciInCatalog: Boolean,
    ciOperable: Boolean,
    location: String,
    source: String,
    reporterId: String,
    reporterName: String,
    /** An outside contact reporter: { name, phone?, email? }. */
    contact: Schema.Types.Mixed,
    recorderId: String,
    groupId: String,
    lastGroupId: String,
    assigneeId: String,
    ownerId: String,
    majorIncidentManagerId: String,
    outageStart: Date,
    outageEnd: Date,
    createdAt: Date,
    updatedAt: Date,
    firstDispatchedAt: Date,
    dispatchedAt: Date,
    firstAcceptedAt: Date,
    acceptedAt: Date,
    resolvedAt: Date,
    resolvedById: String,
    confirmedAt: Date,
    closedAt: Date,
    closedById: String,
    suspendedAt: Date,
    pausedMs: Number,
    lastUpdateAt: Date,
    lastUpdatePausedMs: Number,
    sla: { respond: Clock, accept: Clock, resolve: Clock },
    resolutionCode: String,
    solution: String,
    closureCode: String,
    withdrawn: Boolean,
    closureRequested: Boolean,
    reDispatchCount: Number,
    rejectCount: Number,
    managerTakeover: Boolean,
    escalated: Boolean,
    lastChangeById: String,
    lastChangeByName: String,
    lastAction: String,
    links: {
      masterId: String,
      recurrenceOf: String,
      followUpOf: String,
      problem: String,
      change: String,
    },
    priorityLog: [{ _id: false, at: Date, byId: String, byName: String, from: String, to: String, reason: String }],
    /** What monitoring said (src/domain/incident.ts AlertInfo). */
    alert: Schema.Types.Mixed,
    knowledge: [String],
    kbMatches: Schema.Types.Mixed,
    /** The words of title, description and CI (src/domain/words.ts), kept for search. */
    terms: [String],
    /** After closure (src/domain/after-closure.ts): verification, correction, rating, follow-up call. */
    closingGroupId: String,
    verifiedAt: Date,
    verifiedById: String,
    returned: Schema.Types.Mixed,
    correctedAt: Date,
    rating: Schema.Types.Mixed,
    followUpCall: Schema.Types.Mixed,
    /** A major incident's recovery and communication plans (src/domain/major.ts). */
    plan: Schema.Types.Mixed,
    comms: Schema.Types.Mixed,
    majorAt: Date,
    /** KPI facts (src/domain/kpi.ts): the line that resolved it, the targets missed when they were missed. */
    resolvedLine: String,
    missed: Schema.Types.Mixed,
  },
  { collection: 'incidents', versionKey: false, minimize: false, timestamps: false, autoIndex: false },
);
IncidentSchema.index({ id: 1 }, { unique: true });
IncidentSchema.index({ number: 1 }, { unique: true });
IncidentSchema.index({ status: 1, priority: 1, createdAt: 1 });
IncidentSchema.index({ groupId: 1, status: 1 });
IncidentSchema.index({ assigneeId: 1, status: 1 });
IncidentSchema.index({ reporterId: 1, createdAt: -1 });
IncidentSchema.index({ ci: 1, status: 1, createdAt: -1 });
IncidentSchema.index({ 'links.masterId': 1 });
IncidentSchema.index({ 'links.followUpOf': 1 });
IncidentSchema.index({ terms: 1 });

const EventSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    seq: { type: Number, required: true },
    at: { type: Date, required: true },
    actorId: String,
    actorName: String,
    action: String,
    from: String,
    to: String,
    reason: String,
    note: String,
    data: { type: Schema.Types.Mixed, default: {} },
    /** The change set as one Extended JSON text (src/store/incident-store.ts, `changesOf`); `changes` as earlier versions stored it. */
    c: String,
    changes: { type: Schema.Types.Mixed, default: {} },
    flags: [String],
    /** Databases before incident_pending_effects: false until the after-commit work ran (read once, at the first start). */
    processed: Boolean,
  },
  { collection: 'incident_events', versionKey: false, minimize: false, autoIndex: false },
);
EventSchema.index({ incidentId: 1, seq: 1 }, { unique: true });

// What a fired timer did (src/domain/timeline-note.ts): insert-only, `_id` `<incident id>#<timer
// key>`, so a replayed timer writes nothing. Read only by the timeline command, by incident.
const NoteSchema = new Schema(
  {
    _id: { type: String, required: true },
    incidentId: { type: String, required: true },
    key: { type: String, required: true },
    kind: { type: String, required: true },
    at: { type: Date, required: true },
    dueAt: Date,
    params: { type: Schema.Types.Mixed, default: {} },
    recipients: [String],
    channels: [String],
    urgent: Boolean,
    unreached: [String],
    emailUndeliverable: Boolean,
    thread: Boolean,
    lateMs: Number,
  },
  { collection: 'incident_notes', versionKey: false, minimize: false, autoIndex: false },
);
NoteSchema.index({ incidentId: 1, at: 1 });

const CounterSchema = new Schema(
  { _id: { type: String, required: true }, seq: { type: Number, required: true } },
  { collection: 'counters', versionKey: false, autoIndex: false },
);

/** Idempotency keys of requests already handled (platform retries, double submissions). */
const RequestKeySchema = new Schema(
  { _id: { type: String, required: true }, at: { type: Date, required: true }, result: String },
  { collection: 'request_keys', versionKey: false, autoIndex: false },
);
RequestKeySchema.index({ at: 1 });

/**
 * What a request whose key was claimed did (the incident it logged or changed), by the same key:
 * written once it is done, as an insert of its own rather than an update of the claim (a report and
 * each button press settle a key): FerretDB spends 0.25–0.5 ms of its CPU on an update by `_id`,
 * 6–7 times an insert that goes out with others (`npm run bench:db-ops`). Keys an earlier version
 * settled keep their result in `request_keys` and are read there too.
 */
const RequestResultSchema = new Schema(
  { _id: { type: String, required: true }, result: { type: String, required: true }, at: { type: Date, required: true } },
  { collection: 'request_results', versionKey: false, autoIndex: false },
);

/**
 * Closed incidents, moved out of `incidents` once their closing event's after-commit work is done:
 * `incidents` then holds only the work still open, so queues, lists, the Home tab and the sweep
 * read a collection that does not grow with history (FerretDB scans for any query but `_id`).
 * Read by `_id`; written again only by what follows a close (verification, a rating, a follow-up
 * call), by `_id`. Searches and the monthly follow-up draw read it by closing time.
 */
const ClosedIncidentSchema = new Schema(IncidentSchema.obj, { collection: 'incidents_closed', versionKey: false, minimize: false, timestamps: false, autoIndex: false });
ClosedIncidentSchema.index({ closedAt: 1 });

/**
 * Events whose after-commit work (effects, surfaces, notices, timers) has not finished: written
 * before the event, deleted once the work is done. The sweep after a crash reads this small
 * collection instead of querying the event log.
 */
const PendingEffectSchema = new Schema(
  { _id: { type: String, required: true }, incidentId: { type: String, required: true }, seq: { type: Number, required: true }, at: { type: Date, required: true } },
  { collection: 'incident_pending_effects', versionKey: false, autoIndex: false },
);

/**
 * Words written by one process, for the others' in-process search indexes (src/store/text-search.ts):
 * one entry per event that set an incident's words, kept a quarter of an hour. Small by design,
 * so reading it is cheap even where the server scans (FerretDB).
 */
const SearchFeedSchema = new Schema(
  { _id: { type: String, required: true }, n: { type: Number, required: true }, rev: { type: Number, required: true }, w: String, terms: [String], at: { type: Date, required: true } },
  { collection: 'search_feed', versionKey: false, autoIndex: false },
);
SearchFeedSchema.index({ at: 1 });

/**
 * Unresolved, unlinked incidents by configuration item: one document per CI, `_id` = the CI,
 * `o` = { incident id: the JSON text of [logged at (ms), ...its title words] }, the words so a new
 * report's symptom is compared with no read. Proposing duplicates (SPEC §10) reads one document by
 * `_id` instead of querying incidents, which FerretDB answers by scanning them all. One text per
 * incident, not a date and an array: FerretDB reads and rewrites a document value by value (a CI
 * with forty open incidents cost 6.7 ms a report as arrays, measured; 2.8 ms as text).
 * `open` (logged at) and `words` are how earlier versions kept the same: read, and cleared on leave.
 */
const CiOpenSchema = new Schema(
  { _id: { type: String, required: true }, o: { type: Schema.Types.Mixed, default: {} }, open: Schema.Types.Mixed, words: Schema.Types.Mixed },
  { collection: 'ci_open_incidents', versionKey: false, minimize: false, autoIndex: false },
);

// Documents are loosely typed here on purpose: the repository maps them to domain types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

function model(conn: Connection, name: string, schema: Schema): AnyModel {
  return (conn.models[name] as AnyModel | undefined) ?? conn.model(name, schema);
}

export function models(conn: Connection) {
  return {
    Incident: model(conn, 'Incident', IncidentSchema),
    Event: model(conn, 'IncidentEvent', EventSchema),
    Note: model(conn, 'IncidentNote', NoteSchema),
    Counter: model(conn, 'Counter', CounterSchema),
    RequestKey: model(conn, 'RequestKey', RequestKeySchema),
    RequestResult: model(conn, 'RequestResult', RequestResultSchema),
    CiOpen: model(conn, 'CiOpen', CiOpenSchema),
    ClosedIncident: model(conn, 'ClosedIncident', ClosedIncidentSchema),
    PendingEffect: model(conn, 'PendingEffect', PendingEffectSchema),
    SearchFeed: model(conn, 'SearchFeed', SearchFeedSchema),
  };
}
export type Models = ReturnType<typeof models>;

/** Creates every collection and declared index; run at start-up (autoIndex is off so start-up order is explicit). */
export async function ensureIndexes(m: Models): Promise<void> {
  await prepareCollections(Object.values(m));
}

/**
 * Creates each collection (if missing) and its declared indexes, before the first request, so no
 * collection is created by its first insert in the middle of traffic (on FerretDB a creation takes
 * the server's metadata lock, which every other request waits for).
 */
export async function prepareCollections(list: readonly Model<any>[]): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const model of list) {
    await model.createCollection();
    await model.createIndexes();
  }
}

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: number }).code === 11000;
}

export { mongoose };
