import type { CommandContext, RawArgs } from '../../src/app/command.js';
import { periodReport, type ReportKind } from '../../src/app/period-report.js';
import type { Reply } from '../../src/app/view.js';
import { UserError } from '../../src/domain/errors.js';
import { parsePeriod } from '../../src/domain/kpi.js';
import { presenterFor } from './action-command.js';
import { mayReadKpis } from './kpi-access.js';

/**
 * `report month [2026-11|last]` and `report quarter [2026-Q3|last]` (SPEC §15): the typed title of
 * `report` is read as a period report only when it is exactly that, so "month-end close fails" is
 * still an incident.
 */
const PERIOD_REPORT = /^(month|quarter)(?:\s+(\S+))?$/i;

export function isPeriodReport(args: RawArgs): boolean {
  return typeof args.title === 'string' && PERIOD_REPORT.test(args.title.trim()) && Object.keys(args).every((k) => k === 'title');
}

export async function periodReportReply(ctx: CommandContext, args: RawArgs): Promise<Reply> {
  mayReadKpis(ctx);
  const [, kindWord = '', which = ''] = PERIOD_REPORT.exec((args.title ?? '').trim()) ?? [];
  const kind = kindWord.toLowerCase() as ReportKind;
  const { config } = ctx.service;
  const timeZone = config.organisation.timezone;
  const named = which === '' || which.toLowerCase() === 'last' ? lastWhole(kind, ctx.clock.now(), timeZone) : which;
  const shape = kind === 'month' ? /^\d{4}-\d{2}$/ : /^\d{4}-q[1-4]$/i;
  const parsed = shape.test(named) ? parsePeriod([named], ctx.clock.now(), timeZone) : { problem: 'period' as const, part: named };
  if ('problem' in parsed) throw new UserError('report_period', { part: parsed.part.slice(0, 40), kind: ctx.m.periodReport.units[kind] });
  if (!ctx.kpis) throw new Error('report: no KPI reader in this context');
  const [facts, previousFacts] = await Promise.all([ctx.kpis.facts(parsed.period, {}), ctx.kpis.facts(parsed.previous, {})]);
  const presenter = presenterFor(ctx);
  const { text, files } = await periodReport(
    { kind, period: parsed.period, previous: parsed.previous, filter: {}, facts, previousFacts, majorPriorities: ctx.kpis.majorPriorities(), categoryLabel: (id) => presenter.categoryLabel(id), timeZone },
    ctx.m, ctx.locale, ctx.service.directory,
  );
  return { ephemeral: true, text, files };
}

/** The last whole month or quarter before now: "2026-10" on any day of November, "2026-Q3" in Q4. */
function lastWhole(kind: ReportKind, now: Date, timeZone: string): string {
  const parsed = parsePeriod(['last-month'], now, timeZone);
  if ('problem' in parsed) throw new Error('last-month');
  const [year, month] = parsed.period.label.split('-').map(Number) as [number, number];
  if (kind === 'month') return parsed.period.label;
  // The quarter that ended before this month's quarter began.
  const thisMonth = month === 12 ? 1 : month + 1;
  const thisYear = month === 12 ? year + 1 : year;
  const quarter = Math.floor((thisMonth - 1) / 3) + 1;
  return quarter === 1 ? `${thisYear - 1}-Q4` : `${thisYear}-Q${quarter - 1}`;
}
