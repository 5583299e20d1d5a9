import { formatDuration } from '../config/duration.js';
import type { IncidentEvent } from '../domain/incident.js';
import type { TimelineNote } from '../domain/timeline-note.js';
import type { Catalog } from '../i18n/index.js';
import type { Presenter } from './presenter.js';
import { word } from '../i18n/index.js';

/** The timeline as people read it: the incident's events and the fired timers' notes, by time (an event first on a tie). */
export function timelineLines(presenter: Presenter, m: Catalog, events: readonly IncidentEvent[], notes: readonly TimelineNote[]): string[] {
  const items = [
    ...events.map((event) => ({ at: event.at.getTime(), order: 0, line: () => presenter.timelineLine(event) })),
    ...notes.map((note) => ({ at: note.at.getTime(), order: 1, line: () => noteLine(presenter, m, note) })),
  ];
  return items.sort((a, b) => a.at - b.at || a.order - b.order).map((item) => item.line());
}

/** "2026-11-22 09:15 UTC the bot: escalation 2 of 3 (unresolved after 15m) — told Sun Hao, Liu Yang by Slack; posted in the stakeholder thread". */
export function noteLine(presenter: Presenter, m: Catalog, note: TimelineNote): string {
  const t = m.timelineNote;
  // Durations are kept as milliseconds and written in the reader's words (older notes kept the English text).
  const p = typeof note.params.afterMs === 'number' ? { ...note.params, after: formatDuration(note.params.afterMs, m.duration) } : note.params;
  const what = note.kind === 'target'
    ? t.target({ target: word(m.notify.target, String(p.target)) ?? String(p.target), due: presenter.formatTime(note.dueAt) })
    : t[note.kind](p);
  const parts: string[] = [];
  if (note.recipients.length > 0) {
    const how = note.channels.map((c) => word(t.platform, c) ?? c).join(', ');
    parts.push(t.told({ who: note.recipients.join(', '), how: note.urgent ? `${how} (${t.urgent})` : how }));
  } else if (note.unreached.length === 0) {
    parts.push(t.toldNobody);
  }
  if (note.unreached.length > 0) parts.push(t.unreached({ who: note.unreached.join(', ') }));
  if (note.emailUndeliverable) parts.push(t.emailUndeliverable);
  if (note.thread) parts.push(t.inThread);
  if (note.lateMs > 0) parts.push(t.late({ late: formatDuration(Math.round(note.lateMs / 1000) * 1000, m.duration) }));
  return t.line({ at: presenter.formatTime(note.at), what, told: parts.join('; ') });
}
