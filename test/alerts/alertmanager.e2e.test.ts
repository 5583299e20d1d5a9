import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp } from '../../src/http/server.js';
import type { Incident } from '../../src/domain/incident.js';
import { startAlertmanager, type StartedAlertmanager } from '../support/alertmanager.js';
import { startTestApp, type TestApp } from '../support/app.js';

const TOKEN = 'am-e2e-token-5511';

/**
 * A real Prometheus Alertmanager (0.35.0, built by dev/alertmanager.ts) posting to the bot's
 * POST /alerts/alertmanager: alerts posted to its API become incidents, grouped the way its
 * route groups them, and its "resolved" notification reaches the incident.
 */
describe('Alertmanager → the bot, end to end', () => {
  let t: TestApp;
  let am: StartedAlertmanager;
  let close: () => Promise<void>;

  beforeAll(async () => {
    t = await startTestApp(undefined, { secrets: { ALERTMANAGER_TOKEN: TOKEN } });
    const http = await startHttp({ port: 0, ready: async () => true, metrics: async () => '', routes: t.bot.routes });
    close = http.close;
    am = await startAlertmanager({ webhookUrl: `http://127.0.0.1:${http.port}/alerts/alertmanager`, bearerToken: TOKEN, groupBy: ['alertname'], sendResolved: true });
  });
  afterAll(async () => {
    await am?.stop();
    await close?.();
    await t?.close();
  });

  const incidents = async (): Promise<Incident[]> => (await t.app.service.list({})).filter((i) => i.source === 'monitoring');
  async function until<T>(what: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await t.bot.intake.idle();
      const value = await what();
      if (ok(value) || Date.now() > deadline) return value;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('GIVEN three nodes down and a full disk THEN two incidents (one per Alertmanager group), then the disk\'s resolution reaches its incident', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    await am.postAlerts([
      ...[1, 2, 3].map((n) => ({ labels: { alertname: 'NodeDown', instance: `rack7-node${n}:9100`, severity: 'critical' }, annotations: { summary: 'Rack 7 nodes unreachable' }, startsAt })),
      { labels: { alertname: 'DiskFull', instance: 'db-1:9100', severity: 'warning' }, annotations: { summary: 'Disk almost full on db-1' }, startsAt, generatorURL: 'http://prometheus.example/graph?g0.expr=disk' },
    ]);
    const opened = await until(incidents, (list) => list.length === 2 && list.some((i) => i.alert?.alerts === 3));
    expect(opened.map((i) => i.title).sort()).toEqual(['Disk almost full on db-1', 'Rack 7 nodes unreachable']);
    const nodes = opened.find((i) => i.title.startsWith('Rack'))!;
    expect(nodes.alert).toMatchObject({ source: 'alertmanager', alerts: 3, state: 'firing' });
    expect(nodes.alert?.key).toMatch(/^[0-9a-f]{16}$/);
    const disk = opened.find((i) => i.title.startsWith('Disk'))!;
    expect(disk).toMatchObject({ ci: 'db-1:9100', impact: 3, urgency: 2, alert: { url: 'http://prometheus.example/graph?g0.expr=disk' } });

    await am.postAlerts([{ labels: { alertname: 'DiskFull', instance: 'db-1:9100', severity: 'warning' }, annotations: { summary: 'Disk almost full on db-1' }, startsAt, endsAt: new Date(Date.now() - 1_000).toISOString() }]);
    const after = await until(() => t.app.service.get(disk.id), (i) => i.alert?.state === 'resolved');
    expect(after).toMatchObject({ status: 'open', alert: { state: 'resolved' } });
    expect(await incidents()).toHaveLength(2);
  }, 90_000);
});
