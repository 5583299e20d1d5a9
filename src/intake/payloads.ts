import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * One alert as every source is read into: what the tool says, before the policy maps it onto the
 * process. Alert text is hostile input like any other (adapters escape it when rendering).
 */
export interface IncomingAlert {
  /** The tool's stable id of the alert (Alertmanager's and Grafana's fingerprint, Zabbix's problem event id). */
  fingerprint: string;
  /** Alerts the tool sent as one group (Alertmanager's groupKey): new ones in a group open one incident. */
  groupKey?: string;
  status: 'firing' | 'resolved';
  title: string;
  description: string;
  severity?: string;
  labels: Record<string, string>;
  /** A link back to the alert (generatorURL, the Grafana panel, the Zabbix event). */
  url?: string;
  startsAt?: Date;
  endsAt?: Date;
}

/** A payload the mapping cannot read: the JSON path of the field and what is wrong with it. */
export class PayloadError extends Error {
  override name = 'PayloadError';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_TEXT = 3_000;
const clip = (text: string, max = MAX_TEXT) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const Labels = z.record(z.string(), z.coerce.string()).default({});
const When = z.string().optional().transform((v) => {
  const date = v ? new Date(v) : undefined;
  // Alertmanager sends "0001-01-01T00:00:00Z" for "not ended".
  return date && !Number.isNaN(date.getTime()) && date.getUTCFullYear() > 1 ? date : undefined;
});

/** zod's first problem as a PayloadError naming the JSON path ("alerts[2].labels"). */
function read<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(body)';
  throw new PayloadError(field, issue.message);
}

const PrometheusStyleAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: Labels,
  annotations: Labels,
  startsAt: When,
  endsAt: When,
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).optional(),
  // Grafana's own links, when it sends them.
  panelURL: z.string().optional(),
  dashboardURL: z.string().optional(),
  valueString: z.string().optional(),
});

/** Prometheus-style text: summary/description annotations, else the alert name and its labels. */
function fromPrometheusStyle(alert: z.infer<typeof PrometheusStyleAlert>, groupKey: string | undefined): IncomingAlert {
  const { labels, annotations } = alert;
  const name = labels.alertname ?? labels.__alert_rule_title__ ?? 'alert';
  const where = labels.instance ?? labels.host ?? labels.job ?? '';
  const title = clip(annotations.summary ?? annotations.title ?? (where ? `${name} on ${where}` : name), 150);
  const description = clip(
    [annotations.description ?? annotations.message ?? '', alert.valueString ? `Values: ${alert.valueString}` : ''].filter(Boolean).join('\n') || title,
  );
  return {
    fingerprint: alert.fingerprint ?? hash(JSON.stringify(Object.entries(labels).sort())),
    ...(groupKey ? { groupKey } : {}),
    status: alert.status,
    title,
    description,
    severity: labels.severity ?? labels.priority,
    labels,
    url: alert.panelURL || alert.generatorURL || alert.dashboardURL || undefined,
    startsAt: alert.startsAt,
    endsAt: alert.endsAt,
  };
}

/**
 * Alertmanager's webhook (version 4): a group of alerts, each with its fingerprint; `groupKey`
 * names the group. https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
export function parseAlertmanager(body: unknown): IncomingAlert[] {
  const payload = read(
    z.object({ version: z.literal('4', { error: 'expected "4" (Alertmanager webhook version 4)' }), groupKey: z.string().optional(), alerts: z.array(PrometheusStyleAlert) }),
    body,
  );
  return payload.alerts.map((alert) => fromPrometheusStyle(alert, payload.groupKey));
}

/**
 * Grafana alerting's webhook contact point: the same shape as Alertmanager's (alerts with labels,
 * annotations, fingerprint), with Grafana's panel and dashboard links.
 * https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/
 */
export function parseGrafana(body: unknown): IncomingAlert[] {
  const payload = read(z.object({ groupKey: z.string().optional(), alerts: z.array(PrometheusStyleAlert) }), body);
  return payload.alerts.map((alert) => fromPrometheusStyle(alert, payload.groupKey));
}

const ZABBIX_RESOLVED = new Set(['0', 'resolved', 'ok']);

/**
 * What a Zabbix webhook media type sends (the script in docs/alerts.md posts Zabbix's macros as
 * they are): the problem's event id (a recovery carries the same one), trigger name, severity
 * (Not classified … Disaster), host, and whether it is a problem or its recovery.
 */
export function parseZabbix(body: unknown): IncomingAlert[] {
  const payload = read(zabbixAliases, body);
  return zabbixAlert(payload);
}

function ZabbixPayload() {
  return z.object({
  event_id: z.coerce.string().min(1),
  event_name: z.string().optional(),
  trigger_name: z.string().optional(),
  severity: z.string().min(1),
  host: z.string().min(1),
  status: z.string().optional(),
  event_value: z.coerce.string().optional(),
  trigger_description: z.string().optional(),
  event_url: z.string().optional(),
  tags: z.union([Labels, z.array(z.object({ tag: z.string(), value: z.coerce.string().default('') })).transform((list) => Object.fromEntries(list.map((t) => [t.tag, t.value])))]).default({}),
    }).refine((p) => p.event_name ?? p.trigger_name, { message: 'event_name or trigger_name is required', path: ['trigger_name'] });
}

/**
 * The names Zabbix's own webhook templates use for the same macros ({EVENT.SEVERITY} as
 * `event_severity`, {HOST.NAME} as `host_name`, {EVENT.STATUS} as `event_status`, tags as
 * `event_tags`), read as ours.
 */
const ALIASES: Record<string, string> = {
  event_severity: 'severity', host_name: 'host', hostname: 'host', event_status: 'status', event_tags: 'tags', alert_subject: 'event_name',
};

const zabbixAliases = z.preprocess((value) => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [alias, name] of Object.entries(ALIASES)) if (out[name] === undefined && out[alias] !== undefined) out[name] = out[alias];
  // Tags may arrive as the JSON text of {EVENT.TAGSJSON}.
  if (typeof out.tags === 'string') {
    try {
      out.tags = JSON.parse(out.tags) as unknown;
    } catch {
      out.tags = {};
    }
  }
  return out;
}, ZabbixPayload());

function zabbixAlert(payload: z.infer<ReturnType<typeof ZabbixPayload>>): IncomingAlert[] {
  const name = payload.event_name ?? payload.trigger_name ?? '';
  const state = (payload.status ?? payload.event_value ?? 'problem').toLowerCase();
  return [{
    fingerprint: payload.event_id,
    status: ZABBIX_RESOLVED.has(state) ? 'resolved' : 'firing',
    title: clip(`${name} on ${payload.host}`, 150),
    description: clip(payload.trigger_description || name),
    severity: payload.severity,
    labels: { host: payload.host, severity: payload.severity, ...payload.tags },
    ...(payload.event_url ? { url: payload.event_url } : {}),
  }];
}

/** How a generic source's JSON is read: a dotted path (`alert.labels.host`, `items[0].name`) per field. */
export interface GenericMapping {
  /** Where the alerts are, when the body holds a list of them; else the body is one alert. */
  items?: string;
  title: string;
  description?: string;
  severity?: string;
  fingerprint?: string;
  status?: string;
  /** Values of `status` that mean resolved (compared case-insensitively). */
  resolvedValues: string[];
  ci?: string;
  service?: string;
  url?: string;
  labels?: string;
}

/** Reads a dotted path with [n] indexes; undefined where it leads nowhere. */
export function atPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of path.replace(/^\$\.?/, '').split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

const text = (value: unknown): string | undefined =>
  value === undefined || value === null ? undefined : typeof value === 'object' ? JSON.stringify(value) : String(value);

/** Any JSON, read through the mapping the policy file declares for the source. */
export function parseGeneric(body: unknown, mapping: GenericMapping): IncomingAlert[] {
  if (body === null || typeof body !== 'object') throw new PayloadError('(body)', 'expected a JSON object or array');
  const list = mapping.items ? atPath(body, mapping.items) : [body];
  if (!Array.isArray(list)) throw new PayloadError(mapping.items ?? '(body)', 'expected an array of alerts');
  const resolved = new Set(mapping.resolvedValues.map((v) => v.toLowerCase()));
  return list.map((item, i) => {
    const where = mapping.items ? `${mapping.items}[${i}].` : '';
    const title = text(atPath(item, mapping.title))?.trim();
    if (!title) throw new PayloadError(`${where}${mapping.title}`, 'required (the mapping\'s title)');
    const labelsValue = mapping.labels ? atPath(item, mapping.labels) : undefined;
    const labels: Record<string, string> = {};
    if (labelsValue && typeof labelsValue === 'object' && !Array.isArray(labelsValue)) {
      for (const [k, v] of Object.entries(labelsValue)) if (v !== null && v !== undefined) labels[k] = String(v);
    }
    const ci = mapping.ci ? text(atPath(item, mapping.ci)) : undefined;
    const service = mapping.service ? text(atPath(item, mapping.service)) : undefined;
    if (ci) labels.ci ??= ci;
    if (service) labels.service ??= service;
    const severity = mapping.severity ? text(atPath(item, mapping.severity)) : undefined;
    const status = mapping.status ? text(atPath(item, mapping.status)) : undefined;
    return {
      fingerprint: (mapping.fingerprint ? text(atPath(item, mapping.fingerprint)) : undefined) ?? hash(`${title}|${ci ?? ''}`),
      status: status && resolved.has(status.toLowerCase()) ? 'resolved' : 'firing',
      title: clip(title, 150),
      description: clip((mapping.description ? text(atPath(item, mapping.description)) : undefined) ?? title),
      ...(severity ? { severity } : {}),
      labels,
      ...(mapping.url && text(atPath(item, mapping.url)) ? { url: text(atPath(item, mapping.url)) } : {}),
    };
  });
}

export function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
