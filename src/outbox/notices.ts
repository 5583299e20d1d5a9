import type { ConfigFile, NotificationChannel } from '../config/config.schema.js';
import type { Destination, MessageFile } from '../app/platform.js';
import type { ActionButton, CardView } from '../app/view.js';
import type { Directory } from '../domain/directory.js';
import type { Incident, IncidentEvent } from '../domain/incident.js';
import { approversOf, nextReview } from '../domain/major.js';
import type { PlannedTimer } from '../domain/timers.js';
import type { Voice, Voices } from '../app/voice.js';
import type { Locale } from '../i18n/index.js';
import { word } from '../i18n/index.js';

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
  /** Files posted with it (a monthly report). */
  files?: MessageFile[];
}

type Audience = ConfigFile['policy']['statusNotifications'][keyof ConfigFile['policy']['statusNotifications']][number];

/** A message's words, written in whichever language its recipient reads. */
type Words = (v: Voice) => string;

/**
 * Direct messages and notifications are written in each recipient's language (their setting,
 * else what their platform said, else the organisation's); groups and channels read the
 * organisation's. A notice for people of two languages becomes two notices, one per language,
 * each with its own recipients, so every outbox key stays unique.
 */
export class Notices {
  constructor(
    private readonly config: ConfigFile,
    private readonly directory: Directory,
    private readonly voices: Voices,
    private readonly localeOf: (personId: string) => Locale,
  ) {}

  /** SPEC §7 "notification by status" and the §9 reports, for one committed event. */
  forEvent(incident: Incident, event: IncidentEvent): Notice[] {
    const matrix = this.config.policy.statusNotifications;
    const id = incident.id;
    const notices: Notice[] = [];
    const step = String(event.seq);
    const add = (rule: string, audiences: readonly Audience[], text: Words, actions?: string[], buttons?: Buttons) => {
      const to = this.audience(incident, audiences).filter((d) => !(d.kind === 'person' && d.personId === event.actorId));
      if (to.length > 0) notices.push(...this.notices(incident, rule, step, to, text, { actions, buttons }));
    };
    const tell = (rule: string, people: readonly string[], text: Words, actions?: string[], buttons?: Buttons) => {
      const to = this.people(people.filter((id) => id !== event.actorId));
      if (to.length > 0) notices.push(...this.notices(incident, rule, step, to, text, { actions, buttons }));
    };
    const base = { id, priority: incident.priority, title: incident.title };
    if (event.action === 'report') {
      add('status:open:reporter', matrix.open.filter((a) => a === 'reporter'), ({ m }) => m.notify.acknowledged(base));
      add('status:open', matrix.open.filter((a) => a !== 'reporter'), ({ m }) => m.notify.newIncident(base));
    } else if (event.to === 'assigned') {
      add('status:assigned', matrix.assigned, ({ m, presenter }) => m.notice.assigned({ ...base, target: presenter.nameOf(incident.assigneeId ?? incident.groupId) }), ['accept', 'reject']);
    } else if (event.action === 'accept' && event.flags.includes('accepted_after_escalation')) {
      add('status:in_progress', matrix.in_progress_after_escalation, ({ m, presenter }) => m.notify.acceptedAfterEscalation({ ...base, owner: presenter.nameOf(incident.ownerId) }));
    } else if (event.to === 'suspended') {
      add('status:suspended', matrix.suspended, ({ m }) => m.notice.suspended({ id, reason: event.reason ?? '' }));
    } else if (event.to === 'resolved' && event.from !== 'resolved') {
      const solution = incident.solution ?? '';
      add('status:resolved:reporter', matrix.resolved.filter((a) => a === 'reporter'), ({ m }) => m.notice.resolved({ id, title: incident.title, solution }), ['confirm', 'reopen']);
      add('status:resolved', matrix.resolved.filter((a) => a !== 'reporter'), ({ m }) => m.notify.resolvedFor({ ...base, by: event.actorName, solution }));
    } else if (event.to === 'closed') {
      const closed: Words = ({ m, presenter }) => m.notice.closed({ id, title: incident.title, code: presenter.closureLabel(incident.closureCode) ?? m.notify.withdrawn });
      // The reporter is asked, once, how the service was (SPEC §11); not for a withdrawn report.
      const rateable = !incident.withdrawn && !incident.rating;
      add('status:closed:reporter', matrix.closed.filter((a) => a === 'reporter'), rateable ? (v) => `${closed(v)}\n${v.m.notice.rateAsk}` : closed, rateable ? ['rate'] : undefined, rateable ? ratingButtons(id) : undefined);
      add('status:closed', matrix.closed.filter((a) => a !== 'reporter'), closed);
      // The team lead of the closing group verifies the record.
      tell('verify:request', this.directory.teamLeads(incident), ({ m, presenter }) => m.notice.verifyAsk({ id, title: incident.title, by: event.actorName, code: presenter.closureLabel(incident.closureCode) ?? m.notify.withdrawn }), ['verify', 'return']);
    } else if (event.action === 'return') {
      const closer = incident.closedById ? [incident.closedById] : this.directory.onDutyFirstLine();
      tell('verify:returned', closer, ({ m }) => m.notice.returned({ id, by: event.actorName, reason: event.reason ?? '' }), ['correct'], (v) => [{ label: word(v.m.action, 'correct') ?? 'correct', command: 'correct', args: { id }, style: 'primary' }]);
    } else if (event.action === 'correct') {
      tell('verify:corrected', this.directory.teamLeads(incident), ({ m }) => m.notice.corrected({ id, by: event.actorName, note: event.note ?? '' }), ['verify', 'return']);
    } else if (event.action === 'rate' && event.flags.includes('low_rating')) {
      const score = incident.rating?.score ?? 0;
      tell('rating:low', [...this.directory.teamLeads(incident), ...this.directory.incidentManagers()], ({ m }) => m.notice.lowRating({ id, title: incident.title, score, comment: incident.rating?.comment ?? '—' }));
    } else if (event.action === 'plan') {
      // The owners of actions added in this version get them (SPEC §12).
      const added = new Set((event.data.newActions as number[] | undefined) ?? []);
      for (const action of (incident.plan?.actions ?? []).filter((a) => added.has(a.n))) {
        tell(`plan:action:${action.n}`, [action.ownerId], ({ m, presenter }) => m.notice.planAction({ id, n: action.n, text: action.text, due: action.dueAt ? presenter.formatTime(action.dueAt) : m.time.never, version: incident.plan?.version ?? 0 }));
      }
    } else if (event.action.startsWith('comms-')) {
      notices.push(...this.commsNotices(incident, event, tell));
    } else if (event.action === 'link-problem' && event.flags.includes('problem_created')) {
      const owner = typeof event.data.ownerId === 'string' ? [event.data.ownerId] : this.directory.problemManagers();
      tell('problem:raised', owner, ({ m }) => m.notice.problemRaised({ problem: String(event.data.problemId ?? ''), id, title: incident.title }));
    } else if (event.action === 'reject') {
      add('status:rejected', ['on_duty_first_line', 'recorder'], ({ m, presenter }) => m.notice.rejected({ id, by: event.actorName, reason: event.reason ?? '', group: presenter.nameOf(String(event.data.suggestedGroupId ?? '')) }));
    }
    if (event.action === 'alert') {
      // Monitoring's news reaches whoever works the incident (SPEC §14): resolved, or firing again.
      // Not dispatched yet: the service desk on duty.
      const flapping = event.flags.includes('flapping');
      const who: Audience[] = incident.assigneeId || incident.groupId ? ['assignee_or_group'] : ['on_duty_first_line'];
      if (event.flags.includes('alert_resolved')) add('alert:resolved', who, ({ m }) => m.notify.alertResolved(base));
      if (event.flags.includes('alert_firing_again')) add('alert:firing', who, ({ m }) => m.notify.alertFiringAgain({ ...base, flapping: flapping ? m.notify.flappingNote : '' }));
    }
    const reports = event.flags.filter((flag) => flag === 'cross_group_redispatch' || flag === 'manager_takeover');
    for (const flag of reports) {
      add(`report:${flag}`, ['incident_manager'], ({ m }) => m.notice.managerReport({ id, what: word(m.flag, flag) ?? flag }));
    }
    return notices;
  }

  /** The notices a due timer sends, one per language (SPEC §5 target misses, §6 escalation, §7 notification, §8 updates). */
  forTimer(incident: Incident, timer: PlannedTimer, lateMs: number): Notice[] {
    const { config } = this;
    const policy = config.policy;
    const base = { id: incident.id, priority: incident.priority, title: incident.title };
    // The priority's notification channels apply to every timer message (SPEC §7: P1 on every channel).
    const channels = policy.notification[incident.priority].channels;
    const urgent = channels.includes('mention') || incident.major;
    const hooks = channels.filter((c) => c === 'webhook' || c === 'email');
    // A timer that fired late says so, in the recipient's language.
    const late = (text: Words): Words => (lateMs > 0 ? (v) => `${text(v)}\n${v.m.notify.late({ due: v.presenter.formatTime(timer.dueAt), late: v.duration(Math.round(lateMs / 1000) * 1000) })}` : text);
    let notices: Notice[] = [];
    if (timer.rule === 'target' && timer.target) {
      const target = timer.target;
      const text: Words = ({ m, presenter }) => m.notify.targetMissed({ ...base, target: word(m.notify.target, target) ?? target, due: presenter.formatTime(timer.dueAt) });
      notices = this.notices(incident, timer.key, '', this.people(this.directory.incidentManagers()), late(text), { urgent, channels: hooks });
    } else if (timer.rule === 'escalation' && timer.tier !== undefined) {
      const tiers = policy.escalation[incident.priority];
      const tier = tiers[timer.tier];
      const n = timer.tier + 1;
      const text: Words = (v) => v.m.notify.escalation({ ...base, tier: n, tiers: tiers.length, after: v.duration(tier?.after ?? 0), status: v.m.status[incident.status] });
      notices = this.notices(incident, timer.key, '', this.people(this.rolePeople(incident, timer.roles ?? [])), late(text), { urgent, channels: hooks });
    } else if (timer.rule === 'notification' && timer.tier !== undefined) {
      const after = policy.notification[incident.priority].steps[timer.tier]?.after ?? 0;
      const text: Words = (v) => v.m.notify.notification({ ...base, after: v.duration(after), status: v.m.status[incident.status] });
      notices = this.notices(incident, timer.key, '', this.people(this.rolePeople(incident, timer.roles ?? [])), late(text), { urgent, channels: hooks });
    } else if (timer.rule === 'update') {
      notices = this.updateNotices(incident, timer, late);
    } else if (timer.rule === 'plan-action' && timer.n !== undefined) {
      const action = incident.plan?.actions.find((a) => a.n === timer.n);
      if (action && !action.done) {
        notices = this.notices(incident, timer.key, '', this.people([action.ownerId]), late(({ m }) => m.notify.planActionDue({ id: incident.id, n: action.n, text: action.text })), { urgent: true });
      }
    } else if (timer.rule === 'review' && timer.at) {
      const at = timer.at;
      const text: Words = ({ m, presenter }) => m.notify.reviewDue({ id: incident.id, title: incident.title, at: presenter.formatTime(at), version: incident.plan?.version ?? 0 });
      notices = this.notices(incident, timer.key, '', this.people(this.directory.recoveryTeam(incident)), late(text), {});
      // And in the war room, where the team works (SPEC §12), in the organisation's language.
      notices.push(channelLine(`warroom:${timer.key}`, 'warroom', text(this.voices.get())));
    } else if (timer.rule === 'review-missed' && timer.at) {
      const at = timer.at;
      const text: Words = ({ m, presenter }) => m.notify.reviewMissed({ id: incident.id, title: incident.title, at: presenter.formatTime(at), manager: presenter.nameOf(incident.majorIncidentManagerId) });
      notices = this.notices(incident, timer.key, '', this.people(this.directory.incidentManagers()), late(text), { urgent: true });
    } else if (timer.rule === 'comms' && timer.audience && timer.at) {
      const audience = timer.audience;
      const at = timer.at;
      const owner = incident.majorIncidentManagerId ? [incident.majorIncidentManagerId] : this.directory.incidentManagers();
      notices = this.notices(incident, timer.key, '', this.people(owner), late(({ m, presenter }) => m.notify.commsDue({ id: incident.id, audience: word(m.audience, audience) ?? audience, due: presenter.formatTime(at), key: audience })), {});
    } else if (timer.rule === 'management') {
      notices = [this.managementSummary(incident, timer.key)];
    } else if (timer.rule === 'management-escalation' && timer.tier !== undefined) {
      const tiers = policy.major.managementEscalation;
      const after = tiers[timer.tier]?.after ?? 0;
      const text: Words = (v) => v.m.notify.managementEscalation({ ...base, tier: timer.tier! + 1, tiers: tiers.length, after: v.duration(after), status: v.m.status[incident.status], manager: v.presenter.nameOf(incident.majorIncidentManagerId) });
      notices = this.notices(incident, timer.key, '', this.people(this.rolePeople(incident, timer.roles ?? [])), late(text), { urgent: true, channels: hooks });
      notices.push(channelLine(`thread:${timer.key}`, 'management', text(this.voices.get())));
    } else if (timer.rule === 'verification') {
      const text: Words = ({ m, presenter }) => m.notify.verifyReminder({ id: incident.id, title: incident.title, closed: presenter.formatTime(incident.correctedAt ?? incident.closedAt) });
      notices = this.notices(incident, timer.key, '', this.people(this.directory.teamLeads(incident)), late(text), { actions: ['verify', 'return'] });
    }
    for (const notice of notices) notice.dueAt = timer.dueAt;
    return notices;
  }

  /**
   * The line a due timer posts in the incident's stakeholder thread, where SPEC §8 wants
   * stakeholders to follow it: the first report and the report after resolution (§8's own), and
   * each escalation tier (§6: who the incident was escalated to). Notification steps, missed
   * targets and reminders stay with the people they are for (and in the timeline).
   */
  forThread(incident: Incident, timer: PlannedTimer): Notice | undefined {
    // The stakeholder thread is a channel post: the organisation's language.
    const { config } = this;
    const { m, presenter, duration } = this.voices.get();
    const base = { id: incident.id, priority: incident.priority, title: incident.title };
    let text: string | undefined;
    if (timer.rule === 'escalation' && timer.tier !== undefined) {
      const tiers = config.policy.escalation[incident.priority];
      const names = this.rolePeople(incident, timer.roles ?? []).map((id) => presenter.nameOf(id));
      const who = names.length > 0 ? names.join(', ') : m.thread.nobody;
      text = m.thread.escalation({ ...base, tier: timer.tier + 1, tiers: tiers.length, after: duration(tiers[timer.tier]?.after ?? 0), status: m.status[incident.status], who });
    } else if (timer.rule === 'update' && timer.update === 'first') {
      const owner = presenter.nameOf(incident.ownerId ?? incident.assigneeId ?? incident.groupId);
      text = m.thread.firstReport({ ...base, status: m.status[incident.status], owner, restoreBy: presenter.formatTime(this.restoreBy(incident)) });
    } else if (timer.rule === 'update' && timer.update === 'after_resolution') {
      text = m.thread.afterResolution({ ...base, at: presenter.formatTime(incident.resolvedAt), by: presenter.nameOf(incident.resolvedById), code: presenter.resolutionLabel(incident.resolutionCode), solution: clip(incident.solution ?? '', 500) });
    }
    if (!text) return undefined;
    return { ...channelLine(`thread:${timer.key}`, 'stakeholders', text), dueAt: timer.dueAt };
  }

  private restoreBy(incident: Incident): Date {
    return incident.sla.resolve.dueAt ?? new Date(incident.createdAt.getTime() + incident.pausedMs + this.config.policy.updates[incident.priority].restoreWithin);
  }

  private updateNotices(incident: Incident, timer: PlannedTimer, late: (text: Words) => Words): Notice[] {
    const { config } = this;
    const cadence = config.policy.updates[incident.priority];
    const base = { id: incident.id, priority: incident.priority, title: incident.title };
    const audience = this.people(this.rolePeople(incident, cadence.audience));
    if (timer.update === 'first') {
      const owner = incident.ownerId ?? incident.assigneeId ?? incident.groupId;
      return this.notices(incident, timer.key, '', audience, late(({ m, presenter }) => m.notify.firstReport({ ...base, status: m.status[incident.status], owner: presenter.nameOf(owner) })), {});
    }
    if (timer.update === 'after_resolution') {
      const text: Words = ({ m, presenter }) =>
        m.notify.afterResolution({ ...base, at: presenter.formatTime(incident.resolvedAt), by: presenter.nameOf(incident.resolvedById), code: presenter.resolutionLabel(incident.resolutionCode), solution: incident.solution ?? '' });
      return this.notices(incident, timer.key, '', audience, late(text), {});
    }
    // The reminder goes to whoever owns the work now, and the major incident manager.
    const owners = [incident.ownerId ?? incident.assigneeId].filter((id): id is string => Boolean(id));
    if (incident.majorIncidentManagerId) owners.push(incident.majorIncidentManagerId);
    const to: Destination[] = owners.length > 0 ? this.people(owners) : incident.groupId ? [{ kind: 'group', groupId: incident.groupId }] : this.people(this.directory.onDutyFirstLine());
    return this.notices(incident, timer.key, '', to, late((v) => v.m.notify.updateDue({ ...base, every: v.duration(cadence.every) })), { actions: ['update'] });
  }

  /** A summary line in the management line (the management channel's thread for the incident), in the organisation's language. */
  private managementSummary(incident: Incident, key: string): Notice {
    const { m, presenter } = this.voices.get();
    const open = (incident.plan?.actions ?? []).filter((a) => !a.done).length;
    const text = m.thread.managementSummary({
      id: incident.id, priority: incident.priority, title: incident.title, status: m.status[incident.status],
      owner: presenter.nameOf(incident.ownerId ?? incident.assigneeId ?? incident.groupId), manager: presenter.nameOf(incident.majorIncidentManagerId),
      version: incident.plan?.version ?? 0, open, review: presenter.formatTime(nextReview(incident, this.config.policy)),
    });
    return channelLine(`thread:${key}`, 'management', text);
  }

  /**
   * The communication plan's messages: a draft needing approval goes to its approvers with Approve /
   * Edit / Reject; an update posted goes to its audience's channel (none: it is only recorded) and
   * the drafter hears it went out; a rejected one goes back to the drafter with the reason.
   */
  private commsNotices(incident: Incident, event: IncidentEvent, tell: (rule: string, people: readonly string[], text: Words, actions?: string[], buttons?: Buttons) => void): Notice[] {
    const id = incident.id;
    const n = Number(event.data.draft);
    const draft = incident.comms?.drafts.find((d) => d.n === n);
    const audience = incident.comms?.audiences.find((a) => a.audience === draft?.audience);
    if (!draft || !audience) return [];
    const audienceName = (m: Voice['m']) => word(m.audience, draft.audience) ?? draft.audience;
    if (event.flags.includes('comms_needs_approval')) {
      const buttons: Buttons = ({ m }) => [
        { label: m.action['comms-approve'] ?? 'Approve', command: 'comms-approve', args: { id, draft: String(n) }, style: 'primary' },
        { label: m.action['comms-edit'] ?? 'Edit', command: 'comms-edit', args: { id, draft: String(n) } },
        { label: m.action['comms-reject'] ?? 'Reject', command: 'comms-reject', args: { id, draft: String(n) }, style: 'danger' },
      ];
      tell(`comms:approve:${n}`, approversOf(audience, incident, this.directory), ({ m }) => m.notice.commsApproval({ id, n, audience: audienceName(m), by: draft.byName, text: draft.text }), ['comms-approve', 'comms-edit', 'comms-reject'], buttons);
      return [];
    }
    if (event.flags.includes('comms_rejected')) {
      tell(`comms:rejected:${n}`, [draft.byId], ({ m }) => m.notice.commsRejected({ id, n, audience: audienceName(m), by: event.actorName, reason: draft.reason ?? '' }));
      return [];
    }
    if (!event.flags.includes('comms_posted')) return [];
    if (event.action === 'comms-approve') tell(`comms:approved:${n}`, [draft.byId], ({ m }) => m.notice.commsApproved({ id, n, audience: audienceName(m), by: event.actorName }));
    if (audience.channel === 'none') return [];
    // A channel post: the organisation's language.
    const { m } = this.voices.get();
    const text = m.notice.commsUpdate({ id, priority: incident.priority, title: incident.title, audience: audienceName(m), text: draft.text });
    return [channelLine(`comms:posted:${n}`, audience.channel, text, String(event.seq))];
  }

  /** A message to the service desk on duty that is about no one incident (the month's follow-up calls), in each reader's language. */
  forDesk(rule: string, text: Words): Notice[] {
    const byLocale = new Map<Locale, Destination[]>();
    for (const personId of unique(this.directory.onDutyFirstLine())) {
      const locale = this.localeOf(personId);
      byLocale.set(locale, [...(byLocale.get(locale) ?? []), { kind: 'person', personId }]);
    }
    return [...byLocale].map(([locale, to]) => ({ rule, step: '', to, text: text(this.voices.get(locale)), urgent: false, channels: [] }));
  }

  /** The people holding these roles for this incident: the group's own role holders first, else the organisation's. */
  rolePeople(incident: Incident, roles: readonly string[]): string[] {
    const groupId = incident.groupId ?? incident.lastGroupId ?? this.config.policy.categories.find((c) => c.id === incident.category)?.group;
    return unique(roles.flatMap((role) => this.directory.holders(role, groupId)));
  }

  private audience(incident: Incident, audiences: readonly Audience[]): Destination[] {
    const out: Destination[] = [];
    for (const audience of audiences) {
      // Monitoring reported it: there is nobody to acknowledge or ask for confirmation.
      if (audience === 'reporter') out.push(...this.reporter(incident));
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

  /** The reporter: a person in the directory, an outside contact, or nobody (monitoring opened it). */
  private reporter(incident: Incident): Destination[] {
    if (incident.source === 'monitoring' && incident.alert) return [];
    if (incident.contact) return [{ kind: 'contact', ...incident.contact }];
    return this.people([incident.reporterId]);
  }

  private people(ids: readonly string[]): Destination[] {
    return unique(ids).map((personId) => ({ kind: 'person', personId }));
  }

  /** One notice per language among the recipients: people read their own, groups and channels the organisation's. */
  private notices(incident: Incident, rule: string, step: string, to: Destination[], headline: Words, options: NoticeOptions): Notice[] {
    const byLocale = new Map<Locale, Destination[]>();
    for (const destination of to) {
      const locale = destination.kind === 'person' ? this.localeOf(destination.personId) : this.directory.defaultLocale;
      byLocale.set(locale, [...(byLocale.get(locale) ?? []), destination]);
    }
    return [...byLocale].map(([locale, recipients]) => this.notice(incident, rule, step, recipients, this.voices.get(locale), headline, options));
  }

  /** Every notice carries SPEC §7's standard content and the incident's card (its buttons limited to `actions`). */
  private notice(incident: Incident, rule: string, step: string, to: Destination[], voice: Voice, headline: Words, options: NoticeOptions): Notice {
    const { config } = this;
    const { m, presenter } = voice;
    const service = incident.service ? presenter.serviceLabel(incident.service) : m.time.never;
    const restoreBy = incident.sla.resolve.dueAt ?? new Date(incident.createdAt.getTime() + incident.pausedMs + config.policy.updates[incident.priority].restoreWithin);
    const details = m.notify.standard({
      description: clip(incident.description, 300),
      service,
      restoreBy: incident.status === 'resolved' || incident.status === 'closed' ? m.status[incident.status] : presenter.formatTime(restoreBy),
      contact: config.organisation.serviceDeskContact,
      id: incident.id,
    });
    const card = presenter.card(incident, incident.updatedAt);
    const actions = options.actions ?? [];
    return {
      rule,
      step,
      to,
      text: `${headline(voice)}\n${details}`,
      card: { ...card, actions: [...card.actions.filter((a) => actions.includes(a.command)), ...(options.buttons?.(voice) ?? [])] },
      actions,
      urgent: options.urgent ?? false,
      channels: options.channels ?? [],
    };
  }
}

/**
 * A line posted in a channel, the incident's thread there or its war room, in the organisation's
 * language: written only where some platform reaches it (none configured is not a failure).
 */
function channelLine(rule: string, channel: Extract<Destination, { kind: 'channel' }>['channel'], text: string, step = ''): Notice {
  return { rule, step, to: [{ kind: 'channel', channel }], text, urgent: false, channels: [], optional: true };
}

/** Buttons a notice adds beyond the card's own (a rating's five scores, "Correct"), in the reader's words. */
type Buttons = (v: Voice) => ActionButton[];

interface NoticeOptions {
  actions?: string[];
  buttons?: Buttons;
  urgent?: boolean;
  channels?: NotificationChannel[];
}

/** 1 (poor) … 5 (excellent): one press rates; a comment can follow with the `rate` command. */
function ratingButtons(id: string): Buttons {
  return ({ m }) => [1, 2, 3, 4, 5].map((score) => ({ label: m.notice.rateButton({ score }), command: 'rate', args: { id, score: String(score) } }));
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
  if (destination.kind === 'contact') return `contact:${destination.email ?? destination.phone ?? destination.name}`;
  if (destination.kind === 'service') return `service:${destination.serviceId}`;
  return `channel:${destination.channel}`;
}
