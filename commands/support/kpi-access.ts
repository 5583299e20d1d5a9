import type { CommandContext } from '../../src/app/command.js';
import { UserError } from '../../src/domain/errors.js';

/** The KPIs and reports are for process owners, incident managers and team leads (per-person figures are in them). */
export function mayReadKpis(ctx: CommandContext): void {
  const { directory, config } = ctx.service;
  const id = ctx.actor.id;
  const lead = config.organisation.groups.some((g) => directory.holders(config.policy.closure.verification.leadRole, g.id).includes(id));
  if (!config.organisation.processOwners.includes(id) && !directory.isIncidentManager(id) && !lead) throw new UserError('kpi_not_allowed', {});
}

/** A filter's value as a configured id, or a sentence naming what exists. */
