import type { Logger } from 'pino';
import { computeKpis, dayKey, daysOf, factsOf, matches, type KpiFacts, type KpiFilter, type KpiReport, type Period } from '../domain/kpi.js';
import type { Incident } from '../domain/incident.js';
import type { KpiStore } from '../store/kpi.store.js';
import type { IncidentService } from './incident-service.js';

const FILL = 'facts-filled';
/** Facts held before they are written (about 300 bytes each). */
const FILL_BATCH = 5_000;

/**
 * The KPIs' facts kept as incidents change (an after-commit listener: each change files the
 * incident's facts under its revision) and read back for a period. Incidents stored before the
 * facts existed are filed once, in the background, at the first start.
 */
export class Kpis {
  constructor(
    private readonly service: IncidentService,
    private readonly store: KpiStore,
    private readonly log: Logger,
  ) {}

  private get timeZone(): string {
    return this.service.config.organisation.timezone;
  }

  /** Files the incident's facts as of this change. */
  async record(incident: Incident): Promise<void> {
    await this.store.record(incident.id, dayKey(incident.createdAt, this.timeZone), factsOf(incident, this.service.config.policy, this.service.directory));
  }

  /** The KPIs of the incidents logged in the period that pass the filter. */
  async read(period: Period, filter: KpiFilter): Promise<KpiReport> {
    return computeKpis(await this.facts(period, filter), this.majorPriorities());
  }

  /** The facts of the incidents logged in the period that pass the filter (duplicates included: `computeKpis` leaves them out). */
  async facts(period: Period, filter: KpiFilter): Promise<KpiFacts[]> {
    const facts = await this.store.read(daysOf(period, this.timeZone));
    const from = period.from.getTime();
    const to = period.to.getTime();
    return facts.filter((f) => f.at >= from && f.at < to && matches(f, filter));
  }

  /** The priorities the KPI "major" counts (SPEC §15: P1/P2 with the default major priority). */
  majorPriorities(): readonly Incident['priority'][] {
    const major = this.service.config.policy.majorPriority;
    return major === 'P1' ? ['P1', 'P2'] : [major];
  }

  /**
   * Files every stored incident once (databases from before the KPIs): in the background, so a
   * large history does not hold up the start; marked done when complete (a crash repeats it, and
   * filing the same revision again changes nothing).
   */
  async fillOnce(): Promise<void> {
    if (await this.store.done(FILL)) return;
    const started = Date.now();
    let filed = 0;
    // Gathered by day and written one update per day document: a year of history is a few hundred writes.
    let pending = new Map<string, { id: string; facts: KpiFacts }[]>();
    let held = 0;
    const flush = async () => {
      await Promise.all([...pending].map(([day, entries]) => this.store.recordMany(day, entries)));
      pending = new Map();
      held = 0;
    };
    for await (const incident of this.service.allStored()) {
      const day = dayKey(incident.createdAt, this.timeZone);
      const entries = pending.get(day) ?? pending.set(day, []).get(day)!;
      entries.push({ id: incident.id, facts: factsOf(incident, this.service.config.policy, this.service.directory) });
      filed++;
      if (++held >= FILL_BATCH) await flush();
    }
    await flush();
    await this.store.markDone(FILL, new Date());
    this.log.info({ filed, ms: Date.now() - started }, `KPI facts filed for ${filed} incident(s) stored before them`);
  }
}
