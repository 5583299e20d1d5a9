import type { ConfigFile, NotificationChannel } from '../config/config.schema.js';
import type { Destination } from '../app/platform.js';
import type { Presenter } from '../app/presenter.js';
import type { CardView } from '../app/view.js';
import type { Directory } from '../domain/directory.js';
import type { Incident, IncidentEvent } from '../domain/incident.js';
import type { PlannedTimer } from '../domain/timers.js';
import { formatDuration } from '../config/duration.js';
import type { Catalog } from '../i18n/index.js';

/**
 * What the bot says, and to whom, after a change (SPEC §7 status matrix, §9 reports) or when a
 * timer fires (§5–§8). Pure: built from the incident, the event or timer, policy and directory;
 * the outbox turns each notice into one entry per recipient and platform.
 */
export interface Notice {
  /** With `step`, the unique part of the outbox key: "status:resolved" + event seq, "escalation:1" + "", … */
  rule: string;
  step: string;
  to: Destination[];
  text: string;
  card?: CardView;
  /** Buttons the message offers, e.g. accept/reject to the assignee; no buttons otherwise. */
  actions?: string[];
  urgent: boolean;
  /** When it was due (a timer's due time); delivery lag is measured from it. */
  dueAt?: Date;
  /** Extra channels beyond chat (SPEC §7: phone/SMS/e-mail hooks). */
  channels: NotificationChannel[];
  /** Written only where some platform reaches the destination (a stakeholder-thread line): none configured is not a failure. */
  optional?: boolean;
}

type Audience = ConfigFile['policy']['statusNotifications'][keyof ConfigFile['policy']['statusNotifications']][number];

export class Notices {
  constructor(
    private readonly config: ConfigFile,
    private readonly directory: Directory,
    private readonly presenter: Presenter,
    private readonly m: Catalog,
  ) {}

  /** SPEC §7 "notification by status" and the §9 reports, for one committed event. */
  forEvent(incident: Incident, event: IncidentEvent): Notice[] {
    const matrix = this.config.policy.statusNotifications;
    const { m } = this;
    const id = incident.id;
    const notices: Notice[] = [];
    const step = String(event.seq);
    const add = (rule: string, audiences: readonly Audience[], text: string, actions?: string[]) => {
      const to = this.audience(incident, audiences).filter((d) => !(d.kind === 'person' && d.personId === event.actorId));
      if (to.length > 0) notices.push(this.notice(incident, rule, step, to, text, { actions }));
    };
    const base = { id, priority: incident.priority, title: incident.title };
    if (event.action === 'report') {
      add('status:open:reporter', matrix.open.filter((a) => a === 'reporter'), m.notify.acknowledged(base));
      add('status:open', matrix.open.filter((a) => a !== 'reporter'), m.notify.newIncident(base));
    } else if (event.to === 'assigned') {
      add('status:assigned', matrix.assigned, m.notice.assigned({ ...base, target: this.directory.nameOf(incident.assigneeId ?? incident.groupId) }), ['accept', 'reject']);
    } else if (event.action === 'accept' && event.flags.includes('accepted_after_escalation')) {
      add('status:in_progress', matrix.in_progress_after_escalation, m.notify.acceptedAfterEscalation({ ...base, owner: this.directory.nameOf(incident.ownerId) }));
    } else if (event.to === 'suspended') {
      add('status:suspended', matrix.suspended, m.notice.suspended({ id, reason: event.reason ?? '' }));
    } else if (event.to === 'resolved' && event.from !== 'resolved') {
      const solution = incident.solution ?? '';
      add('status:resolved:reporter', matrix.resolved.filter((a) => a === 'reporter'), m.notice.resolved({ id, title: incident.title, solution }), ['confirm', 'reopen']);
      add('status:resolved', matrix.resolved.filter((a) => a !== 'reporter'), m.notify.resolvedFor({ ...base, by: event.actorName, solution }));
    } else if (event.to === 'closed') {
      const code = this.config.policy.closureCodes.find((c) => c.id === incident.closureCode)?.label ?? incident.closureCode ?? m.notify.withdrawn;
      add('status:closed', matrix.closed, m.notice.closed({ id, title: incident.title, code }));
    } else if (event.action === 'reject') {
      add('status:rejected', ['on_duty_first_line', 'recorder'], m.notice.rejected({ id, by: event.actorName, reason: event.reason ?? '', group: this.directory.nameOf(String(event.data.suggestedGroupId ?? '')) }));
    }
    const reports = event.flags.filter((flag) => flag === 'cross_group_redispatch' || flag === 'manager_takeover');
    for (const flag of reports) {
      add(`report:${flag}`, ['incident_manager'], m.notice.managerReport({ id, what: m.flag[flag] ?? flag }));
    }
    return notices;
  }

  /** The notice a due timer sends (SPEC §5 target misses, §6 escalation, §7 notification, §8 updates). */
  forTimer(incident: Incident, timer: PlannedTimer, lateMs: number): Notice | undefined {
    const { m, config } = this;
    const policy = config.policy;
    const base = { id: incident.id, priority: incident.priority, title: incident.title };
    // The priority's notification channels apply to every timer message (SPEC §7: P1 on every channel).
    const channels = policy.notification[incident.priority].channels;
    const urgent = channels.includes('mention') || incident.major;
    const hooks = channels.filter((c) => c === 'webhook' || c === 'email');
    let notice: Notice | undefined;
    if (timer.rule === 'target' && timer.target) {
      const text = m.notify.targetMissed({ ...base, target: m.notify.target[timer.target] ?? timer.target, due: this.presenter.formatTime(timer.dueAt) });
      notice = this.notice(incident, timer.key, '', this.people(this.directory.incidentManagers()), text, { urgent, channels: hooks });
    } else if (timer.rule === 'escalation' && timer.tier !== undefined) {
      const tiers = policy.escalation[incident.priority];
      const tier = tiers[timer.tier];
      const text = m.notify.escalation({ ...base, tier: timer.tier + 1, tiers: tiers.length, after: formatDuration(tier?.after ?? 0), status: m.status[incident.status] });
      notice = this.notice(incident, timer.key, '', this.people(this.rolePeople(incident, timer.roles ?? [])), text, { urgent, channels: hooks });
    } else if (timer.rule === 'notification' && timer.tier !== undefined) {
      const plan = policy.notification[incident.priority];
      const text = m.notify.notification({ ...base, after: formatDuration(plan.steps[timer.tier]?.after ?? 0), status: m.status[incident.status] });
      notice = this.notice(incident, timer.key, '', this.people(this.rolePeople(incident, timer.roles ?? [])), text, { urgent, channels: hooks });
    } else if (timer.rule === 'update') {
      notice = this.updateNotice(incident, timer);
    }
    if (!notice) return undefined;
    notice.dueAt = timer.dueAt;
    if (lateMs > 0) notice.text = `${notice.text}\n${m.notify.late({ due: this.presenter.formatTime(timer.dueAt), late: formatDuration(Math.round(lateMs / 1000) * 1000) })}`;
    return notice;
  }

  /**
   * The line a due timer posts in the incident's stakeholder thread, where SPEC §8 wants
   * stakeholders to follow it: the first report and the report after resolution (§8's own), and
   * each escalation tier (§6: who the incident was escalated to). Notification steps, missed
   * targets and reminders stay with the people they are for (and in the timeline).
   */
  forThread(incident: Incident, timer: PlannedTimer): Notice | undefined {
    const { m, config, directory, presenter } = this;
    const base = { id: incident.id, priority: incident.priority, title: incident.title };
    let text: string | undefined;
    if (timer.rule === 'escalation' && timer.tier !== undefined) {
      const tiers = config.policy.escalation[incident.priority];
      const names = this.rolePeople(incident, timer.roles ?? []).map((id) => directory.nameOf(id));
      const who = names.length > 0 ? names.join(', ') : m.thread.nobody;
      text = m.thread.escalation({ ...base, tier: timer.tier + 1, tiers: tiers.length, after: formatDuration(tiers[timer.tier]?.after ?? 0), status: m.status[incident.status], who });
    } else if (timer.rule === 'update' && timer.update === 'first') {
      const owner = directory.nameOf(incident.ownerId ?? incident.assigneeId ?? incident.groupId);
      text = m.thread.firstReport({ ...base, status: m.status[incident.status], owner, restoreBy: presenter.formatTime(this.restoreBy(incident)) });
    } else if (timer.rule === 'update' && timer.update === 'after_resolution') {
      const code = config.policy.resolutionCodes.find((c) => c.id === incident.resolutionCode)?.label ?? incident.resolutionCode ?? '';
      text = m.thread.afterResolution({ ...base, at: presenter.formatTime(incident.resolvedAt), by: directory.nameOf(incident.resolvedById), code, solution: clip(incident.solution ?? '', 500) });
    }
    if (!text) return undefined;
    return { rule: `thread:${timer.key}`, step: '', to: [{ kind: 'channel', channel: 'stakeholders' }], text, urgent: false, channels: [], optional: true, dueAt: timer.dueAt };
  }

  private restoreBy(incident: Incident): Date {
    return incident.sla.resolve.dueAt ?? new Date(incident.createdAt.getTime() + incident.pausedMs + this.config.policy.updates[incident.priority].restoreWithin);
  }

  private updateNotice(incident: Incident, timer: PlannedTimer): Notice | undefined {
    const { m, config, directory } = this;
    const cadence = config.policy.updates[incident.priority];
    const base = { id: incident.id, priority: incident.priority, title: incident.title };
    const audience = this.people(this.rolePeople(incident, cadence.audience));
    if (timer.update === 'first') {
      const owner = directory.nameOf(incident.ownerId ?? incident.assigneeId ?? incident.groupId);
      return this.notice(incident, timer.key, '', audience, m.notify.firstReport({ ...base, status: m.status[incident.status], owner }), {});
    }
    if (timer.update === 'after_resolution') {
      const code = config.policy.resolutionCodes.find((c) => c.id === incident.resolutionCode)?.label ?? incident.resolutionCode ?? '';
      const text = m.notify.afterResolution({ ...base, at: this.presenter.formatTime(incident.resolvedAt), by: directory.nameOf(incident.resolvedById), code, solution: incident.solution ?? '' });
      return this.notice(incident, timer.key, '', audience, text, {});
    }
    // The reminder goes to whoever owns the work now, and the major incident manager.
    const owners = [incident.ownerId ?? incident.assigneeId].filter((id): id is string => Boolean(id));
    if (incident.majorIncidentManagerId) owners.push(incident.majorIncidentManagerId);
    const to: Destination[] = owners.length > 0 ? this.people(owners) : incident.groupId ? [{ kind: 'group', groupId: incident.groupId }] : this.people(this.directory.onDutyFirstLine());
    return this.notice(incident, timer.key, '', to, m.notify.updateDue({ ...base, every: formatDuration(cadence.every) }), { actions: ['update'] });
  }

  /** The people holding these roles for this incident: the group's own role holders first, else the organisation's. */
  rolePeople(incident: Incident, roles: readonly string[]): string[] {
    const groupId = incident.groupId ?? incident.lastGroupId ?? this.config.policy.categories.find((c) => c.id === incident.category)?.group;
    return unique(roles.flatMap((role) => this.directory.holders(role, groupId)));
  }

  private audience(incident: Incident, audiences: readonly Audience[]): Destination[] {
    const out: Destination[] = [];
    for (const audience of audiences) {
      if (audience === 'reporter') out.push(...this.people([incident.reporterId]));
      else if (audience === 'recorder' && incident.recorderId) out.push(...this.people([incident.recorderId]));
      else if (audience === 'on_duty_first_line') out.push(...this.people(this.directory.onDutyFirstLine()));
      else if (audience === 'incident_manager') out.push(...this.people(this.directory.incidentManagers()));
      else if (audience === 'assignee_or_group') {
        if (incident.assigneeId) out.push(...this.people([incident.assigneeId]));
        else if (incident.groupId) out.push({ kind: 'group', groupId: incident.groupId });
      } else if (audience === 'next_line') {
        const next = incident.groupId ? this.directory.group(incident.groupId)?.nextLine : undefined;
        if (next) out.push({ kind: 'group', groupId: next });
      }
    }
    return uniqueDestinations(out);
  }

  private people(ids: readonly string[]): Destination[] {
    return unique(ids).map((personId) => ({ kind: 'person', personId }));
  }

  /** Every notice carries SPEC §7's standard content and the incident's card (its buttons limited to `actions`). */
  private notice(incident: Incident, rule: string, step: string, to: Destination[], headline: string, options: { actions?: string[]; urgent?: boolean; channels?: NotificationChannel[] }): Notice {
    const { m, config } = this;
    const service = incident.service ? (config.policy.services.find((s) => s.id === incident.service)?.label ?? incident.service) : m.time.never;
    const restoreBy = incident.sla.resolve.dueAt ?? new Date(incident.createdAt.getTime() + incident.pausedMs + config.policy.updates[incident.priority].restoreWithin);
    const details = m.notify.standard({
      description: clip(incident.description, 300),
      service,
      restoreBy: incident.status === 'resolved' || incident.status === 'closed' ? m.status[incident.status] : this.presenter.formatTime(restoreBy),
      contact: config.organisation.serviceDeskContact,
      id: incident.id,
    });
    const card = this.presenter.card(incident, incident.updatedAt);
    const actions = options.actions ?? [];
    return {
      rule,
      step,
      to,
      text: `${headline}\n${details}`,
      card: { ...card, actions: card.actions.filter((a) => actions.includes(a.command)) },
      actions,
      urgent: options.urgent ?? false,
      channels: options.channels ?? [],
    };
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function uniqueDestinations(list: Destination[]): Destination[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = destinationKey(d);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function destinationKey(destination: Destination): string {
  if (destination.kind === 'person') return `person:${destination.personId}`;
  if (destination.kind === 'group') return `group:${destination.groupId}`;
  return `channel:${destination.channel}`;
}
