import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CommittedChange } from '../app/incident-service.js';
import { PRIORITIES } from '../config/config.schema.js';
import { ACTIVE_STATUSES } from '../domain/incident.js';
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

const HOUR = 3_600_000;

/** Age buckets of open incidents (since creation): each holds ages from the bound before it up to its own. */
const AGE_BUCKETS: readonly { label: string; below: number }[] = [
  { label: 'lt_1h', below: HOUR },
  { label: '1h_4h', below: 4 * HOUR },
  { label: '4h_1d', below: 24 * HOUR },
  { label: '1d_3d', below: 72 * HOUR },
  { label: '3d_7d', below: 168 * HOUR },
  { label: 'gt_7d', below: Infinity },
];

/**
 * Histogram bounds (seconds) for created → responded and created → resolved: the SPEC §5 respond
 * targets (10, 15, 40 min), the sums of respond + accept + resolve targets (about 1 h, 2 h, 3 h;
 * P4 72 h), and beyond, up to a week.
 */
const DURATION_BUCKETS = [60, 300, 600, 900, 1800, 2400, 3600, 7200, 14400, 28800, 86400, 259200, 604800];

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
 *   `incident_open_age{priority,age}`, `outbox_messages`, `outbox_oldest_pending_seconds`,
 *   `outbox_deliveries_total`, `outbox_last_delivery_lag_seconds`;
 * - counters of this process: `incident_sla_targets_missed_total{priority,target}`,
 *   `incident_escalations_fired_total{priority,tier}`, `outbox_delivery_failures_total{platform,outcome}`.
 *   A timer is counted by the process whose unique insert marked it fired, so with several
 *   replicas each miss or escalation is counted once in the sum over replicas;
 * - histograms of this process, observed by `observeChange`: `incident_time_to_respond_seconds{priority}`,
 *   `incident_time_to_resolve_seconds{priority}`; `http_request_duration_seconds{route}`, timed by
 *   the HTTP server (for `POST /slack/events`, Slack's ack).
 */
export class BotMetrics implements TimerMetrics {
  readonly registry = new Registry();
  private sources: MetricSources = {};
  private readonly slaMissed: Counter<'priority' | 'target'>;
  private readonly escalations: Counter<'priority' | 'tier'>;
  private readonly deliveryFailures: Counter<'platform' | 'outcome'>;
  private readonly dbSeconds: Counter<'command' | 'collection'>;
  private readonly dbCommands: Counter<'command' | 'collection'>;
  private readonly alertsReceived: Counter<'source' | 'outcome'>;
  private readonly alertsProcessed: Counter<'source' | 'outcome'>;
  private readonly timeToRespond: Histogram<'priority'>;
  private readonly timeToResolve: Histogram<'priority'>;
  private readonly requestDuration: Histogram<'route'>;
  /** The render in flight, which scrapes arriving meanwhile share. */
  private rendering: Promise<string> | undefined;

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
      name: 'incident_open_age',
      help: 'Unresolved incidents (open to suspended) by priority and time since creation: lt_1h, 1h_4h, 4h_1d, 1d_3d, 3d_7d, gt_7d.',
      labelNames: ['priority', 'age'] as const,
      registers,
      async collect() {
        this.reset();
        const { store, now } = read();
        if (!store) return;
        // A projected find, bucketed here: FerretDB's aggregation has no $bucket nor date arithmetic.
        const rows = await store.m.Incident.find({ status: { $in: ACTIVE_STATUSES } }, { _id: 0, priority: 1, createdAt: 1 }).lean<{ priority: string; createdAt: Date }[]>();
        const at = (now?.() ?? new Date()).getTime();
        const counts = new Map<string, number>();
        for (const row of rows) {
          const age = at - row.createdAt.getTime();
          const bucket = AGE_BUCKETS.find((b) => age < b.below)!;
          const key = `${row.priority}\t${bucket.label}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        // Every priority and bucket, zeros too: a stacked panel keeps its shape when a bucket empties.
        for (const priority of PRIORITIES) {
          for (const { label } of AGE_BUCKETS) this.set({ priority, age: label }, counts.get(`${priority}\t${label}`) ?? 0);
        }
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
    this.timeToRespond = new Histogram({
      name: 'incident_time_to_respond_seconds',
      help: 'Created to responded (first dispatch, or a first-line fix before any), by priority: once per incident, duplicates left out.',
      labelNames: ['priority'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.timeToResolve = new Histogram({
      name: 'incident_time_to_resolve_seconds',
      help: 'Created to resolved, by priority: once per resolution (a reopened incident resolved again counts again), duplicates left out.',
      labelNames: ['priority'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    });
    // Present at zero from the start, so rate() and increase() see an incident's first observation.
    for (const priority of PRIORITIES) {
      this.timeToRespond.zero({ priority });
      this.timeToResolve.zero({ priority });
    }
    this.requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Requests to the bot\'s routes (Slack events, alert webhooks), from arrival to the last byte of the answer: for Slack, the ack, which Slack wants within 3 s.',
      labelNames: ['route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers,
    });
    this.dbCommands = new Counter({
      name: 'mongodb_commands_total',
      help: 'Database commands this process sent, by command name (insert, find, update, …) and collection: the cost of an action in round trips.',
      labelNames: ['command', 'collection'] as const,
      registers,
    });
    this.dbSeconds = new Counter({
      name: 'mongodb_command_seconds_total',
      help: 'Time the same commands took, sent to answered (the database\'s work and the wait for it), by command name and collection: where a slow database spends its time.',
      labelNames: ['command', 'collection'] as const,
      registers,
    });
  }

  requestTimed(route: string, seconds: number): void {
    this.requestDuration.observe({ route }, seconds);
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
  countCommands(client: CommandEvents): this {
    // Labels by request id, from start to answer (a command never answered leaves with its connection: bounded by in-flight commands).
    const started = new Map<number, { command: string; collection: string }>();
    client.on('commandStarted', (event) => {
      const labels = { command: event.commandName, collection: collectionOf(event) };
      this.dbCommands.inc(labels);
      started.set(event.requestId, labels);
    });
    const answered = (event: { requestId: number; duration: number }) => {
      const labels = started.get(event.requestId);
      if (!labels) return;
      started.delete(event.requestId);
      this.dbSeconds.inc(labels, event.duration / 1000);
    };
    client.on('commandSucceeded', answered);
    client.on('commandFailed', answered);
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

  /**
   * The app's after-commit listener: observes how long the incident took to be responded to and to
   * be resolved, as the KPIs measure them (SPEC §15: from creation, wall clock, duplicates left out).
   * Listeners run once per change in the process that committed it, so the sum over replicas
   * counts each once; only the recovery sweep runs them again, for a change whose after-commit work
   * did not finish (a crash), and then it is observed twice: rare, and accepted. Response is
   * observed when the incident first leaves `open` by a dispatch or a fix; resolution on every
   * resolve (and kb-fix, resolved and closed at once), so an incident reopened and resolved again
   * is observed again: the histogram counts resolutions, where the KPI report keeps the last.
   */
  observeChange({ incident, event }: CommittedChange): void {
    if (incident.links.masterId) return;
    const priority = incident.priority;
    const seconds = (event.at.getTime() - incident.createdAt.getTime()) / 1000;
    if (firstResponse({ incident, event })) this.timeToRespond.observe({ priority }, seconds);
    if (event.to === 'resolved' || event.action === 'kb-fix') this.timeToResolve.observe({ priority }, seconds);
  }

  /** A delivery attempt failed (the delivery worker's deps.metrics). */
  deliveryFailed(platform: string, outcome: 'retry' | 'dead'): void {
    this.deliveryFailures.inc({ platform, outcome });
  }

  /**
   * The Prometheus text exposition of every series. Scrapes that arrive while one is being rendered
   * share it: each render reads the database (open incidents, the outbox), and on a database slowed
   * by a burst, scrapes each starting their own reads would pile up and slow it further.
   */
  text(): Promise<string> {
    this.rendering ??= this.registry.metrics().finally(() => (this.rendering = undefined));
    return this.rendering;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * Whether this change met the response target (SPEC §5): the first dispatch (a rejected incident
 * dispatched again was answered already), or a fix while still undispatched. Both leave `open`;
 * a reopened first-line fix dispatched later does not.
 */
function firstResponse({ incident, event }: CommittedChange): boolean {
  if (event.from !== 'open') return false;
  const dispatched = incident.firstDispatchedAt?.getTime();
  if (event.to === 'assigned') return dispatched === event.at.getTime();
  return (event.to === 'resolved' || event.action === 'kb-fix') && (dispatched === undefined || dispatched > event.at.getTime());
}

/** The collection a command names (`find: "incidents"`, `getMore`'s `collection`), or "-" for commands on none. */
function collectionOf(event: { commandName: string; command: Record<string, unknown> }): string {
  const named = event.command[event.commandName];
  if (typeof named === 'string') return named;
  const collection = event.command.collection;
  return typeof collection === 'string' ? collection : '-';
}

/** The driver's command monitoring events the metrics read (MongoClient with `monitorCommands: true`). */
interface CommandEvents {
  on(event: 'commandStarted', listener: (event: { requestId: number; commandName: string; command: Record<string, unknown> }) => void): unknown;
  on(event: 'commandSucceeded' | 'commandFailed', listener: (event: { requestId: number; duration: number }) => void): unknown;
}
