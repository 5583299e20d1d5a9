import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { TimerMetrics } from '../jobs/timer.service.js';
import type { DeliveryStats } from '../outbox/delivery.worker.js';
import type { OutboxStore } from '../outbox/outbox.store.js';
import type { IncidentStore } from '../store/incident-store.js';

/** What the scrape-time series read: each is optional, a series whose source is missing stays empty. */
export interface MetricSources {
  store?: IncidentStore;
  outbox?: Pick<OutboxStore, 'counts' | 'oldestPending'>;
  delivery?: { readonly stats: DeliveryStats };
  now?: () => Date;
}

export interface BotMetricsOptions {
  /** prom-client's default process and Node.js metrics (CPU, memory, event loop, GC, handles). Default true. */
  defaultMetrics?: boolean;
}

/**
 * The bot's Prometheus metrics, served at `/metrics`: one prom-client Registry per instance (no
 * global registry), created once by the composition root and handed to what increments it (the
 * timer service, the delivery worker). Holds
 * - prom-client's default process metrics (`process_*`, `nodejs_*`);
 * - series counted at scrape time from the database and the worker, as before: `incidents`,
 *   `outbox_messages`, `outbox_oldest_pending_seconds`, `outbox_deliveries_total`,
 *   `outbox_last_delivery_lag_seconds`;
 * - counters of this process: `incident_sla_targets_missed_total{priority,target}`,
 *   `incident_escalations_fired_total{priority,tier}`, `outbox_delivery_failures_total{platform,outcome}`.
 *   A timer is counted by the process whose unique insert marked it fired, so with several
 *   replicas each miss or escalation is counted once in the sum over replicas.
 */
export class BotMetrics implements TimerMetrics {
  readonly registry = new Registry();
  private sources: MetricSources = {};
  private readonly slaMissed: Counter<'priority' | 'target'>;
  private readonly escalations: Counter<'priority' | 'tier'>;
  private readonly deliveryFailures: Counter<'platform' | 'outcome'>;
  private readonly dbCommands: Counter<'command' | 'collection'>;
  private readonly alertsReceived: Counter<'source' | 'outcome'>;
  private readonly alertsProcessed: Counter<'source' | 'outcome'>;

  constructor(options: BotMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    const read = () => this.sources;

    new Gauge({
      name: 'incidents',
      help: 'Incidents still open (every status but closed), by status and priority; closed ones are archived.',
      labelNames: ['status', 'priority'] as const,
      registers,
      async collect() {
        this.reset();
        const { store } = read();
        if (!store) return;
        const rows = await store.m.Incident.aggregate<{ _id: { status: string; priority: string }; count: number }>([
          { $group: { _id: { status: '$status', priority: '$priority' }, count: { $sum: 1 } } },
        ]);
        for (const row of rows) this.set({ status: row._id.status, priority: row._id.priority }, row.count);
      },
    });
    new Gauge({
      name: 'outbox_messages',
      help: 'Outbox messages by state (dead = gave up, see /incident admin outbox).',
      labelNames: ['status'] as const,
      registers,
      async collect() {
        this.reset();
        const { outbox } = read();
        if (!outbox) return;
        for (const [status, n] of Object.entries(await outbox.counts())) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'outbox_oldest_pending_seconds',
      help: 'How long the oldest due message has waited.',
      registers,
      async collect() {
        const { outbox, now } = read();
        const oldest = outbox ? await outbox.oldestPending() : undefined;
        const at = (now?.() ?? new Date()).getTime();
        this.set(oldest ? Math.max(0, (at - oldest.getTime()) / 1000) : 0);
      },
    });
    new Counter({
      name: 'outbox_deliveries_total',
      help: 'Delivery attempts by outcome in this process.',
      labelNames: ['outcome'] as const,
      registers,
      collect() {
        // The worker keeps these numbers (the benchmark reads them too); they are copied at scrape time.
        const { delivery } = read();
        this.reset();
        if (!delivery) return;
        const { sent, retried, dead } = delivery.stats;
        this.inc({ outcome: 'sent' }, sent);
        this.inc({ outcome: 'retried' }, retried);
        this.inc({ outcome: 'dead' }, dead);
      },
    });
    new Gauge({
      name: 'outbox_last_delivery_lag_seconds',
      help: 'Due time to delivery of the last message sent.',
      registers,
      collect() {
        this.set((read().delivery?.stats.lastLagMs ?? 0) / 1000);
      },
    });

    this.slaMissed = new Counter({
      name: 'incident_sla_targets_missed_total',
      help: 'Resolution targets missed (respond, accept, resolve), by priority, counted when the miss timer fires.',
      labelNames: ['priority', 'target'] as const,
      registers,
    });
    this.escalations = new Counter({
      name: 'incident_escalations_fired_total',
      help: 'Escalation tiers fired, by priority and tier (from 1).',
      labelNames: ['priority', 'tier'] as const,
      registers,
    });
    this.deliveryFailures = new Counter({
      name: 'outbox_delivery_failures_total',
      help: 'Failed delivery attempts by platform: retry = will be tried again, dead = gave up.',
      labelNames: ['platform', 'outcome'] as const,
      registers,
    });
    this.alertsReceived = new Counter({
      name: 'alert_payloads_received_total',
      help: 'Monitoring payloads by source and answer: accepted (stored), duplicate (stored before), unauthorized, invalid, too_large, unknown_source.',
      labelNames: ['source', 'outcome'] as const,
      registers,
    });
    this.alertsProcessed = new Counter({
      name: 'alert_payloads_processed_total',
      help: 'Monitoring payloads processed by source: done, retry (failed, the sweep tries again), failed (gave up: admin alerts).',
      labelNames: ['source', 'outcome'] as const,
      registers,
    });
    this.dbCommands = new Counter({
      name: 'mongodb_commands_total',
      help: 'Database commands this process sent, by command name (insert, find, update, …) and collection: the cost of an action in round trips.',
      labelNames: ['command', 'collection'] as const,
      registers,
    });
  }

  alertReceived(source: string, outcome: string): void {
    this.alertsReceived.inc({ source: source.slice(0, 40), outcome });
  }

  alertProcessed(source: string, outcome: string): void {
    this.alertsProcessed.inc({ source: source.slice(0, 40), outcome });
  }

  /**
   * Counts every command the driver sends (MongoDB command monitoring: the connection must be made
   * with `monitorCommands: true`, as src/main.ts does). Handshakes and heartbeats are not commands.
   */
  countCommands(client: { on(event: 'commandStarted', listener: (event: { commandName: string; command: Record<string, unknown> }) => void): unknown }): this {
    client.on('commandStarted', (event) => this.dbCommands.inc({ command: event.commandName, collection: collectionOf(event) }));
    return this;
  }

  /** Where the scrape-time series read from; the composition root calls it once the parts exist. */
  collectFrom(sources: MetricSources): this {
    this.sources = { ...this.sources, ...sources };
    return this;
  }

  slaTargetMissed(priority: string, target: string): void {
    this.slaMissed.inc({ priority, target });
  }

  escalationFired(priority: string, tier: number): void {
    this.escalations.inc({ priority, tier: String(tier) });
  }

  /** A delivery attempt failed (the delivery worker's deps.metrics). */
  deliveryFailed(platform: string, outcome: 'retry' | 'dead'): void {
    this.deliveryFailures.inc({ platform, outcome });
  }

  /** The Prometheus text exposition of every series. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The collection a command names (`find: "incidents"`, `getMore`'s `collection`), or "-" for commands on none. */
function collectionOf(event: { commandName: string; command: Record<string, unknown> }): string {
  const named = event.command[event.commandName];
  if (typeof named === 'string') return named;
  const collection = event.command.collection;
  return typeof collection === 'string' ? collection : '-';
}
