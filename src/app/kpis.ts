import type { Logger } from 'pino';
import { computeKpis, dayKey, daysOf, factsOf, matches, type KpiFilter, type KpiReport, type Period } from '../domain/kpi.js';
import type { Incident } from '../domain/incident.js';
import type { KpiStore } from '../store/kpi.store.js';
import type { IncidentService } from './incident-service.js';

const FILL = 'facts-filled';

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
    const facts = await this.store.read(daysOf(period, this.timeZone));
    const from = period.from.getTime();
    const to = period.to.getTime();
    const majors = this.service.config.policy.majorPriority === 'P1' ? (['P1', 'P2'] as const) : ([this.service.config.policy.majorPriority] as const);
    return computeKpis(facts.filter((f) => f.at >= from && f.at < to && matches(f, filter)), majors);
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
    for await (const incident of this.service.allStored()) {
      await this.record(incident);
      filed++;
    }
    await this.store.markDone(FILL, new Date());
    this.log.info({ filed, ms: Date.now() - started }, `KPI facts filed for ${filed} incident(s) stored before them`);
  }
}
