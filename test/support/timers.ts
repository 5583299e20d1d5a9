import type { App } from '../../src/bot/app.js';
import type { ConfigFile } from '../../src/config/config.schema.js';
import { startTestApp } from './app.js';
import type { FakeClock } from '../../src/app/clock.js';
import type { DeliveryError, Destination, Messenger, OutgoingMessage } from '../../src/app/platform.js';
import type { TimerScheduler } from '../../src/jobs/timer.service.js';
import { DeliveryWorker } from '../../src/outbox/delivery.worker.js';

/** Wake-ups recorded instead of Agenda; `runDue` plays the scheduler at the fake clock's "now". */
export class FakeScheduler implements TimerScheduler {
  readonly wakeups: { incidentId: string; at: Date }[] = [];

  async schedule(incidentId: string, at: Date): Promise<void> {
    this.wakeups.push({ incidentId, at });
  }

  /** Fires every wake-up due now (and those the firing schedules, if also due). */
  async runDue(app: App, clock: FakeClock): Promise<void> {
    for (;;) {
      const now = clock.now().getTime();
      const due = this.wakeups.filter((w) => w.at.getTime() <= now);
      if (due.length === 0) return;
      for (const w of due) this.wakeups.splice(this.wakeups.indexOf(w), 1);
      for (const id of new Set(due.map((w) => w.incidentId))) await app.timers.fire(id);
    }
  }
}

export interface Delivered {
  destination: Destination;
  message: OutgoingMessage;
  at: Date;
}

/** A platform that reaches everyone and records what it was given; it can be told to fail. */
export class RecordingMessenger implements Messenger {
  readonly sent: Delivered[] = [];
  /** Errors to throw on the next deliveries, in order. */
  failures: DeliveryError[] = [];

  constructor(
    private readonly clock: FakeClock,
    readonly platform = 'test',
  ) {}

  /** Like a chat platform: everyone in the organisation, never an outside contact (e-mail reaches them). */
  reaches(destination: Destination): boolean {
    return destination.kind !== 'contact';
  }

  async deliver(destination: Destination, message: OutgoingMessage): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push({ destination, message, at: this.clock.now() });
  }

  /** Messages of one rule ("escalation:0", "status:assigned") for one incident, by recipient. */
  to(incidentId: string, rule: string): string[] {
    return this.sent
      .filter((d) => keyMatches(d.message.key, incidentId, rule))
      .map((d) => (d.destination.kind === 'person' ? d.destination.personId : d.destination.kind === 'group' ? `group:${d.destination.groupId}` : d.destination.kind === 'contact' ? `contact:${d.destination.name}` : d.destination.kind === 'service' ? `service:${d.destination.serviceId}` : `channel:${d.destination.channel}`))
      .sort();
  }
}

export function deliveryWorker(app: App, clock: FakeClock): DeliveryWorker {
  return new DeliveryWorker({ store: app.outboxStore, messengers: app.messengers, clock, log: app.log });
}

/** Timers due now, then everything the outbox holds for now. */
export async function tick(app: App, clock: FakeClock, scheduler: FakeScheduler, worker: DeliveryWorker): Promise<void> {
  await scheduler.runDue(app, clock);
  while ((await worker.runOnce()) > 0) {
    // entries retried for later are not due again at this instant, so this ends
    if ((await app.outboxStore.due(clock.now(), 1)).length === 0) break;
  }
}

/** Outbox keys read `<incident>:<rule>[:<step>]:<destination>:<platform>`; the step is a number (event seq, a time). */
export function keyMatches(key: string, incidentId: string, rule: string): boolean {
  const escaped = `${incidentId}:${rule}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}(:\\d+)?:(person|group|channel):`).test(key);
}

/**
 * A test app whose notices are recorded and whose time the test moves: `flush` fires the timers due
 * now and delivers what the outbox holds; `say` runs a typed command as someone.
 */
export async function startRecordedApp(config: ConfigFile) {
  const scheduler = new FakeScheduler();
  const t = await startTestApp(config, { scheduler: () => scheduler });
  const recorder = new RecordingMessenger(t.clock);
  t.app.messengers.push(recorder);
  const worker = deliveryWorker(t.app, t.clock);
  return {
    t,
    recorder,
    flush: () => tick(t.app, t.clock, scheduler, worker),
    say(who: { id: string; name: string }, text: string, key?: string) {
      const parsed = t.app.registry.parseText(text);
      if (!parsed) throw new Error(`not a command: ${text}`);
      return t.app.run(who, parsed.name, parsed.args, key ? { key } : {});
    },
  };
}
