import type { Policy, ServiceStateRule } from '../config/config.schema.js';
import type { Incident, Priority } from './incident.js';
import { isMajor } from './major.js';

/** How a service is doing, worst last (SPEC §7: its users are told when it is interrupted and when it is restored). */
export const SERVICE_STATES = ['operational', 'degraded', 'outage'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

/** What a service's state remembers of an open incident behind it. */
export interface Cause {
  id: string;
  title: string;
  priority: Priority;
  major: boolean;
  /** False when its CI cannot work (a rule may count it for that alone). */
  ciOperable?: boolean;
}

/** One service as the status page and `subscribe` show it: never changed is operational, with no `since`. */
export interface ServiceView {
  id: string;
  state: ServiceState;
  since?: Date;
  causes: Cause[];
}

/** The fields of an incident that decide which service it affects and how. */
export type StateInput = Pick<Incident, 'id' | 'title' | 'status' | 'priority' | 'major' | 'ciOperable' | 'service'>;

/** A service's state, and the open incidents behind it (worst first): nothing behind it is operational. */
export interface Assessment {
  state: ServiceState;
  causes: Cause[];
}

const PRIORITY_RANK: Record<Priority, number> = { P1: 1, P2: 2, P3: 3, P4: 4 };

/** Resolved and closed incidents no longer affect their service. */
export function isOpen(incident: Pick<Incident, 'status'>): boolean {
  return incident.status !== 'resolved' && incident.status !== 'closed';
}

function matches(rule: ServiceStateRule, incident: StateInput, major: boolean): boolean {
  return rule.priorities.includes(incident.priority) || (incident.ciOperable === false && rule.ciInoperable.includes(incident.priority)) || (rule.major && major);
}

/**
 * The state of one service from its open incidents, by the policy's rules: an outage if one of
 * them matches `outage`, else degraded if one matches `degraded`. The causes are every open
 * incident matching either rule, so a second incident joining an outage is listed too.
 */
export function assess(incidents: readonly StateInput[], policy: Pick<Policy, 'statusPage' | 'majorPriority'>): Assessment {
  const { outage, degraded } = policy.statusPage;
  // Major as the process reads it: flagged, or at the major priority (an upgrade to P1 sets no flag).
  const open = incidents.filter(isOpen).map((i) => ({ ...i, major: isMajor(i, policy) }));
  const state: ServiceState = open.some((i) => matches(outage, i, i.major)) ? 'outage' : open.some((i) => matches(degraded, i, i.major)) ? 'degraded' : 'operational';
  const causes = open
    .filter((i) => matches(outage, i, i.major) || matches(degraded, i, i.major))
    .sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.id.localeCompare(b.id))
    .map((i) => ({ id: i.id, title: i.title, priority: i.priority, major: i.major, ...(i.ciOperable === false ? { ciOperable: false } : {}) }));
  return { state, causes };
}

/** Whether two assessments say the same: the state, and the same incidents as they were (a new title, priority or major flag counts). */
export function sameAssessment(a: Assessment, b: Assessment): boolean {
  const key = (causes: readonly Cause[]) => causes.map((c) => `${c.id}|${c.title}|${c.priority}|${c.major}`).join('\n');
  return a.state === b.state && key(a.causes) === key(b.causes);
}
