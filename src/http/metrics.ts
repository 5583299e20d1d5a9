import type { IncidentStore } from '../store/incident-store.js';

/** Prometheus text: incidents by status and priority, counted in the database at scrape time. */
export async function incidentMetrics(store: IncidentStore): Promise<string> {
  const rows = await store.m.Incident.aggregate<{ _id: { status: string; priority: string }; count: number }>([
    { $group: { _id: { status: '$status', priority: '$priority' }, count: { $sum: 1 } } },
  ]);
  const lines = ['# HELP incidents Incidents by status and priority.', '# TYPE incidents gauge'];
  for (const row of rows) lines.push(`incidents{status="${row._id.status}",priority="${row._id.priority}"} ${row.count}`);
  lines.push('# HELP process_resident_memory_bytes Resident memory.', '# TYPE process_resident_memory_bytes gauge');
  lines.push(`process_resident_memory_bytes ${process.memoryUsage().rss}`);
  return `${lines.join('\n')}\n`;
}
