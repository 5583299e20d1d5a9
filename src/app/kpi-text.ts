import { formatDuration } from '../config/duration.js';
import type { Directory } from '../domain/directory.js';
import { KPI_NAMES, type Figure, type KpiFilter, type KpiName, type KpiReport } from '../domain/kpi.js';
import type { Catalog, Locale } from '../i18n/index.js';

/** KPIs shown as a mean time; the rest are counts (with a rate where they have one) or a score. */
const TIMES = new Set<KpiName>(['meanResponse', 'meanResolutionFirst', 'meanResolutionSecond', 'meanResolutionThird']);
/** People listed with what they logged and resolved, at most. */
const PEOPLE_SHOWN = 15;

/** The KPIs of a period as lines of text, each beside the period before with its change (`kpi`, and a report's summary). */
export function kpiText(m: Catalog, locale: Locale, directory: Pick<Directory, 'nameOf'>, r: { period: string; previous: string; filter: KpiFilter; now: KpiReport; before: KpiReport }): string {
  const { now, before, filter } = r;
  const k = m.kpi;
  const filters = Object.entries(filter).map(([key, value]) => `${key}:${value}`).join(' ');
  const lines = [k.heading({ period: r.period, previous: r.previous, filters })];
  if (now.figures.total.count === 0 && now.figures.duplicates.count === 0) lines.push(k.none);
  for (const name of KPI_NAMES) {
    const value = show(m, name, now.figures[name]);
    const was = show(m, name, before.figures[name]);
    lines.push(k.line({ name: k.names[name], value, previous: k.previous({ value: was, change: change(m, name, now.figures[name], before.figures[name]) }) }));
  }
  if (now.people.length > 0) {
    lines.push(k.peopleHeading);
    for (const p of now.people.slice(0, PEOPLE_SHOWN)) lines.push(`  ${k.line({ name: directory.nameOf(p.id, locale), value: k.person({ logged: p.logged, handled: p.handled }), previous: '' })}`);
  }
  return lines.join('\n');
}

export function show(m: Catalog, name: KpiName, f: Figure): string {
  const k = m.kpi;
  if (TIMES.has(name)) return f.mean === undefined ? '—' : k.mean({ value: formatDuration(f.mean, m.duration), count: f.count });
  if (name === 'satisfaction') return f.mean === undefined ? '—' : k.score({ value: f.mean.toFixed(1), count: f.count });
  if (f.of === undefined) return String(f.count);
  return f.rate === undefined ? k.countOf({ count: f.count, of: f.of }) : k.rate({ count: f.count, of: f.of, rate: Math.round(f.rate * 100) });
}

/** The change from the previous period: a count's difference, a rate's in points, a mean's in its unit. */
export function change(m: Catalog, name: KpiName, now: Figure, before: Figure): string {
  const k = m.kpi;
  const signed = (n: number, text: string) => (n > 0 ? `+${text}` : n < 0 ? `−${text}` : text);
  if (TIMES.has(name)) {
    if (now.mean === undefined || before.mean === undefined) return k.noChange;
    const d = now.mean - before.mean;
    return signed(d, formatDuration(Math.abs(d), m.duration));
  }
  if (name === 'satisfaction') {
    if (now.mean === undefined || before.mean === undefined) return k.noChange;
    const d = now.mean - before.mean;
    return signed(d, Math.abs(d).toFixed(1));
  }
  if (now.rate !== undefined && before.rate !== undefined) {
    const d = Math.round(now.rate * 100) - Math.round(before.rate * 100);
    return signed(d, k.points({ n: Math.abs(d) }));
  }
  const d = now.count - before.count;
  return signed(d, String(Math.abs(d)));
}
