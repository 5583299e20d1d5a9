import type { TimelineNote } from '../domain/timeline-note.js';
import { insertOnce } from './insert-once.js';
import type { Models } from './models.js';
import { retryTransient } from './transient.js';

/**
 * The `incident_notes` collection: what fired timers did, next to the event log but not in it.
 * Written with one insert per timer (a replay finds its id taken); read by incident for the
 * timeline command only, through the `(incidentId, at)` index.
 */
export class TimelineNotes {
  constructor(private readonly m: Models) {}

  /** False when this timer's note is already there (another process, a replay). */
  add(note: TimelineNote): Promise<boolean> {
    return insertOnce(this.m.Note, { _id: `${note.incidentId}#${note.key}`, ...note });
  }

  async of(incidentId: string): Promise<TimelineNote[]> {
    const docs = await retryTransient(() => this.m.Note.find({ incidentId }, { _id: 0 }).sort({ at: 1 }).lean<TimelineNote[]>().exec());
    return docs.map((d) => ({ ...d, at: new Date(d.at), dueAt: new Date(d.dueAt) }));
  }
}
