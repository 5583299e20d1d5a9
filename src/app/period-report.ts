import { PRIORITIES } from '../config/config.schema.js';
import type { Directory } from '../domain/directory.js';
import { average, computeKpis, dayKey, groupBy, type KpiFacts, type KpiFilter, type Period } from '../domain/kpi.js';
import type { Catalog, Locale } from '../i18n/index.js';
import { barChartSpec, lineChartSpec, type VegaLiteSpec } from '../reports/chart.js';
import { renderPngs } from '../reports/render-charts.js';
import { toCsv } from './csv.js';
import { kpiText } from './kpi-text.js';
import type { ReplyFile } from './view.js';

/** Rows a chart draws at most (the CSV has them all). */
const CHART_ROWS = 15;
const MINUTE = 60_000;

export type ReportKind = 'month' | 'quarter';

export interface PeriodReportInput {
  kind: ReportKind;
  period: Period;
  previous: Period;
  filter: KpiFilter;
  facts: readonly KpiFacts[];
  previousFacts: readonly KpiFacts[];
  majorPriorities: readonly KpiFacts['priority'][];
  /** Labels of categories in the reader's language. */
  categoryLabel: (id: string) => string;
  /** The organisation's: a quarter's incidents are counted by calendar month there. */
  timeZone: string;
}

/** A table of the report: its name in the CSV, and rows of [row, column, value]. */
interface Table {
  name: string;
  cells: [string, string, number][];
}

/**
 * The monthly or quarterly report of SPEC §15: the KPIs beside the previous period as a message,
 * the tables as one CSV (long form: table, row, column, value — one file a spreadsheet pivots),
 * and a chart per table as PNG. Duplicates are left out of every table, as of the totals.
 */
export async function periodReport(input: PeriodReportInput, m: Catalog, locale: Locale, directory: Pick<Directory, 'nameOf'>): Promise<{ text: string; files: ReplyFile[] }> {
  const r = m.periodReport;
  const facts = input.facts.filter((f) => !f.duplicate);
  const previous = input.previousFacts.filter((f) => !f.duplicate);
  const now = computeKpis(input.facts, input.majorPriorities);
  const before = computeKpis(input.previousFacts, input.majorPriorities);
  const person = (id: string) => (id.startsWith('contact:') ? id.slice('contact:'.length) : directory.nameOf(id, locale));
  const none = r.none;
  const tables: Table[] = [
    { name: 'reporter_priority', cells: crossCount(facts, (f) => person(f.reporter), (f) => f.priority) },
    { name: 'reporter_ci', cells: crossCount(facts, (f) => person(f.reporter), (f) => f.ci ?? none) },
    { name: 'reporter_category', cells: crossCount(facts, (f) => person(f.reporter), (f) => (f.category ? input.categoryLabel(f.category) : none)) },
    {
      name: 'overdue_by_priority',
      cells: PRIORITIES.flatMap((p) => [
        [p, r.respondMissed, facts.filter((f) => f.priority === p && f.targets.respond?.missed).length],
        [p, r.resolveMissed, facts.filter((f) => f.priority === p && f.targets.resolve?.missed).length],
      ] as [string, string, number][]),
    },
    {
      // Minutes, to a tenth; a priority with nothing to average has no row (not a misleading 0).
      name: 'mean_minutes_by_priority',
      cells: PRIORITIES.flatMap((p) => {
        const of = facts.filter((f) => f.priority === p);
        const response = average(of.flatMap((f) => (f.respondMs === undefined ? [] : [f.respondMs])));
        const resolution = average(of.flatMap((f) => (f.resolveMs === undefined ? [] : [f.resolveMs])));
        return [
          ...(response === undefined ? [] : [[p, r.meanResponse, minutes(response)] as [string, string, number]]),
          ...(resolution === undefined ? [] : [[p, r.meanResolution, minutes(resolution)] as [string, string, number]]),
        ];
      }),
    },
    {
      name: 'line_rate_by_category',
      cells: groupBy(facts.filter((f) => f.resolveMs !== undefined), (f) => (f.category ? input.categoryLabel(f.category) : none)).flatMap(([category, resolved]) => [
        [category, r.firstLine, percent(resolved.filter((f) => f.line === 'first').length, resolved.length)],
        [category, r.secondLine, percent(resolved.filter((f) => f.line === 'second').length, resolved.length)],
      ] as [string, string, number][]),
    },
    { name: 'per_person', cells: now.people.flatMap((p) => [[person(p.id), r.logged, p.logged], [person(p.id), r.resolved, p.handled]] as [string, string, number][]) },
    {
      name: 'trend',
      cells: [
        [r.logged, input.previous.label, previous.length], [r.logged, input.period.label, facts.length],
        [r.closed, input.previous.label, before.figures.closed.count], [r.closed, input.period.label, now.figures.closed.count],
        [r.respondMissed, input.previous.label, previous.filter((f) => f.targets.respond?.missed).length], [r.respondMissed, input.period.label, facts.filter((f) => f.targets.respond?.missed).length],
        [r.resolveMissed, input.previous.label, previous.filter((f) => f.targets.resolve?.missed).length], [r.resolveMissed, input.period.label, facts.filter((f) => f.targets.resolve?.missed).length],
      ],
    },
  ];
  const label = input.period.label;
  const title = (key: keyof Catalog['periodReport']['charts']) => `${r.charts[key]} — ${label}`;
  const top = (cells: [string, string, number][]) => {
    const totals = new Map<string, number>();
    for (const [row, , value] of cells) totals.set(row, (totals.get(row) ?? 0) + value);
    const keep = new Set([...totals].sort((a, b) => b[1] - a[1]).slice(0, CHART_ROWS).map(([row]) => row));
    return cells.filter(([row]) => keep.has(row));
  };
  const bars = (cells: [string, string, number][]) => cells.map(([row, column, value]) => ({ label: row, value, series: column }));
  const byName = (name: string) => tables.find((t) => t.name === name)!.cells;
  // Times read in hours once any mean passes two hours, else in minutes.
  const inHours = byName('mean_minutes_by_priority').some(([, , value]) => value > 120);
  const meanCells = byName('mean_minutes_by_priority').map(([row, column, value]) => [row, column, inHours ? Math.round((value / 60) * 10) / 10 : value] as [string, string, number]);
  const charts: [string, VegaLiteSpec][] = [
    ['trend', barChartSpec({ title: title('trend'), x: '', y: r.incidents, series: r.period, rows: bars(byName('trend')) })],
    ['overdue-by-priority', barChartSpec({ title: title('overdue'), x: r.priority, y: r.incidents, series: r.target, rows: bars(byName('overdue_by_priority')) })],
    ['mean-time-by-priority', barChartSpec({ title: title('means'), x: r.priority, y: inHours ? r.hours : r.minutes, series: r.measure, rows: bars(meanCells) })],
    ['line-rate-by-category', barChartSpec({ title: title('lines'), x: r.category, y: r.percent, series: r.line, rows: bars(byName('line_rate_by_category')) })],
    ['per-person', barChartSpec({ title: title('people'), x: '', y: r.incidents, series: r.measure, rows: bars(top(byName('per_person'))) })],
    ['reporter-priority', barChartSpec({ title: title('reporters'), x: '', y: r.incidents, series: r.priority, stacked: true, rows: bars(top(byName('reporter_priority'))) })],
  ];
  if (input.kind === 'quarter') {
    // Every month of the quarter, one with no incident at 0.
    const [year, q] = [Number(label.slice(0, 4)), Number(label.slice(6))];
    const byMonth = new Map(groupBy(facts, (f) => dayKey(new Date(f.at), input.timeZone).slice(0, 7)));
    const months = [0, 1, 2].map((i) => `${year}-${String((q - 1) * 3 + 1 + i).padStart(2, '0')}`).map((month) => [month, byMonth.get(month) ?? []] as const);
    charts.push(['months', lineChartSpec({
      title: title('months'), x: r.month, y: r.incidents, series: r.measure,
      points: months.flatMap(([month, list]) => [
        { label: month, value: list.length, series: r.logged },
        { label: month, value: list.filter((f) => f.closed).length, series: r.closed },
        { label: month, value: list.filter((f) => f.targets.respond?.missed || f.targets.resolve?.missed).length, series: r.missedAny },
      ]),
    })]);
  }
  const stem = `${input.kind}-${label}`;
  const files: ReplyFile[] = [];
  const pngs = await renderPngs(charts.map(([, spec]) => spec));
  charts.forEach(([name], i) => files.push({ name: `${stem}-${name}.png`, type: 'image/png', content: pngs[i]!.toString('base64'), encoding: 'base64' }));
  files.push({ name: `${stem}.csv`, type: 'text/csv', content: toCsv([r.csvHeader.split(','), ...tables.flatMap((t) => t.cells.map(([row, column, value]) => [t.name, row, column, value]))]) });
  const summary = kpiText(m, locale, directory, { period: input.period.label, previous: input.previous.label, filter: input.filter, now, before });
  const text = [r.heading({ kind: r.kinds[input.kind], period: label, charts: charts.length, csv: `${stem}.csv` }), summary].join('\n');
  return { text, files };
}

/** Counts by two keys, rows sorted by their total (largest first). */
function crossCount(facts: readonly KpiFacts[], row: (f: KpiFacts) => string, column: (f: KpiFacts) => string): [string, string, number][] {
  const counts = new Map<string, Map<string, number>>();
  for (const f of facts) {
    const r = counts.get(row(f)) ?? counts.set(row(f), new Map()).get(row(f))!;
    r.set(column(f), (r.get(column(f)) ?? 0) + 1);
  }
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return [...counts].sort((a, b) => total(b[1]) - total(a[1]) || a[0].localeCompare(b[0])).flatMap(([r, cols]) => [...cols].sort((a, b) => a[0].localeCompare(b[0])).map(([c, n]) => [r, c, n] as [string, string, number]));
}

/** Minutes with one decimal. */
function minutes(ms: number): number {
  return Math.round((ms / MINUTE) * 10) / 10;
}

function percent(count: number, of: number): number {
  return of === 0 ? 0 : Math.round((count / of) * 1000) / 10;
}
