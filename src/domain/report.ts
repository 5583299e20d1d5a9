import { initialComms, isMajor } from './major.js';
import type { ConfigFile } from '../config/config.schema.js';
import type { Actor, Directory } from './directory.js';
import { UserError } from './errors.js';
import { contactReporterId } from './contact.js';
import { formatIncidentId, type AlertInfo, type Contact, type Incident, type Level, type Source } from './incident.js';
import { initialPriority } from './priority.js';
import { computeClocks } from './sla.js';

export interface ReportInput {
  title: string;
  description: string;
  impact: Level;
  urgency: Level;
  category?: string;
  subcategory?: string;
  subarea?: string;
  service?: string;
  ci?: string;
  ciInCatalog?: boolean;
  ciOperable?: boolean;
  location?: string;
  outageStart?: Date;
  source?: Source;
  /** Report on behalf of this person (first line logging a phone call). */
  reporterId?: string;
  /** Report on behalf of someone outside the directory (checked with checkContact). */
  contact?: Contact;
  /** A closed incident this one repeats (SPEC §10): its details are copied and linked. */
  recurrenceOf?: string;
  /** The incident a "not completed" closure re-opens as a new one. */
  followUpOf?: string;
  groupId?: string;
  /** What monitoring said, when it opened the incident. */
  alert?: AlertInfo;
  /** Knowledge articles that matched the report (found by the caller before the commit). */
  kbMatches?: { id: string; title: string }[];
}

export interface NewIncidentContext {
  number: number;
  actor: Actor;
  config: ConfigFile;
  directory: Directory;
  now: Date;
  /** The closed incident a recurrence copies, loaded by the service. */
  original?: Incident;
}

/** Builds a new incident from a report: priority by the rules of SPEC §4, clocks by §5. */
export function newIncident(input: ReportInput, ctx: NewIncidentContext): { incident: Incident; priorityReasons: string[] } {
  const { config, directory, actor, now, original } = ctx;
  const policy = config.policy;
  if (original && input.recurrenceOf && original.status !== 'closed') {
    throw new UserError('recurrence_needs_closed', { id: original.id, status: original.status });
  }
  const title = input.title.trim();
  if (!title) throw new UserError('field_required', { id: 'new incident', field: 'title' });
  if (title.length > policy.limits.title) throw new UserError('too_long', { field: 'title', max: policy.limits.title });
  if (input.description.length > policy.limits.text) throw new UserError('too_long', { field: 'description', max: policy.limits.text });
  if (input.category && !policy.categories.some((c) => c.id === input.category)) {
    throw new UserError('unknown_category', { category: input.category });
  }
  if (input.service && !policy.services.some((s) => s.id === input.service)) {
    throw new UserError('unknown_service', { service: input.service });
  }
  if (input.reporterId && input.contact) throw new UserError('reporter_or_contact');
  const reporterId = input.contact ? contactReporterId(input.contact) : (input.reporterId ?? actor.id);
  const reporter = directory.person(reporterId);
  if (input.reporterId && !reporter) throw new UserError('unknown_person', { person: input.reporterId });
  const category = input.category ?? original?.category;
  const outcome = initialPriority(policy, {
    impact: input.impact,
    urgency: input.urgency,
    categoryId: category,
    reporterVip: reporter?.vip ?? false,
  });
  const id = formatIncidentId(ctx.number);
  const incident: Incident = {
    id,
    number: ctx.number,
    rev: 1,
    title,
    description: input.description.trim(),
    status: 'open',
    priority: outcome.priority,
    impact: input.impact,
    urgency: input.urgency,
    major: outcome.major,
    category,
    subcategory: input.subcategory ?? original?.subcategory,
    subarea: input.subcategory ? input.subarea : original?.subarea,
    service: input.service ?? original?.service,
    ci: input.ci ?? original?.ci,
    ciInCatalog: input.ci ? input.ciInCatalog : original?.ciInCatalog,
    ciOperable: input.ciOperable,
    location: input.location ?? original?.location,
    source: input.source ?? 'user',
    reporterId,
    reporterName: input.contact?.name ?? reporter?.name ?? actor.name,
    contact: input.contact,
    recorderId: directory.isFirstLine(actor.id) ? actor.id : undefined,
    outageStart: input.outageStart ?? now,
    createdAt: now,
    updatedAt: now,
    pausedMs: 0,
    sla: { respond: {}, accept: {}, resolve: {} },
    withdrawn: false,
    closureRequested: false,
    reDispatchCount: 0,
    rejectCount: 0,
    managerTakeover: false,
    escalated: false,
    lastChangeById: actor.id,
    lastChangeByName: actor.name,
    lastAction: 'report',
    links: { recurrenceOf: input.recurrenceOf, followUpOf: input.followUpOf },
    priorityLog: [],
    ...(input.alert ? { alert: input.alert } : {}),
    ...(input.kbMatches?.length ? { kbMatches: input.kbMatches } : {}),
  };
  if (outcome.major) incident.majorIncidentManagerId = directory.majorIncidentManagers()[0];
  // A major incident from the start: its communication plan and clocks start with it (SPEC §12).
  if (isMajor(incident, policy)) {
    incident.majorAt = now;
    incident.comms = initialComms(policy, incident.priority, now);
  }
  if (outcome.reasons.length > 0) {
    const matrix = policy.priorityMatrix[input.urgency - 1]?.[input.impact - 1] ?? outcome.priority;
    incident.priorityLog.push({ at: now, byId: 'system', byName: 'system', from: matrix, to: outcome.priority, reason: outcome.reasons.join(', ') });
  }
  incident.sla = computeClocks(incident, policy);
  return { incident: stripUndefined(incident), priorityReasons: outcome.reasons };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
