import type { Policy } from '../config/config.schema.js';
import type { Directory } from '../domain/directory.js';
import type { Incident } from '../domain/incident.js';
import type { TimelineNote, TimelineNoteKind } from '../domain/timeline-note.js';
import type { PlannedTimer } from '../domain/timers.js';
import type { Destination } from '../app/platform.js';
import { EMAIL_PLATFORM } from '../outbox/outbox.js';
import type { OutboxEntry } from '../outbox/outbox.store.js';

export interface NoteInput {
  incident: Incident;
  timer: PlannedTimer;
  policy: Policy;
  directory: Directory;
  firedAt: Date;
  lateMs: number;
  urgent: boolean;
  /** The outbox entries of the timer's notice, and of its stakeholder-thread line (none when it has none). */
  entries: readonly OutboxEntry[];
  threadEntries: readonly OutboxEntry[];
}

/**
 * The timeline note of a fired timer, read from the outbox entries its notice made: who was told
 * and on which platforms, who no platform reaches, whether an e-mail could not be sent, whether a
 * line went to the stakeholder thread. Update reminders (every 30 minutes to the owner) get none.
 */
export function timelineNote(input: NoteInput): TimelineNote | undefined {
  const { incident, timer, policy, directory } = input;
  const described = describe(timer, policy, incident);
  if (!described) return undefined;
  const byDestination = new Map<string, { destination: Destination; platforms: string[] }>();
  for (const entry of input.entries) {
    const key = JSON.stringify(entry.destination);
    const seen = byDestination.get(key) ?? { destination: entry.destination, platforms: [] };
    seen.platforms.push(entry.platform);
    byDestination.set(key, seen);
  }
  const nameOf = (d: Destination) => (d.kind === 'person' ? directory.nameOf(d.personId) : d.kind === 'group' ? directory.nameOf(d.groupId) : d.kind === 'contact' ? d.name : d.kind === 'service' ? `#${d.serviceId}` : `#${d.channel}`);
  const carried = (platform: string) => platform !== 'none' && platform !== EMAIL_PLATFORM;
  const reached = [...byDestination.values()].filter((d) => d.platforms.some(carried));
  const unreached = [...byDestination.values()].filter((d) => !d.platforms.some(carried));
  return {
    incidentId: incident.id,
    key: timer.key,
    kind: described.kind,
    at: input.firedAt,
    dueAt: timer.dueAt,
    params: described.params,
    recipients: reached.map((d) => nameOf(d.destination)),
    channels: [...new Set(input.entries.map((e) => e.platform).filter(carried))],
    urgent: input.urgent,
    unreached: unreached.map((d) => nameOf(d.destination)),
    emailUndeliverable: input.entries.some((e) => e.platform === EMAIL_PLATFORM),
    thread: input.threadEntries.some((e) => carried(e.platform)),
    lateMs: input.lateMs,
  };
}

function describe(timer: PlannedTimer, policy: Policy, incident: Incident): { kind: TimelineNoteKind; params: Record<string, string | number> } | undefined {
  if (timer.rule === 'target' && timer.target) return { kind: 'target', params: { target: timer.target } };
  if (timer.rule === 'escalation' && timer.tier !== undefined) {
    const tiers = policy.escalation[incident.priority];
    return { kind: 'escalation', params: { tier: timer.tier + 1, tiers: tiers.length, afterMs: tiers[timer.tier]?.after ?? 0 } };
  }
  if (timer.rule === 'notification' && timer.tier !== undefined) {
    const steps = policy.notification[incident.priority].steps;
    return { kind: 'notification', params: { step: timer.tier + 1, steps: steps.length, afterMs: steps[timer.tier]?.after ?? 0 } };
  }
  if (timer.rule === 'update' && timer.update === 'first') return { kind: 'first_report', params: {} };
  if (timer.rule === 'update' && timer.update === 'after_resolution') return { kind: 'after_resolution', params: {} };
  return undefined;
}
