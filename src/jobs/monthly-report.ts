import type { Logger } from 'pino';
import type { IncidentService } from '../app/incident-service.js';
import type { Kpis } from '../app/kpis.js';
import { periodReport } from '../app/period-report.js';
import { Presenter } from '../app/presenter.js';
import { dueMonth } from '../domain/follow-up.js';
import { parsePeriod } from '../domain/kpi.js';
import { catalog } from '../i18n/index.js';
import type { Outbox } from '../outbox/outbox.js';
import type { KpiStore } from '../store/kpi.store.js';

/**
 * The monthly report posted on its own (SPEC §15): on the policy's day (the first working day of
 * the month, from its hour), last month's report — the KPIs, six charts and the CSV — goes to the
 * policy's channel in the organisation's language. Run by an Agenda recurring job; each month is
 * posted once: the outbox entry is keyed by the month, and the month is marked done after it.
 */
export class MonthlyReports {
  constructor(private readonly deps: { service: IncidentService; kpis: Kpis; store: KpiStore; outbox: Outbox; log: Logger }) {}

  /** Posts the month that is due now, if any and not posted yet. */
  async runDue(): Promise<{ month: string; posted: boolean } | undefined> {
    const { service } = this.deps;
    const { monthly } = service.config.policy.reports;
    if (monthly.channel === 'none') return undefined;
    const month = dueMonth(service.deps.clock.now(), monthly, service.config.organisation.timezone);
    return month ? this.post(month) : undefined;
  }

  /** Posts one month's report ("2026-10"); a month posted before is left alone. */
  async post(month: string): Promise<{ month: string; posted: boolean }> {
    const { service, kpis, store, outbox, log } = this.deps;
    const { config } = service;
    const channel = config.policy.reports.monthly.channel;
    const marker = `monthly-report:${month}`;
    if (channel === 'none' || (await store.done(marker))) return { month, posted: false };
    const timeZone = config.organisation.timezone;
    const parsed = parsePeriod([month], service.deps.clock.now(), timeZone);
    if ('problem' in parsed) throw new Error(`not a month: ${month}`);
    const locale = config.organisation.locale;
    const m = catalog(locale);
    const presenter = new Presenter(config, service.directory, m, locale);
    const [facts, previousFacts] = await Promise.all([kpis.facts(parsed.period, {}), kpis.facts(parsed.previous, {})]);
    const { text, files } = await periodReport(
      { kind: 'month', period: parsed.period, previous: parsed.previous, filter: {}, facts, previousFacts, majorPriorities: kpis.majorPriorities(), categoryLabel: (id) => presenter.categoryLabel(id), timeZone },
      m, locale, service.directory,
    );
    await outbox.enqueue(undefined, {
      rule: 'monthly-report', step: month, to: [{ kind: 'channel', channel }], text, urgent: false, channels: [],
      files: files.map((f) => ({ name: f.name, content: f.content, ...(f.encoding ? { encoding: f.encoding } : {}) })),
    });
    await store.markDone(marker, service.deps.clock.now());
    log.info({ month, channel, incidents: facts.length }, 'monthly report posted');
    return { month, posted: true };
  }
}
