import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../app/clock.js';
import { ignoreRefusal } from '../app/effects.js';
import type { IncidentService } from '../app/incident-service.js';
import { Presenter } from '../app/presenter.js';
import type { ConfigFile } from '../config/config.schema.js';
import type { Actor } from '../domain/directory.js';
import { isUserError } from '../domain/errors.js';
import type { AlertInfo, Incident, Level } from '../domain/incident.js';
import { catalog, say, type Catalog } from '../i18n/index.js';
import type { AlertStore } from './alert.store.js';
import { PayloadError, hash, parseAlertmanager, parseGeneric, parseGrafana, parseZabbix, type IncomingAlert } from './payloads.js';

type Source = ConfigFile['policy']['monitoring']['sources'][string];

/** What the endpoint answers: an HTTP status and a JSON body. */
export interface IntakeAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface AlertMetrics {
  alertReceived(source: string, outcome: 'accepted' | 'duplicate' | 'unauthorized' | 'invalid' | 'too_large' | 'unknown_source'): void;
  alertProcessed(source: string, outcome: 'done' | 'retry' | 'failed'): void;
}

export interface IntakeDeps {
  service: IncidentService;
  store: AlertStore;
  config: ConfigFile;
  clock: Clock;
  log: Logger;
  /** Where the secrets named in the policy file are read (process.env). */
  secrets: Record<string, string | undefined>;
  metrics?: AlertMetrics;
}

/** Attempts before a payload that keeps failing is left for a person (`admin alerts retry`). */
const MAX_ATTEMPTS = 5;
/** Labels shown on the card: these first, then others up to the limit. */
const KEY_LABELS = ['alertname', 'severity', 'instance', 'host', 'job', 'service', 'team', 'namespace', 'cluster', 'env'];
const MAX_LABELS = 12;

/**
 * Monitoring feeds incidents (SPEC §14). A payload is checked (credential, JSON, the fields the
 * source's mapping needs), stored, and answered 202; then each alert in it is mapped onto the
 * process: a new alert opens an incident whose priority comes from the same matrix as a person's
 * report (the source's severity table gives impact and urgency), its labels name CI, service,
 * category and group; a repeat or a change of state attaches to the incident the alert already
 * opened. Processing is idempotent (keys derived from the payload), so the sweep may repeat it.
 */
export class AlertIntake {
  private readonly running = new Set<Promise<void>>();
  /** The last work queued per slot: alerts of one slot are handled in order. */
  private readonly slots = new Map<string, Promise<void>>();
  private readonly m: Catalog;
  /** Times on the timeline read as every other timeline line: the organisation's language and zone. */
  private readonly presenter: Presenter;

  constructor(private readonly deps: IntakeDeps) {
    this.m = catalog(deps.config.organisation.locale);
    this.presenter = new Presenter(deps.config, deps.service.directory, this.m);
  }

  private get monitoring() {
    return this.deps.config.policy.monitoring;
  }

  /** Handles one request for a source: 401, 404, 400 or 413 store nothing; 202 once it is stored. */
  async receive(sourceName: string, body: Buffer, headers: Record<string, string | string[] | undefined>): Promise<IntakeAnswer> {
    const { store, clock, metrics } = this.deps;
    const source = Object.hasOwn(this.monitoring.sources, sourceName) ? this.monitoring.sources[sourceName] : undefined;
    if (!source) {
      metrics?.alertReceived(sourceName, 'unknown_source');
      return { status: 404, body: { error: 'unknown_source', message: `No monitoring source "${sourceName.slice(0, 60)}" is configured (policy.monitoring.sources).` } };
    }
    if (!this.authentic(source, body, headers)) {
      metrics?.alertReceived(sourceName, 'unauthorized');
      return { status: 401, body: { error: 'unauthorized', message: 'Missing or wrong credential for this source.' } };
    }
    if (body.length > this.monitoring.maxBodyBytes) {
      metrics?.alertReceived(sourceName, 'too_large');
      return { status: 413, body: { error: 'too_large', message: `The body is larger than ${this.monitoring.maxBodyBytes} bytes.` } };
    }
    let alerts: IncomingAlert[];
    try {
      alerts = this.parse(source, JSON.parse(body.toString('utf8')) as unknown);
    } catch (error) {
      metrics?.alertReceived(sourceName, 'invalid');
      if (error instanceof PayloadError) return { status: 400, body: { error: 'invalid_payload', field: error.field, message: `${error.field}: ${error.message}` } };
      return { status: 400, body: { error: 'invalid_json', message: `The body is not JSON: ${(error as Error).message}` } };
    }
    const id = `${sourceName}:${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;
    const stored = await store.receive({ _id: id, source: sourceName, receivedAt: clock.now(), body: body.toString('utf8'), alerts: alerts.length });
    metrics?.alertReceived(sourceName, stored ? 'accepted' : 'duplicate');
    // Just stored and read: processed from memory, without reading it back.
    if (stored) this.track(() => this.process(id, { source: sourceName, alerts }));
    return { status: 202, body: { received: id, alerts: alerts.length, duplicate: !stored } };
  }

  /** Resolves when the payloads this process accepted have been processed (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Payloads a crash or a failure left unprocessed for longer than `olderThanMs`: processed now. */
  async sweep(olderThanMs: number): Promise<number> {
    const ids = await this.deps.store.waiting(new Date(this.deps.clock.now().getTime() - olderThanMs));
    for (const id of ids) await this.process(id);
    return ids.length;
  }

  private track(work: () => Promise<void>): void {
    const running = work().catch((err: unknown) => this.deps.log.error({ err }, 'alerts: processing failed'));
    this.running.add(running);
    void running.finally(() => this.running.delete(running));
  }

  private authentic(source: Source, body: Buffer, headers: Record<string, string | string[] | undefined>): boolean {
    const header = (name: string) => {
      const value = headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    };
    if ('bearer' in source.auth) {
      const secret = this.deps.secrets[source.auth.bearer];
      const given = header('authorization')?.replace(/^Bearer\s+/i, '');
      return Boolean(secret) && given !== undefined && same(given, secret!);
    }
    const { secret: name, header: headerName, algorithm, prefix } = source.auth.hmac;
    const secret = this.deps.secrets[name];
    const given = header(headerName);
    if (!secret || !given) return false;
    const expected = `${prefix}${createHmac(algorithm, secret).update(body).digest('hex')}`;
    return same(given.toLowerCase(), expected.toLowerCase());
  }

  private parse(source: Source, json: unknown): IncomingAlert[] {
    switch (source.kind) {
      case 'alertmanager':
        return parseAlertmanager(json);
      case 'grafana':
        return parseGrafana(json);
      case 'zabbix':
        return parseZabbix(json);
      default:
        return parseGeneric(json, source.mapping!);
    }
  }

  /** Processes one stored payload; a failure is recorded on it, logged with its id and retried by the sweep. */
  async process(id: string, received?: { source: string; alerts: IncomingAlert[] }): Promise<void> {
    const { store, log, metrics } = this.deps;
    let stored: { source: string; body: string } | undefined;
    if (!received) {
      const payload = await store.payload(id);
      if (!payload || payload.state !== 'pending') {
        if (payload) await store.finish(id);
        return;
      }
      stored = payload;
    }
    const sourceName = received?.source ?? stored!.source;
    const source = this.monitoring.sources[sourceName];
    try {
      if (!source) throw new Error(`source "${sourceName}" is no longer configured`);
      const alerts = received?.alerts ?? this.parse(source, JSON.parse(stored!.body) as unknown);
      // New alerts of one group (Alertmanager's groupKey) open one incident between them: a storm
      // of a whole rack is one incident per group, not hundreds.
      for (const alert of alerts) await this.handle(sourceName, source, alert, id);
      await store.finish(id);
      metrics?.alertProcessed(sourceName, 'done');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const state = await store.fail(id, message, MAX_ATTEMPTS);
      metrics?.alertProcessed(sourceName, state === 'failed' ? 'failed' : 'retry');
      log.error({ err: error, alertPayload: id, source: sourceName, state }, 'alerts: a payload could not be processed');
    }
  }

  private actor(sourceName: string, source: Source): Actor {
    return { id: `monitoring:${sourceName}`, name: source.label ? say(source.label, this.deps.config.organisation.locale) : sourceName };
  }

  /**
   * One alert. Alerts of one slot (their group, else the alert itself) are handled one at a time in
   * a process; across processes the report's request key, derived from the slot and the incident
   * it replaces, lets one of two racing processes open the incident and hands it to the other.
   */
  private handle(sourceName: string, source: Source, alert: IncomingAlert, payloadId: string): Promise<void> {
    const alertKey = `${sourceName}:${alert.fingerprint}`;
    const slot = alert.groupKey ? `${sourceName}:group:${hash(alert.groupKey)}` : alertKey;
    return this.serial(slot, () => this.handleInSlot(sourceName, source, alert, payloadId, alertKey, slot));
  }

  private async handleInSlot(sourceName: string, source: Source, alert: IncomingAlert, payloadId: string, alertKey: string, slot: string): Promise<void> {
    const { store } = this.deps;
    const known = await store.key(alertKey);
    const open = known ? await this.openIncident(known.incidentId) : undefined;
    if (known && open) return this.attach(sourceName, source, alert, known.state, open, payloadId);
    if (alert.status === 'resolved') {
      this.deps.log.info({ source: sourceName, fingerprint: alert.fingerprint }, 'alerts: a resolved alert with no open incident; nothing to do');
      return;
    }
    // A new alert: into its group's incident while that one is open, else a new incident.
    const group = slot === alertKey ? known : await store.key(slot);
    const groupIncident = group ? await this.openIncident(group.incidentId) : undefined;
    if (groupIncident) {
      await store.setKey({ _id: alertKey, incidentId: groupIncident.id, state: 'firing' });
      return this.attach(sourceName, source, alert, undefined, groupIncident, payloadId);
    }
    // The incident this slot had before (closed now) makes the next one a new generation.
    const { incident, created } = await this.open(sourceName, source, alert, payloadId, `alert:${slot}:${group?.incidentId ?? 'first'}`);
    await store.setKey({ _id: alertKey, incidentId: incident.id, state: 'firing' });
    if (slot !== alertKey) await store.setKey({ _id: slot, incidentId: incident.id, state: 'firing' });
    // Another process opened it a moment ago: this alert joins it (a repeat, or another of its group).
    if (!created) await this.attach(sourceName, source, alert, slot === alertKey ? 'firing' : undefined, incident, payloadId);
  }

  private serial(slot: string, work: () => Promise<void>): Promise<void> {
    const before = this.slots.get(slot) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(work);
    const tail = mine.catch(() => undefined);
    this.slots.set(slot, tail);
    void tail.then(() => {
      if (this.slots.get(slot) === tail) this.slots.delete(slot);
    });
    return mine;
  }

  private async openIncident(id: string): Promise<Incident | undefined> {
    try {
      const incident = await this.deps.service.get(id);
      return incident.status === 'closed' ? undefined : incident;
    } catch (error) {
      if (isUserError(error)) return undefined;
      throw error;
    }
  }

  /** A new incident from an alert: severity → impact and urgency, labels → CI, service, category, group. */
  private async open(sourceName: string, source: Source, alert: IncomingAlert, payloadId: string, reportKey: string): Promise<{ incident: Incident; created: boolean }> {
    const { service, config, clock } = this.deps;
    const { m } = this;
    const now = clock.now();
    const levels = source.severity[alert.severity?.toLowerCase() ?? ''] ?? source.severity[source.defaultSeverity]!;
    const label = (names: readonly string[]) => names.map((n) => alert.labels[n]).find((v) => v !== undefined && v.trim() !== '')?.trim();
    const ci = label(source.labels.ci)?.slice(0, 100);
    const serviceId = matchId(label(source.labels.service), config.policy.services.map((s) => s.id));
    const category = matchId(label(source.labels.category), config.policy.categories.map((c) => c.id)) ?? source.category;
    // The group a label names, else the category's (SPEC §9's category map), as for a person's report.
    const labelGroup = matchId(label(source.labels.group), config.organisation.groups.map((g) => g.id));
    const groupId = labelGroup ?? config.policy.categories.find((c) => c.id === category)?.group;
    const info: AlertInfo = {
      source: sourceName, key: alert.groupKey ? hash(alert.groupKey) : alert.fingerprint, state: 'firing', count: 1, alerts: 1,
      firstSeen: alert.startsAt ?? now, lastSeen: now, flaps: 0, flapping: false, labels: keyLabels(alert.labels), ...(alert.url ? { url: alert.url.slice(0, 500) } : {}),
    };
    const lines = [alert.description];
    if (labelGroup && source.dispatch === 'suggest') lines.push(m.alerts.suggestedGroup({ group: service.directory.nameOf(groupId) }));
    const result = await service.report(this.actor(sourceName, source), {
      title: alert.title,
      description: lines.join('\n\n').slice(0, config.policy.limits.text),
      impact: levels.impact as Level,
      urgency: levels.urgency as Level,
      ...(category ? { category } : {}),
      ...(serviceId ? { service: serviceId } : {}),
      ...(ci ? { ci } : {}),
      ...(alert.startsAt ? { outageStart: alert.startsAt } : {}),
      source: 'monitoring',
      alert: info,
    }, reportKey);
    if (result.duplicate) return { incident: result.incident, created: false };
    await this.deps.store.tally(result.incident.id, now);
    const duplicates = (result.openOnCi ?? []).filter((d) => d.id !== result.incident.id).map((d) => d.id);
    if (duplicates.length > 0 && ci) {
      // SPEC §10: proposed, not decided; first line confirms with "mark duplicate".
      await this.note(result.incident, info, [], m.alerts.possibleDuplicate({ ids: duplicates.join(', '), ci }), `alert:${payloadId}:${alert.fingerprint}:duplicates`);
    }
    if (groupId && source.dispatch === 'auto') {
      await ignoreRefusal(service.systemAct(result.incident.id, 'dispatch', { groupId }, `alert:${payloadId}:${alert.fingerprint}:dispatch`));
    }
    return { incident: result.incident, created: true };
  }

  /** Another alert, a repeat, or a change of state for an incident monitoring already opened. */
  private async attach(sourceName: string, source: Source, alert: IncomingAlert, previous: 'firing' | 'resolved' | undefined, incident: Incident, payloadId: string): Promise<void> {
    const { store, clock, service } = this.deps;
    const { m } = this;
    const now = clock.now();
    const count = await store.tally(incident.id, now);
    const info: AlertInfo = { ...(incident.alert ?? { source: sourceName, key: alert.fingerprint, state: 'firing', count: 0, alerts: 1, firstSeen: now, lastSeen: now, flaps: 0, flapping: false, labels: {} }), count, lastSeen: now };
    const key = `alert:${payloadId}:${alert.fingerprint}`;
    const at = this.time(alert.status === 'resolved' ? (alert.endsAt ?? now) : (alert.startsAt ?? now));
    if (previous === undefined) {
      // Another alert of the same group joins the incident it opened.
      info.alerts += 1;
      return this.note(incident, info, [], m.alerts.attached({ title: alert.title }), `${key}:attached`);
    }
    if (alert.status === 'resolved' && previous === 'firing') {
      await store.setKey({ _id: `${sourceName}:${alert.fingerprint}`, incidentId: incident.id, state: 'resolved' });
      await this.note(incident, { ...info, state: 'resolved' }, ['alert_resolved'], m.alerts.resolved({ at }), `${key}:resolved`);
      if (source.resolve && this.resolvable(incident)) {
        await ignoreRefusal(service.systemAct(incident.id, 'resolve', { resolutionCode: 'resolved-by-monitoring', solution: m.alerts.resolvedSolution({ at }) }, `${key}:resolve`));
      }
      return;
    }
    if (alert.status === 'firing' && previous === 'resolved') {
      // Firing again: a line and a flag, never a reopening; often enough, it is flapping.
      await store.setKey({ _id: `${sourceName}:${alert.fingerprint}`, incidentId: incident.id, state: 'firing' });
      const flaps = info.flaps + 1;
      const flapping = flaps >= this.monitoring.flappingAfter;
      const flags = ['alert_firing_again', ...(flapping && !info.flapping ? ['flapping'] : [])];
      return this.note(incident, { ...info, state: 'firing', flaps, flapping }, flags, m.alerts.firingAgain({ at, flaps }), `${key}:firing`);
    }
    // A repeat in the same state: counted; the card is refreshed at most every refreshEvery.
    if (now.getTime() - new Date(incident.alert?.lastSeen ?? 0).getTime() >= this.monitoring.refreshEvery) {
      await this.note(incident, info, [], undefined, `${key}:repeat`);
    }
  }

  private resolvable(incident: Incident): boolean {
    return incident.status !== 'resolved' && incident.status !== 'closed' && this.deps.config.policy.resolutionCodes.some((c) => c.id === 'resolved-by-monitoring');
  }

  private async note(incident: Incident, info: AlertInfo, flags: string[], note: string | undefined, key: string): Promise<void> {
    await ignoreRefusal(this.deps.service.systemAct(incident.id, 'alert', { alert: info, flags, ...(note ? { note } : {}) }, key));
  }

  private time(at: Date): string {
    return this.presenter.formatTime(at);
  }
}

/** A label value that names one of the configured ids (case-insensitive), else undefined. */
function matchId(value: string | undefined, ids: readonly string[]): string | undefined {
  const wanted = value?.toLowerCase();
  return wanted ? ids.find((id) => id === wanted) : undefined;
}

function keyLabels(labels: Record<string, string>): Record<string, string> {
  const names = [...KEY_LABELS.filter((n) => labels[n] !== undefined), ...Object.keys(labels).filter((n) => !KEY_LABELS.includes(n) && !n.startsWith('__'))];
  return Object.fromEntries(names.slice(0, MAX_LABELS).map((n) => [n.slice(0, 60), String(labels[n]).slice(0, 200)]));
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
