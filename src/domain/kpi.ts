import type { ConfigFile, Policy } from '../config/config.schema.js';
import type { Directory } from './directory.js';
import { partsIn, zoned } from './follow-up.js';
import type { Incident } from './incident.js';

/**
 * The process owner's numbers (SPEC §15). Each incident's facts are read off its record as they
 * happen (`factsOf`: kept per revision, the newest counts) and the KPIs of a period are computed
 * from the facts of the incidents logged in it, duplicates left out of the totals. Pure: the store
 * keeps the facts, the command reads a period.
 */

export const TARGETS = ['respond', 'accept', 'resolve'] as const;
export type Target = (typeof TARGETS)[number];

/** Who resolved it: the service desk (first line), a support group (second line), or an outside party (third). */
export type Line = 'first' | 'second' | 'third';

/** What the KPIs need of one incident, at one revision. Times in ms; `missed` as stored when the miss fired. */
export interface KpiFacts {
  rev: number;
  at: number;
  priority: Incident['priority'];
  major: boolean;
  group?: string;
  service?: string;
  category?: string;
  ci?: string;
  reporter: string;
  recorder?: string;
  resolver?: string;
  status: Incident['status'];
  closed: boolean;
  successful: boolean;
  problem: boolean;
  duplicate: boolean;
  knowledge: boolean;
  redispatches: number;
  rating?: number;
  line?: Line;
  /** Created → responded (first dispatch, or a first-line fix). */
  respondMs?: number;
  /** Created → resolved. */
  resolveMs?: number;
  /** Per target: met in time, missed (and by how much once known), or still running. */
  targets: Partial<Record<Target, { missed: boolean; lateMs?: number }>>;
}

/** The line a resolver stands for: the group it was resolved in (none yet: the service desk). */
export function lineOf(incident: Pick<Incident, 'groupId'>, config: Pick<ConfigFile, 'organisation'>): Line {
  const group = incident.groupId ? config.organisation.groups.find((g) => g.id === incident.groupId) : undefined;
  if (!group || group.firstLine) return 'first';
  return group.thirdParty ? 'third' : 'second';
}

export function factsOf(incident: Incident, policy: Policy, directory: Pick<Directory, 'isFirstLine'>): KpiFacts {
  const created = incident.createdAt.getTime();
  const closure = policy.closureCodes.find((c) => c.id === incident.closureCode);
  const targets: KpiFacts['targets'] = {};
  for (const target of TARGETS) {
    const clock = incident.sla[target];
    const missedDue = incident.missed?.[target];
    if (!clock.dueAt && !missedDue) continue;
    const missed = Boolean(missedDue) || Boolean(clock.metAt && clock.dueAt && clock.metAt > clock.dueAt);
    const due = missedDue ?? clock.dueAt;
    targets[target] = { missed, ...(missed && clock.metAt && due ? { lateMs: clock.metAt.getTime() - due.getTime() } : {}) };
  }
  const respondedAt = incident.sla.respond.metAt;
  const facts: KpiFacts = {
    rev: incident.rev,
    at: created,
    priority: incident.priority,
    major: incident.major,
    reporter: incident.reporterId,
    status: incident.status,
    closed: incident.status === 'closed',
    successful: incident.status === 'closed' && !incident.withdrawn && Boolean(closure) && !closure?.reopensAsNew,
    problem: Boolean(incident.links.problem),
    duplicate: Boolean(incident.links.masterId),
    knowledge: (incident.knowledge?.length ?? 0) > 0,
    redispatches: incident.reDispatchCount,
    targets,
  };
  const optional = {
    group: incident.groupId ?? incident.lastGroupId,
    service: incident.service,
    category: incident.category,
    ci: incident.ci,
    recorder: incident.recorderId,
    resolver: incident.resolvedById,
    rating: incident.rating?.score,
    line: incident.resolvedAt ? (incident.resolvedLine ?? (incident.resolvedById && directory.isFirstLine(incident.resolvedById) ? 'first' : undefined)) : undefined,
    respondMs: respondedAt ? respondedAt.getTime() - created : undefined,
    resolveMs: incident.resolvedAt ? incident.resolvedAt.getTime() - created : undefined,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (facts as unknown as Record<string, unknown>)[key] = value;
  return facts;
}

/** A period the KPIs are read for: [from, to), its label, and the one before it of the same kind. */
export interface Period {
  from: Date;
  to: Date;
  label: string;
}

export type PeriodProblem = 'period' | 'date' | 'order';

/**
 * Reads `kpi`'s period: nothing (this month), `this-month`, `last-month`, `2026-11`, `2026-Q3`,
 * `since:2026-11-01` and/or `until:2026-11-15` (whole days, `until` included), in the
 * organisation's time zone. Returns the period and the previous one, or what could not be read.
 */
export function parsePeriod(words: readonly string[], now: Date, timeZone: string): { period: Period; previous: Period } | { problem: PeriodProblem; part: string } {
  const today = partsIn(now, timeZone);
  const month = (year: number, m: number): Period => {
    const y = year + Math.floor((m - 1) / 12);
    const mm = ((((m - 1) % 12) + 12) % 12) + 1;
    const next = mm === 12 ? [y + 1, 1] : [y, mm + 1];
    return { from: zoned(y, mm, 1, 0, timeZone), to: zoned(next[0]!, next[1]!, 1, 0, timeZone), label: `${y}-${String(mm).padStart(2, '0')}` };
  };
  const quarter = (year: number, q: number): Period => {
    const y = year + Math.floor((q - 1) / 4);
    const qq = ((((q - 1) % 4) + 4) % 4) + 1;
    const start = month(y, (qq - 1) * 3 + 1);
    const end = month(y, qq * 3 + 1);
    return { from: start.from, to: end.from, label: `${y}-Q${qq}` };
  };
  const day = (text: string): Date | undefined => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!match) return undefined;
    const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const at = zoned(y, m, d, 0, timeZone);
    const back = partsIn(at, timeZone);
    return back.year === y && back.month === m && back.day === d ? at : undefined;
  };
  let since: Date | undefined;
  let until: Date | undefined;
  let named: { period: Period; previous: Period } | undefined;
  for (const word of words) {
    const lower = word.toLowerCase();
    const [key, value] = lower.includes(':') ? [lower.slice(0, lower.indexOf(':')), word.slice(word.indexOf(':') + 1)] : ['', word];
    if (key === 'since' || key === 'until') {
      const at = day(value);
      if (!at) return { problem: 'date', part: word };
      if (key === 'since') since = at;
      else until = new Date(at.getTime() + 24 * 3600_000);
      continue;
    }
    if (key) return { problem: 'period', part: word };
    let match: RegExpExecArray | null;
    if (lower === 'this-month') named = { period: month(today.year, today.month), previous: month(today.year, today.month - 1) };
    else if (lower === 'last-month') named = { period: month(today.year, today.month - 1), previous: month(today.year, today.month - 2) };
    else if ((match = /^(\d{4})-(\d{2})$/.exec(lower)) && Number(match[2]) >= 1 && Number(match[2]) <= 12) {
      named = { period: month(Number(match[1]), Number(match[2])), previous: month(Number(match[1]), Number(match[2]) - 1) };
    } else if ((match = /^(\d{4})-q([1-4])$/.exec(lower))) {
      named = { period: quarter(Number(match[1]), Number(match[2])), previous: quarter(Number(match[1]), Number(match[2]) - 1) };
    } else return { problem: 'period', part: word };
  }
  if (since || until) {
    const from = since ?? named?.period.from ?? month(today.year, today.month).from;
    const to = until ?? named?.period.to ?? now;
    if (to <= from) return { problem: 'order', part: words.join(' ') };
    const length = to.getTime() - from.getTime();
    const label = (at: Date) => {
      const p = partsIn(at, timeZone);
      return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
    };
    const lastDay = new Date(to.getTime() - 1);
    const previousFrom = new Date(from.getTime() - length);
    return {
      period: { from, to, label: `${label(from)} – ${label(lastDay)}` },
      previous: { from: previousFrom, to: from, label: `${label(previousFrom)} – ${label(new Date(from.getTime() - 1))}` },
    };
  }
  return named ?? { period: month(today.year, today.month), previous: month(today.year, today.month - 1) };
}

/** A quarter of an hour: every time zone's offset is a multiple of it, so a day starts on one. */
const QUARTER_HOUR = 15 * 60_000;
/** Day keys by time zone and quarter hour: every change files its facts under its day (`partsIn` was 0.6 % of a burst's main thread). */
const dayKeys = new Map<string, string>();

/** The calendar day (organisation time zone) an instant falls on, as the facts are filed: "2026-11-30". */
export function dayKey(at: Date, timeZone: string): string {
  const quarter = Math.floor(at.getTime() / QUARTER_HOUR);
  const cacheKey = `${timeZone}|${quarter}`;
  const known = dayKeys.get(cacheKey);
  if (known !== undefined) return known;
  const key = dayKeyOf(at, timeZone);
  // Kept only when the whole quarter hour is one day (not so for an offset of another age, say 0:17:30).
  if (dayKeyOf(new Date(quarter * QUARTER_HOUR), timeZone) === key && dayKeyOf(new Date((quarter + 1) * QUARTER_HOUR - 1), timeZone) === key) {
    if (dayKeys.size >= 5_000) dayKeys.clear();
    dayKeys.set(cacheKey, key);
  }
  return key;
}

function dayKeyOf(at: Date, timeZone: string): string {
  const p = partsIn(at, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The day keys of a period, first to last. */
export function daysOf(period: Pick<Period, 'from' | 'to'>, timeZone: string): string[] {
  const keys: string[] = [];
  // Noon steps never skip or repeat a day across a daylight-saving change.
  for (let at = period.from.getTime(); at < period.to.getTime(); at += 24 * 3600_000) {
    const key = dayKey(new Date(at), timeZone);
    if (keys.at(-1) !== key) keys.push(key);
  }
  const last = dayKey(new Date(period.to.getTime() - 1), timeZone);
  if (keys.at(-1) !== last) keys.push(last);
  return keys;
}

/** A count and its share of the period's total (rate), or a mean over `count` incidents. */
export interface Figure {
  count: number;
  /** 0..1 of `of`; absent where the KPI has no rate. */
  rate?: number;
  of?: number;
  /** Mean in ms (times) or points (satisfaction), over `count`. */
  mean?: number;
}

export const KPI_NAMES = [
  'total', 'closed', 'successful', 'problem', 'resolvedInTarget', 'respondedInTarget',
  'meanResponse', 'meanResolutionFirst', 'meanResolutionSecond', 'meanResolutionThird',
  'firstLineRate', 'secondLineRate', 'major', 'knowledge', 'satisfaction', 'duplicates', 'redispatched',
] as const;
export type KpiName = (typeof KPI_NAMES)[number];

export interface KpiReport {
  figures: Record<KpiName, Figure>;
  /** Per support person: incidents they logged (recorder) and resolved in the period. */
  people: { id: string; logged: number; handled: number }[];
}

/** Filters a KPI reading applies to the facts (group, service, category). */
export interface KpiFilter {
  group?: string;
  service?: string;
  category?: string;
}

export function matches(facts: KpiFacts, filter: KpiFilter): boolean {
  return (!filter.group || facts.group === filter.group) && (!filter.service || facts.service === filter.service) && (!filter.category || facts.category === filter.category);
}

/** Items by a key, in the order each key first appears. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const item of items) (groups.get(key(item)) ?? groups.set(key(item), []).get(key(item))!).push(item);
  return [...groups];
}

/** The mean of some numbers; none have no mean. */
export function average(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The KPIs of SPEC §15 over the facts of one period's incidents. Duplicates count only in `duplicates`. */
export function computeKpis(all: readonly KpiFacts[], majorPriorities: readonly Incident['priority'][] = ['P1', 'P2']): KpiReport {
  const facts = all.filter((f) => !f.duplicate);
  const total = facts.length;
  const share = (count: number, of: number): Figure => ({ count, of, ...(of > 0 ? { rate: count / of } : {}) });
  const mean = (values: number[]): Figure => {
    const value = average(values);
    return { count: values.length, ...(value !== undefined ? { mean: value } : {}) };
  };
  const resolved = facts.filter((f) => f.resolveMs !== undefined);
  const judged = (target: Target) => facts.filter((f) => f.targets[target] && (f.targets[target].missed || (target === 'respond' ? f.respondMs !== undefined : f.resolveMs !== undefined)));
  const inTarget = (target: Target) => judged(target).filter((f) => !f.targets[target]!.missed).length;
  const byLine = (line: Line) => resolved.filter((f) => f.line === line);
  const people = new Map<string, { id: string; logged: number; handled: number }>();
  const person = (id: string) => people.get(id) ?? people.set(id, { id, logged: 0, handled: 0 }).get(id)!;
  for (const f of facts) {
    if (f.recorder) person(f.recorder).logged++;
    if (f.resolver && f.resolveMs !== undefined) person(f.resolver).handled++;
  }
  return {
    figures: {
      total: { count: total },
      closed: share(facts.filter((f) => f.closed).length, total),
      successful: share(facts.filter((f) => f.successful).length, total),
      problem: share(facts.filter((f) => f.problem).length, total),
      resolvedInTarget: share(inTarget('resolve'), judged('resolve').length),
      respondedInTarget: share(inTarget('respond'), judged('respond').length),
      meanResponse: mean(facts.flatMap((f) => (f.respondMs === undefined ? [] : [f.respondMs]))),
      meanResolutionFirst: mean(byLine('first').map((f) => f.resolveMs!)),
      meanResolutionSecond: mean(byLine('second').map((f) => f.resolveMs!)),
      meanResolutionThird: mean(byLine('third').map((f) => f.resolveMs!)),
      firstLineRate: share(byLine('first').length, resolved.length),
      secondLineRate: share(byLine('second').length, resolved.length),
      major: share(facts.filter((f) => f.major || majorPriorities.includes(f.priority)).length, total),
      knowledge: share(facts.filter((f) => f.knowledge).length, total),
      satisfaction: mean(facts.flatMap((f) => (f.rating === undefined ? [] : [f.rating]))),
      duplicates: share(all.length - total, all.length),
      redispatched: share(facts.filter((f) => f.redispatches > 0).length, total),
    },
    people: [...people.values()].sort((a, b) => b.logged + b.handled - (a.logged + a.handled) || a.id.localeCompare(b.id)),
  };
}
