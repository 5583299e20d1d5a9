import { CiStore } from '../store/ci.store.js';
import { KbStore } from '../store/kb.store.js';
import { ProblemStore } from '../store/problem.store.js';
import { FollowUpStore } from '../store/follow-up.store.js';
import { FollowUps } from '../jobs/follow-ups.js';
import { Problems } from '../app/problems.js';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import type { ConfigFile } from '../config/config.schema.js';
import { Directory, type Actor } from '../domain/directory.js';
import { localeOf, type Catalog, type Locale } from '../i18n/index.js';
import { LocaleBook } from '../store/locale-book.js';
import { AlertStore } from '../intake/alert.store.js';
import { IncidentStore } from '../store/incident-store.js';
import { TimerService, type TimerMetrics, type TimerScheduler } from '../jobs/timer.service.js';
import { TimerStore } from '../jobs/timer.store.js';
import { Notices } from '../outbox/notices.js';
import { Outbox } from '../outbox/outbox.js';
import { OutboxStore } from '../outbox/outbox.store.js';
import { SurfaceSync, type Surface } from '../outbox/surface.js';
import { SurfaceStore } from '../outbox/surface.store.js';
import type { Clock } from '../app/clock.js';
import type { Messenger } from '../app/platform.js';
import { cleanArgs, type CommandContext, type RawArgs } from '../app/command.js';
import { keepCiOpenSet, runEffects } from '../app/effects.js';
import { IncidentService, type CommittedChange } from '../app/incident-service.js';
import { runCommand, type RunOptions } from '../app/pipeline.js';
import type { Presenter } from '../app/presenter.js';
import { Voices, type Voice } from '../app/voice.js';
import type { CommandRegistry } from '../app/registry.js';
import { narrowed, type FormOption, type Reply } from '../app/view.js';
import { Kpis } from '../app/kpis.js';
import { KpiStore } from '../store/kpi.store.js';
import { MonthlyReports } from '../jobs/monthly-report.js';
import { ServiceStatus } from '../status/service-status.js';
import { ServiceStateStore } from '../store/service-state.store.js';

export interface AppDeps {
  conn: Connection;
  config: ConfigFile;
  log: Logger;
  clock: Clock;
  /** The commands (built by the composition root: src/app does not import commands/). */
  registry: CommandRegistry;
  /** Where outbox messages can go: the composition root fills it with the adapters' messengers before start. */
  messengers?: Messenger[];
  /** How incidents look on each platform (cards, threads, war rooms): filled the same way. */
  surfaces?: Surface[];
  /** Counts missed targets and fired escalations, and observes response and resolution times (/metrics). */
  metrics?: TimerMetrics & { observeChange(change: CommittedChange): void };
  /** Wakes the timer service when an incident's next timer is due (Agenda in production). */
  scheduler?: TimerScheduler;
}

/** What adapters are given: run a command as someone, render with the presenter, listen for changes. */
export interface App {
  config: ConfigFile;
  service: IncidentService;
  registry: CommandRegistry;
  directory: Directory;
  store: IncidentStore;
  /** The organisation's language: channel posts (cards, threads, war rooms). */
  presenter: Presenter;
  m: Catalog;
  /** Catalog and presenter of one language. */
  voice(locale?: Locale): Voice;
  /**
   * The language a person reads: their configured `locale`, else what a platform said (a tag seen
   * now, such as Discord's interaction locale, is remembered for later notices), else the organisation's.
   */
  localeFor(personId: string, platformTag?: string): Locale;
  /** Remembers a language a person chose or their platform reported (the terminal's "lang"). */
  setLocale(personId: string, locale: Locale): void;
  log: Logger;
  clock: Clock;
  outboxStore: OutboxStore;
  timerStore: TimerStore;
  timers: TimerService;
  messengers: Messenger[];
  surfaceStore: SurfaceStore;
  surfaces: SurfaceSync;
  /** Monitoring payloads and the incidents their alerts belong to. */
  alertStore: AlertStore;
  /** The monthly follow-up draw (run by an Agenda job; `followup run` on demand). */
  followUps: FollowUps;
  /** The KPIs' facts (kept by a change listener) and their reading for a period. */
  kpis: Kpis;
  /** The monthly report posted on its own (run by an Agenda job). */
  monthlyReports: MonthlyReports;
  /** Service states from their open incidents, their subscribers, the status page's data. */
  serviceStatus: ServiceStatus;
  /** Runs a command; replies are in `options.locale`, else the actor's language (`localeFor`). */
  run(actor: Actor, name: string, args: RawArgs, options?: RunOptions & { key?: string; locale?: Locale }): Promise<Reply>;
  /** Maps a platform identity to a configured person, or a guest who may only report. */
  actorFor(platform: 'slack' | 'discord' | 'shell', platformId: string, displayName?: string): Actor;
  /** What a field that looks values up as they are typed offers (FormField.suggest): catalog CIs holding the text. */
  suggest(kind: 'ci', typed: string): Promise<{ value: string; label: string }[]>;
  /**
   * The options a command's form offers in one field, given the answers so far (a choice that
   * depends on another field narrowed to its answer: `narrowed`); empty when the field has none.
   * For a platform that loads a select's options when it is opened (Slack's external_select).
   */
  fieldOptions(actor: Actor, name: string, args: RawArgs, field: string, answers: Readonly<Record<string, string | undefined>>, locale?: Locale): Promise<FormOption[]>;
}

export async function createApp(deps: AppDeps): Promise<App> {
  const store = new IncidentStore(deps.conn);
  await store.init(deps.log);
  const directory = new Directory(deps.config);
  const voices = new Voices(deps.config, directory);
  const { m, presenter } = voices.get();
  const locales = new LocaleBook(deps.conn);
  await locales.init();
  const setLocale = (personId: string, locale: Locale) => {
    locales.remember(personId, locale, deps.clock.now()).catch((err: unknown) => deps.log.warn({ err, personId }, 'could not store a language'));
  };
  const localeFor = (personId: string, platformTag?: string): Locale => {
    const configured = directory.localeOf(personId);
    const reported = localeOf(platformTag);
    if (reported) setLocale(personId, reported);
    return configured ?? reported ?? locales.get(personId) ?? directory.defaultLocale;
  };
  const catalog = new CiStore(deps.conn);
  await catalog.init();
  const knowledge = new KbStore(deps.conn);
  await knowledge.init();
  const problems = new ProblemStore(deps.conn);
  await problems.init();
  const followUpStore = new FollowUpStore(deps.conn);
  await followUpStore.init();
  const service = new IncidentService({ store, config: deps.config, directory, clock: deps.clock, log: deps.log, catalog, knowledge, problems, followUps: followUpStore });
  const kpiStore = new KpiStore(deps.conn);
  await kpiStore.init();
  const kpis = new Kpis(service, kpiStore, deps.log);
  const registry = deps.registry;
  const outboxStore = new OutboxStore(deps.conn);
  const timerStore = new TimerStore(deps.conn);
  const surfaceStore = new SurfaceStore(deps.conn);
  await outboxStore.init();
  await timerStore.init();
  await surfaceStore.init();
  const alertStore = new AlertStore(deps.conn);
  await alertStore.init();
  const surfaces = new SurfaceSync({ store: surfaceStore, incidents: store, surfaces: deps.surfaces ?? [], log: deps.log });
  const messengers = deps.messengers ?? [];
  const outbox = new Outbox(outboxStore, messengers, deps.clock, deps.log);
  const notices = new Notices(deps.config, directory, voices, (personId) => localeFor(personId));
  const followUps = new FollowUps({ service, outbox, notices, log: deps.log });
  const monthlyReports = new MonthlyReports({ service, kpis, store: kpiStore, outbox, log: deps.log });
  const timers = new TimerService({
    service,
    timers: timerStore,
    outbox,
    notices,
    scheduler: deps.scheduler ?? { schedule: async () => undefined },
    clock: deps.clock,
    log: deps.log,
    m,
    metrics: deps.metrics,
  });
  // After-commit work, before the event is marked processed: the process's own follow-ups (a
  // master's resolution cascades to its duplicates, "not completed" re-opens as new), then what every platform must show, then
  // notices and timers. All of it is outbox entries or plans with unique keys, so a replay adds nothing.
  service.onChange((change) => runEffects(service, change, new Problems(service)));
  service.onChange((change) => keepCiOpenSet(service, change));
  // A knowledge article used on the incident (kb-fix, kb-use) counts once per incident (KPI knowledge use).
  service.onChange(async ({ incident, event }) => {
    const articleId = event.data.articleId;
    if (typeof articleId === 'string') await knowledge.recordUse(articleId, incident.id, event.actorId, event.at);
  });
  service.onChange(async (change) => {
    const entries = surfaces.entries(change, deps.clock.now());
    if (entries.length > 0) await outboxStore.add(entries);
  });
  service.onChange(timers.onChange);
  // The KPIs' facts as of this change (SPEC §15). This and what follows need not hold up a receipt.
  service.onChange(({ incident }) => kpis.record(incident), { afterAnswer: true });
  // A service's state follows its open incidents; its channel and subscribers are told of each change (SPEC §7).
  const serviceStates = new ServiceStateStore(deps.conn, deps.config.policy.statusPage.history.max);
  await serviceStates.init();
  const serviceStatus = new ServiceStatus({ config: deps.config, store: serviceStates, incidents: store, outbox, voices, localeOf: (personId) => localeFor(personId), log: deps.log });
  service.onChange(serviceStatus.onChange, { afterAnswer: true });
  // Response and resolution times for /metrics, observed by the process that committed the change.
  service.onChange(async (change) => deps.metrics?.observeChange(change), { afterAnswer: true });
  /** What a command runs with, for this person in `locale` (else their own language). */
  const contextFor = (actor: Actor, locale?: Locale): CommandContext => {
    const language = locale ?? localeFor(actor.id);
    return { service, actor, m: voices.get(language).m, locale: language, clock: deps.clock, log: deps.log, outbox: outboxStore, alerts: alertStore, followUps, kpis, serviceStatus };
  };
  return {
    config: deps.config,
    service,
    registry,
    directory,
    store,
    presenter,
    m,
    voice: (locale) => voices.get(locale),
    localeFor,
    setLocale,
    log: deps.log,
    clock: deps.clock,
    outboxStore,
    timerStore,
    timers,
    messengers,
    surfaceStore,
    surfaces,
    alertStore,
    followUps,
    kpis,
    monthlyReports,
    serviceStatus,
    run(actor, name, args, options = {}) {
      // A submitted form's person waits for the receipt: it comes before the work nobody waits for.
      const ctx = { ...contextFor(actor, options.locale), key: options.key, answerFirst: options.submitted === true };
      return runCommand(registry, ctx, name, args, options);
    },
    async fieldOptions(actor, name, args, fieldName, answers, locale) {
      const command = registry.get(name);
      if (!command) return [];
      const field = (await command.fields(contextFor(actor, locale), cleanArgs(args))).find((f) => f.name === fieldName);
      return (field && narrowed(field, answers)?.options) ?? [];
    },
    async suggest(kind, typed) {
      const found = kind === 'ci' ? await catalog.search(typed) : [];
      return found.map((ci) => ({ value: ci.id, label: `${ci.id} — ${ci.name}` }));
    },
    actorFor(platform, platformId, displayName) {
      const person = platform === 'shell' ? directory.person(platformId) : directory.allPeople().find((p) => p[platform] === platformId);
      if (person) return { id: person.id, name: person.name };
      return { id: `${platform}:${platformId}`, name: displayName ?? platformId };
    },
  };
}
