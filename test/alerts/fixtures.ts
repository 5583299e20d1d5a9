/**
 * Payloads as each tool sends them. Alertmanager's was recorded from Alertmanager 0.35.0 built by
 * dev/alertmanager.ts (test/alerts/alertmanager-harness.test.ts); Grafana's is the example body of
 * https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/
 * field for field. Zabbix has no fixed webhook body (a webhook media type builds it): this is what
 * the media type of docs/alerts.md sends, from the macros of
 * https://www.zabbix.com/documentation/current/en/manual/appendix/macros/supported_by_location
 * ({EVENT.ID}, {EVENT.NAME}, {EVENT.SEVERITY}, {HOST.NAME}, {EVENT.VALUE}, {EVENT.TAGSJSON}: a JSON
 * list of {tag, value}).
 */
export function alertmanagerPayload(options: { status?: 'firing' | 'resolved'; alerts?: { fingerprint: string; labels: Record<string, string>; summary?: string }[]; reason?: string } = {}) {
  const status = options.status ?? 'firing';
  const alerts = options.alerts ?? [{ fingerprint: 'bafaf1f2a64a6f67', labels: { alertname: 'DiskFull', instance: 'db-1:9100', severity: 'critical' }, summary: 'Disk almost full on db-1' }];
  return {
    receiver: 'webhook',
    status,
    alerts: alerts.map((a) => ({
      status,
      labels: a.labels,
      annotations: { summary: a.summary ?? `${a.labels.alertname} on ${a.labels.instance}` },
      startsAt: '2026-01-05T08:58:00.2Z',
      endsAt: status === 'resolved' ? '2026-01-05T09:20:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example/graph?g0.expr=disk',
      fingerprint: a.fingerprint,
    })),
    notification_reason: options.reason ?? 'first notification',
    groupLabels: { alertname: alerts[0]!.labels.alertname },
    commonLabels: alerts[0]!.labels,
    commonAnnotations: {},
    routeLabels: {},
    externalURL: 'http://127.0.0.1:34435',
    version: '4',
    groupKey: `{}:{alertname="${alerts[0]!.labels.alertname}"}`,
    truncatedAlerts: 0,
  };
}

export const grafanaPayload = {
  receiver: 'My Super Webhook',
  status: 'firing',
  orgId: 1,
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'High memory usage', team: 'blue', zone: 'us-1' },
      annotations: { description: 'The system has high memory usage', runbook_url: 'https://myrunbook.com/runbook/1234', summary: 'This alert was triggered for zone us-1' },
      startsAt: '2021-10-12T09:51:03.157076+02:00',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'https://play.grafana.org/alerting/1afz29v7z/edit',
      fingerprint: 'c6eadffa33fcdf37',
      silenceURL: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1',
      dashboardURL: '',
      panelURL: '',
      values: { B: 44.23943737541908, C: 1 },
    },
    {
      status: 'firing',
      labels: { alertname: 'High CPU usage', team: 'blue', zone: 'eu-1' },
      annotations: { description: 'The system has high CPU usage', runbook_url: 'https://myrunbook.com/runbook/1234', summary: 'This alert was triggered for zone eu-1' },
      startsAt: '2021-10-12T09:56:03.157076+02:00',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'https://play.grafana.org/alerting/d1rdpdv7k/edit',
      fingerprint: 'bc97ff14869b13e3',
      silenceURL: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2Cteam%3Dblue%2Czone%3Deu-1',
      dashboardURL: '',
      panelURL: '',
      values: { B: 44.23943737541908, C: 1 },
    },
  ],
  groupLabels: {},
  commonLabels: { team: 'blue' },
  commonAnnotations: {},
  externalURL: 'https://play.grafana.org/',
  version: '1',
  groupKey: '{}:{}',
  truncatedAlerts: 0,
  title: '[FIRING:2]  (blue)',
  state: 'alerting',
  message: '**Firing**\n\nLabels:\n - alertname = T2\n - team = blue\n - zone = us-1\n',
};

export function zabbixPayload(value: '1' | '0' = '1') {
  return {
    event_id: '4021',
    event_name: 'High CPU utilization (over 90% for 5m)',
    severity: 'High',
    host: 'app-server-07',
    event_value: value,
    trigger_description: 'CPU utilization is too high. The system might be slow to respond.',
    event_url: 'https://zabbix.example/tr_events.php?triggerid=23456&eventid=4021',
    tags: [{ tag: 'service', value: 'finance' }, { tag: 'team', value: 'infrastructure' }],
  };
}
