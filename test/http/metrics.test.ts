import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryError, type Messenger } from '../../src/app/platform.js';
import { BotMetrics } from '../../src/http/metrics.js';
import { startHttp } from '../../src/http/server.js';
import { TimerService, type TimerDeps } from '../../src/jobs/timer.service.js';
import { DeliveryWorker } from '../../src/outbox/delivery.worker.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { T0, people, reportInput } from '../support/fixtures.js';

const MIN = 60_000;
const P1 = { impact: 1, urgency: 1 } as const;

/** The app's own timer service, counting into `metrics` (the composition root passes it the same way). */
function countingTimers(t: TestApp, metrics: BotMetrics): TimerService {
  const { deps } = t.app.timers as unknown as { deps: TimerDeps };
  return new TimerService({ ...deps, metrics });
}

/** The value of one series line, e.g. `incident_sla_targets_missed_total{priority="P1",target="respond"}`; 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('/metrics with prom-client', () => {
  let t: TestApp;
  let metrics: BotMetrics;
  let http: Awaited<ReturnType<typeof startHttp>>;
  const scrape = async () => (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();

  beforeAll(async () => {
    t = await startTestApp();
    metrics = new BotMetrics();
    http = await startHttp({ port: 0, ready: async () => true, metrics: () => metrics.text() });
  });
  afterAll(async () => {
    await http.close();
    await t.close();
  });

  it('serves the default process metrics and every series with its type, before anything happened', async () => {
    const text = await scrape();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    for (const [name, type] of [
      ['incidents', 'gauge'],
      ['outbox_messages', 'gauge'],
      ['outbox_oldest_pending_seconds', 'gauge'],
      ['outbox_deliveries_total', 'counter'],
      ['outbox_last_delivery_lag_seconds', 'gauge'],
      ['incident_sla_targets_missed_total', 'counter'],
      ['incident_escalations_fired_total', 'counter'],
      ['outbox_delivery_failures_total', 'counter'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}`);
    }
  });

  it('counts the database commands sent and the time they took, by command and collection', async () => {
    const { EventEmitter } = await import('node:events');
    const client = new EventEmitter();
    const own = new BotMetrics({ defaultMetrics: false }).countCommands(client);
    client.emit('commandStarted', { requestId: 1, commandName: 'find', command: { find: 'incidents' } });
    client.emit('commandStarted', { requestId: 2, commandName: 'find', command: { find: 'incidents' } });
    client.emit('commandSucceeded', { requestId: 1, duration: 12 });
    client.emit('commandFailed', { requestId: 2, duration: 30 });
    // An answer for a command never seen started (monitoring turned on mid-flight) counts nothing.
    client.emit('commandSucceeded', { requestId: 3, duration: 500 });
    const text = await own.text();
    expect(value(text, 'mongodb_commands_total{command="find",collection="incidents"}')).toBe(2);
    expect(value(text, 'mongodb_command_seconds_total{command="find",collection="incidents"}')).toBeCloseTo(0.042, 6);
  });

  it('GIVEN scrapes that arrive while one is being rendered THEN they share its database reads', async () => {
    const own = new BotMetrics({ defaultMetrics: false }).collectFrom({ store: t.app.store, outbox: t.app.outboxStore, now: () => t.clock.now() });
    const client = t.conn.getClient() as unknown as { on(e: string, f: (ev: { commandName: string; command: Record<string, unknown> }) => void): void; off(e: string, f: (ev: { commandName: string; command: Record<string, unknown> }) => void): void };
    const incidentReads: string[] = [];
    const listener = (ev: { commandName: string; command: Record<string, unknown> }) => {
      if (ev.command[ev.commandName] === 'incidents') incidentReads.push(ev.commandName);
    };
    client.on('commandStarted', listener);
    try {
      const texts = await Promise.all([own.text(), own.text(), own.text()]);
      expect(new Set(texts).size).toBe(1);
      expect(texts[0]).toContain('# TYPE incidents gauge');
      // One render: the open incidents grouped once, the unresolved ones read once.
      expect(incidentReads.sort()).toEqual(['aggregate', 'find']);
      // A scrape after it has finished renders afresh.
      await own.text();
      expect(incidentReads).toHaveLength(4);
    } finally {
      client.off('commandStarted', listener);
    }
  });

  it('counts a missed target and the escalation tiers fired, once each, by the process that fired them', async () => {
    metrics.collectFrom({ store: t.app.store, outbox: t.app.outboxStore, now: () => t.clock.now() });
    t.clock.set(T0);
    const { incident } = await t.app.service.report(people.user, reportInput(P1));
    const timers = countingTimers(t, metrics);

    // P1: respond within 10 min, escalation tiers at 10 and 15 min (config/default.yml).
    t.clock.set(new Date(T0.getTime() + 9 * MIN));
    await timers.fire(incident.id);
    let text = await scrape();
    expect(value(text, 'incident_sla_targets_missed_total{priority="P1",target="respond"}')).toBe(0);

    t.clock.set(new Date(T0.getTime() + 10 * MIN));
    await timers.fire(incident.id);
    text = await scrape();
    expect(value(text, 'incident_sla_targets_missed_total{priority="P1",target="respond"}')).toBe(1);
    expect(value(text, 'incident_escalations_fired_total{priority="P1",tier="1"}')).toBe(1);
    expect(value(text, 'incident_escalations_fired_total{priority="P1",tier="2"}')).toBe(0);

    t.clock.set(new Date(T0.getTime() + 15 * MIN));
    await timers.fire(incident.id);
    // Fired again (a wake-up run twice) and by another process: those timers are taken, nothing more is counted.
    await timers.fire(incident.id);
    const peerMetrics = new BotMetrics({ defaultMetrics: false });
    const peer = await t.peer();
    const { deps } = peer.timers as unknown as { deps: TimerDeps };
    await new TimerService({ ...deps, metrics: peerMetrics }).fire(incident.id);
    text = await scrape();
    expect(value(text, 'incident_sla_targets_missed_total{priority="P1",target="respond"}')).toBe(1);
    expect(value(text, 'incident_escalations_fired_total{priority="P1",tier="1"}')).toBe(1);
    expect(value(text, 'incident_escalations_fired_total{priority="P1",tier="2"}')).toBe(1);
    expect(value(await peerMetrics.text(), 'incident_escalations_fired_total{priority="P1",tier="2"}')).toBe(0);

    // The scrape-time series still read the database.
    expect(value(text, 'incidents{status="open",priority="P1"}')).toBe(1);
  });

  it('counts failed deliveries by platform: retry, then dead', async () => {
    const failing: Messenger = {
      platform: 'flaky',
      reaches: () => true,
      deliver: async () => {
        throw new DeliveryError('platform down');
      },
    };
    t.app.messengers.push(failing);
    try {
      t.clock.set(new Date(T0.getTime() + 60 * MIN));
      await t.app.service.report(people.user, reportInput(P1));
      const worker = new DeliveryWorker({
        store: t.app.outboxStore,
        messengers: [failing],
        clock: t.clock,
        log: t.app.log,
        metrics,
        options: { maxAttempts: 2, baseBackoffMs: 1_000, maxBackoffMs: 1_000 },
      });
      metrics.collectFrom({ delivery: worker });
      const attempted = await worker.runOnce();
      expect(attempted).toBeGreaterThan(0);
      let text = await scrape();
      const retries = value(text, 'outbox_delivery_failures_total{platform="flaky",outcome="retry"}');
      expect(retries).toBeGreaterThan(0);
      expect(value(text, 'outbox_delivery_failures_total{platform="flaky",outcome="dead"}')).toBe(0);
      expect(value(text, 'outbox_deliveries_total{outcome="retried"}')).toBe(retries);

      t.clock.set(new Date(t.clock.now().getTime() + 5_000));
      await worker.runOnce();
      text = await scrape();
      expect(value(text, 'outbox_delivery_failures_total{platform="flaky",outcome="dead"}')).toBe(retries);
      expect(value(text, 'outbox_deliveries_total{outcome="dead"}')).toBe(retries);
      expect(value(text, 'outbox_messages{status="dead"}')).toBeGreaterThanOrEqual(retries);
    } finally {
      t.app.messengers.splice(t.app.messengers.indexOf(failing), 1);
    }
  });
});
