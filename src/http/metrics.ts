import type { DeliveryWorker } from '../outbox/delivery.worker.js';
import type { OutboxStore } from '../outbox/outbox.store.js';
import type { IncidentStore } from '../store/incident-store.js';

export interface MetricSources {
  outbox?: OutboxStore;
  delivery?: DeliveryWorker;
  now?: () => Date;
}

/** Prometheus text: incidents by status and priority, the outbox by state, delivery counters; counted at scrape time. */
export async function incidentMetrics(store: IncidentStore, sources: MetricSources = {}): Promise<string> {
  const rows = await store.m.Incident.aggregate<{ _id: { status: string; priority: string }; count: number }>([
    { $group: { _id: { status: '$status', priority: '$priority' }, count: { $sum: 1 } } },
  ]);
  const lines = ['# HELP incidents Incidents by status and priority.', '# TYPE incidents gauge'];
  for (const row of rows) lines.push(`incidents{status="${row._id.status}",priority="${row._id.priority}"} ${row.count}`);
  if (sources.outbox) {
    const counts = await sources.outbox.counts();
    lines.push('# HELP outbox_messages Outbox messages by state (dead = gave up, see /incident admin outbox).', '# TYPE outbox_messages gauge');
    for (const [status, n] of Object.entries(counts)) lines.push(`outbox_messages{status="${status}"} ${n}`);
    const oldest = await sources.outbox.oldestPending();
    const now = (sources.now?.() ?? new Date()).getTime();
    lines.push('# HELP outbox_oldest_pending_seconds How long the oldest due message has waited.', '# TYPE outbox_oldest_pending_seconds gauge');
    lines.push(`outbox_oldest_pending_seconds ${oldest ? Math.max(0, (now - oldest.getTime()) / 1000) : 0}`);
  }
  if (sources.delivery) {
    const { stats } = sources.delivery;
    lines.push('# HELP outbox_deliveries_total Delivery attempts by outcome in this process.', '# TYPE outbox_deliveries_total counter');
    lines.push(`outbox_deliveries_total{outcome="sent"} ${stats.sent}`, `outbox_deliveries_total{outcome="retried"} ${stats.retried}`, `outbox_deliveries_total{outcome="dead"} ${stats.dead}`);
    lines.push('# HELP outbox_last_delivery_lag_seconds Due time to delivery of the last message sent.', '# TYPE outbox_last_delivery_lag_seconds gauge');
    lines.push(`outbox_last_delivery_lag_seconds ${stats.lastLagMs / 1000}`);
  }
  lines.push('# HELP process_resident_memory_bytes Resident memory.', '# TYPE process_resident_memory_bytes gauge');
  lines.push(`process_resident_memory_bytes ${process.memoryUsage().rss}`);
  return `${lines.join('\n')}\n`;
}
