import type { Logger } from 'pino';
import type { CommittedChange } from '../app/incident-service.js';
import type { Incident, IncidentEvent } from '../domain/incident.js';
import type { IncidentStore } from '../store/incident-store.js';
import type { OutboxEntry } from './outbox.store.js';
import { PacedDelivery } from './paced.js';
import type { RefFields, SurfaceRef, SurfaceStore } from './surface.store.js';

/**
 * Events whose line is not for stakeholders: a drafted update before its approver lets it out (the
 * update itself goes to its audience when approved), an approval round, the review document.
 */
const NOT_FOR_STAKEHOLDERS = new Set(['comms-draft', 'comms-approve', 'comms-reject', 'review-doc', 'target-missed']);

export function forStakeholders(event: IncidentEvent): boolean {
  return !NOT_FOR_STAKEHOLDERS.has(event.action);
}

/** The outbox rule of surface entries: "bring this platform's view of the incident up to date". */
export const SURFACE_RULE = 'surface';

/**
 * What an adapter does to show an incident on its platform: the card, the stakeholder thread,
 * the war room. `apply` gets the incident as stored now and the events it has not shown yet,
 * oldest first; every post goes through `steps.once`, so a retry after a crash posts nothing
 * twice. Adapters implement this; the outbox decides when it runs (SurfaceSync).
 */
export interface Surface {
  readonly platform: string;
  apply(incident: Incident, events: IncidentEvent[], steps: SurfaceSteps): Promise<void>;
  /** True when a failed call certainly posted nothing (a refusal, a 429), so a retry need not look first. */
  notPosted?(error: unknown): boolean;
}

export interface SurfaceSteps {
  /**
   * Does `perform` once for this key and keeps what it returns (channel, message id…). A record a
   * stopped process left half done is first looked for on the platform with `find` (the post may
   * have arrived before the crash), and only then performed again.
   */
  once(key: string, perform: () => Promise<RefFields>, find?: () => Promise<RefFields | undefined>): Promise<SurfaceRef>;
  set(key: string, fields: RefFields): Promise<void>;
  /** What a step recorded, if it is done (another part's post, e.g. a thread to post a file into). */
  get(key: string): Promise<SurfaceRef | undefined>;
}

/**
 * Runs each part of a surface update even when an earlier one failed (a stakeholder channel the bot
 * may not post in must not keep the card stale), then throws the first failure so the entry is
 * retried; the parts that worked are recorded done and not repeated. A real failure wins over a
 * part the adapter only put off (PacedDelivery), so the attempt counts as the failure it was.
 */
export async function eachPart(parts: (() => Promise<unknown>)[]): Promise<void> {
  let first: { error: unknown } | undefined;
  for (const part of parts) {
    try {
      await part();
    } catch (error) {
      if (!first || (first.error instanceof PacedDelivery && !(error instanceof PacedDelivery))) first = { error };
    }
  }
  if (first) throw first.error;
}

export interface SurfaceSyncOptions {
  /** A holder that has not finished after this long is taken to be gone (another host's crash). */
  leaseMs: number;
}

/** Newest changes kept in memory for their delivery; past this many the oldest go (their delivery reads the store). */
const NEWEST_KEPT = 20_000;

/**
 * Runs the adapters' surfaces from the outbox. A committed change writes one entry per surface
 * platform (`entries`); delivering it (`sync`) takes the incident's lock for that platform, reads
 * the events not yet shown and hands them to the adapter, then records how far it got. Entries for
 * changes already covered find nothing to do, so card updates coalesce to the latest revision, and
 * one holder at a time keeps every incident's posts in order across processes.
 */
export class SurfaceSync {
  private readonly chains = new Map<string, Promise<unknown>>();
  /**
   * The newest change this process committed of each incident, per platform, until a run shows it:
   * that run shows the incident as of it without reading the incident back, nor its event when it
   * is the only one not shown yet. Still the newest, so card updates coalesce as before.
   */
  private readonly newest = new Map<string, CommittedChange>();
  private readonly options: SurfaceSyncOptions;

  constructor(
    private readonly deps: { store: SurfaceStore; incidents: IncidentStore; surfaces: readonly Surface[]; log: Logger; options?: Partial<SurfaceSyncOptions> },
  ) {
    this.options = { leaseMs: 60_000, ...deps.options };
  }

  has(platform: string): boolean {
    return this.deps.surfaces.some((s) => s.platform === platform);
  }

  /** The event an entry of `entries` was written for (its key is `<incident>#<seq>:surface:<platform>`). */
  static seqOf(entryId: string): number | undefined {
    const match = /#(\d+):/.exec(entryId);
    return match ? Number(match[1]) : undefined;
  }

  /** The outbox entries of a committed change: one per platform with a surface. */
  entries(change: CommittedChange, now: Date): OutboxEntry[] {
    const { incident, event } = change;
    for (const surface of this.deps.surfaces) this.keep(`${surface.platform}:${incident.id}`, change);
    return this.deps.surfaces.map((surface) => ({
      _id: `${incident.id}#${event.seq}:${SURFACE_RULE}:${surface.platform}`,
      incidentId: incident.id,
      rule: SURFACE_RULE,
      destination: { kind: 'channel', channel: 'serviceDesk' },
      platform: surface.platform,
      text: `${incident.id} ${event.action} (#${event.seq})`,
      urgent: false,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      dueAt: now,
    }));
  }

  private keep(key: string, change: CommittedChange): void {
    const kept = this.newest.get(key);
    if (kept && kept.event.seq >= change.event.seq) return;
    this.newest.delete(key);
    this.newest.set(key, change);
    // A Map keeps insertion order: the first key is the one kept longest.
    if (this.newest.size > NEWEST_KEPT) this.newest.delete(this.newest.keys().next().value!);
  }

  /**
   * Brings `platform`'s view of the incident up to date (at least through event `seq`, when given:
   * a change an earlier run already showed costs one lookup). False when another process holds the
   * incident now (its run covers this change too; the entry is tried again shortly).
   */
  sync(platform: string, incidentId: string, seq?: number): Promise<boolean> {
    const key = `${platform}:${incidentId}`;
    const run = (this.chains.get(key) ?? Promise.resolve()).catch(() => undefined).then(async () => {
      if (seq === undefined) return this.run(platform, incidentId);
      // A new incident this process reported and has not shown yet has no progress to read: only
      // another process could have shown it, and then its posts are found done (`steps.once`).
      if (seq === 1 && this.newest.get(key)?.event.seq === 1) return this.run(platform, incidentId, { seq, progress: undefined });
      // Progress only moves forward, so a change already shown needs neither the lock nor the incident.
      const progress = await this.deps.store.get(`${platform}:progress:${incidentId}`);
      if ((progress?.rev ?? 0) >= seq) return true;
      return this.run(platform, incidentId, { seq, progress });
    });
    this.chains.set(key, run);
    void run.catch(() => undefined).finally(() => {
      if (this.chains.get(key) === run) this.chains.delete(key);
    });
    return run;
  }

  /**
   * `read` is what the caller read just before the lock: the change it was asked to show (so a
   * snapshot that far will do; later changes have entries of their own) and the progress it found.
   * Progress read before the lock can only be behind, never ahead: at worst events another holder
   * showed in between are handed over again, and their posts are found done (`steps.once`).
   */
  private async run(platform: string, incidentId: string, read?: { seq: number; progress: SurfaceRef | undefined }): Promise<boolean> {
    const { store, incidents } = this.deps;
    const surface = this.deps.surfaces.find((s) => s.platform === platform);
    if (!surface) return true;
    const lockKey = `${platform}:${incidentId}`;
    if (!(await store.lock(lockKey, this.options.leaseMs))) return false;
    try {
      // This process's newest change of the incident, if it covers the one asked for: no read.
      const kept = this.newest.get(lockKey);
      const newest = read && kept && kept.event.seq >= read.seq && kept.incident.rev === kept.event.seq ? kept : undefined;
      const incident = newest?.incident ?? (await incidents.load(incidentId, read?.seq));
      if (!incident) return true;
      const progressKey = `${platform}:progress:${incidentId}`;
      const progress = read ? read.progress : await store.get(progressKey);
      const from = progress?.rev ?? 0;
      if (from >= incident.rev) return true;
      const events = newest && from === incident.rev - 1 ? [newest.event] : await incidents.eventsBetween(incidentId, from, incident.rev);
      await surface.apply(incident, events, this.steps(surface, incidentId));
      if (progress) await store.set(progressKey, { rev: incident.rev });
      else if (!(await store.claim(progressKey, incidentId, { rev: incident.rev }, 'done'))) {
        // Recorded meanwhile, or before a run that did not read it (a new incident shown from
        // memory): another process may have shown more since, and progress only moves forward.
        if (((await store.get(progressKey))?.rev ?? 0) < incident.rev) await store.set(progressKey, { rev: incident.rev });
      }
      if ((this.newest.get(lockKey)?.event.seq ?? Infinity) <= incident.rev) this.newest.delete(lockKey);
      return true;
    } finally {
      await store.unlock(lockKey);
    }
  }

  private steps(surface: Surface, incidentId: string): SurfaceSteps {
    const { store, log } = this.deps;
    const prefix = `${surface.platform}:`;
    return {
      set: (key, fields) => store.set(prefix + key, fields),
      get: async (key) => {
        const ref = await store.get(prefix + key);
        return ref?.state === 'done' ? ref : undefined;
      },
      async once(key, perform, find) {
        const id = prefix + key;
        let ref: SurfaceRef | undefined;
        if (!(await store.claim(id, incidentId))) {
          ref = await store.get(id);
          if (ref?.state === 'done') return ref;
        }
        let fields: RefFields | undefined;
        // Left `claimed` by an earlier holder: it may have posted before it stopped.
        if (ref?.state === 'claimed' && find) {
          fields = await find().catch((error: unknown) => {
            log.warn({ err: error, key: id }, 'surface: could not look for an earlier post; posting again');
            return undefined;
          });
          if (fields) log.info({ key: id }, 'surface: found the post an earlier attempt made; not posting it again');
        }
        if (!fields) {
          try {
            fields = await perform();
          } catch (error) {
            // A certain refusal is retried without looking first; anything else stays `claimed`.
            if (surface.notPosted?.(error)) await store.set(id, { state: 'failed' }).catch(() => undefined);
            else if (ref?.state === 'failed') await store.set(id, { state: 'claimed' }).catch(() => undefined);
            throw error;
          }
        }
        await store.done(id, incidentId, fields);
        return { ...(ref ?? { _id: id, incidentId, at: new Date() }), ...fields, state: 'done' };
      },
    };
  }
}
