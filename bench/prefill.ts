/**
 * History for the growth check (`npm run bench:slack -- --prefill N`): N closed incidents (in
 * `incidents_closed`, where closing moves them) with their report and close events, written
 * straight into the bench database before the bot starts,
 * the way years of use would leave them (numbers 1…N, spread over the past year, a few dozen CIs).
 */
import mongoose from 'mongoose';
import { Directory, type Actor } from '../src/domain/directory.js';
import { newIncident } from '../src/domain/report.js';
import { eventId } from '../src/store/incident-store.js';
import { wordsOf } from '../src/domain/words.js';
import type { ConfigFile } from '../src/config/config.schema.js';

const BATCH = 2_000;
const YEAR_MS = 365 * 24 * 3600_000;

export async function prefill(uri: string, dbName: string, config: ConfigFile, count: number, progress: (done: number) => void): Promise<void> {
  if (count <= 0) return;
  const conn = await mongoose.createConnection(uri, { dbName }).asPromise();
  try {
    const directory = new Directory(config);
    const reporter: Actor = { id: 'lin.na', name: 'Lin Na' };
    const now = Date.now();
    for (let from = 1; from <= count; from += BATCH) {
      const incidents: Record<string, unknown>[] = [];
      const events: Record<string, unknown>[] = [];
      for (let number = from; number < Math.min(count + 1, from + BATCH); number++) {
        const created = new Date(now - YEAR_MS + (number / count) * (YEAR_MS - 3600_000));
        const closed = new Date(created.getTime() + 4 * 3600_000);
        const { incident } = newIncident(
          { title: `Printer on floor ${number % 12} jams`, description: 'Paper jam on every job.', impact: 3, urgency: 3, ci: `prn-${number % 40}` },
          { number, actor: reporter, config, directory, now: created },
        );
        const done = { ...incident, rev: 2, status: 'closed', closedAt: closed, resolvedAt: closed, confirmedAt: closed, updatedAt: closed, closureCode: 'solved', resolutionCode: 'fixed' };
        incidents.push({ ...done, _id: incident.id, terms: wordsOf([done.title, done.ci ?? '', done.description ?? ''].join('\n')) });
        events.push(
          { _id: eventId(incident.id, 1), incidentId: incident.id, seq: 1, at: created, actorId: reporter.id, actorName: reporter.name, action: 'report', data: {}, changes: { ...incident }, flags: [], to: 'open', processed: true },
          { _id: eventId(incident.id, 2), incidentId: incident.id, seq: 2, at: closed, actorId: reporter.id, actorName: reporter.name, action: 'close', data: {}, changes: { status: 'closed', closedAt: closed }, flags: [], from: 'resolved', to: 'closed', processed: true },
        );
      }
      await conn.collection('incidents_closed').insertMany(incidents as never[], { ordered: false });
      await conn.collection('incident_events').insertMany(events as never[], { ordered: false });
      progress(Math.min(count, from + BATCH - 1));
    }
    await conn.collection('counters').updateOne({ _id: 'incident' as never }, { $set: { seq: count } }, { upsert: true });
    // A database this version wrote has run its one-time moves already.
    for (const name of ['rekeyed', 'ci-open-sets', 'pending-effects', 'closed-archived', 'search-terms']) {
      await conn.collection('counters').updateOne({ _id: `done:${name}` as never }, { $set: { seq: 1 } }, { upsert: true });
    }
  } finally {
    await conn.close();
  }
}
