import type { Policy } from '../config/config.schema.js';
import type { Clock, Incident } from './incident.js';

/**
 * SLA due times (SPEC §5), derived from the incident's own timestamps so they can be recomputed
 * after any change of priority or status:
 *   respond  created → first dispatch (a first-line fix also meets it)
 *   accept   latest dispatch → accept (a re-dispatch starts it again)
 *   resolve  first accept → resolved
 * Time spent suspended shifts the clocks that were running.
 */
export function computeClocks(incident: Incident, policy: Policy): Incident['sla'] {
  const targets = policy.targets[incident.priority];
  // A running suspension is added to pausedMs on resume; until then the card shows the clock as paused.
  const shift = incident.pausedMs;
  const respondMet = incident.firstDispatchedAt ?? (incident.resolvedAt && !incident.firstDispatchedAt ? incident.resolvedAt : undefined);
  const respond: Clock = { dueAt: plus(incident.createdAt, targets.respond), metAt: respondMet };
  const accept: Clock = incident.dispatchedAt
    ? {
        dueAt: plus(incident.dispatchedAt, targets.accept),
        metAt: incident.acceptedAt && incident.acceptedAt >= incident.dispatchedAt ? incident.acceptedAt : undefined,
      }
    : {};
  const resolve: Clock = incident.firstAcceptedAt
    ? { dueAt: plus(incident.firstAcceptedAt, targets.resolve + shift), metAt: incident.resolvedAt }
    : {};
  return { respond: compact(respond), accept: compact(accept), resolve: compact(resolve) };
}

/** The next target still running, shown on the card as "SLA target". */
export function nextDue(incident: Incident): { target: keyof Incident['sla']; dueAt: Date } | undefined {
  if (incident.status === 'suspended' || incident.status === 'resolved' || incident.status === 'closed') return undefined;
  for (const target of ['respond', 'accept', 'resolve'] as const) {
    const clock = incident.sla[target];
    if (clock.dueAt && !clock.metAt) return { target, dueAt: clock.dueAt };
  }
  return undefined;
}

export function isBreached(clock: Clock, now: Date): boolean {
  if (!clock.dueAt) return false;
  return (clock.metAt ?? now).getTime() > clock.dueAt.getTime();
}

function plus(at: Date, ms: number): Date {
  return new Date(at.getTime() + ms);
}

function compact(clock: Clock): Clock {
  const out: Clock = {};
  if (clock.dueAt) out.dueAt = clock.dueAt;
  if (clock.metAt) out.metAt = clock.metAt;
  return out;
}
