import type { Priority } from '../config/config.schema.js';
import type { Comms, RecoveryPlan } from './major-plan.js';

export type { Priority };

export const STATUSES = ['open', 'assigned', 'in_progress', 'pending_change', 'suspended', 'resolved', 'closed'] as const;
export type Status = (typeof STATUSES)[number];

/** How the incident reached the desk (SPEC §1, §2): a user's own report, a call, an e-mail, a visit, routine operations, monitoring. */
export const SOURCES = ['user', 'phone', 'email', 'walk_in', 'operations', 'monitoring'] as const;
export type Source = (typeof SOURCES)[number];

/** Someone outside the directory who reported by phone, e-mail or in person: how to reach them back. */
export interface Contact {
  name: string;
  phone?: string;
  email?: string;
}

export type Level = 1 | 2 | 3 | 4;

/** One SLA target (SPEC §5): when it is due and when it was met. */
export interface Clock {
  dueAt?: Date;
  metAt?: Date;
}

export interface PriorityChange {
  at: Date;
  byId: string;
  byName: string;
  from: Priority;
  to: Priority;
  reason: string;
}

export interface IncidentLinks {
  /** This incident duplicates that master; a master's duplicates are found by querying this field. */
  masterId?: string;
  recurrenceOf?: string;
  /** Re-opened as a new incident from this one's "not completed" closure. */
  followUpOf?: string;
  problem?: string;
  change?: string;
}

/** The current snapshot of an incident; the event log is the history that produced it. */
/**
 * What monitoring said about an incident it opened (SPEC §14): the source, how many times its
 * alerts were received and when, whether they still fire, how often they flapped, a link back.
 */
export interface AlertInfo {
  /** The configured source name ("alertmanager", "grafana", "zabbix", or a generic one). */
  source: string;
  /** The alert (or alert group) key that attaches later alerts to this incident. */
  key: string;
  state: 'firing' | 'resolved';
  /** Alerts received for it, repeats included. */
  count: number;
  /** Distinct alerts (fingerprints) attached. */
  alerts: number;
  firstSeen: Date;
  lastSeen: Date;
  /** Times it fired again after it had resolved. */
  flaps: number;
  flapping: boolean;
  url?: string;
  /** The labels that matter (at most a dozen), as the tool sent them. */
  labels: Record<string, string>;
}

export interface Incident {
  id: string;
  number: number;
  rev: number;
  title: string;
  description: string;
  status: Status;
  priority: Priority;
  impact: Level;
  urgency: Level;
  major: boolean;
  category?: string;
  /** The area (second level of the taxonomy), by id. */
  subcategory?: string;
  /** The sub-area (third level), by id. */
  subarea?: string;
  service?: string;
  ci?: string;
  /** True when `ci` is a catalog id; false when it was typed and the catalog does not hold it. */
  ciInCatalog?: boolean;
  ciOperable?: boolean;
  location?: string;
  source: Source;
  /** A person in the directory, or `contact:<e-mail or phone>` for an outside contact (then `contact` says who). */
  reporterId: string;
  reporterName: string;
  /** The outside contact who reported it (not in the directory): acknowledgements and the Confirm/Reopen request go to them by e-mail. */
  contact?: Contact;
  /** First-line owner for the whole life of the incident (首问负责制). */
  recorderId?: string;
  groupId?: string;
  /** The group it was last with (a rejection clears groupId); re-dispatch compares against it. */
  lastGroupId?: string;
  assigneeId?: string;
  /** The accepted assignee: the current owner. */
  ownerId?: string;
  majorIncidentManagerId?: string;
  outageStart: Date;
  outageEnd?: Date;
  createdAt: Date;
  updatedAt: Date;
  firstDispatchedAt?: Date;
  dispatchedAt?: Date;
  firstAcceptedAt?: Date;
  acceptedAt?: Date;
  resolvedAt?: Date;
  resolvedById?: string;
  /** The line that resolved it (SPEC §15): the service desk, a support group, or an outside party. */
  resolvedLine?: 'first' | 'second' | 'third';
  confirmedAt?: Date;
  closedAt?: Date;
  closedById?: string;
  suspendedAt?: Date;
  /** Total time spent suspended; SLA clocks are shifted by it. */
  pausedMs: number;
  /** The last progress update posted (SPEC §8): reminders count from it. */
  lastUpdateAt?: Date;
  /** `pausedMs` when that update was posted, so later suspensions shift the next reminder. */
  lastUpdatePausedMs?: number;
  sla: { respond: Clock; accept: Clock; resolve: Clock };
  /** Targets missed, stored when the miss fired (SPEC §5): the due time that passed. An accept target missed once stays missed after a re-dispatch. */
  missed?: Partial<Record<'respond' | 'accept' | 'resolve', Date>>;
  resolutionCode?: string;
  solution?: string;
  closureCode?: string;
  withdrawn: boolean;
  closureRequested: boolean;
  reDispatchCount: number;
  rejectCount: number;
  /** Dispatching has been handed to the incident manager (SPEC §9). */
  managerTakeover: boolean;
  /** Functionally escalated since the last accept: the next accept notifies the next line. */
  escalated: boolean;
  lastChangeById?: string;
  lastChangeByName?: string;
  lastAction?: string;
  links: IncidentLinks;
  priorityLog: PriorityChange[];
  /** Knowledge articles used on it (SPEC §13, KPI knowledge use). */
  knowledge?: string[];
  /** Published articles that matched the report when it was logged: offered to the reporter, shown to first line. */
  kbMatches?: { id: string; title: string }[];
  /** Set when monitoring opened the incident. */
  alert?: AlertInfo;
  /** The group that closed it (the closer's service desk, else the group it was with): its team lead verifies the record (SPEC §11). */
  closingGroupId?: string;
  verifiedAt?: Date;
  verifiedById?: string;
  /** The team lead sent the closed record back for correction; cleared when the closer corrects it. */
  returned?: { at: Date; byId: string; byName: string; reason: string };
  /** When the record was last corrected after a return: verification (and its reminder) count from it. */
  correctedAt?: Date;
  /** The reporter's satisfaction rating after closure (SPEC §11), given once. */
  rating?: Rating;
  /** The monthly follow-up call (回访) this incident was sampled for, and its outcome. */
  followUpCall?: FollowUpCall;
  /** A major incident's recovery plan as it stands (every version is an event: `plan`). */
  plan?: RecoveryPlan;
  /** A major incident's communication plan: audiences, their next updates, the drafts. */
  comms?: Comms;
  /** When it became a major incident: review meetings and management summaries count from it. */
  majorAt?: Date;
}

/** A reporter's satisfaction with the service, 1 (poor) to 5 (excellent). */
export interface Rating {
  score: number;
  comment?: string;
  at: Date;
}

export const CALL_OUTCOMES = ['reached', 'not_reached'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** What the service desk's follow-up call found (SPEC §11 回访). */
export interface FollowUpCall {
  /** The sampled month, "2026-10". */
  month: string;
  outcome: CallOutcome;
  satisfied?: boolean;
  comment?: string;
  byId: string;
  at: Date;
}

export interface IncidentEvent {
  incidentId: string;
  seq: number;
  at: Date;
  actorId: string;
  actorName: string;
  action: string;
  from?: Status;
  to?: Status;
  reason?: string;
  note?: string;
  /** Arguments of the action as given (codes, groups, links). */
  data: Record<string, unknown>;
  /** Fields the action set on the snapshot, so a snapshot left behind by a crash can be rebuilt. */
  changes: Partial<Incident>;
  /** Rules the event triggered, e.g. "cross_group_redispatch", "manager_takeover". */
  flags: string[];
}

export const ACTIVE_STATUSES: readonly Status[] = ['open', 'assigned', 'in_progress', 'pending_change', 'suspended'];

export function formatIncidentId(num: number): string {
  return `INC-${String(num).padStart(6, '0')}`;
}

/** Accepts "INC-000042", "inc-42", "#42" or "42" and returns the canonical id. */
export function parseIncidentRef(ref: string): string | undefined {
  const match = /^(?:inc-?|#)?0*(\d{1,9})$/i.exec(ref.trim());
  if (!match?.[1]) return undefined;
  const num = Number(match[1]);
  return num > 0 ? formatIncidentId(num) : undefined;
}

export function applyChanges(incident: Incident, changes: Partial<Incident>): Incident {
  const next: Record<string, unknown> = { ...incident };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === null) delete next[key];
    else next[key] = value;
  }
  return next as unknown as Incident;
}
