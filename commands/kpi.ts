import { defineCommand, type CommandContext } from '../src/app/command.js';
import { UserError } from '../src/domain/errors.js';
import { parsePeriod, type KpiFilter } from '../src/domain/kpi.js';
import { kpiText } from '../src/app/kpi-text.js';
import { mayReadKpis } from './support/kpi-access.js';

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
    mayReadKpis(ctx);
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
    return { ephemeral: true, text: kpiText(ctx.m, ctx.locale, ctx.service.directory, { period: parsed.period.label, previous: parsed.previous.label, filter, now, before }) };
  },
});

function splitFilter(word: string): [string, string] | [string] {
  const at = word.indexOf(':');
  return at > 0 ? [word.slice(0, at).toLowerCase(), word.slice(at + 1)] : [word];
}

function known(ctx: CommandContext, key: 'group' | 'service' | 'category', value: string, word: string): string {
  const { config } = ctx.service;
  const ids = key === 'group' ? config.organisation.groups.map((g) => g.id) : key === 'service' ? config.policy.services.map((s) => s.id) : config.policy.categories.map((c) => c.id);
  const found = ids.find((id) => id.toLowerCase() === value.toLowerCase());
  if (!found) throw new UserError('kpi_filter', { part: word.slice(0, 80), choices: ids.join(', ') });
  return found;
}

