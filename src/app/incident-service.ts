import { wordsOf } from '../domain/words.js';
import type { SearchFilter, SearchSort } from '../domain/search-filter.js';
import type { Logger } from 'pino';
import type { ConfigFile } from '../config/config.schema.js';
import { SYSTEM_ACTOR, type Actor, type Directory } from '../domain/directory.js';
import { UserError } from '../domain/errors.js';
import { parseIncidentRef, type Incident, type IncidentEvent } from '../domain/incident.js';
import { decide, type ActionName } from '../domain/lifecycle.js';
import { newIncident, type ReportInput } from '../domain/report.js';
import type { IncidentQuery, IncidentStore, OpenOnCi } from '../store/incident-store.js';
import type { CiStore } from '../store/ci.store.js';
import type { KbStore } from '../store/kb.store.js';
import type { ProblemStore } from '../store/problem.store.js';
import type { FollowUpStore } from '../store/follow-up.store.js';
import { TimelineNotes } from '../store/timeline-notes.js';
import type { Clock } from './clock.js';

/** Something that happened to an incident, handed to listeners (outbox, adapters) after the commit. */
export interface CommittedChange {
  incident: Incident;
  event: IncidentEvent;
}
export type ChangeListener = (change: CommittedChange) => Promise<void>;

export interface ListenerOptions {
  /**
   * Work an answer to the person need not wait for (KPI filing, service status, metrics): for a
   * caller that asks to be answered first it runs after the answer, still before the change is
   * marked processed, so a crash leaves it to the after-commit sweep like any other.
   */
  afterAnswer?: boolean;
}

export interface CommitOptions {
  /**
   * Answer once the change is stored and the work the answer depends on is done (the outbox entries
   * of cards and notices, the timers planned); listeners marked `afterAnswer` and the marking as
   * processed follow in the background (`idle()` waits for them). A submitted form asks this: its
   * person is waiting for the receipt, nobody waits for the KPI filing.
   */
  answerFirst?: boolean;
}

export interface ActResult {
  incident: Incident;
  event?: IncidentEvent;
  /** The same request (idempotency key) was already handled; nothing changed. */
  duplicate: boolean;
  /** A new incident with a CI: the other incidents open on that CI when it was logged, with when each was. */
  openOnCi?: OpenOnCi[];
}

export interface ServiceDeps {
  store: IncidentStore;
  config: ConfigFile;
  directory: Directory;
  clock: Clock;
  log: Logger;
  /** The CI catalog (CMDB); an empty one when none is loaded. */
  catalog: CiStore;
  /** The knowledge base (SPEC §13). */
  knowledge: KbStore;
  /** Problem records (PRB-…). */
  problems: ProblemStore;
  /** The monthly follow-up calls' queue (SPEC §11 回访). */
  followUps: FollowUpStore;
}

const MAX_ATTEMPTS = 12;
const PENDING_KEY_WAIT_MS = 5_000;
/** A request key claimed this long ago and never settled belongs to a process that stopped: no request runs this long. */
const STALE_KEY_MS = 60_000;

/** The core's one entry point: every change to an incident goes through `report` or `act`. */
export class IncidentService {
  private readonly listeners: { listener: ChangeListener; afterAnswer: boolean }[] = [];
  /** After-commit work still running after its answer, by incident: the incident's next change waits for it, so its work keeps commit order. */
  private readonly behind = new Map<string, Promise<void>>();
  /** The events whose after-commit work runs after the answer, now (the sweep leaves them alone). */
  private readonly answeredFirst = new Set<string>();
  /** What fired timers did (who was told, when, how): shown in the timeline, never a change to the incident. */
  readonly notes: TimelineNotes;

  constructor(readonly deps: ServiceDeps) {
    this.notes = new TimelineNotes(deps.store.m);
  }

  get directory(): Directory {
    return this.deps.directory;
  }

  get config(): ConfigFile {
    return this.deps.config;
  }

  get catalog(): CiStore {
    return this.deps.catalog;
  }

  get knowledge(): KbStore {
    return this.deps.knowledge;
  }

  get problems(): ProblemStore {
    return this.deps.problems;
  }

  get followUps(): FollowUpStore {
    return this.deps.followUps;
  }

  onChange(listener: ChangeListener, options: ListenerOptions = {}): void {
    this.listeners.push({ listener, afterAnswer: options.afterAnswer ?? false });
  }

  /** Resolves when no after-commit work runs after an answer (tests; a graceful stop). */
  async idle(): Promise<void> {
    while (this.behind.size > 0) await Promise.all([...this.behind.values()]);
  }

  async get(ref: string): Promise<Incident> {
    const id = resolveRef(ref);
    const incident = await this.deps.store.load(id);
    if (!incident) throw new UserError('not_found', { id });
    return incident;
  }

  /** Every stored incident, open then archived (one-time fills). */
  allStored(): AsyncGenerator<Incident> {
    return this.deps.store.all();
  }

  async list(query: IncidentQuery): Promise<Incident[]> {
    return this.deps.store.list(query);
  }

  /**
   * Incidents whose title, description or CI share words with the text (Chinese segmented into
   * words) and that pass every filter: one page of them, in the order asked, and how many matched.
   */
  async search(text: string, filter: SearchFilter, options: { sort: SearchSort; page: number; pageSize: number }): Promise<{ incidents: Incident[]; total: number; words: string[] }> {
    const words = wordsOf(text);
    const found = await this.deps.store.search(words, filter, { sort: options.sort, skip: (options.page - 1) * options.pageSize, limit: options.pageSize, now: this.deps.clock.now() });
    return { ...found, words };
  }

  /**
   * Unresolved incidents on the same CI with the same symptom, logged within the duplicate window
   * before this one (SPEC §10), newest first: detection proposes, a person confirms with "mark
   * duplicate". The symptom is the title: another incident on the CI whose title shares no word
   * with this one is a different problem on the same device and is not proposed (one whose words
   * an earlier version did not keep still is). Read from the CI's open set that `report`
   * returned, so it costs no query.
   */
  possibleDuplicates(incident: Incident, openOnCi: readonly OpenOnCi[] = []): string[] {
    if (!incident.ci || incident.links.masterId) return [];
    const since = incident.createdAt.getTime() - this.config.policy.duplicates.window;
    const symptom = symptomWords(incident);
    return openOnCi
      .filter((c) => c.id !== incident.id && c.at.getTime() >= since && c.at <= incident.createdAt)
      .filter((c) => !c.words?.length || symptom.length === 0 || c.words.some((w) => symptom.includes(w)))
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, 20)
      .map((c) => c.id);
  }

  async timeline(ref: string): Promise<IncidentEvent[]> {
    const incident = await this.get(ref);
    return this.deps.store.events(incident.id, incident.rev);
  }

  /** Logs a new incident. A repeated `key` (platform retry, double submit) returns the first result. */
  async report(actor: Actor, input: ReportInput, key?: string, options: CommitOptions = {}): Promise<ActResult> {
    const { store, config, directory, clock } = this.deps;
    if (key) {
      const earlier = await this.earlierResult(key);
      if (earlier) return { incident: earlier, duplicate: true };
    }
    try {
      const original = input.recurrenceOf ? await this.get(input.recurrenceOf) : undefined;
      for (let attempt = 0; attempt < MAX_ATTEMPTS * 5; attempt++) {
        const number = await store.allocateNumber();
        const now = clock.now();
        const { incident, priorityReasons } = newIncident(
          { ...input, recurrenceOf: original?.id },
          { number, actor, config, directory, now, original },
        );
        const event = this.event(incident, actor, 'report', now, {
          changes: { ...incident },
          data: { priorityReasons, recurrenceOf: original?.id, followUpOf: input.followUpOf },
          to: 'open',
          flags: priorityReasons,
        });
        if (await store.create(incident, event)) {
          if (key) await store.settleKey(key, incident.id);
          // Joining the CI's open set answers who else is open on it (possible duplicates). A crash
          // right here, or a join that fails, leaves it out of the set: it is then not proposed as a
          // duplicate, nothing more. The incident is logged: its report must not be told otherwise.
          const openOnCi = incident.ci && !incident.links.masterId ? await this.joinCi(incident) : undefined;
          await this.afterCommit({ incident, event }, options);
          return { incident, event, duplicate: false, ...(openOnCi ? { openOnCi } : {}) };
        }
      }
      throw new UserError('busy', { id: 'new incident' });
    } catch (error) {
      if (key) await store.releaseKey(key);
      throw error;
    }
  }

  /** Who else is open on the incident's CI, as it joins the CI's open set; undefined (and logged) when the join failed. */
  private async joinCi(incident: Incident): Promise<OpenOnCi[] | undefined> {
    return this.deps.store.joinCi(incident.ci!, incident.id, incident.createdAt, symptomWords(incident)).catch((error: unknown) => {
      this.deps.log.error({ err: error, incidentId: incident.id, ci: incident.ci }, 'could not add the incident to its CI\'s open set; no possible duplicates proposed for it');
      return undefined;
    });
  }

  /**
   * Runs one action. The insert of the next event decides a race: a loser reloads and decides
   * again, and is then usually refused with who won ("already accepted by Li Wei").
   */
  async act(ref: string, action: ActionName, actor: Actor, input: Record<string, unknown> = {}, key?: string): Promise<ActResult> {
    const { store, config, directory, clock } = this.deps;
    const id = resolveRef(ref);
    if (key) {
      const earlier = await this.earlierResult(key);
      if (earlier) return { incident: earlier, duplicate: true };
    }
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const incident = await store.load(id);
        if (!incident) throw new UserError('not_found', { id });
        const related = await this.related(input);
        const now = clock.now();
        const relations = directory.relationsOf(actor, incident);
        const decision = decide({ incident, actor, relations, input, config, directory, now, related }, action);
        const next: Incident = { ...incident, ...decision.next, rev: incident.rev + 1 };
        for (const [field, value] of Object.entries(decision.next)) if (value === undefined) delete (next as unknown as Record<string, unknown>)[field];
        const event = this.event(next, actor, action, now, {
          changes: decision.next,
          from: incident.status,
          to: decision.row.to,
          reason: decision.outcome.reason,
          note: decision.outcome.note,
          data: decision.outcome.data ?? {},
          flags: decision.outcome.flags ?? [],
        });
        event.seq = incident.rev + 1;
        if (await store.commit(incident, next, event)) {
          if (key) await store.settleKey(key, id);
          await this.afterCommit({ incident: next, event });
          return { incident: next, event, duplicate: false };
        }
        await sleep(backoff(attempt));
      }
      throw new UserError('busy', { id });
    } catch (error) {
      if (key) await store.releaseKey(key);
      throw error;
    }
  }

  /** Re-runs after-commit work for events a crash left unprocessed; effects and listeners are idempotent. */
  async replayUnprocessed(olderThanMs = 30_000): Promise<number> {
    const events = (await this.deps.store.unprocessedEvents(new Date(this.deps.clock.now().getTime() - olderThanMs)))
      .filter((event) => !this.answeredFirst.has(`${event.incidentId}#${event.seq}`));
    for (const event of events) {
      const incident = await this.deps.store.load(event.incidentId);
      if (incident) await this.afterCommit({ incident, event });
    }
    return events.length;
  }

  /**
   * The listeners in the order they were added, then the event is marked processed. For a caller
   * answered first, the `afterAnswer` listeners and the marking run on after this returns. Either
   * way an incident's work starts only when the work of its previous change is done.
   */
  private async afterCommit(change: CommittedChange, options: CommitOptions = {}): Promise<void> {
    const id = change.incident.id;
    const earlier = this.behind.get(id);
    if (earlier) await earlier;
    if (!options.answerFirst) {
      await this.runListeners(change, () => true);
      return;
    }
    if (!(await this.runListeners(change, (l) => !l.afterAnswer, false))) return;
    const key = `${id}#${change.event.seq}`;
    this.answeredFirst.add(key);
    const rest = this.runListeners(change, (l) => l.afterAnswer).then(() => {
      this.answeredFirst.delete(key);
      if (this.behind.get(id) === rest) this.behind.delete(id);
    });
    this.behind.set(id, rest);
  }

  /** Runs the chosen listeners, then (unless told not to) marks the event processed; false when one failed (logged: the sweep retries). */
  private async runListeners(change: CommittedChange, chosen: (l: { afterAnswer: boolean }) => boolean, markProcessed = true): Promise<boolean> {
    const { log, store } = this.deps;
    try {
      for (const registered of this.listeners) if (chosen(registered)) await registered.listener(change);
      if (markProcessed) await store.markProcessed(change.incident, change.event);
      return true;
    } catch (error) {
      // The change itself is committed; the sweep retries what is left.
      log.error({ err: error, incidentId: change.event.incidentId, seq: change.event.seq }, 'after-commit work failed; will retry');
      return false;
    }
  }

  private async related(input: Record<string, unknown>): Promise<Map<string, Incident>> {
    const related = new Map<string, Incident>();
    if (typeof input.masterId === 'string') {
      const masterId = resolveRef(input.masterId);
      input.masterId = masterId;
      const master = await this.deps.store.load(masterId);
      if (master) related.set(masterId, master);
    }
    return related;
  }

  /** For a repeated key: the incident the first request produced, waiting briefly if it is still running. */
  private async earlierResult(key: string): Promise<Incident | undefined> {
    const { store, clock } = this.deps;
    const deadline = Date.now() + PENDING_KEY_WAIT_MS;
    for (;;) {
      const claim = await store.claimKey(key, clock.now());
      if (claim.claimed) return undefined;
      if (claim.result) return store.load(claim.result);
      // Claimed long ago and never settled: the process that took it stopped mid-request. Taken over
      // (the unique insert decides between two takers), or the bot's own follow-ups would wait forever.
      if (clock.now().getTime() - new Date(claim.at).getTime() > STALE_KEY_MS) {
        await store.releaseKey(key);
        continue;
      }
      if (Date.now() > deadline) throw new UserError('busy', { id: key });
      await sleep(100);
    }
  }

  private event(incident: Incident, actor: Actor, action: string, at: Date, parts: Partial<IncidentEvent>): IncidentEvent {
    return {
      incidentId: incident.id,
      seq: incident.rev,
      at,
      actorId: actor.id,
      actorName: actor.name,
      action,
      data: {},
      changes: {},
      flags: [],
      ...Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)),
    };
  }

  /** The bot acting on its own (cascades); it may take the `system` rows of the table. */
  systemAct(ref: string, action: ActionName, input: Record<string, unknown>, key?: string): Promise<ActResult> {
    return this.act(ref, action, SYSTEM_ACTOR, input, key);
  }
}

export function resolveRef(ref: string): string {
  const id = parseIncidentRef(ref);
  if (!id) throw new UserError('bad_reference', { ref: ref.slice(0, 40) });
  return id;
}

function backoff(attempt: number): number {
  return Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Titles segmented lately, by title: a report's symptom is wanted twice (joining its CI's open set,
 * then proposing duplicates), and each segmentation of even a short title cost 0.06 ms (1.5 % of
 * the bot's main thread in a burst of reports).
 */
const recentSymptoms = new Map<string, readonly string[]>();

/** An incident's symptom for duplicate detection: the words of its title (at most 20). */
export function symptomWords(incident: Pick<Incident, 'title'>): readonly string[] {
  let words = recentSymptoms.get(incident.title);
  if (!words) {
    if (recentSymptoms.size >= 1_000) recentSymptoms.clear();
    words = wordsOf(incident.title).slice(0, 20);
    recentSymptoms.set(incident.title, words);
  }
  return words;
}
