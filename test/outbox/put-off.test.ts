import { afterAll, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { systemClock } from '../../src/app/clock.js';
import { DeliveryError } from '../../src/app/platform.js';
import { DeliveryWorker } from '../../src/outbox/delivery.worker.js';
import type { Notice } from '../../src/outbox/notices.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { PacedDelivery } from '../../src/outbox/paced.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { T0, config } from '../support/fixtures.js';
import { RecordingMessenger } from '../support/timers.js';

/**
 * An attempt an adapter put off to keep a rate limit (PacedDelivery) is not a failure: it brings the
 * entry no closer to the dead letter, is not counted on /metrics, and the retry comes at the time
 * given. The attempt number still moves on (each attempt has its own claim).
 */
describe('outbox: a delivery put off by pacing is not a failed attempt', () => {
  let t: TestApp;
  let messenger: RecordingMessenger;
  let outbox: Outbox;
  let worker: DeliveryWorker;
  const failed: string[] = [];
  let n = 0;
  const incident = () => `INC-${String(900_000 + ++n).padStart(6, '0')}`;
  const notice: Notice = { rule: 'status:assigned', step: '1', to: [{ kind: 'person', personId: 'li.wei' }], text: 'INC assigned', urgent: false, channels: [] };
  const entryOf = async (id: string) => (await t.app.outboxStore.forIncident(id))[0]!;
  /** A started worker on the real clock, with a spy on its looks at the outbox; stopped after `body`. */
  const whileRunning = async (options: { pollMs: number; busyPollMs: number }, body: (running: DeliveryWorker, looks: MockInstance) => Promise<void>) => {
    const store = t.app.outboxStore;
    const looks = vi.spyOn(store, 'due');
    const running = new DeliveryWorker({ store, messengers: t.app.messengers, clock: systemClock, log: t.app.log, options });
    running.start();
    try {
      await body(running, looks);
    } finally {
      await running.stop();
      looks.mockRestore();
    }
  };

  beforeAll(async () => {
    t = await startTestApp(config, { messengers: [] });
    messenger = new RecordingMessenger(t.clock);
    t.app.messengers.push(messenger);
    outbox = new Outbox(t.app.outboxStore, t.app.messengers, t.clock, t.app.log);
    worker = new DeliveryWorker({
      store: t.app.outboxStore, messengers: t.app.messengers, clock: t.clock, log: t.app.log,
      options: { maxAttempts: 3 },
      metrics: { deliveryFailed: (platform, outcome) => failed.push(`${platform}:${outcome}`) },
    });
  });
  afterAll(async () => t.close());
  beforeEach(() => {
    t.clock.set(T0);
    failed.length = 0;
  });

  it('GIVEN maxAttempts 3 WHEN the messenger puts an entry off ten times THEN it is still pending, retried at each given time, and then sent once', async () => {
    const id = incident();
    await outbox.enqueue(id, notice);
    messenger.failures = Array.from({ length: 10 }, (_, i) => new PacedDelivery(`paced: turn ${i}`, 2_000));
    for (let i = 0; i < 10; i++) {
      await worker.runOnce();
      const entry = await entryOf(id);
      expect(entry).toMatchObject({ status: 'pending', attempts: i + 1, failures: 0, lastError: `paced: turn ${i}` });
      expect(entry.nextAttemptAt).toEqual(new Date(t.clock.now().getTime() + 2_000));
      // Not before its turn.
      t.clock.advance(1_999);
      await worker.runOnce();
      expect((await entryOf(id)).attempts).toBe(i + 1);
      t.clock.advance(1);
    }
    await worker.runOnce();
    expect(await entryOf(id)).toMatchObject({ status: 'sent', attempts: 11 });
    expect(messenger.to(id, 'status:assigned')).toEqual(['li.wei']);
    expect(failed).toEqual([]);
    expect(worker.stats.putOff).toBeGreaterThanOrEqual(10);
  });

  it('GIVEN an entry put off between real failures THEN only the failures count toward the dead letter and /metrics', async () => {
    const id = incident();
    await outbox.enqueue(id, notice);
    const refused = (n: number) => new DeliveryError(`Slack refused: http 500 (${n})`, { retryAfterMs: 1_000 });
    messenger.failures = [refused(1), new PacedDelivery('paced', 1_000), new PacedDelivery('paced', 1_000), refused(2), new PacedDelivery('paced', 1_000), refused(3)];
    for (let i = 0; i < 6; i++) {
      await worker.runOnce();
      t.clock.advance(1_000);
    }
    expect(await entryOf(id)).toMatchObject({ status: 'dead', attempts: 6, failures: 3, lastError: 'Slack refused: http 500 (3)' });
    expect(failed).toEqual(['test:retry', 'test:retry', 'test:dead']);
  });

  it('GIVEN a running worker busy with its own entries WHEN posts are paced to later slots THEN each comes back at its slot, and the outbox is not looked at meanwhile', async () => {
    // The first look (the worker's start) finds the entries the earlier tests left (dead or sent).
    await whileRunning({ pollMs: 60_000, busyPollMs: 60_000 }, async (running, looks) => {
      await vi.waitFor(() => expect(looks).toHaveBeenCalledTimes(1));
      const ids = [incident(), incident(), incident()];
      messenger.failures = [new PacedDelivery('paced', 150), new PacedDelivery('paced', 300), new PacedDelivery('paced', 450)];
      const sentBefore = messenger.sent.length;
      const started = Date.now();
      for (const id of ids) await outbox.enqueue(id, notice);
      await vi.waitFor(() => expect(messenger.sent.length - sentBefore).toBe(3), { timeout: 5_000, interval: 20 });
      // Each at its slot or later, none lost or sent twice, and no look at the outbox since the start.
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      for (const id of ids) expect(messenger.to(id, 'status:assigned')).toEqual(['li.wei']);
      for (const id of ids) expect(await entryOf(id)).toMatchObject({ status: 'sent', attempts: 2, failures: 0, lastError: 'paced' });
      // The record kept is the entry's own fields, nothing of the put-off's update under another name.
      for (const id of ids) expect(await t.conn.collection('outbox_sent').findOne({ incidentId: id })).not.toHaveProperty('error');
      expect(looks).toHaveBeenCalledTimes(1);
      expect(running.stats.putOff).toBe(3);
    });
  });

  it('GIVEN a running worker whose only work is posts put off to later slots THEN it does not look at the outbox at every poll while they wait', async () => {
    // Polls every 40 ms when idle; while entries it put off are waiting, at most once a minute.
    await whileRunning({ pollMs: 40, busyPollMs: 60_000 }, async (running, looks) => {
      await vi.waitFor(() => expect(looks).toHaveBeenCalled());
      const ids = [incident(), incident()];
      messenger.failures = [new PacedDelivery('paced', 600), new PacedDelivery('paced', 900)];
      const sentBefore = messenger.sent.length;
      for (const id of ids) await outbox.enqueue(id, notice);
      await vi.waitFor(() => expect(running.stats.putOff).toBeGreaterThanOrEqual(2), { timeout: 2_000, interval: 10 });
      const looksWhilePutOff = looks.mock.calls.length;
      await vi.waitFor(() => expect(messenger.sent.length - sentBefore).toBe(2), { timeout: 5_000, interval: 10 });
      // Half a second and more of waiting at a 40 ms poll: a dozen looks before; none now but the
      // one a pass may have started as the last entry went out.
      expect(looks.mock.calls.length - looksWhilePutOff).toBeLessThanOrEqual(1);
      for (const id of ids) expect(messenger.to(id, 'status:assigned')).toEqual(['li.wei']);
    });
  });

  it('GIVEN an attempt that really failed WHEN the retry comes THEN the messenger is told the message may be there; after only put-off attempts it is not', async () => {
    const seen: boolean[] = [];
    const deliver = messenger.deliver.bind(messenger);
    messenger.deliver = async (destination, message) => {
      seen.push(message.maybeSent === true);
      return deliver(destination, message);
    };
    try {
      const paced = incident();
      await outbox.enqueue(paced, notice);
      messenger.failures = [new PacedDelivery('paced', 0)];
      await worker.runOnce();
      await worker.runOnce();
      const failedOnce = incident();
      await outbox.enqueue(failedOnce, notice);
      messenger.failures = [new DeliveryError('timeout', { retryAfterMs: 0 })];
      await worker.runOnce();
      await worker.runOnce();
      expect(seen).toEqual([false, false, false, true]);
    } finally {
      messenger.deliver = deliver;
    }
  });
});
