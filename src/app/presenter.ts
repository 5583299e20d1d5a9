import { nextReview } from '../domain/major.js';
import type { ConfigFile } from '../config/config.schema.js';
import { SYSTEM_ACTOR, type Actor, type Directory } from '../domain/directory.js';
import type { Incident, IncidentEvent } from '../domain/incident.js';
import { actionsAvailable, mayAttempt, type ActionName } from '../domain/lifecycle.js';
import { isBreached } from '../domain/sla.js';
import { placeLabel } from '../domain/taxonomy.js';
import { say, word, type Catalog, type Locale, type Localized } from '../i18n/index.js';
import type { ActionButton, CardField, CardView, Colour } from './view.js';

const COLOURS: Record<Incident['priority'], Colour> = { P1: 'red', P2: 'orange', P3: 'yellow', P4: 'blue' };

/** Actions a card offers first, in this order; the rest follow. */
const PRIMARY: readonly ActionName[] = ['accept', 'dispatch', 'resolve', 'confirm', 'close'];
const DANGER: readonly ActionName[] = ['reject', 'withdraw'];

export class Presenter {
  private readonly time: Intl.DateTimeFormat;

  constructor(
    private readonly config: ConfigFile,
    private readonly directory: Directory,
    private readonly m: Catalog,
    /** The language of `m`; labels from the policy file are read in it too. */
    readonly locale: Locale = config.organisation.locale,
  ) {
    this.time = timeFormat(locale, config.organisation.timezone);
  }

  /** "2026-11-29 09:30 UTC" in English, "2026/11/29 09:30 UTC" in Chinese: always the organisation's time zone. */
  formatTime(at: Date | undefined): string {
    return at ? `${this.time.format(at)} ${this.config.organisation.timezone === 'UTC' ? 'UTC' : ''}`.trim() : this.m.time.never;
  }

  /** A policy label in this presenter's language. */
  say(label: Localized): string {
    return say(label, this.locale);
  }

  /** A person's or group's name, in this language. */
  nameOf(id: string | undefined): string {
    return this.directory.nameOf(id, this.locale);
  }

  resolutionLabel(code: string | undefined): string {
    const found = this.config.policy.resolutionCodes.find((c) => c.id === code);
    return found ? this.say(found.label) : (code ?? '');
  }

  closureLabel(code: string | undefined): string | undefined {
    const found = this.config.policy.closureCodes.find((c) => c.id === code);
    return found ? this.say(found.label) : code;
  }

  /** With a `viewer`, the card is theirs alone (ephemeral): only buttons they may press are shown. */
  card(incident: Incident, now: Date, viewer?: Actor): CardView {
    const { m, directory } = this;
    const status = m.status[incident.status];
    const fields: CardField[] = [
      { label: m.card.status, value: status, short: true },
      { label: m.card.priority, value: incident.major ? `${incident.priority} — ${m.card.major}` : incident.priority, short: true },
      { label: m.card.impactUrgency, value: `${this.level('impact', incident.impact)} × ${this.level('urgency', incident.urgency)}`, short: true },
      { label: m.card.reporter, value: incident.reporterName, short: true },
      { label: m.card.group, value: this.nameOf(incident.groupId), short: true },
      { label: incident.ownerId ? m.card.owner : m.card.assignee, value: this.nameOf(incident.ownerId ?? incident.assigneeId), short: true },
    ];
    if (incident.recorderId) fields.push({ label: m.card.recorder, value: this.nameOf(incident.recorderId), short: true });
    if (incident.category) fields.push({ label: m.card.category, value: placeLabel(this.config.policy, this.locale, { category: incident.category, subcategory: incident.subcategory, subarea: incident.subarea }), short: true });
    if (incident.service) fields.push({ label: m.card.service, value: this.serviceLabel(incident.service), short: true });
    if (incident.contact) fields.push({ label: m.card.contact, value: [incident.contact.name, incident.contact.phone, incident.contact.email].filter(Boolean).join(' · '), short: true });
    if (incident.ci) fields.push({ label: m.card.ci, value: incident.ciInCatalog === false ? `${incident.ci} (${m.card.notInCatalog})` : incident.ci, short: true });
    if (incident.ciOperable !== undefined) fields.push({ label: m.card.ciOperable, value: incident.ciOperable ? m.word.yes : m.word.no, short: true });
    if (incident.source !== 'user') fields.push({ label: m.card.source, value: this.sourceLabel(incident), short: true });
    fields.push(...this.alertFields(incident));
    if (incident.kbMatches?.length && (incident.status === 'open' || incident.status === 'assigned')) {
      fields.push({ label: m.card.kbMatches, value: incident.kbMatches.map((k) => `${k.id} ${k.title}`).join(' · '), short: false });
    }
    if (incident.knowledge?.length) fields.push({ label: m.card.knowledge, value: incident.knowledge.join(', '), short: true });
    if (incident.majorIncidentManagerId) fields.push({ label: m.card.majorManager, value: this.nameOf(incident.majorIncidentManagerId), short: true });
    fields.push(...this.majorFields(incident));
    fields.push(...this.clockFields(incident, now));
    if (incident.reDispatchCount > 0) fields.push({ label: m.card.reDispatches, value: String(incident.reDispatchCount), short: true });
    if (incident.managerTakeover) fields.push({ label: m.card.managerTakeover, value: this.nameOf(directory.incidentManagers()[0]), short: true });
    if (incident.links.masterId) fields.push({ label: m.card.duplicates, value: m.card.duplicateOf({ id: incident.links.masterId }) });
    if (incident.links.recurrenceOf) fields.push({ label: m.card.duplicates, value: m.card.recurrenceOf({ id: incident.links.recurrenceOf }) });
    if (incident.solution) {
      const code = this.resolutionLabel(incident.resolutionCode);
      fields.push({ label: m.card.resolution, value: `${code}: ${incident.solution}` });
    }
    if (incident.status === 'resolved') {
      fields.push({ label: m.card.confirmed, value: incident.confirmedAt ? this.formatTime(incident.confirmedAt) : m.card.awaitingConfirmation, short: true });
    }
    if (incident.closureRequested && incident.status !== 'closed') fields.push({ label: m.card.closureRequested, value: '✓', short: true });
    if (incident.closureCode) {
      fields.push({ label: m.card.closure, value: this.closureLabel(incident.closureCode) ?? '' });
    }
    if (incident.links.problem) fields.push({ label: m.card.problem, value: incident.links.problem, short: true });
    if (incident.status === 'closed') {
      const verification = incident.verifiedAt
        ? m.card.verifiedBy({ by: this.nameOf(incident.verifiedById), at: this.formatTime(incident.verifiedAt) })
        : incident.returned ? m.card.returnedBy({ by: incident.returned.byName, reason: incident.returned.reason }) : m.card.notVerified;
      fields.push({ label: m.card.verification, value: verification, short: true });
    }
    if (incident.rating) fields.push({ label: m.card.rating, value: m.card.ratingValue({ score: incident.rating.score, comment: incident.rating.comment ?? '' }), short: true });
    if (incident.followUpCall) {
      const call = incident.followUpCall;
      const outcome = call.outcome === 'reached' && call.satisfied !== undefined ? `${m.callOutcome.reached}, ${call.satisfied ? m.word.satisfied : m.word.unsatisfied}` : m.callOutcome[call.outcome];
      fields.push({ label: m.card.followUpCall, value: m.card.followUpValue({ month: call.month, outcome, comment: call.comment ?? '' }), short: true });
    }
    return {
      incidentId: incident.id,
      title: `${incident.id} ${incident.title}`,
      subtitle: incident.description,
      colour: incident.status === 'closed' || incident.status === 'resolved' ? 'green' : COLOURS[incident.priority],
      fields,
      actions: this.buttons(incident, viewer),
      rev: incident.rev,
    };
  }

  /** The buttons the table allows in this status, minus those every person would be refused. */
  buttons(incident: Incident, viewer?: Actor): ActionButton[] {
    const relations = viewer ? this.directory.relationsOf(viewer, incident) : undefined;
    const available = actionsAvailable(incident.status).filter(
      (action) => !this.refusedForEveryone(action, incident) && (!relations || mayAttempt(action, incident, relations)),
    );
    const ordered = [...PRIMARY.filter((a) => available.includes(a)), ...available.filter((a) => !PRIMARY.includes(a))];
    const buttons: ActionButton[] = ordered.map((action) => ({
      label: word(this.m.action, action) ?? action,
      command: action,
      args: { id: incident.id },
      ...(PRIMARY.includes(action) ? { style: 'primary' as const } : DANGER.includes(action) ? { style: 'danger' as const } : {}),
    }));
    if (incident.status === 'closed') buttons.push({ label: this.m.action.recur ?? 'recur', command: 'recur', args: { id: incident.id } });
    buttons.push({ label: this.m.action.timeline ?? 'timeline', command: 'timeline', args: { id: incident.id } });
    return buttons;
  }

  private refusedForEveryone(action: ActionName, incident: Incident): boolean {
    if (action === 'declare-major') return incident.major && Boolean(incident.majorIncidentManagerId);
    if (action === 'mark-duplicate') return Boolean(incident.links.masterId);
    if (action === 'request-closure') return incident.closureRequested || incident.reporterId === SYSTEM_ACTOR.id;
    if (action === 'confirm') return Boolean(incident.confirmedAt);
    if (action === 'verify') return Boolean(incident.verifiedAt || incident.returned);
    if (action === 'return') return Boolean(incident.verifiedAt || incident.returned);
    return false;
  }

  /** "Monitoring (Alertmanager)". */
  sourceLabel(incident: Incident): string {
    const source = this.m.source[incident.source];
    const configured = incident.alert ? this.config.policy.monitoring.sources[incident.alert.source] : undefined;
    const tool = incident.alert ? (configured?.label ? this.say(configured.label) : incident.alert.source) : undefined;
    return tool ? this.m.card.sourceWithTool({ source, tool }) : source;
  }

  /** What monitoring said: state and counts, the labels that matter, the link back to the alert. */
  private alertFields(incident: Incident): CardField[] {
    const { m } = this;
    const alert = incident.alert;
    if (!alert) return [];
    const fields: CardField[] = [{
      label: m.card.alert,
      value: m.card.alertSummary({
        state: m.alertState[alert.state], count: alert.count, alerts: alert.alerts,
        first: this.formatTime(new Date(alert.firstSeen)), last: this.formatTime(new Date(alert.lastSeen)), flapping: alert.flapping ? m.card.flapping : '',
      }),
    }];
    const labels = Object.entries(alert.labels).map(([k, v]) => `${k}=${v}`).join(', ');
    if (labels) fields.push({ label: m.card.alertLabels, value: labels });
    if (alert.url) fields.push({ label: m.card.alertLink, value: alert.url });
    return fields;
  }

  /** A major incident's recovery plan and next update, at a glance (SPEC §12). */
  private majorFields(incident: Incident): CardField[] {
    const { m } = this;
    const fields: CardField[] = [];
    const { plan, comms } = incident;
    if (plan) {
      const open = plan.actions.filter((a) => !a.done).length;
      fields.push({ label: m.card.recoveryPlan, value: m.card.planSummary({ version: plan.version, open, review: this.formatTime(nextReview(incident, this.config.policy)) }), short: true });
    }
    if (comms && incident.status !== 'closed') {
      const next = [...comms.audiences].sort((a, b) => a.nextDueAt.getTime() - b.nextDueAt.getTime())[0];
      const pending = comms.drafts.filter((d) => d.state === 'pending').length;
      if (next) fields.push({ label: m.card.nextUpdate, value: m.card.nextUpdateValue({ audience: word(m.audience, next.audience) ?? next.audience, due: this.formatTime(next.nextDueAt), pending }), short: true });
    }
    return fields;
  }

  private clockFields(incident: Incident, now: Date): CardField[] {
    const { m } = this;
    const labels = { respond: m.card.respondDue, accept: m.card.acceptDue, resolve: m.card.resolveDue } as const;
    const fields: CardField[] = [];
    for (const target of ['respond', 'accept', 'resolve'] as const) {
      const clock = incident.sla[target];
      if (!clock.dueAt) continue;
      let value: string;
      if (clock.metAt) value = `${this.formatTime(clock.dueAt)} (${m.card.met({ at: this.formatTime(clock.metAt) })})`;
      else if (incident.status === 'suspended') value = `${this.formatTime(clock.dueAt)} — ${m.card.paused}`;
      else if (isBreached(clock, now)) value = m.card.overdue({ at: this.formatTime(clock.dueAt) });
      else value = this.formatTime(clock.dueAt);
      fields.push({ label: labels[target], value, short: true });
    }
    return fields;
  }

  /** One line per incident for queues: id, priority, status, title, owner, next due. */
  listLine(incident: Incident): string {
    const owner = this.nameOf(incident.ownerId ?? incident.assigneeId ?? incident.groupId);
    const due = (['respond', 'accept', 'resolve'] as const).map((t) => incident.sla[t]).find((c) => c.dueAt && !c.metAt)?.dueAt;
    const dueText = due && incident.status !== 'suspended' ? ` · ${this.m.reply.due({ at: this.formatTime(due) })}` : '';
    return `${incident.id} ${incident.priority} [${this.m.status[incident.status]}] ${incident.title} · ${owner}${dueText}`;
  }

  timelineLine(event: IncidentEvent): string {
    const { m } = this;
    const what = word(m.event, event.action) ?? event.action;
    const transition = event.from && event.to && event.from !== event.to ? ` (${m.status[event.from]} → ${m.status[event.to]})` : '';
    const details = [event.reason, event.note].filter(Boolean).join(' — ');
    const flags = event.flags.map((f) => word(m.flag, f)).filter(Boolean);
    // The bot's own actions (a cascade, an automatic upgrade) are signed in the reader's language.
    const who = event.actorId === SYSTEM_ACTOR.id ? m.word.bot : event.actorName;
    return `${this.formatTime(event.at)} ${who} ${what}${transition}${details ? `: ${details}` : ''}${flags.length ? ` [${flags.join('; ')}]` : ''}`;
  }

  level(kind: 'impact' | 'urgency', level: number): string {
    const found = this.config.policy[kind][level - 1];
    return `${level} ${found ? this.say(found.label) : ''}`.trim();
  }

  categoryLabel(id: string): string {
    return placeLabel(this.config.policy, this.locale, { category: id });
  }

  serviceLabel(id: string): string {
    const found = this.config.policy.services.find((s) => s.id === id);
    return found ? this.say(found.label) : id;
  }
}

const TIME_FORMATS = new Map<string, Intl.DateTimeFormat>();

/** English keeps the unambiguous ISO order (sv-SE writes it); Chinese its own "2026/11/29 09:30". */
function timeFormat(locale: Locale, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}`;
  let format = TIME_FORMATS.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale === 'en' ? 'sv-SE' : locale, { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    TIME_FORMATS.set(key, format);
  }
  return format;
}
