import type { Logger } from 'pino';
import type { ConfigFile } from '../config/config.schema.js';
import type { Destination } from '../app/platform.js';
import type { Incident, IncidentEvent, Priority } from '../domain/incident.js';
import { isMajor } from '../domain/major.js';
import { assess, isOpen, sameAssessment, type Cause, type ServiceView, type StateInput } from '../domain/service-state.js';
import type { Catalog, Locale } from '../i18n/index.js';
import type { Notice } from '../outbox/notices.js';
import type { Outbox } from '../outbox/outbox.js';
import type { IncidentStore } from '../store/incident-store.js';
import type { ServiceSnapshot, ServiceStateStore, StateChange } from '../store/service-state.store.js';
import type { CommittedChange } from '../app/incident-service.js';
import type { Voice, Voices } from '../app/voice.js';

/** Fields whose change can move an incident's service to another state (besides opening and resolving it). */
const RELEVANT = ['service', 'priority', 'major', 'ciOperable', 'title'] as const;
/** Tries at deciding a service's next revision while other processes decide it too. */
const MAX_ATTEMPTS = 12;
/** Events read at a time, newest first, looking for a major incident's latest update. */
const UPDATE_WINDOW = 25;
const UPDATE_LOOKBACK = 200;

/** An open major incident behind a service's state, with its latest progress update (SPEC §8). */
export interface MajorView {
  id: string;
  title: string;
  priority: Priority;
  services: string[];
  update?: { at: Date; text: string };
}

/** What the status page shows. */
export interface Board {
  services: ServiceView[];
  majors: MajorView[];
  /** State changes of the last `history.days`, newest first, at most `history.max`. */
  history: (StateChange & { service: string })[];
}

export interface ServiceStatusDeps {
  config: ConfigFile;
  store: ServiceStateStore;
  incidents: IncidentStore;
  outbox: Outbox;
  voices: Voices;
  localeOf(personId: string): Locale;
  log: Logger;
}

/**
 * A service's state follows its open incidents (policy.statusPage); each change is told, once, to
 * the service's channel and to the people who subscribed (SPEC §7: when it is interrupted and
 * again when it is restored). Runs after every committed incident change that can move a service.
 */
export class ServiceStatus {
  constructor(private readonly deps: ServiceStatusDeps) {}

  /**
   * The after-commit listener, for a change that can move a service: the incident's service, and
   * after a reclassification any service it stood behind before (read from the small collection of
   * service states).
   */
  readonly onChange = async ({ incident, event }: CommittedChange): Promise<void> => {
    if (!mayMoveService(event)) return;
    const services = new Set<string>(incident.service ? [incident.service] : []);
    if (event.action !== 'report' && 'service' in event.changes) {
      for (const snapshot of await this.deps.store.all()) if (snapshot.causes.some((c) => c.id === incident.id)) services.add(snapshot.service);
    }
    for (const service of services) await this.lanes.run(service, event);
  };

  /**
   * One decision per service at a time in this process; the changes committed meanwhile wait and
   * are decided together next. Forty people reporting the same outage in a minute make a few
   * revisions, not forty decisions racing each other for the same one.
   */
  private readonly lanes = new Lanes<IncidentEvent>((service, events) => this.evaluate(service, events));

  /**
   * Decides the service's next revision if its open incidents now say something else. The insert
   * of revision `rev + 1` settles a race between processes: the loser reloads, usually to find the
   * same answer already stored. Notices a crash left unsent go out first.
   */
  private async evaluate(service: string, events: readonly IncidentEvent[]): Promise<void> {
    const latest = events.at(-1)!;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.deps.store.load(service);
      await this.notifyPending(current);
      const next = assess(await this.openIncidents(service, events, current.causes), this.deps.config.policy);
      if (sameAssessment(current, next)) return;
      const transition = { service, rev: current.rev + 1, at: latest.at, from: current.state, to: next.state, causes: next.causes, cause: `${latest.incidentId}#${latest.seq}` };
      if (await this.deps.store.advance(current, transition)) {
        await this.notifyPending(await this.deps.store.load(service));
        return;
      }
      await sleep(Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random()));
    }
    // Left unprocessed, the changes are tried again by the after-commit sweep.
    throw new Error(`service state of ${service}: ${MAX_ATTEMPTS} races lost in a row after ${latest.incidentId}#${latest.seq}`);
  }

  /**
   * The open incidents that can weigh on the service: those behind its state now (every open
   * incident matching a rule is one, so the others cannot change it), and the changed ones read by
   * `_id` as they are now (another process may have changed them again since). No query over the
   * open incidents, which FerretDB answers by reading them all (at 1,000 open incidents, half a
   * second a report); two processes deciding at once are settled by the transition's unique insert.
   */
  private async openIncidents(service: string, events: readonly IncidentEvent[], causes: readonly Cause[]): Promise<StateInput[]> {
    // Each changed incident's newest event here: snapshots at least that new are read together, in
    // one command (the usual case); one behind its events is brought forward.
    const changed = new Map<string, number>();
    for (const e of events) changed.set(e.incidentId, Math.max(e.seq, changed.get(e.incidentId) ?? 0));
    const now = await this.deps.incidents.loadAtLeast(changed);
    const others: StateInput[] = causes
      .filter((c) => !changed.has(c.id))
      .map((c) => ({ id: c.id, title: c.title, status: 'open', priority: c.priority, major: c.major, ciOperable: c.ciOperable, service }));
    return [...others, ...now.filter((i) => i.service === service && isOpen(i))];
  }

  /** State changes not yet in the outbox, oldest first; a second writer of the same notice adds nothing (its outbox key). */
  private async notifyPending(snapshot: ServiceSnapshot): Promise<void> {
    const pending = snapshot.recent.filter((c) => c.rev > snapshot.notifiedRev).reverse();
    for (const change of pending) {
      for (const notice of await this.notices(snapshot.service, change)) await this.deps.outbox.enqueue(undefined, notice);
    }
    if (pending.length > 0) await this.deps.store.markNotified(snapshot.service, pending.at(-1)!.rev);
  }

  /** The channel's notice (the organisation's language) and one per language among the subscribers. */
  private async notices(service: string, change: StateChange): Promise<Notice[]> {
    const { voices, localeOf } = this.deps;
    const byLocale = new Map<Locale, Destination[]>();
    for (const personId of await this.deps.store.subscribers(service)) {
      const locale = localeOf(personId);
      byLocale.set(locale, [...(byLocale.get(locale) ?? []), { kind: 'person', personId }]);
    }
    const rule = `service:${service}`;
    const step = String(change.rev);
    const channel: Notice = { rule, step, to: [{ kind: 'service', serviceId: service }], text: this.noticeText(voices.get(), service, change), urgent: false, channels: [], optional: true };
    return [channel, ...[...byLocale].map(([locale, to]) => ({ rule, step, to, text: this.noticeText(voices.get(locale), service, change), urgent: false, channels: [] }))];
  }

  /** The service, its new state and since when, the incidents behind it, how to reach the service desk. */
  private noticeText({ m, presenter }: Voice, service: string, change: StateChange): string {
    const words = { service: presenter.serviceLabel(service), state: m.serviceState[change.to], from: m.serviceState[change.from], since: presenter.formatTime(change.at) };
    const lines = [change.to === 'operational' ? m.serviceNotice.restored(words) : m.serviceNotice.changed(words)];
    if (change.causes.length > 0) lines.push(m.serviceNotice.causes({ list: change.causes.map((c) => this.causeText(m, c)).join('; ') }));
    lines.push(m.serviceNotice.contact({ contact: this.deps.config.organisation.serviceDeskContact }));
    return lines.join('\n');
  }

  /** An incident behind a state: its id and priority, its title only where the policy shows internal detail. */
  causeText(m: Catalog, cause: Cause): string {
    const title = this.deps.config.policy.statusPage.showInternal ? cause.title : '';
    return m.serviceNotice.cause({ id: cause.id, priority: cause.priority, major: cause.major ? 1 : 0, title });
  }

  /** Every configured service in the policy's order, operational unless its state says otherwise. */
  async services(): Promise<ServiceView[]> {
    return this.viewsOf(await this.deps.store.all());
  }

  private viewsOf(snapshots: readonly ServiceSnapshot[]): ServiceView[] {
    const stored = new Map(snapshots.map((s) => [s.service, s]));
    return this.deps.config.policy.services.map(({ id }) => {
      const snapshot = stored.get(id);
      return { id, state: snapshot?.state ?? 'operational', ...(snapshot?.since ? { since: snapshot.since } : {}), causes: snapshot?.causes ?? [] };
    });
  }

  /** The page: services, the open major incidents behind them with their latest update, recent history. */
  async board(now: Date): Promise<Board> {
    const snapshots = await this.deps.store.all();
    const services = this.viewsOf(snapshots);
    const { days, max } = this.deps.config.policy.statusPage.history;
    const from = now.getTime() - days * 86_400_000;
    const history = snapshots
      .flatMap((s) => s.recent.map((c) => ({ ...c, service: s.service })))
      .filter((c) => c.at.getTime() >= from)
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, max);
    return { services, majors: await this.majors(services), history };
  }

  private async majors(services: readonly ServiceView[]): Promise<MajorView[]> {
    const affected = new Map<string, string[]>();
    for (const s of services) for (const c of s.causes.filter((c) => c.major)) affected.set(c.id, [...(affected.get(c.id) ?? []), s.id]);
    const loaded = await this.deps.incidents.loadMany([...affected.keys()]);
    const open = loaded.filter((i) => isMajor(i, this.deps.config.policy) && isOpen(i));
    return Promise.all(
      open.map(async (i) => {
        const update = await this.latestUpdate(i);
        return { id: i.id, title: i.title, priority: i.priority, services: affected.get(i.id) ?? [], ...(update ? { update } : {}) };
      }),
    );
  }

  /** The newest progress note ("update", SPEC §8) of the incident: its events read by `_id`, newest first, a window at a time. */
  private async latestUpdate(incident: Incident): Promise<{ at: Date; text: string } | undefined> {
    for (let upTo = incident.rev; upTo > Math.max(0, incident.rev - UPDATE_LOOKBACK); upTo -= UPDATE_WINDOW) {
      const events = await this.deps.incidents.eventsBetween(incident.id, Math.max(0, upTo - UPDATE_WINDOW), upTo);
      const found = events.reverse().find((e) => e.action === 'update' && e.note);
      if (found) return { at: found.at, text: found.note! };
    }
    return undefined;
  }

  subscribe(service: string, personId: string, at: Date): Promise<boolean> {
    return this.deps.store.subscribe(service, personId, at);
  }

  unsubscribe(service: string, personId: string): Promise<boolean> {
    return this.deps.store.unsubscribe(service, personId);
  }

  subscriptionsOf(personId: string): Promise<string[]> {
    return this.deps.store.subscriptionsOf(personId);
  }
}

/** A new incident, one opened or resolved (or reopened, closed), or one whose service, priority, major flag, CI state or title changed. */
function mayMoveService(event: IncidentEvent): boolean {
  if (event.action === 'report' || RELEVANT.some((field) => field in event.changes)) return true;
  return event.from !== undefined && event.to !== undefined && isOpen({ status: event.from }) !== isOpen({ status: event.to });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A key's run going now, and the batch waiting for its next run (let go when this one ends). */
interface Lane<T> {
  waiting?: { items: T[]; done: Promise<void>; release: () => void };
}

/**
 * Work per key, one run at a time: what arrives while a key's run is going waits, with everything
 * else that arrives meanwhile, for the next run of that key. Each caller's promise settles with the
 * run that took its item.
 */
export class Lanes<T> {
  private readonly lanes = new Map<string, Lane<T>>();

  constructor(private readonly work: (key: string, items: readonly T[]) => Promise<void>) {}

  run(key: string, item: T): Promise<void> {
    const lane = this.lanes.get(key);
    if (!lane) {
      const fresh: Lane<T> = {};
      this.lanes.set(key, fresh);
      return this.go(key, fresh, [item]);
    }
    if (!lane.waiting) {
      const items: T[] = [];
      let release!: () => void;
      const turn = new Promise<void>((resolve) => (release = resolve));
      lane.waiting = { items, release, done: turn.then(() => this.go(key, lane, items)) };
    }
    lane.waiting.items.push(item);
    return lane.waiting.done;
  }

  /** Runs one batch; then the batch that gathered meanwhile goes, or the key is idle again. */
  private async go(key: string, lane: Lane<T>, items: readonly T[]): Promise<void> {
    try {
      await this.work(key, items);
    } finally {
      const next = lane.waiting;
      lane.waiting = undefined;
      if (next) next.release();
      else this.lanes.delete(key);
    }
  }
}
