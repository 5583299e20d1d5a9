import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp } from '../../src/http/server.js';
import type { Incident } from '../../src/domain/incident.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { config as defaultConfig, people } from '../support/fixtures.js';
import { alertmanagerPayload, grafanaPayload, zabbixPayload } from './fixtures.js';

const TOKEN = 'am-token-0123456789';
const SECRETS = { ALERTMANAGER_TOKEN: TOKEN, GRAFANA_ALERTS_TOKEN: 'graf-token', ZABBIX_ALERTS_TOKEN: 'zbx-token', HOOK_SECRET: 'hmac-secret' };

/**
 * Monitoring in (SPEC §14), over HTTP as each tool posts: credentials checked before anything is
 * stored, bodies capped and read strictly, every accepted payload stored before the answer and
 * processed once; alerts mapped onto incidents (severity → impact × urgency → the matrix's
 * priority; labels → CI, service, group), deduplicated by fingerprint, grouped, resolved, flapping.
 */
describe('monitoring alerts in', () => {
  let t: TestApp;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const config = structuredClone(defaultConfig);
    config.policy.monitoring.sources.hooked = {
      kind: 'generic', auth: { hmac: { secret: 'HOOK_SECRET', header: 'x-hub-signature-256', algorithm: 'sha256', prefix: 'sha256=' } },
      severity: { p1: { impact: 1, urgency: 1 }, p3: { impact: 3, urgency: 3 } }, defaultSeverity: 'p3',
      labels: { ci: ['ci'], service: ['service'], category: ['category'], group: ['team'] }, category: 'hardware', resolve: true, dispatch: 'auto',
      mapping: { items: 'events', title: 'name', description: 'detail', severity: 'level', fingerprint: 'id', status: 'state', resolvedValues: ['ok'], ci: 'target.host', labels: 'tags', url: 'link' },
    };
    t = await startTestApp(config, { secrets: SECRETS });
    const http = await startHttp({ port: 0, ready: async () => true, metrics: () => t.bot.metrics.registry.metrics(), routes: t.bot.routes });
    url = `http://127.0.0.1:${http.port}`;
    close = http.close;
  });
  afterAll(async () => {
    await close?.();
    await t?.close();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
    const json = (await res.json()) as Record<string, unknown>;
    await t.bot.intake.idle();
    return { status: res.status, json };
  }
  const monitoringIncidents = async (): Promise<Incident[]> => (await t.app.service.list({})).filter((i) => i.source === 'monitoring');
  const payloads = async () => t.conn.collection('alert_payloads').countDocuments();

  it('GIVEN no credential, a wrong one, or an unknown source THEN 401 / 404 and nothing is stored', async () => {
    expect((await post('/alerts/alertmanager', alertmanagerPayload(), {})).status).toBe(401);
    expect((await post('/alerts/alertmanager', alertmanagerPayload(), { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post('/alerts/grafana', grafanaPayload, { authorization: `Bearer ${TOKEN}` })).status).toBe(401);
    const unknown = await post('/alerts/nagios', alertmanagerPayload());
    expect(unknown.status).toBe(404);
    expect(String(unknown.json.message)).toContain('No monitoring source "nagios"');
    expect(await payloads()).toBe(0);
  });

  it('GIVEN a malformed or unreadable body, or an oversized one THEN 400 naming the field, or 413; nothing stored', async () => {
    const broken = await post('/alerts/alertmanager', '{"version": "4", "alerts": [');
    expect(broken).toMatchObject({ status: 400, json: { error: 'invalid_json' } });
    const wrong = await post('/alerts/alertmanager', { version: '4', alerts: [{ status: 'burning', labels: {} }] });
    expect(wrong).toMatchObject({ status: 400, json: { error: 'invalid_payload', field: 'alerts[0].status' } });
    const v3 = await post('/alerts/alertmanager', { version: '3', alerts: [] });
    expect(v3.json.field).toBe('version');
    const huge = await post('/alerts/alertmanager', { version: '4', alerts: [], pad: 'x'.repeat(2_000_000) });
    expect(huge.status).toBe(413);
    expect(await payloads()).toBe(0);
  });

  it('GIVEN a critical Alertmanager alert THEN one incident: priority from the matrix, CI from its instance, source on the card; a re-delivery changes nothing', async () => {
    const first = await post('/alerts/alertmanager', alertmanagerPayload());
    expect(first).toMatchObject({ status: 202, json: { alerts: 1, duplicate: false } });
    const again = await post('/alerts/alertmanager', alertmanagerPayload());
    expect(again).toMatchObject({ status: 202, json: { duplicate: true } });
    const [incident, ...more] = await monitoringIncidents();
    expect(more).toHaveLength(0);
    // critical → impact 2, urgency 1 → the matrix's priority, as a person's report with the same levels gets (P2 as shipped).
    const priority = defaultConfig.policy.priorityMatrix[0]![1];
    expect(priority).toBe('P2');
    expect(incident).toMatchObject({ title: 'Disk almost full on db-1', impact: 2, urgency: 1, priority, ci: 'db-1:9100', category: 'failure', source: 'monitoring', reporterName: 'Alertmanager' });
    expect(incident!.alert).toMatchObject({ source: 'alertmanager', state: 'firing', count: 1, alerts: 1, url: 'http://prometheus.example/graph?g0.expr=disk' });
    const card = t.app.presenter.card(incident!, t.clock.now());
    const field = (label: string) => card.fields.find((f) => f.label === label)?.value;
    expect(field('Source')).toBe('Monitoring (Alertmanager)');
    expect(field('Alert')).toMatch(/^firing · 1 received, 1 alert\(s\)/);
    expect(field('Alert labels')).toBe('alertname=DiskFull, severity=critical, instance=db-1:9100');
    expect(field('Alert link')).toBe('http://prometheus.example/graph?g0.expr=disk');
  });

  it('GIVEN the same alert again (a repeat notification) THEN it is counted on the incident it opened, not a new one', async () => {
    t.clock.advance(6 * 60_000);
    await post('/alerts/alertmanager', alertmanagerPayload({ reason: 'repeat' }));
    const incidents = await monitoringIncidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.alert).toMatchObject({ count: 2, state: 'firing' });
  });

  it('GIVEN it resolves THEN a timeline line and the service desk is told; the incident stays open (resolve is off for this source)', async () => {
    const before = (await t.app.outboxStore.list({}, 500)).length;
    await post('/alerts/alertmanager', alertmanagerPayload({ status: 'resolved' }));
    const [incident] = await monitoringIncidents();
    expect(incident).toMatchObject({ status: 'open', alert: { state: 'resolved' } });
    const timeline = await t.app.run(people.manager, 'timeline', { id: incident!.id });
    expect(timeline.lines?.join('\n')).toContain('The alert resolved');
    const told = (await t.app.outboxStore.list({}, 500)).slice(before);
    expect(told.some((e) => e.incidentId === incident!.id)).toBe(true);
  });

  it('GIVEN it fires and resolves again and again THEN flagged as flapping, never reopened or duplicated', async () => {
    for (let i = 0; i < 3; i++) {
      t.clock.advance(60_000);
      await post('/alerts/alertmanager', alertmanagerPayload({ reason: `flap ${i}` }));
      t.clock.advance(60_000);
      await post('/alerts/alertmanager', alertmanagerPayload({ status: 'resolved', reason: `flap ${i}` }));
    }
    const incidents = await monitoringIncidents();
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.alert).toMatchObject({ flaps: 3, flapping: true });
    const card = t.app.presenter.card(incidents[0]!, t.clock.now());
    expect(card.fields.find((f) => f.label === 'Alert')?.value).toContain('FLAPPING');
  });

  it('GIVEN a storm: one group of 60 alerts THEN one incident for the group, with the count', async () => {
    const alerts = Array.from({ length: 60 }, (_, i) => ({ fingerprint: `rack${String(i).padStart(12, '0')}`, labels: { alertname: 'NodeDown', instance: `rack7-node${i}`, severity: 'warning' } }));
    const answer = await post('/alerts/alertmanager', alertmanagerPayload({ alerts }));
    expect(answer.json.alerts).toBe(60);
    const storm = (await monitoringIncidents()).filter((i) => i.title.startsWith('NodeDown'));
    expect(storm).toHaveLength(1);
    expect(storm[0]!.alert).toMatchObject({ alerts: 60 });
  });

  it('GIVEN Grafana\'s documented payload THEN its two alerts (one group) open one incident, labels kept', async () => {
    const answer = await post('/alerts/grafana', grafanaPayload, { authorization: 'Bearer graf-token' });
    expect(answer.status).toBe(202);
    const grafana = (await monitoringIncidents()).filter((i) => i.alert?.source === 'grafana');
    expect(grafana).toHaveLength(1);
    expect(grafana[0]).toMatchObject({ title: 'This alert was triggered for zone us-1', priority: expect.any(String) });
    expect(grafana[0]!.alert).toMatchObject({ alerts: 2, labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' }, url: 'https://play.grafana.org/alerting/1afz29v7z/edit' });
  });

  it('GIVEN a Zabbix problem and its recovery THEN severity High maps to impact 2 × urgency 1, the host is the CI, tags name service and group', async () => {
    await post('/alerts/zabbix', zabbixPayload('1'), { authorization: 'Bearer zbx-token' });
    const [zabbix] = (await monitoringIncidents()).filter((i) => i.alert?.source === 'zabbix');
    expect(zabbix).toMatchObject({ title: 'High CPU utilization (over 90% for 5m) on app-server-07', impact: 2, urgency: 1, ci: 'app-server-07', service: 'finance' });
    expect(zabbix!.description).toContain('Suggested group (from the alert\'s labels): Infrastructure');
    await post('/alerts/zabbix', zabbixPayload('0'), { authorization: 'Bearer zbx-token' });
    expect((await t.app.service.get(zabbix!.id)).alert?.state).toBe('resolved');
  });

  it('GIVEN Zabbix fields named as its own webhook templates name them THEN read the same', async () => {
    const body = { event_id: '7001', event_name: 'Disk I/O is overloaded', event_severity: 'Average', host_name: 'db-7', event_status: 'PROBLEM', event_tags: '[{"tag":"team","value":"infrastructure"}]' };
    expect((await post('/alerts/zabbix', body, { authorization: 'Bearer zbx-token' })).status).toBe(202);
    const [disk] = (await monitoringIncidents()).filter((i) => i.ci === 'db-7');
    expect(disk).toMatchObject({ title: 'Disk I/O is overloaded on db-7', impact: 3, urgency: 2, alert: { labels: { team: 'infrastructure' } } });
    await post('/alerts/zabbix', { ...body, event_status: 'RESOLVED' }, { authorization: 'Bearer zbx-token' });
    expect((await t.app.service.get(disk!.id)).alert?.state).toBe('resolved');
    const missing = await post('/alerts/zabbix', { event_id: '7002', event_name: 'x', host_name: 'db-8' }, { authorization: 'Bearer zbx-token' });
    expect(missing).toMatchObject({ status: 400, json: { field: 'severity' } });
  });

  it('GIVEN a generic source signed with HMAC THEN a forged signature is refused; a signed one maps by its paths, dispatches to its team, and resolves when monitoring says ok', async () => {
    const body = JSON.stringify({ events: [{ id: 'evt-1', name: 'Payment API latency', detail: 'p99 over 2 s', level: 'P1', state: 'alerting', target: { host: 'pay-api-1' }, tags: { team: 'applications' }, link: 'https://mon.example/e/1' }] });
    const sign = (text: string, secret = 'hmac-secret') => `sha256=${createHmac('sha256', secret).update(text).digest('hex')}`;
    expect((await post('/alerts/generic/hooked', body, { 'x-hub-signature-256': sign(body, 'guess') })).status).toBe(401);
    expect((await post('/alerts/generic/hooked', body, { 'x-hub-signature-256': sign(body) })).status).toBe(202);
    const [generic] = (await monitoringIncidents()).filter((i) => i.alert?.source === 'hooked');
    expect(generic).toMatchObject({ title: 'Payment API latency', ci: 'pay-api-1', impact: 1, urgency: 1, status: 'assigned', groupId: 'applications' });
    const ok = body.replace('"alerting"', '"ok"');
    await post('/alerts/generic/hooked', ok, { 'x-hub-signature-256': sign(ok) });
    const resolved = await t.app.service.get(generic!.id);
    // Resolved by monitoring (this source's policy), still waiting for confirmation and first line's closure.
    expect(resolved).toMatchObject({ status: 'resolved', resolutionCode: 'resolved-by-monitoring' });

    // No team label: dispatched to the group the category maps to (hardware → infrastructure).
    const untagged = JSON.stringify({ events: [{ id: 'evt-2', name: 'Fan failure', level: 'P3', state: 'alerting', target: { host: 'srv-12' } }] });
    await post('/alerts/generic/hooked', untagged, { 'x-hub-signature-256': sign(untagged) });
    const [fan] = (await monitoringIncidents()).filter((i) => i.title === 'Fan failure');
    expect(fan).toMatchObject({ status: 'assigned', groupId: 'infrastructure', category: 'hardware' });

    // Another alert on the same CI while that incident is open: proposed as its duplicate (SPEC §10).
    const sameCi = JSON.stringify({ events: [{ id: 'evt-3', name: 'Fan speed low', level: 'P3', state: 'alerting', target: { host: 'srv-12' } }] });
    await post('/alerts/generic/hooked', sameCi, { 'x-hub-signature-256': sign(sameCi) });
    const [speed] = (await monitoringIncidents()).filter((i) => i.title === 'Fan speed low');
    const timeline = await t.app.run(people.manager, 'timeline', { id: speed!.id });
    expect(timeline.lines?.join('\n')).toContain(`Possible duplicate of ${fan!.id} (same CI srv-12, still open)`);
  });

  it('GIVEN two bot processes receiving the same new alert at once THEN one incident, the other notification counted on it', async () => {
    const peer = await t.peerBot();
    const alerts = [{ fingerprint: 'race000000000001', labels: { alertname: 'LinkDown', instance: 'core-sw-9', severity: 'warning' } }];
    const bodies = [1, 2, 3, 4].map((n) => Buffer.from(JSON.stringify(alertmanagerPayload({ alerts, reason: `race ${n}` }))));
    const headers = { authorization: `Bearer ${TOKEN}` };
    await Promise.all(bodies.map((body, i) => (i % 2 === 0 ? t.bot : peer).intake.receive('alertmanager', body, headers)));
    await Promise.all([t.bot.intake.idle(), peer.intake.idle()]);
    const raced = (await monitoringIncidents()).filter((i) => i.title.startsWith('LinkDown'));
    expect(raced).toHaveLength(1);
    // All four counted (the card shows the count as of its last refresh, at most every refreshEvery).
    expect(await t.conn.collection<{ _id: string; count: number }>('alert_tallies').findOne({ _id: raced[0]!.id })).toMatchObject({ count: 4 });
  });

  it('GIVEN a payload stored but never processed (a crash) THEN the sweep processes it once; a payload that keeps failing is visible in admin alerts', async () => {
    await t.app.alertStore.receive({ _id: 'zabbix:crashed', source: 'zabbix', receivedAt: t.clock.now(), body: JSON.stringify({ ...zabbixPayload('1'), event_id: '5000', host: 'crash-host' }), alerts: 1 });
    expect(await t.bot.intake.sweep(0)).toBe(1);
    expect((await monitoringIncidents()).filter((i) => i.ci === 'crash-host')).toHaveLength(1);
    expect(await t.bot.intake.sweep(0)).toBe(0);

    await t.app.alertStore.receive({ _id: 'retired:1', source: 'retired', receivedAt: t.clock.now(), body: '{}', alerts: 1 });
    for (let i = 0; i < 5; i++) await t.bot.intake.sweep(0);
    const admin = await t.app.run(people.manager, 'admin', { topic: 'alerts' });
    expect(admin.text).toContain('1 failed');
    expect(admin.lines?.join('\n')).toContain('retired:1 — retired');
    expect(admin.lines?.join('\n')).toContain('source "retired" is no longer configured');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/alert_payloads_received_total\{source="alertmanager",outcome="unauthorized"\} 2/);
    expect(metrics).toMatch(/alert_payloads_processed_total\{source="retired",outcome="failed"\} 1/);
  });
});
