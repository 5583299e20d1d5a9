import { formatDuration } from '../config/duration.js';
import type { Incident, IncidentEvent } from '../domain/incident.js';
import { planLines, type RecoveryPlan } from '../domain/major.js';
import type { TimelineNote } from '../domain/timeline-note.js';
import { word, type Catalog } from '../i18n/index.js';
import type { Presenter } from './presenter.js';
import { timelineLines } from './timeline-lines.js';

/**
 * The post-incident review of a major incident (SPEC §12 "at the end"), as Markdown: summary,
 * impact, durations against targets, the timeline (the event log and what the timers did), every
 * recovery-plan version, the communications sent, the actions still open, the problem record.
 * Built from the record alone, so it can be built again and says the same.
 */
export function reviewDocument(incident: Incident, events: readonly IncidentEvent[], notes: readonly TimelineNote[], presenter: Presenter, m: Catalog): string {
  const w = m.review;
  const time = (d: Date | undefined) => (d ? presenter.formatTime(d) : m.time.never);
  const duration = (ms: number) => formatDuration(Math.max(0, Math.round(ms / 60_000) * 60_000), m.duration);
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const out: string[] = [];
  out.push(`# ${w.title({ id: incident.id, title: incident.title })}`, '');
  out.push(w.meta({ priority: incident.priority, manager: presenter.nameOf(incident.majorIncidentManagerId), status: m.status[incident.status], closed: time(incident.closedAt) }), '');

  out.push(`## ${w.summary}`, '', incident.description || '—', '');
  if (incident.solution) out.push(`**${w.resolution}:** ${presenter.resolutionLabel(incident.resolutionCode)} — ${incident.solution}`, '');
  if (incident.closureCode) out.push(`**${w.closure}:** ${presenter.closureLabel(incident.closureCode) ?? incident.closureCode}`, '');

  const outageEnd = incident.outageEnd ?? incident.closedAt;
  out.push(`## ${w.impact}`, '');
  out.push(`- ${w.service}: ${incident.service ? presenter.serviceLabel(incident.service) : '—'}`);
  out.push(`- ${w.ci}: ${incident.ci ?? '—'}${incident.ciOperable === false ? ` (${w.ciDown})` : ''}`);
  out.push(`- ${w.levels}: ${incident.impact} × ${incident.urgency} → ${incident.priority}`);
  out.push(`- ${w.outage}: ${time(incident.outageStart)} – ${time(outageEnd)}${outageEnd ? ` (${duration(outageEnd.getTime() - incident.outageStart.getTime())})` : ''}`, '');

  out.push(`## ${w.targets}`, '', `| ${w.target} | ${w.due} | ${w.met} | ${w.result} |`, '|---|---|---|---|');
  for (const target of ['respond', 'accept', 'resolve'] as const) {
    const clock = incident.sla[target];
    if (!clock.dueAt) continue;
    const met = clock.metAt;
    const result = met ? (met <= clock.dueAt ? w.inTime : w.late({ by: duration(met.getTime() - clock.dueAt.getTime()) })) : w.notMet;
    out.push(`| ${word(m.notify.target, target) ?? target} | ${time(clock.dueAt)} | ${time(met)} | ${result} |`);
  }
  out.push('', `- ${w.created}: ${time(incident.createdAt)} · ${w.resolvedAt}: ${time(incident.resolvedAt)} · ${w.total}: ${incident.resolvedAt ? duration(incident.resolvedAt.getTime() - incident.createdAt.getTime() - incident.pausedMs) : '—'}`, '');

  out.push(`## ${w.timeline}`, '');
  for (const line of timelineLines(presenter, m, events, notes)) out.push(`- ${cell(line)}`);
  out.push('');

  const versions = events.filter((e) => e.action === 'plan' && e.changes.plan).map((e) => e.changes.plan as RecoveryPlan);
  out.push(`## ${w.plan}`, '');
  if (versions.length === 0) out.push(w.noPlan, '');
  for (const plan of versions) {
    out.push(`### v${plan.version} — ${time(plan.savedAt)}, ${plan.savedByName}`, '');
    for (const line of planLines(plan, m.plan, (id) => presenter.nameOf(id), time)) out.push(`    ${line}`);
    out.push('');
  }

  out.push(`## ${w.comms}`, '');
  const sent = (incident.comms?.drafts ?? []).filter((d) => d.state === 'posted');
  if (sent.length === 0) out.push(w.noComms);
  for (const d of sent) out.push(`- ${time(d.at)} · ${word(m.audience, d.audience) ?? d.audience} · ${d.byName}${d.decidedByName ? ` (${w.approvedBy({ by: d.decidedByName })})` : ''}: ${cell(d.text)}`);
  out.push('');

  out.push(`## ${w.openActions}`, '');
  const open = (incident.plan?.actions ?? []).filter((a) => !a.done);
  if (open.length === 0) out.push(w.noOpenActions);
  for (const a of open) out.push(`- #${a.n} ${cell(a.text)} — ${presenter.nameOf(a.ownerId)}${a.dueAt ? `, ${time(a.dueAt)}` : ''}`);
  out.push('');

  out.push(`## ${w.problem}`, '', incident.links.problem ?? '—', '');
  return out.join('\n');
}
