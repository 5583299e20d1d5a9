/**
 * What a fired timer did, for the incident's timeline (SPEC §5–§8: who was told, when, on which
 * channel). Notes are not incident events: writing one never bumps the incident's revision, so a
 * timer firing stays one insert cheaper than a change, and no race with people acting.
 */
export type TimelineNoteKind = 'target' | 'escalation' | 'notification' | 'first_report' | 'after_resolution';

export interface TimelineNote {
  incidentId: string;
  /** The timer's key ("escalation:1"): with the incident, the note's id, so a replay writes nothing. */
  key: string;
  kind: TimelineNoteKind;
  /** When it fired, and when it was due. */
  at: Date;
  dueAt: Date;
  /** Parameters of its sentence: tier and tiers, step and steps, `after`, `target`. */
  params: Record<string, string | number>;
  /** Names of those told (people, or a group). */
  recipients: string[];
  /** Platforms that carry it: "slack", "discord", "shell", "webhook", … */
  channels: string[];
  /** Urgent (P1, major): a mention in the service-desk channel as well as the direct message. */
  urgent: boolean;
  /** Names of recipients no configured platform reaches. */
  unreached: string[];
  /** An e-mail was asked for and no e-mail route is configured: kept as undeliverable in the outbox. */
  emailUndeliverable: boolean;
  /** A line went to the incident's stakeholder thread. */
  thread: boolean;
  lateMs: number;
}
