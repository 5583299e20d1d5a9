import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportInput } from '../../src/domain/report.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { T0, people, reportInput } from '../support/fixtures.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const P1 = { impact: 1, urgency: 1 } as const;
const P2 = { impact: 2, urgency: 2 } as const;
const P4 = { impact: 4, urgency: 4 } as const;
const AGES = ['lt_1h', '1h_4h', '4h_1d', '1d_3d', '3d_7d', 'gt_7d'] as const;
const RESOLVE = { resolutionCode: 'resolved-by-workaround', solution: 'Restarted the queue' };
/** When the series are read: eight days after the first incident. */
const SCRAPE = new Date(T0.getTime() + 8 * DAY);
const DASHBOARD = new URL('../../docs/grafana/incident-bot.json', import.meta.url);

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

/**
 * The KPI series on /metrics (SPEC §5, §15): incidents driven through the service at known
 * minutes, then every value read back exactly; and the Grafana dashboard names only served series.
 */
describe('KPI series on /metrics', () => {
  let t: TestApp;
  const at = (ms: number) => t.clock.set(new Date(ms));
  const report = async (input: Partial<ReportInput> = {}) => (await t.app.service.report(people.user, reportInput(input))).incident.id;
  /** One scrape: the value of a series (metricName as served, e.g. `…_count`) by its exact labels, undefined when absent. */
  const scrape = async () => {
    const metrics = await t.bot.metrics.registry.getMetricsAsJSON();
    const key = (labels: object) => JSON.stringify(Object.entries(labels).sort());
    return (metricName: string, labels: Record<string, string | number>): number | undefined => {
      for (const metric of metrics) {
        for (const v of metric.values) {
          if (seriesName(metric, v) === metricName && key(v.labels) === key(labels)) return v.value;
        }
      }
      return undefined;
    };
  };

  beforeAll(async () => {
    t = await startTestApp();
    const t0 = T0.getTime();
    const s = SCRAPE.getTime();

    // H: P4, logged at T0 and never touched: more than a week old.
    at(t0);
    await report(P4);

    // A: P3 responded at 5 min, accepted, resolved at 40 min; reopened and resolved again at 60 min.
    at(t0 + HOUR);
    const a = await report();
    at(t0 + HOUR + 5 * MIN);
    await t.app.service.act(a, 'dispatch', people.desk, { groupId: 'network', assigneeId: people.network.id });
    at(t0 + HOUR + 10 * MIN);
    await t.app.service.act(a, 'accept', people.network);
    at(t0 + HOUR + 40 * MIN);
    await t.app.service.act(a, 'resolve', people.network, RESOLVE);
    at(t0 + HOUR + 50 * MIN);
    await t.app.service.act(a, 'reopen', people.user, { reason: 'Still slow' });
    at(t0 + HOUR + 60 * MIN);
    await t.app.service.act(a, 'resolve', people.network, RESOLVE);

    // D: P4 fixed by the service desk at 3 min, never dispatched: responded and resolved at once.
    at(t0 + 2 * HOUR);
    const d = await report(P4);
    at(t0 + 2 * HOUR + 3 * MIN);
    await t.app.service.act(d, 'resolve', people.desk, RESOLVE);

    // E: P2 fixed by a knowledge article at 2 min (resolved and closed at once).
    at(t0 + 3 * HOUR);
    const e = await report(P2);
    at(t0 + 3 * HOUR + 2 * MIN);
    await t.app.service.act(e, 'kb-fix', people.user, { articleId: 'KB-000001', solution: 'Re-add the printer' });

    // B: P3 left open two days. F: its duplicate, dispatched and resolved: left out of the times.
    at(s - 2 * DAY);
    const b = await report();
    at(s - 2 * DAY + 10 * MIN);
    const f = await report();
    await t.app.service.act(f, 'mark-duplicate', people.desk, { masterId: b });
    await t.app.service.act(f, 'dispatch', people.desk, { groupId: 'network' });
    await t.app.service.act(f, 'accept', people.network);
    await t.app.service.act(f, 'resolve', people.network, RESOLVE);

    // G: P2 dispatched at 60 min, rejected, dispatched again: responded once, at the first dispatch.
    at(s - 5 * HOUR);
    const g = await report(P2);
    at(s - 4 * HOUR);
    await t.app.service.act(g, 'dispatch', people.desk, { groupId: 'network' });
    await t.app.service.act(g, 'reject', people.network, { reason: 'Not the network', suggestedGroupId: 'applications' });
    at(s - 3 * HOUR);
    await t.app.service.act(g, 'dispatch', people.desk, { groupId: 'applications' });

    // C: P1, nobody responds within 10 min: the target timer records the miss; dispatched at 12 min.
    at(s - 30 * MIN);
    const c = await report(P1);
    at(s - 30 * MIN + 11 * MIN);
    await t.app.timers.fire(c);
    at(s - 30 * MIN + 12 * MIN);
    await t.app.service.act(c, 'dispatch', people.desk, { groupId: 'network' });

    at(s);
  });
  afterAll(async () => t.close());

  it('observes the time to respond once per incident: first dispatch or a fix before any, duplicates left out', async () => {
    const value = await scrape();
    const expected = { P1: [1, 12 * 60], P2: [2, 2 * 60 + 60 * 60], P3: [1, 5 * 60], P4: [1, 3 * 60] } as const;
    for (const [priority, [count, sum]] of Object.entries(expected)) {
      expect(value('incident_time_to_respond_seconds_count', { priority }), priority).toBe(count);
      expect(value('incident_time_to_respond_seconds_sum', { priority }), priority).toBe(sum);
    }
    // Cumulative buckets: P2's 2 min and 60 min.
    expect(value('incident_time_to_respond_seconds_bucket', { priority: 'P2', le: 60 })).toBe(0);
    expect(value('incident_time_to_respond_seconds_bucket', { priority: 'P2', le: 300 })).toBe(1);
    expect(value('incident_time_to_respond_seconds_bucket', { priority: 'P2', le: 1800 })).toBe(1);
    expect(value('incident_time_to_respond_seconds_bucket', { priority: 'P2', le: 3600 })).toBe(2);
    expect(value('incident_time_to_respond_seconds_bucket', { priority: 'P2', le: '+Inf' })).toBe(2);
  });

  it('observes the time to resolve on every resolution: a reopened incident resolved again counts again', async () => {
    const value = await scrape();
    const expected = { P1: [0, 0], P2: [1, 2 * 60], P3: [2, 40 * 60 + 60 * 60], P4: [1, 3 * 60] } as const;
    for (const [priority, [count, sum]] of Object.entries(expected)) {
      expect(value('incident_time_to_resolve_seconds_count', { priority }), priority).toBe(count);
      expect(value('incident_time_to_resolve_seconds_sum', { priority }), priority).toBe(sum);
    }
    expect(value('incident_time_to_resolve_seconds_bucket', { priority: 'P3', le: 2400 })).toBe(1);
    expect(value('incident_time_to_resolve_seconds_bucket', { priority: 'P3', le: 3600 })).toBe(2);
  });

  it('counts unresolved incidents by priority and age at scrape time, every bucket present', async () => {
    const value = await scrape();
    const open: Record<string, Partial<Record<(typeof AGES)[number], number>>> = {
      P1: { lt_1h: 1 },
      P2: { '4h_1d': 1 },
      P3: { '1d_3d': 1 },
      P4: { gt_7d: 1 },
    };
    for (const [priority, counts] of Object.entries(open)) {
      for (const age of AGES) expect(value('incident_open_age', { priority, age }), `${priority} ${age}`).toBe(counts[age] ?? 0);
    }
    // Read at the clock's time: a day later, B and G have aged a bucket.
    t.clock.set(new Date(SCRAPE.getTime() + DAY));
    try {
      const later = await scrape();
      expect(later('incident_open_age', { priority: 'P3', age: '3d_7d' })).toBe(1);
      expect(later('incident_open_age', { priority: 'P2', age: '1d_3d' })).toBe(1);
    } finally {
      t.clock.set(SCRAPE);
    }
  });

  it('counts the missed target by priority and target, once, as the timer fired it', async () => {
    const value = await scrape();
    expect(value('incident_sla_targets_missed_total', { priority: 'P1', target: 'respond' })).toBe(1);
    expect(value('incident_sla_targets_missed_total', { priority: 'P3', target: 'respond' })).toBeUndefined();
    const text = await t.bot.metrics.text();
    expect(text).toContain('# TYPE incident_time_to_respond_seconds histogram');
    expect(text).toContain('# TYPE incident_open_age gauge');
  });

  it('GIVEN the Grafana dashboard THEN every metric its expressions name is served', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((target) => target.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    const served = new Set<string>();
    for (const metric of await t.bot.metrics.registry.getMetricsAsJSON()) {
      served.add(metric.name);
      for (const v of metric.values) served.add(seriesName(metric, v));
    }
    const named = new Set(exprs.flatMap(metricNames));
    expect([...named].filter((name) => !served.has(name))).toEqual([]);
    // The series this issue added are on the dashboard.
    for (const name of ['incident_open_age', 'incident_time_to_respond_seconds_sum', 'incident_time_to_resolve_seconds_bucket', 'incident_sla_targets_missed_total', 'incidents', 'outbox_messages']) {
      expect(named, name).toContain(name);
    }
  });
});

/** A histogram's values carry their series' name (`…_bucket`, `…_sum`, `…_count`), which prom-client's types leave out. */
function seriesName(metric: { name: string }, value: object): string {
  return (value as { metricName?: string }).metricName ?? metric.name;
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless']);

/**
 * The metric names a PromQL expression reads: identifiers left once strings, label matchers,
 * ranges and grouping lists are removed, other than function calls and keywords.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/(?<![\w:$])[A-Za-z_:][\w:]*(?![\w:]|\s*\()/g)].map((m) => m[0]).filter((word) => !PROMQL_WORDS.has(word));
}
