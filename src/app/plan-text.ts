import { planLines, type RecoveryPlan } from '../domain/major.js';
import type { Incident } from '../domain/incident.js';
import type { Catalog } from '../i18n/index.js';
import type { Presenter } from './presenter.js';

/** The recovery plan as the war room shows it (pinned, edited at each version), in the organisation's language. */
export function planText(incident: Incident, plan: RecoveryPlan, m: Catalog, presenter: Presenter): string {
  const heading = m.reply.planHeading({ id: incident.id, version: plan.version, by: plan.savedByName, at: presenter.formatTime(plan.savedAt) });
  const lines = planLines(plan, m.plan, (id) => presenter.nameOf(id), (d) => (d ? presenter.formatTime(d) : m.time.never));
  return [`📌 ${heading}`, ...lines].join('\n');
}
