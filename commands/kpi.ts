import { defineCommand, type CommandContext } from '../src/app/command.js';
import { formatDuration } from '../src/config/duration.js';
import { UserError } from '../src/domain/errors.js';
import { KPI_NAMES, parsePeriod, type Figure, type KpiFilter, type KpiName, type KpiReport } from '../src/domain/kpi.js';

/** KPIs shown as a mean time; the rest are counts (with a rate where they have one) or a score. */
const TIMES = new Set<KpiName>(['meanResponse', 'meanResolutionFirst', 'meanResolutionSecond', 'meanResolutionThird']);
/** People listed with what they logged and resolved, at most. */
const PEOPLE_SHOWN = 15;

/**
 * The process owner's numbers (SPEC §15): `kpi [period] [group:… service:… category:…]` — every
 * KPI of the incidents logged in the period (default this month; `last-month`, `2026-11`,
 * `2026-Q3`, `since:`/`until:`), each beside the previous period of the same length with the
 * change. Read by process owners, incident managers and team leads.
 */
export default defineCommand({
  name: 'kpi',
  aliases: ['kpis', 'metrics-report'],
  takesIncident: false,
  positional: ['text'],
  fields: () => [],
  async run(ctx, args) {
    mayRead(ctx);
    const words = (args.text ?? '').trim().split(/\s+/).filter(Boolean);
    const filter: KpiFilter = {};
    const periodWords: string[] = [];
    for (const word of words) {
      const [key, value = ''] = splitFilter(word);
      if (key === 'group' || key === 'service' || key === 'category') filter[key] = known(ctx, key, value, word);
      else periodWords.push(word);
    }
    const { config } = ctx.service;
    const parsed = parsePeriod(periodWords, ctx.clock.now(), config.organisation.timezone);
    if ('problem' in parsed) throw new UserError('kpi_period', { part: parsed.part.slice(0, 80) });
    if (!ctx.kpis) throw new Error('kpi: no KPI reader in this context');
    const [now, before] = await Promise.all([ctx.kpis.read(parsed.period, filter), ctx.kpis.read(parsed.previous, filter)]);
    return { ephemeral: true, text: render(ctx, parsed.period.label, parsed.previous.label, filter, now, before) };
  },
});

function splitFilter(word: string): [string, string] | [string] {
  const at = word.indexOf(':');
  return at > 0 ? [word.slice(0, at).toLowerCase(), word.slice(at + 1)] : [word];
}

function mayRead(ctx: CommandContext): void {
  const { directory, config } = ctx.service;
  const id = ctx.actor.id;
  const lead = config.organisation.groups.some((g) => directory.holders(config.policy.closure.verification.leadRole, g.id).includes(id));
  if (!config.organisation.processOwners.includes(id) && !directory.isIncidentManager(id) && !lead) throw new UserError('kpi_not_allowed', {});
}

/** A filter's value as a configured id, or a sentence naming what exists. */
function known(ctx: CommandContext, key: 'group' | 'service' | 'category', value: string, word: string): string {
  const { config } = ctx.service;
  const ids = key === 'group' ? config.organisation.groups.map((g) => g.id) : key === 'service' ? config.policy.services.map((s) => s.id) : config.policy.categories.map((c) => c.id);
  const found = ids.find((id) => id.toLowerCase() === value.toLowerCase());
  if (!found) throw new UserError('kpi_filter', { part: word.slice(0, 80), choices: ids.join(', ') });
  return found;
}

function render(ctx: CommandContext, label: string, previousLabel: string, filter: KpiFilter, now: KpiReport, before: KpiReport): string {
  const { m } = ctx;
  const k = m.kpi;
  const filters = Object.entries(filter).map(([key, value]) => `${key}:${value}`).join(' ');
  const lines = [k.heading({ period: label, previous: previousLabel, filters })];
  if (now.figures.total.count === 0 && now.figures.duplicates.count === 0) lines.push(k.none);
  for (const name of KPI_NAMES) {
    const value = show(ctx, name, now.figures[name]);
    const was = show(ctx, name, before.figures[name]);
    lines.push(k.line({ name: k.names[name], value, previous: k.previous({ value: was, change: change(ctx, name, now.figures[name], before.figures[name]) }) }));
  }
  if (now.people.length > 0) {
    lines.push(k.peopleHeading);
    for (const p of now.people.slice(0, PEOPLE_SHOWN)) lines.push(`  ${k.line({ name: ctx.service.directory.nameOf(p.id, ctx.locale), value: k.person({ logged: p.logged, handled: p.handled }), previous: '' })}`);
  }
  return lines.join('\n');
}

function show(ctx: CommandContext, name: KpiName, f: Figure): string {
  const k = ctx.m.kpi;
  if (TIMES.has(name)) return f.mean === undefined ? '—' : k.mean({ value: formatDuration(f.mean, ctx.m.duration), count: f.count });
  if (name === 'satisfaction') return f.mean === undefined ? '—' : k.score({ value: f.mean.toFixed(1), count: f.count });
  if (f.of === undefined) return String(f.count);
  return f.rate === undefined ? k.countOf({ count: f.count, of: f.of }) : k.rate({ count: f.count, of: f.of, rate: Math.round(f.rate * 100) });
}

/** The change from the previous period: a count's difference, a rate's in points, a mean's in its unit. */
function change(ctx: CommandContext, name: KpiName, now: Figure, before: Figure): string {
  const k = ctx.m.kpi;
  const signed = (n: number, text: string) => (n > 0 ? `+${text}` : n < 0 ? `−${text}` : text);
  if (TIMES.has(name)) {
    if (now.mean === undefined || before.mean === undefined) return k.noChange;
    const d = now.mean - before.mean;
    return signed(d, formatDuration(Math.abs(d), ctx.m.duration));
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
