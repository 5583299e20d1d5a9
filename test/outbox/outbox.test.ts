import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryWorker } from '../../src/outbox/delivery.worker.js';
import type { Notice } from '../../src/outbox/notices.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { T0, config } from '../support/fixtures.js';
import { RecordingMessenger, deliveryWorker } from '../support/timers.js';

/**
 * The outbox's two collections: `outbox` keeps what is still in play, `outbox_sent` (insert-only,
 * read by `_id`) what went out; a key is still sent once across both, and the status readers see
 * both. Plus the worker's nudge: an entry written in this process goes out without waiting a poll.
 */
describe('outbox: sent entries move to outbox_sent; a key is still sent once', () => {
  let t: TestApp;
  let messenger: RecordingMessenger;
  let outbox: Outbox;
  let worker: DeliveryWorker;
  let n = 0;
  const incident = () => `INC-${String(++n).padStart(6, '0')}`;
  const notice = (over: Partial<Notice> = {}): Notice => ({
    rule: 'status:open',
    step: '1',
    to: [{ kind: 'person', personId: 'he.xin' }],
    text: 'INC opened',
    urgent: false,
    channels: [],
    ...over,
  });
  const inOutbox = (incidentId: string) => t.conn.collection('outbox').countDocuments({ incidentId });
  const inSent = (incidentId: string) => t.conn.collection('outbox_sent').countDocuments({ incidentId });

  beforeAll(async () => {
    t = await startTestApp(config, { messengers: [] });
    messenger = new RecordingMessenger(t.clock);
    t.app.messengers.push(messenger);
    outbox = new Outbox(t.app.outboxStore, t.app.messengers, t.clock, t.app.log);
    worker = deliveryWorker(t.app, t.clock);
  });
  afterAll(async () => t.close());
  beforeEach(() => t.clock.set(T0));

  it('GIVEN key K enqueued and delivered WHEN K is added again (a replay) THEN nothing new is delivered and the copy is removed', async () => {
    const id = incident();
    expect(await outbox.enqueue(id, notice())).toBe(1);
    await worker.runOnce();
    expect(messenger.to(id, 'status:open')).toEqual(['he.xin']);
    // Moved: the full record is in outbox_sent, nothing is left in outbox.
    expect(await inOutbox(id)).toBe(0);
    expect(await inSent(id)).toBe(1);
    const [sent] = await t.app.outboxStore.forIncident(id);
    expect(sent).toMatchObject({ _id: `${id}:status:open:1:person:he.xin:test`, status: 'sent', attempts: 1, sentAt: T0, text: 'INC opened' });

    // Long after the lease of the first attempt's claim: the copy is refused that claim, found sent, and goes.
    t.clock.advance(10 * 60_000);
    await outbox.enqueue(id, notice());
    await worker.runOnce();
    expect(await inOutbox(id)).toBe(0);
    expect(messenger.to(id, 'status:open')).toEqual(['he.xin']);
    expect(await t.app.outboxStore.forIncident(id)).toEqual([sent]);
  });

  it('GIVEN a notice with a card and buttons THEN the message is stored as one text beside the fields the worker queries, and delivered whole; an entry an earlier version wrote is delivered too', async () => {
    const id = incident();
    const card = { id, title: 'Core switch down', status: 'assigned', priority: 'P2', fields: [{ label: 'CI', value: 'sw-core-1' }], at: T0 };
    await outbox.enqueue(id, notice({ card: card as never, actions: ['accept', 'reject'], text: 'INC assigned: "quotes", 中文' }));
    const raw = await t.conn.collection('outbox').findOne({ incidentId: id });
    expect(typeof raw?.m).toBe('string');
    for (const field of ['destination', 'text', 'card', 'actions']) expect(raw).not.toHaveProperty(field);
    expect(raw).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: T0, rule: 'status:open' });
    // As an earlier version wrote it: the message's fields as they are.
    const old = incident();
    await t.conn.collection('outbox').insertOne({
      _id: `${old}:status:open:1:person:he.xin:test`, incidentId: old, rule: 'status:open', destination: { kind: 'person', personId: 'he.xin' }, platform: 'test',
      text: 'INC opened long ago', urgent: false, status: 'pending', attempts: 0, nextAttemptAt: T0, createdAt: T0, dueAt: T0,
    } as never);
    const sentBefore = messenger.sent.length;
    await worker.runOnce();
    const delivered = messenger.sent.slice(sentBefore).map((d) => d.message);
    expect(delivered.find((m) => m.incidentId === id)).toMatchObject({ text: 'INC assigned: "quotes", 中文', card, actions: ['accept', 'reject'] });
    expect(delivered.find((m) => m.incidentId === old)).toMatchObject({ text: 'INC opened long ago' });
    expect(await t.app.outboxStore.forIncident(id)).toMatchObject([{ status: 'sent', destination: { kind: 'person', personId: 'he.xin' }, card, actions: ['accept', 'reject'] }]);
  });

  it('GIVEN a crash between the insert into outbox_sent and the delete from outbox THEN the next pass removes the leftover without sending it again', async () => {
    const id = incident();
    await outbox.enqueue(id, notice());
    const [entry] = await t.app.outboxStore.forIncident(id);
    // The attempt's claim and the move's first step only, as if the process died right after the platform took the message.
    await t.conn.collection('outbox_claims').insertOne({ _id: `${entry!._id}#0`, at: T0, by: 'dead worker' } as never);
    await t.conn.collection('outbox_sent').insertOne({ ...entry!, status: 'sent', sentAt: T0, attempts: 1 } as never);
    // Readers already see the key as sent, once.
    expect((await t.app.outboxStore.forIncident(id)).map((e) => e.status)).toEqual(['sent']);
    await worker.runOnce();
    expect(messenger.to(id, 'status:open')).toEqual([]);
    expect(await inOutbox(id)).toBe(0);
    expect(await inSent(id)).toBe(1);
  });

  it('GIVEN entries in both collections THEN forIncident, list, counts and oldestPending report them as before', async () => {
    const id = incident();
    await outbox.enqueue(id, notice({ rule: 'status:open', step: '1' }));
    await worker.runOnce();
    t.clock.advance(1000);
    await outbox.enqueue(id, notice({ rule: 'status:assigned', step: '2' }));
    await outbox.enqueue(id, notice({ rule: 'status:resolved', step: '3', to: [{ kind: 'channel', channel: 'management' }] }));
    const store = t.app.outboxStore;

    const entries = await store.forIncident(id);
    expect(entries.map((e) => [e.rule, e.status])).toEqual([
      ['status:open', 'sent'],
      ['status:assigned', 'pending'],
      ['status:resolved', 'pending'],
    ]);
    expect((await store.list({ incidentId: id }, 10)).map((e) => e.status).sort()).toEqual(['pending', 'pending', 'sent']);
    expect((await store.list({ incidentId: id, status: 'sent' }, 10)).map((e) => e.rule)).toEqual(['status:open']);
    expect((await store.list({ incidentId: id, status: 'pending' }, 10)).map((e) => e.rule).sort()).toEqual(['status:assigned', 'status:resolved']);
    expect(await store.list({ incidentId: id }, 1)).toHaveLength(1);
    const counts = await store.counts();
    expect(counts.sent).toBeGreaterThanOrEqual(3);
    expect(counts.pending).toBe(2);
    expect(await store.oldestPending()).toEqual(new Date(T0.getTime() + 1000));

    await worker.runOnce();
    expect((await store.forIncident(id)).map((e) => e.status)).toEqual(['sent', 'sent', 'sent']);
    expect((await store.counts()).pending).toBe(0);
    expect(await store.oldestPending()).toBeUndefined();
  });

  it('GIVEN a burst larger than a batch, handed over and found by the query too THEN each entry is claimed once and none is looked up as already sent', async () => {
    const store = t.app.outboxStore;
    // The worker's now is past every entry's due time; the entries are written with the test clock.
    const later = { now: () => new Date(T0.getTime() + 60_000) };
    const started = new DeliveryWorker({ store, messengers: t.app.messengers, clock: later, log: t.app.log, options: { pollMs: 0, batch: 4 } });
    const delivered: string[] = [];
    started.onDelivered = (entry) => void delivered.push(entry._id);
    const lookups: string[] = [];
    const client = t.conn.getClient() as unknown as { on(e: string, f: (ev: { commandName: string; command: Record<string, unknown> }) => void): void; removeAllListeners(e: string): void };
    client.on('commandStarted', (ev) => {
      if (ev.commandName === 'find' && ev.command.find === 'outbox_sent') lookups.push(JSON.stringify(ev.command.filter));
    });
    started.start();
    try {
      const burst = incident();
      // Written in one order, due in the reverse one: the query (oldest due first) and the hand-over (as written) disagree.
      for (let step = 30; step >= 1; step--) {
        t.clock.set(new Date(T0.getTime() + step * 1_000));
        await outbox.enqueue(burst, notice({ step: String(step) }));
      }
      const end = Date.now() + 10_000;
      while (delivered.length < 30 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 200));
      expect(new Set(delivered).size).toBe(30);
      expect(delivered).toHaveLength(30);
      expect(lookups).toEqual([]);
    } finally {
      client.removeAllListeners('commandStarted');
      await started.stop();
    }
  });

  it('GIVEN a started worker with a long poll WHEN this process enqueues THEN the entry goes out at once; after stop, only the poll would', async () => {
    const store = t.app.outboxStore;
    const started = new DeliveryWorker({ store, messengers: t.app.messengers, clock: t.clock, log: t.app.log, options: { pollMs: 60_000 } });
    const delivered: string[] = [];
    // When the store announced a new entry, and when the worker had it delivered.
    let announcedAt = 0;
    let deliveredAt = 0;
    started.onDelivered = (entry) => {
      delivered.push(entry._id);
      if (announcedAt > 0 && deliveredAt === 0) deliveredAt = performance.now();
    };
    const stopListening = store.onPending(() => (announcedAt = performance.now()));
    const until = async (check: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      return check();
    };
    started.start();
    try {
      // Let the first pass (at start) finish, so the worker is waiting on its 60 s poll.
      await new Promise((r) => setTimeout(r, 200));
      const id = incident();
      await outbox.enqueue(id, notice());
      expect(await until(() => delivered.length === 1, 5_000)).toBe(true);
      // The entry was handed to the worker and sent right away, not after the 60 s poll (a few ms; slack for a busy CI).
      expect(deliveredAt - announcedAt).toBeGreaterThanOrEqual(0);
      expect(deliveredAt - announcedAt).toBeLessThan(100);
      expect(messenger.to(id, 'status:open')).toEqual(['he.xin']);

      // Entries written during a pass are sent by a pass right after it.
      const burst = incident();
      await Promise.all([1, 2, 3].map((step) => outbox.enqueue(burst, notice({ step: String(step) }))));
      expect(await until(() => delivered.length === 4, 5_000)).toBe(true);
    } finally {
      await started.stop();
    }
    // Stopped: its hook is gone, so a new entry waits for a worker.
    const after = incident();
    await outbox.enqueue(after, notice());
    await new Promise((r) => setTimeout(r, 200));
    expect(delivered).toHaveLength(4);
    expect(messenger.to(after, 'status:open')).toEqual([]);
    stopListening();
  });
});
