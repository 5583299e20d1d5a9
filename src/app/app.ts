import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { createRegistry } from '../../commands/index.js';
import type { ConfigFile } from '../config/config.schema.js';
import { Directory, type Actor } from '../domain/directory.js';
import { catalog, type Catalog } from '../i18n/index.js';
import { IncidentStore } from '../store/incident-store.js';
import { TimerService, type TimerScheduler } from '../jobs/timer.service.js';
import { TimerStore } from '../jobs/timer.store.js';
import { Notices } from '../outbox/notices.js';
import { Outbox } from '../outbox/outbox.js';
import { OutboxStore } from '../outbox/outbox.store.js';
import type { Clock } from './clock.js';
import type { Messenger } from './platform.js';
import type { CommandContext, RawArgs } from './command.js';
import { IncidentService } from './incident-service.js';
import { runCommand, type RunOptions } from './pipeline.js';
import { Presenter } from './presenter.js';
import type { CommandRegistry } from './registry.js';
import type { Reply } from './view.js';

export interface AppDeps {
  conn: Connection;
  config: ConfigFile;
  log: Logger;
  clock: Clock;
  locale?: string;
  /** Where outbox messages can go; adapters add theirs at start-up (the same array is read at each write). */
  messengers?: Messenger[];
  /** Wakes the timer service when an incident's next timer is due (Agenda in production). */
  scheduler?: TimerScheduler;
}

/** What adapters are given: run a command as someone, render with the presenter, listen for changes. */
export interface App {
  service: IncidentService;
  registry: CommandRegistry;
  directory: Directory;
  store: IncidentStore;
  presenter: Presenter;
  m: Catalog;
  log: Logger;
  clock: Clock;
  outboxStore: OutboxStore;
  timerStore: TimerStore;
  timers: TimerService;
  messengers: Messenger[];
  run(actor: Actor, name: string, args: RawArgs, options?: RunOptions & { key?: string }): Promise<Reply>;
  /** Maps a platform identity to a configured person, or a guest who may only report. */
  actorFor(platform: 'slack' | 'discord' | 'shell', platformId: string, displayName?: string): Actor;
}

export async function createApp(deps: AppDeps): Promise<App> {
  const store = new IncidentStore(deps.conn);
  await store.init();
  const directory = new Directory(deps.config);
  const m = catalog(deps.locale);
  const service = new IncidentService({ store, config: deps.config, directory, clock: deps.clock, log: deps.log });
  const registry = createRegistry();
  const presenter = new Presenter(deps.config, directory, m);
  const outboxStore = new OutboxStore(deps.conn);
  const timerStore = new TimerStore(deps.conn);
  await outboxStore.init();
  await timerStore.init();
  const messengers = deps.messengers ?? [];
  const timers = new TimerService({
    service,
    timers: timerStore,
    outbox: new Outbox(outboxStore, messengers, deps.clock, deps.log),
    notices: new Notices(deps.config, directory, presenter, m),
    scheduler: deps.scheduler ?? { schedule: async () => undefined },
    clock: deps.clock,
    log: deps.log,
    m,
  });
  service.onChange(timers.onChange);
  return {
    service,
    registry,
    directory,
    store,
    presenter,
    m,
    log: deps.log,
    clock: deps.clock,
    outboxStore,
    timerStore,
    timers,
    messengers,
    run(actor, name, args, options = {}) {
      const ctx: CommandContext = { service, actor, m, clock: deps.clock, log: deps.log, key: options.key, outbox: outboxStore };
      return runCommand(registry, ctx, name, args, options);
    },
    actorFor(platform, platformId, displayName) {
      const person = platform === 'shell' ? directory.person(platformId) : directory.allPeople().find((p) => p[platform] === platformId);
      if (person) return { id: person.id, name: person.name };
      return { id: `${platform}:${platformId}`, name: displayName ?? platformId };
    },
  };
}
