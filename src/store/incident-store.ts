import type { Collection } from 'mongodb';
import type { Connection } from 'mongoose';
import { ACTIVE_STATUSES, applyChanges, formatIncidentId, type Incident, type IncidentEvent, type Status } from '../domain/incident.js';
import { ensureIndexes, isDuplicateKey, models, type Models } from './models.js';
import { deleteById, GroupCommit, insertOnce, MAX_UPDATE_BATCH, readById, readByIds, writeErrors, writeOne } from './insert-once.js';
import { retryTransient } from './transient.js';
import { fromText, toText } from './text-value.js';
import { overlap, wordsOf } from '../domain/words.js';
import type { SearchFilter, SearchSort } from '../domain/search-filter.js';
import siftModule from 'sift';
import { chooseTextSearch, TEXT_FIELDS, type SearchLog, type TextSearch } from './text-search.js';

export interface IncidentQuery {
  statuses?: readonly Status[];
  groupIds?: readonly string[];
  assigneeId?: string;
  reporterId?: string;
  masterId?: string;
  followUpOf?: string;
  ci?: string;
  createdSince?: Date;
  limit?: number;
}

/** MongoDB's query language evaluated in memory (sift), for candidates read by `_id`. A CommonJS module: its function is also its `default`. */
const sift = siftModule.default;

const PRIORITY_ORDER = { P1: 1, P2: 2, P3: 3, P4: 4 } as const;
/** How old a logged event must be before a reader writes the snapshot it left behind. */
const REPAIR_AFTER_MS = 5_000;

/** An incident open on a CI, as its CI's open set holds it: when it was logged and its title's words. */
export interface OpenOnCi {
  id: string;
  at: Date;
  words?: string[];
}

/** A report waiting to join its CI's open set. */
interface CiJoiner {
  entry: OpenOnCi;
  resolve: (open: OpenOnCi[]) => void;
  reject: (error: unknown) => void;
}

/** CIs one join round takes at most: their sets are read as one `_id` list (the FerretDB patch reads up to 500 by the index). */
const IDS_PER_READ = 500;

/**
 * Incidents as a snapshot plus an append-only event log. The insert of event `rev + 1` under the
 * unique (incidentId, seq) index decides every race; the snapshot follows with a replace by `_id`
 * and is brought up to date from the log whenever it is behind (a crash, or a slower writer of
 * another process whose replace landed after a newer one): `load` replays the events after it.
 */
export class IncidentStore {
  readonly m: Models;
  /** Which incidents hold a search's words (src/store/text-search.ts); chosen in `init`. */
  text!: TextSearch;
  /** Why the in-process word index is used rather than a MongoDB text index (the server's answer). */
  textReason: string | undefined;

  constructor(readonly conn: Connection) {
    this.m = models(conn);
  }

  async init(log?: SearchLog): Promise<void> {
    await ensureIndexes(this.m);
    ({ search: this.text, reason: this.textReason } = await chooseTextSearch(this.m, log));
    await this.once('rekeyed', () => this.rekeyOldDocuments());
    await this.once('ci-open-sets', () => this.fillCiOpenSets());
    await this.once('pending-effects', () => this.markLegacyUnprocessed());
    await this.once('closed-archived', () => this.archiveLegacyClosed());
    await this.once('search-terms', () => this.fillSearchTerms());
    // After the moves above, so the index reads every incident where it now is, with its words.
    this.text.start();
  }

  /** Stops reading the search feed (the in-process index). */
  stop(): void {
    this.text?.stop();
  }

  /** Incidents an earlier version stored without their search words get them. */
  private async fillSearchTerms(): Promise<void> {
    for (const model of [this.m.Incident, this.m.ClosedIncident]) {
      const docs = await retryTransient(() => model.find({ terms: { $exists: false } }, { title: 1, description: 1, ci: 1 }).lean<{ _id: string; title: string; description?: string; ci?: string }[]>());
      for (const doc of docs) await retryTransient(() => model.updateOne({ _id: doc._id }, { $set: { terms: termsOf(doc) } }));
    }
  }

  /**
   * Work a database needs once (moves and backfills for what earlier versions stored): each is a
   * query over a collection that grows with history, so a marker in `counters` records that it ran
   * and later starts skip it. Each is safe to run again after a crash part-way.
   */
  private async once(name: string, work: () => Promise<void>): Promise<void> {
    const marker = `done:${name}`;
    if (await retryTransient(() => this.m.Counter.findById(marker).lean())) return;
    await work();
    await insertOnce(this.m.Counter, { _id: marker, seq: 1 });
  }

  /** Events an earlier version left unprocessed (its `processed: false` flag) get a pending-effects entry. */
  private async markLegacyUnprocessed(): Promise<void> {
    const events = await retryTransient(() => this.m.Event.find({ processed: false }, { incidentId: 1, seq: 1, at: 1 }).lean<{ incidentId: string; seq: number; at: Date }[]>());
    for (const event of events) await this.markPending(event.incidentId, event.seq, new Date(event.at));
  }

  /** Closed incidents an earlier version kept in `incidents` move to `incidents_closed`. */
  private async archiveLegacyClosed(): Promise<void> {
    const closed = await retryTransient(() => this.m.Incident.find({ status: 'closed' }).lean<Record<string, unknown>[]>());
    for (const doc of closed) await this.archive(toIncident(doc));
  }

  /**
   * Databases written before the CI open sets existed: their open incidents are added once (one
   * query at the first start of this version; a marker in `counters` says it is done).
   */
  private async fillCiOpenSets(): Promise<void> {
    const open = await retryTransient(() =>
      this.m.Incident.find({ status: { $in: ACTIVE_STATUSES }, ci: { $exists: true } }, { id: 1, ci: 1, createdAt: 1, links: 1 }).lean<{ id: string; ci?: string; createdAt: Date; links?: { masterId?: string } }[]>(),
    );
    for (const incident of open) if (incident.ci && !incident.links?.masterId) await this.enterCi(incident.ci, incident.id, new Date(incident.createdAt));
  }

  /**
   * Next incident number. Callers that arrive while a number is being fetched share the next
   * fetch: one `$inc` by how many are waiting hands each its own number, so a burst of reports costs
   * one counter round trip per batch, and no number is skipped. The unique index on `number` backs
   * it up where the server's `$inc` is not atomic (FerretDB): a taken number makes the caller ask again.
   */
  allocateNumber(): Promise<number> {
    return this.numbers.add(null);
  }

  private readonly numbers = new GroupCommit<null, number>(async (batch) => {
    try {
      const last = await this.incrementCounter(batch.length);
      batch.forEach((waiter, i) => waiter.resolve(last - batch.length + 1 + i));
    } catch (error) {
      batch.forEach((waiter) => waiter.reject(error));
    }
  });

  private async incrementCounter(by: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await retryTransient(() => this.m.Counter.findOneAndUpdate({ _id: 'incident' }, { $inc: { seq: by } }, { upsert: true, returnDocument: 'after' }).lean<{ seq: number }>());
        if (doc) return doc.seq;
      } catch (error) {
        if (!isDuplicateKey(error) || attempt > 5) throw error; // two first-ever upserts raced
      }
    }
  }

  /**
   * Inserts a new incident and its first event; false when the number was taken by a concurrent
   * report. The event's pending-effects entry goes in before the event, so a crash after it leaves
   * work the sweep finds.
   */
  async create(incident: Incident, event: IncidentEvent): Promise<boolean> {
    if (!(await insertOnce(this.m.Incident, stored(incident)))) return false;
    this.text.written(incident, termsOf(incident));
    await this.markPending(event.incidentId, event.seq, event.at);
    await this.insertEvent(event);
    return true;
  }

  /**
   * Records that an event's after-commit work is to do. Written before the event itself: a writer
   * that then loses the race for that revision leaves the entry to the winner, whose work clears it
   * (the key is the revision's, not the writer's).
   */
  private async markPending(incidentId: string, seq: number, at: Date): Promise<void> {
    await insertOnce(this.m.PendingEffect, { _id: eventId(incidentId, seq), incidentId, seq, at });
  }

  /**
   * Databases written before incidents and events were keyed by id hold ObjectId keys: each such
   * document is written again under its new key. The unique indexes forbid two copies at once, so
   * the new copy is parked in `store_rekey` first, then the old one deleted, the new one inserted
   * and the parked one dropped; a start after a crash anywhere in between finishes the move.
   */
  private async rekeyOldDocuments(): Promise<void> {
    const parked = this.conn.collection<{ _id: string; collection: string; doc: Record<string, unknown> }>('store_rekey');
    const finish = async (entry: { _id: string; collection: string; doc: Record<string, unknown> }) => {
      try {
        await retryTransient(() => this.conn.collection(entry.collection).insertOne(entry.doc));
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      await retryTransient(() => parked.deleteOne({ _id: entry._id }));
    };
    for (const entry of await parked.find({}).toArray()) await finish(entry);
    const moves: [Models['Incident'], (doc: Record<string, unknown>) => string][] = [
      [this.m.Incident, (doc) => String(doc.id)],
      [this.m.Event, (doc) => eventId(String(doc.incidentId), Number(doc.seq))],
    ];
    for (const [model, newId] of moves) {
      const old = await retryTransient(() => model.find({ _id: { $type: 'objectId' } }).lean<Record<string, unknown>[]>());
      for (const doc of old) {
        const entry = { _id: `${model.collection.name}:${newId(doc)}`, collection: model.collection.name, doc: { ...doc, _id: newId(doc) } };
        await retryTransient(() => parked.replaceOne({ _id: entry._id }, entry, { upsert: true }));
        await retryTransient(() => model.collection.deleteOne({ _id: doc._id } as never));
        await finish(entry);
      }
    }
  }

  /**
   * Loads the snapshot, replaying any logged events it has not caught up with. A reader that only
   * needs revision `atLeast` (it will be told of later ones) takes a snapshot that far as it is,
   * without looking for events after it: one lookup instead of two.
   */
  async load(id: string, atLeast?: number): Promise<Incident | undefined> {
    let doc = await retryTransient(() => this.m.Incident.findById(id).lean());
    // Closed and archived. What follows a close (verification, a rating) is logged like any change.
    const archived = !doc;
    if (!doc) doc = await retryTransient(() => this.m.ClosedIncident.findById(id).lean());
    if (!doc) return undefined;
    let incident = toIncident(doc);
    if (atLeast !== undefined && incident.rev >= atLeast) return incident;
    // Events are numbered without gaps: read the next ones by `_id` until one is missing (usually at once).
    const behind: Record<string, unknown>[] = [];
    for (let seq = incident.rev + 1; ; seq++) {
      const event = await retryTransient(() => this.m.Event.findById(eventId(id, seq)).lean());
      if (!event) break;
      behind.push(event as Record<string, unknown>);
    }
    if (behind.length === 0) return incident;
    for (const event of behind) incident = { ...applyChanges(incident, changesOf(event)), rev: event.seq as number };
    // A fresh event's own writer is about to advance the snapshot; only one left behind (a crash) is
    // written back here, so racing readers do not pile extra writes onto the winner's.
    const newest = behind.at(-1)?.at as Date | undefined;
    if (!newest || Date.now() - new Date(newest).getTime() > REPAIR_AFTER_MS) await this.replaceSnapshot(incident, archived);
    return incident;
  }

  /**
   * The incidents of `wanted` (id → the revision the reader needs at least). Those whose stored
   * snapshot is that new come in one command per 500 (`_id` in the list: FerretDB reads those rows
   * by the `_id` index, see dev/ferretdb/sqlite-id-pushdown.patch); the rest (archived, or behind
   * their events) are read one by one as `load` reads them.
   */
  async loadAtLeast(wanted: ReadonlyMap<string, number>): Promise<Incident[]> {
    const ids = [...wanted.keys()];
    const found = new Map<string, Incident>();
    if (ids.length > 1) {
      for (const doc of await readByIds<Record<string, unknown>>(this.m.Incident, ids)) {
        const incident = toIncident(doc);
        if (incident.rev >= (wanted.get(incident.id) ?? 0)) found.set(incident.id, incident);
      }
    }
    const rest = await Promise.all(ids.filter((id) => !found.has(id)).map((id) => this.load(id, wanted.get(id))));
    return [...found.values(), ...rest.filter((i): i is Incident => i !== undefined)];
  }

  async loadMany(ids: readonly string[]): Promise<Incident[]> {
    const found = await Promise.all(ids.map((id) => this.load(id)));
    return found.filter((i): i is Incident => i !== undefined);
  }

  /**
   * Commits `next` as revision `prev.rev + 1`. Returns false when another writer took that revision
   * first: the caller reloads and decides again.
   */
  async commit(prev: Incident, next: Incident, event: IncidentEvent): Promise<boolean> {
    await this.markPending(event.incidentId, event.seq, event.at);
    if (!(await this.insertEvent(event))) return false;
    // A change after the close: the snapshot is in the archive (or about to move there, see archive).
    await this.replaceSnapshot(next, prev.status === 'closed');
    if (TEXT_FIELDS.some((field) => field in event.changes)) this.text.written(next, termsOf(next));
    return true;
  }

  /** One event by its number (one `_id` lookup). */
  async event(incidentId: string, seq: number): Promise<IncidentEvent | undefined> {
    const doc = await retryTransient(() => this.m.Event.findById(eventId(incidentId, seq)).lean());
    return doc ? toEvent(doc) : undefined;
  }

  /**
   * An incident's events after `after` up to `upTo`, oldest first: `_id` lookups side by side. Not
   * a range query on (incidentId, seq): FerretDB answers that by reading the whole log.
   */
  async eventsBetween(incidentId: string, after: number, upTo: number): Promise<IncidentEvent[]> {
    const docs = await Promise.all(
      Array.from({ length: Math.max(0, upTo - after) }, (_, i) => retryTransient(() => this.m.Event.findById(eventId(incidentId, after + i + 1)).lean())),
    );
    return docs.filter((d): d is NonNullable<typeof d> => Boolean(d)).map((d) => toEvent(d as Record<string, unknown>));
  }

  /** An incident's events up to `rev`, oldest first: `_id` lookups side by side, not a query over the log. */
  events(incidentId: string, rev: number): Promise<IncidentEvent[]> {
    return this.eventsBetween(incidentId, 0, rev);
  }

  /**
   * The after-commit work of this event is done: its pending entry goes, and a closed incident
   * moves to `incidents_closed` (first, so a crash in between repeats the work and the move).
   */
  async markProcessed(incident: Incident, event: IncidentEvent): Promise<void> {
    await this.text.processed(incident, event, termsOf(incident));
    if (incident.status === 'closed') await this.archive(incident);
    await deleteById(this.m.PendingEffect, eventId(incident.id, event.seq));
  }

  /** Moves a closed incident to `incidents_closed`: inserted there first, then deleted here, so it is always in one of them. */
  private async archive(incident: Incident): Promise<void> {
    // The newest snapshot moves: a change after the close may have landed before this move.
    const doc = await retryTransient(() => this.m.Incident.findById(incident.id).lean());
    const current = doc ? toIncident(doc) : undefined;
    const newest = current && current.rev > incident.rev ? current : incident;
    if (!(await insertOnce(this.m.ClosedIncident, stored(newest))) && newest !== incident) await this.replaceSnapshot(newest, true);
    await deleteById(this.m.Incident, incident.id);
    this.text.archived(incident.number);
  }

  /** Events whose after-commit work may not have run (a crash right after the commit), oldest first. */
  async unprocessedEvents(olderThan: Date, limit = 100): Promise<IncidentEvent[]> {
    const pending = await retryTransient(() => this.m.PendingEffect.find({}).lean<{ _id: string; incidentId: string; seq: number; at: Date }[]>());
    const due = pending.filter((p) => new Date(p.at) <= olderThan).sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime()).slice(0, limit);
    const events: IncidentEvent[] = [];
    for (const entry of due) {
      const event = await this.event(entry.incidentId, entry.seq);
      // An entry whose event was never written (the insert failed after it): nothing to do.
      if (event) events.push(event);
      else await deleteById(this.m.PendingEffect, entry._id);
    }
    return events;
  }

  /**
   * Incidents matching a search, open and closed: those holding at least half of the words asked
   * (any one of one or two) and every filter, sorted (`best`: most words, open before closed,
   * newest), one page of them and how many matched. Closed ones are read only when the filter can
   * match them. Which incidents hold the words: the MongoDB text index, or the in-process index
   * whose candidates are read by `_id` and filtered here with the same query.
   */
  async search(asked: readonly string[], filter: SearchFilter, options: { sort: SearchSort; skip: number; limit: number; now: Date }): Promise<{ incidents: Incident[]; total: number }> {
    const filters = searchFilter(filter, options.now);
    const need = asked.length === 0 ? 0 : Math.max(1, Math.ceil(asked.length / 2));
    const closedToo = (!filter.statuses || filter.statuses.includes('closed')) && !filter.overdue && !filter.unassigned;
    let docs: Record<string, unknown>[];
    if (asked.length > 0 && this.text.kind === 'in-process') {
      const text = this.text;
      const numbers = await text.candidates(asked, need, SEARCH_SCAN);
      const matches = sift(filters);
      docs = (await this.byIds(numbers, closedToo, (n) => text.isClosed(n))).filter((doc) => matches(doc));
    } else {
      const query = and(asked.length > 0 && this.text.kind === 'mongodb-text' ? [this.text.condition(asked), filters] : [filters]);
      const read = (model: Models['Incident']) => retryTransient(() => model.find(query).sort({ createdAt: -1 }).limit(SEARCH_SCAN).lean<Record<string, unknown>[]>());
      docs = (await Promise.all([read(this.m.Incident), closedToo ? read(this.m.ClosedIncident) : Promise.resolve([])])).flat();
    }
    const scored = docs
      .map((doc) => ({ doc, score: need === 0 ? 0 : overlap(asked, (doc.terms as string[] | undefined) ?? []) }))
      .filter((s) => s.score >= need)
      .map((s) => ({ incident: toIncident(s.doc), score: s.score }));
    const newest = (a: Incident, b: Incident) => b.createdAt.getTime() - a.createdAt.getTime();
    const order: Record<SearchSort, (a: { incident: Incident; score: number }, b: { incident: Incident; score: number }) => number> = {
      best: (a, b) => b.score - a.score || Number(a.incident.status === 'closed') - Number(b.incident.status === 'closed') || newest(a.incident, b.incident),
      newest: (a, b) => newest(a.incident, b.incident),
      oldest: (a, b) => newest(b.incident, a.incident),
      priority: (a, b) => PRIORITY_ORDER[a.incident.priority] - PRIORITY_ORDER[b.incident.priority] || newest(b.incident, a.incident),
    };
    scored.sort(order[options.sort]);
    return { incidents: scored.slice(options.skip, options.skip + options.limit).map((s) => s.incident), total: scored.length };
  }

  /**
   * Snapshots by number, side by side: `_id` lookups, which every server answers from its index
   * (FerretDB scans for `$in`). Where the index last saw it first (open, or the archive), then the other.
   */
  private async byIds(numbers: readonly number[], closedToo: boolean, isClosed: (n: number) => boolean): Promise<Record<string, unknown>[]> {
    const find = (model: Models['Incident'], id: string) => retryTransient(() => model.findById(id).lean<Record<string, unknown>>());
    const where = (n: number) => (isClosed(n) ? [this.m.ClosedIncident, this.m.Incident] : [this.m.Incident, this.m.ClosedIncident]).filter((model) => closedToo || model !== this.m.ClosedIncident);
    const docs = await Promise.all(
      numbers.map(async (n) => {
        const id = formatIncidentId(n);
        for (const model of where(n)) {
          const doc = await find(model, id);
          if (doc) return doc;
        }
        return undefined;
      }),
    );
    return docs.filter((doc): doc is Record<string, unknown> => Boolean(doc));
  }

  /** Every stored incident, open then archived (a one-time fill reads them; never a request's path). */
  async *all(): AsyncGenerator<Incident> {
    for (const model of [this.m.Incident, this.m.ClosedIncident]) {
      for await (const doc of model.find({}).lean<Record<string, unknown>>().cursor({ batchSize: 500 })) yield toIncident(doc);
    }
  }

  /** Incidents closed in [from, to): the archive, and any closed whose move there has not run yet. */
  async closedBetween(from: Date, to: Date): Promise<Incident[]> {
    const filter = { status: 'closed', closedAt: { $gte: from, $lt: to } };
    const [archived, moving] = await Promise.all([
      retryTransient(() => this.m.ClosedIncident.find(filter).lean<Record<string, unknown>[]>()),
      retryTransient(() => this.m.Incident.find(filter).lean<Record<string, unknown>[]>()),
    ]);
    const byId = new Map([...archived, ...moving].map((doc) => [String(doc._id), toIncident(doc)]));
    return [...byId.values()];
  }

  async list(query: IncidentQuery): Promise<Incident[]> {
    const filter: Record<string, unknown> = {};
    if (query.statuses) filter.status = { $in: query.statuses };
    if (query.groupIds) filter.groupId = { $in: query.groupIds };
    if (query.assigneeId) filter.assigneeId = query.assigneeId;
    if (query.reporterId) filter.reporterId = query.reporterId;
    if (query.masterId) filter['links.masterId'] = query.masterId;
    if (query.followUpOf) filter['links.followUpOf'] = query.followUpOf;
    if (query.ci) filter.ci = query.ci;
    if (query.createdSince) filter.createdAt = { $gte: query.createdSince };
    const limit = query.limit ?? 200;
    const docs = await retryTransient(() => this.m.Incident.find(filter).sort({ createdAt: -1 }).limit(limit).lean());
    // Closed ones are in the archive, read only when asked for (a scan there: reports, not queues).
    if (!query.statuses || query.statuses.includes('closed')) {
      docs.push(...(await retryTransient(() => this.m.ClosedIncident.find(filter).sort({ createdAt: -1 }).limit(limit).lean())));
    }
    // Priority first, then oldest first: computed here because the sort key is a label.
    return docs
      .map((d) => toIncident(d))
      .sort((a, b) => PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority] || a.createdAt.getTime() - b.createdAt.getTime());
  }

  /**
   * Adds an incident to its CI's open set and returns the set as it was before: who else is open
   * on that CI, with when each was logged and the words of its title (the symptom; absent for
   * entries an earlier version wrote). Reports that arrive while a join is in flight wait for it
   * and then join together, whatever their CIs (`joinRound`).
   */
  async joinCi(ci: string, id: string, at: Date, words: readonly string[] = []): Promise<OpenOnCi[]> {
    return new Promise((resolve, reject) => {
      const joiner: CiJoiner = { entry: { id, at, words: [...words] }, resolve, reject };
      const waiting = this.ciJoining.get(ci);
      if (waiting) waiting.push(joiner);
      else this.ciJoining.set(ci, [joiner]);
      if (!this.ciJoinsRunning) {
        this.ciJoinsRunning = true;
        // Once the code running now is done: joins asked for together go in one round.
        queueMicrotask(() => void this.joinRounds());
      }
    });
  }

  /** Reports waiting to join their CI's open set, by CI: the next round takes them all. */
  private readonly ciJoining = new Map<string, CiJoiner[]>();
  private ciJoinsRunning = false;

  /** One round of joins at a time, each taking every report that waited for the one before (up to IDS_PER_READ CIs). */
  private async joinRounds(): Promise<void> {
    try {
      while (this.ciJoining.size > 0) {
        const round = new Map([...this.ciJoining].slice(0, IDS_PER_READ));
        for (const ci of round.keys()) this.ciJoining.delete(ci);
        await this.onCis([...round.keys()], () => this.joinRound(round));
      }
    } finally {
      this.ciJoinsRunning = false;
    }
  }

  /**
   * Adds every waiting report to its CI's open set and tells each who was open before it: the set
   * as it stood, then the reports ahead of it on that CI in the same round, as if they had joined
   * one by one. One CI: one `findAndModify`. Several: one read of their sets by `_id` and their
   * writes in one bulk (per MAX_UPDATE_BATCH). A burst of reports on twenty-five switches, which
   * cost a write per switch per arrival, costs two commands per round. The sets are read and
   * written under this process's per-CI order (`onCis`), so no report of it is missed by another.
   */
  private async joinRound(round: Map<string, CiJoiner[]>): Promise<void> {
    const collection = this.m.CiOpen.collection as unknown as Collection;
    const setOf = (batch: CiJoiner[]) => Object.fromEntries(batch.map(({ entry }) => [`o.${entry.id}`, ciEntry(entry.at, entry.words ?? [])]));
    const settle = (batch: CiJoiner[], before: CiOpenDoc | null | undefined) => {
      const open = openOnCiOf(before);
      batch.forEach(({ resolve }, i) => resolve([...open, ...batch.slice(0, i).map((ahead) => ahead.entry)]));
    };
    if (round.size === 1) {
      const [[ci, batch]] = [...round] as [[string, CiJoiner[]]];
      // Through the driver: Mongoose's query (casting the update against the schema, options, hooks) cost the bot more than the write.
      const join = () => retryTransient(() => collection.findOneAndUpdate({ _id: ci as never }, { $set: setOf(batch) }, { upsert: true, returnDocument: 'before' }) as Promise<CiOpenDoc | null>);
      // The first reports on a new CI race (other processes) to create its document: the losers' upsert
      // hits the unique _id (E11000 on FerretDB as on MongoDB) and simply updates it on the second try.
      await join()
        .catch((error: unknown) => (isDuplicateKey(error) ? join() : Promise.reject(error)))
        .then(
          (before) => settle(batch, before),
          (error: unknown) => batch.forEach(({ reject }) => reject(error)),
        );
      return;
    }
    const cis = [...round.keys()];
    let before: Map<string, CiOpenDoc>;
    try {
      const docs = await readByIds<CiOpenDoc & { _id: string }>(this.m.CiOpen, cis);
      before = new Map(docs.map((doc) => [doc._id, doc]));
    } catch (error) {
      for (const batch of round.values()) for (const { reject } of batch) reject(error);
      return;
    }
    const failed = await upsertEach(
      collection,
      cis.map((ci) => ({ ci, set: setOf(round.get(ci)!) })),
    );
    for (const [ci, batch] of round) {
      const error = failed.get(ci);
      if (error) batch.forEach(({ reject }) => reject(error));
      else settle(batch, before.get(ci));
    }
  }

  /** Puts an incident (back) into its CI's open set (re-opened, or moved to this CI). */
  async enterCi(ci: string, id: string, at: Date, words: readonly string[] = []): Promise<void> {
    await this.onCi(ci, () => writeOne(this.m.CiOpen, { updateOne: { filter: { _id: ci }, update: { $set: { [`o.${id}`]: ciEntry(at, words) } }, upsert: true } }));
  }

  /** Takes an incident out of its CI's open set (resolved, closed, withdrawn, linked to a master, moved to another CI). */
  async leaveCi(ci: string, id: string): Promise<void> {
    await this.onCi(ci, () => writeOne(this.m.CiOpen, { updateOne: { filter: { _id: ci }, update: { $unset: { [`o.${id}`]: '', [`open.${id}`]: '', [`words.${id}`]: '' } } } }));
  }

  private readonly ciQueues = new Map<string, Promise<unknown>>();

  /**
   * One change to a CI's open set at a time in this process: FerretDB applies an update by reading
   * the document and writing it back, so two at once on one document lose one (measured: 15 of 20
   * concurrent reports on a new CI kept). MongoDB needs no such care; several bot processes on
   * FerretDB can still, rarely, lose a hint this way (a proposal, never an incident).
   */
  private onCi<T>(ci: string, work: () => Promise<T>): Promise<T> {
    return this.onCis([ci], work);
  }

  /** `work` once every earlier change of these CIs in this process is done, and before any later one (onCi for several CIs). */
  private onCis<T>(cis: readonly string[], work: () => Promise<T>): Promise<T> {
    // Each queue holds a settled promise (it never rejects): the work runs whatever the one before did.
    const previous = Promise.all(cis.map((ci) => this.ciQueues.get(ci)));
    const next = previous.then(work);
    const settled = next.then(() => undefined, () => undefined);
    for (const ci of cis) this.ciQueues.set(ci, settled);
    void settled.then(() => {
      for (const ci of cis) if (this.ciQueues.get(ci) === settled) this.ciQueues.delete(ci);
    });
    return next;
  }

  /** Claims an idempotency key. Returns the stored result when the key was already used. */
  async claimKey(key: string, at: Date): Promise<{ claimed: true } | { claimed: false; result?: string; at: Date }> {
    if (await insertOnce(this.m.RequestKey, { _id: key, at })) return { claimed: true };
    const [claim, settled] = await Promise.all([
      readById<{ result?: string; at: Date }>(this.m.RequestKey, key),
      readById<{ result: string }>(this.m.RequestResult, key),
    ]);
    return { claimed: false, result: settled?.result ?? claim?.result, at: claim?.at ?? at };
  }

  /** Records what the claimed key's request did (see RequestResultSchema): one insert, with others under load. */
  async settleKey(key: string, result: string): Promise<void> {
    await insertOnce(this.m.RequestResult, { _id: key, result, at: new Date() });
  }

  /** Lets a key go (its request failed, or its claim is stale), with any result recorded for it. */
  async releaseKey(key: string): Promise<void> {
    await Promise.all([deleteById(this.m.RequestKey, key), deleteById(this.m.RequestResult, key)]);
  }

  private async insertEvent(event: IncidentEvent): Promise<boolean> {
    const { changes, ...rest } = event;
    return insertOnce(this.m.Event, { ...stripUndefined(rest), _id: eventId(event.incidentId, event.seq), c: toText(toStorable(changes)) });
  }

  /**
   * Writes the snapshot by `_id` alone. A guard on the old revision (`rev: { $lte }`) would keep a
   * slower writer from moving it backwards, but on FerretDB any filter beyond `_id` scans the whole
   * collection (half a second at 10,000 incidents): the event log makes the guard unnecessary, since
   * every reader replays what the snapshot is missing.
   */
  /**
   * Writes the snapshot over the stored one. `archived`: it may be in `incidents_closed` (a change
   * after the close), or still in `incidents` when the move has not run: both are written, only
   * the one holding it matches.
   */
  private async replaceSnapshot(next: Incident, archived = false): Promise<void> {
    const { _id, ...replacement } = stored(next);
    if (archived) await writeOne(this.m.ClosedIncident, { replaceOne: { filter: { _id }, replacement } });
    await writeOne(this.m.Incident, { replaceOne: { filter: { _id }, replacement } });
  }
}

/** An event's `_id`: unique per incident and sequence number, and readable without a query. */
export function eventId(incidentId: string, seq: number): string {
  return `${incidentId}#${seq}`;
}

/** `undefined` cannot be stored in an event's change set; null marks a field the action cleared. */
function toStorable(changes: Partial<Incident>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v === undefined ? null : v]));
}

const DATE_FIELDS = new Set([
  'outageStart', 'outageEnd', 'createdAt', 'updatedAt', 'firstDispatchedAt', 'dispatchedAt', 'firstAcceptedAt',
  'acceptedAt', 'resolvedAt', 'confirmedAt', 'closedAt', 'suspendedAt', 'verifiedAt', 'correctedAt', 'majorAt',
]);

/** Mixed fields come back from some servers with dates as strings; restore them. */
function reviveDates(changes: Partial<Incident>): Partial<Incident> {
  const out: Record<string, unknown> = { ...changes };
  for (const key of Object.keys(out)) {
    const value = out[key];
    if (DATE_FIELDS.has(key) && typeof value === 'string') out[key] = new Date(value);
  }
  reviveMajor(out);
  if (out.missed && typeof out.missed === 'object') {
    out.missed = Object.fromEntries(Object.entries(out.missed as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? new Date(v) : v]));
  }
  // Dates inside the after-closure records (a return, a rating, a follow-up call).
  for (const key of ['returned', 'rating', 'followUpCall']) {
    const record = out[key] as Record<string, unknown> | undefined;
    if (record && typeof record.at === 'string') out[key] = { ...record, at: new Date(record.at) };
  }
  if (out.sla && typeof out.sla === 'object') {
    const sla = out.sla as Record<string, Record<string, unknown>>;
    for (const clock of Object.values(sla)) {
      for (const k of ['dueAt', 'metAt']) if (typeof clock[k] === 'string') clock[k] = new Date(clock[k] as string);
    }
  }
  return out as Partial<Incident>;
}

/** Drops undefined fields at every depth so the stored snapshot has no `null` placeholders. */
function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => stripUndefined(v)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return Object.fromEntries(entries.map(([k, v]) => [k, stripUndefined(v)])) as T;
}

/** A search's filters as a query (the words are the text search's part). */
function searchFilter(filter: SearchFilter, now: Date): Record<string, unknown> {
  const all: Record<string, unknown>[] = [];
  if (filter.statuses) all.push({ status: { $in: filter.statuses } });
  if (filter.priorities) all.push({ priority: { $in: filter.priorities } });
  if (filter.groupId) all.push({ groupId: filter.groupId });
  if (filter.personId) all.push({ $or: [{ assigneeId: filter.personId }, { ownerId: filter.personId }] });
  if (filter.ci) all.push({ ci: filter.ci });
  if (filter.service) all.push({ service: filter.service });
  if (filter.category) all.push({ category: filter.category });
  if (filter.since || filter.until) all.push({ createdAt: { ...(filter.since ? { $gte: filter.since } : {}), ...(filter.until ? { $lte: filter.until } : {}) } });
  if (filter.major) all.push({ major: true });
  if (filter.verified !== undefined) all.push({ verifiedAt: { $exists: filter.verified } });
  if (filter.unassigned) all.push({ status: 'open', groupId: { $exists: false } });
  if (filter.overdue) {
    all.push({ status: { $in: ACTIVE_STATUSES } });
    all.push({ $or: (['respond', 'accept', 'resolve'] as const).map((t) => ({ [`sla.${t}.dueAt`]: { $lt: now }, [`sla.${t}.metAt`]: { $exists: false } })) });
  }
  return and(all);
}

/** Conditions joined: none is everything, one is itself. */
function and(all: readonly Record<string, unknown>[]): Record<string, unknown> {
  const some = all.filter((c) => Object.keys(c).length > 0);
  return some.length === 0 ? {} : some.length === 1 ? some[0]! : { $and: some };
}

/** Candidates read per collection for one search (newest first; or the in-process index's best) before ranking. */
const SEARCH_SCAN = 1_000;

/** The stored document of an incident: keyed by its id, with its search words. */
function stored(incident: Incident): Record<string, unknown> & { _id: string } {
  return stripUndefined({ ...incident, _id: incident.id, terms: termsOf(incident) });
}

/**
 * Segmenting a full description costs about 2 ms of CPU, and a snapshot is written at every change
 * of an incident whose text rarely changes: the words of recent texts are kept.
 */
const recentTerms = new Map<string, string[]>();

function termsOf(incident: { title: string; description?: string; ci?: string }): string[] {
  const text = [incident.title, incident.ci ?? '', incident.description ?? ''].join('\n');
  let terms = recentTerms.get(text);
  if (!terms) {
    if (recentTerms.size >= 2_000) recentTerms.clear();
    terms = wordsOf(text);
    recentTerms.set(text, terms);
  }
  return terms;
}

/** The dates inside a major incident's plans, where a server gives them back as strings. */
function reviveMajor(out: Record<string, unknown>): void {
  const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : v);
  const plan = out.plan as Record<string, unknown> | undefined;
  if (plan && typeof plan === 'object') {
    out.plan = { ...plan, savedAt: date(plan.savedAt), ...(plan.nextReviewAt ? { nextReviewAt: date(plan.nextReviewAt) } : {}), actions: ((plan.actions as Record<string, unknown>[] | undefined) ?? []).map((a) => ({ ...a, ...(a.dueAt ? { dueAt: date(a.dueAt) } : {}) })) };
  }
  const comms = out.comms as Record<string, unknown> | undefined;
  if (comms && typeof comms === 'object') {
    out.comms = {
      audiences: ((comms.audiences as Record<string, unknown>[] | undefined) ?? []).map((a) => ({ ...a, nextDueAt: date(a.nextDueAt), ...(a.lastSentAt ? { lastSentAt: date(a.lastSentAt) } : {}) })),
      drafts: ((comms.drafts as Record<string, unknown>[] | undefined) ?? []).map((d) => ({ ...d, at: date(d.at) })),
    };
  }
}

function toIncident(doc: Record<string, unknown>): Incident {
  reviveMajor(doc);
  const { _id, terms: _terms, ...rest } = doc;
  const incident = rest as unknown as Incident;
  incident.links = incident.links ?? {};
  incident.priorityLog = incident.priorityLog ?? [];
  incident.sla = incident.sla ?? { respond: {}, accept: {}, resolve: {} };
  return incident;
}

/** An event as stored, its change set's dates as dates (a plan version read from the log has real ones). */
function toEvent(doc: Record<string, unknown>): IncidentEvent {
  const { _id, processed: _processed, c: _c, ...rest } = doc;
  return { ...rest, changes: changesOf(doc) } as unknown as IncidentEvent;
}

/**
 * An event's change set as stored. This version keeps it as one Extended JSON text (`c`): FerretDB
 * encodes and stores a document value by value, and a report's event, whose change set is the whole
 * new incident, cost its server 0.23 ms to insert with the set as a document against 0.08–0.11 ms as
 * text (3,000 inserts in batches of 20, measured). Extended JSON keeps the dates dates. Nothing
 * queries inside a change set; events are read by `_id`. Earlier versions stored `changes` as a document.
 */
function changesOf(doc: Record<string, unknown>): Partial<Incident> {
  if (typeof doc.c === 'string') return reviveDates(fromText<Partial<Incident>>(doc.c));
  return reviveDates((doc.changes ?? {}) as Partial<Incident>);
}

/** A CI's open set as stored: `o` by this version, `open` and `words` by earlier ones. */
interface CiOpenDoc {
  o?: Record<string, string>;
  open?: Record<string, Date | string>;
  words?: Record<string, string[]>;
}

/** One incident's entry in its CI's open set: when it was logged and the words of its title, as one text. */
/**
 * `$set`s each CI's open set (created when missing), MAX_UPDATE_BATCH updates a command, the
 * commands side by side. Returns the CIs whose write failed, with why. An upsert that lost the race
 * to create its document (another process: E11000) is written again, as an update of it.
 */
async function upsertEach(collection: Collection, writes: readonly { ci: string; set: Record<string, string> }[]): Promise<Map<string, unknown>> {
  const failed = new Map<string, unknown>();
  const one = (w: { ci: string; set: Record<string, string> }) => ({ updateOne: { filter: { _id: w.ci as never }, update: { $set: w.set }, upsert: true } });
  const chunks: (typeof writes)[] = [];
  for (let i = 0; i < writes.length; i += MAX_UPDATE_BATCH) chunks.push(writes.slice(i, i + MAX_UPDATE_BATCH));
  await Promise.all(
    chunks.map(async (chunk) => {
      try {
        await retryTransient(() => collection.bulkWrite(chunk.map(one), { ordered: false }));
      } catch (error) {
        const errors = writeErrors(error);
        // The command as a whole failed (after its retries): every CI of it.
        if (!errors) return chunk.forEach((w) => failed.set(w.ci, error));
        await Promise.all(
          [...errors].map(async ([index, e]) => {
            const w = chunk[index]!;
            if (e.code !== 11000) return failed.set(w.ci, error);
            await retryTransient(() => collection.bulkWrite([one(w)])).catch((again: unknown) => failed.set(w.ci, again));
          }),
        );
      }
    }),
  );
  return failed;
}

function ciEntry(at: Date, words: readonly string[]): string {
  return JSON.stringify([at.getTime(), ...words]);
}

/**
 * Entries of CI open sets as read lately, by their text: every join on a CI reads back all of its
 * entries, so through a burst on forty CIs each entry came back forty times, and decoding them was
 * 1.5 % of the bot's CPU and 4 % of what it kept past a young collection (`npm run bench:slack`).
 * An entry's text never changes (a re-opened incident writes a new one), so each is decoded once.
 */
const decodedCiEntries = new Map<string, { at: Date; words: string[] }>();

/** Who is open on a CI, from its document as either version wrote it. */
function openOnCiOf(doc: CiOpenDoc | null | undefined): OpenOnCi[] {
  const entries = new Map<string, OpenOnCi>();
  for (const [id, when] of Object.entries(doc?.open ?? {})) entries.set(id, { id, at: new Date(when), ...(doc?.words?.[id] ? { words: doc.words[id] } : {}) });
  for (const [id, text] of Object.entries(doc?.o ?? {})) {
    let decoded = decodedCiEntries.get(text);
    if (!decoded) {
      const [at, ...words] = JSON.parse(text) as [number, ...string[]];
      if (decodedCiEntries.size >= 10_000) decodedCiEntries.clear();
      decodedCiEntries.set(text, (decoded = { at: new Date(at), words }));
    }
    entries.set(id, { id, ...decoded });
  }
  return [...entries.values()];
}
