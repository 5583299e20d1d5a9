import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBytes } from '../../src/app/view.js';
import type { ConfigFile } from '../../src/config/config.schema.js';
import { parsePeriod } from '../../src/domain/kpi.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { config as base, people, reportInput } from '../support/fixtures.js';

const MIN = 60_000;

/**
 * The process owner's numbers (SPEC §15): a month of incidents driven through the service — each
 * step at a known minute — whose KPIs are worked out by hand below and compared number by number,
 * beside the month before; then the same read by another process, filters, and refusals.
 */
describe('KPIs of a period', () => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  // A vendor group: what it resolves counts as third-party resolution.
  const config: ConfigFile = {
    ...base,
    organisation: { ...base.organisation, groups: [...base.organisation.groups, { id: 'vendor', name: { en: 'Vendor' }, firstLine: false, thirdParty: true, members: ['sun.hao'], onDuty: [], roles: {}, slack: {}, discord: {} }] },
  };
  const at = (iso: string) => t.clock.set(new Date(iso));
  const kpi = (text: string, who: { id: string; name: string } = people.manager, locale?: 'zh-CN') => t.app.run(who, 'kpi', { text }, locale ? { locale } : {});

  beforeAll(async () => {
    t = await startTestApp(config);
    // December: one incident, left open.
    at('2025-12-20T10:00:00Z');
    await t.app.service.report(people.user, reportInput({ title: 'Printer offline' }));

    // A: P3, second line, every target met, closed successfully, rated 5.
    at('2026-01-06T09:00:00Z');
    ids.A = (await t.app.service.report(people.user, reportInput({ title: 'Mail is slow', ci: 'mail-01' }))).incident.id;
    at('2026-01-06T09:05:00Z');
    await t.app.service.act(ids.A, 'dispatch', people.desk, { groupId: 'network', assigneeId: people.network.id });
    at('2026-01-06T09:10:00Z');
    await t.app.service.act(ids.A, 'accept', people.network);
    // D: a duplicate of A, left out of every total.
    at('2026-01-06T09:20:00Z');
    ids.D = (await t.app.service.report(people.user, reportInput({ title: 'Mail slow again', ci: 'mail-01' }))).incident.id;
    await t.app.service.act(ids.D, 'mark-duplicate', people.desk, { masterId: ids.A });
    at('2026-01-06T09:40:00Z');
    await t.app.service.act(ids.A, 'resolve', people.network, { resolutionCode: 'resolved-by-workaround', solution: 'Restarted the queue' });
    await t.app.service.act(ids.A, 'confirm', people.user);
    await t.app.service.act(ids.A, 'close', people.desk, { closureCode: 'successful' });
    await t.app.service.act(ids.A, 'rate', people.user, { score: '5' });


    // B: P2, nobody responds within 15 minutes (the target timer records the miss), first line resolves it at 30 minutes; closed with a problem.
    at('2026-01-07T09:00:00Z');
    ids.B = (await t.app.service.report(people.user, reportInput({ title: 'VPN down for the sales floor', impact: 2, urgency: 2 }))).incident.id;
    at('2026-01-07T09:20:00Z');
    await t.app.timers.fire(ids.B);
    at('2026-01-07T09:30:00Z');
    await t.app.service.act(ids.B, 'resolve', people.desk, { resolutionCode: 'resolved-by-workaround', solution: 'Rebooted the concentrator' });
    await t.app.service.act(ids.B, 'confirm', people.user);
    await t.app.service.act(ids.B, 'close', people.desk, { closureCode: 'successful-with-problem' });

    // C: P3 fixed at 2 minutes by a knowledge article (first line, knowledge used, closed).
    at('2026-01-08T09:00:00Z');
    ids.C = (await t.app.service.report(people.user, reportInput({ title: 'Cannot print to floor 3' }))).incident.id;
    at('2026-01-08T09:02:00Z');
    await t.app.service.act(ids.C, 'kb-fix', people.user, { articleId: 'KB-000001', solution: 'Re-add the printer' });

    // E: P1 (major), the vendor resolves it: third party; resolved, not closed.
    at('2026-01-09T09:00:00Z');
    ids.E = (await t.app.service.report(people.user, reportInput({ title: 'Core network outage', impact: 1, urgency: 1 }))).incident.id;
    at('2026-01-09T09:01:00Z');
    await t.app.service.act(ids.E, 'dispatch', people.desk, { groupId: 'vendor', assigneeId: people.infra.id });
    at('2026-01-09T09:03:00Z');
    await t.app.service.act(ids.E, 'accept', people.infra);
    at('2026-01-09T09:21:00Z');
    await t.app.service.act(ids.E, 'resolve', people.infra, { resolutionCode: 'resolved-by-workaround', solution: 'Vendor replaced the line card' });

    // F: P3 dispatched at 3 minutes, then re-dispatched to another group; still open.
    at('2026-01-10T09:00:00Z');
    ids.F = (await t.app.service.report(people.user, reportInput({ title: 'ERP login fails' }))).incident.id;
    at('2026-01-10T09:03:00Z');
    await t.app.service.act(ids.F, 'dispatch', people.desk, { groupId: 'network' });
    await t.app.service.act(ids.F, 'redispatch', people.desk, { groupId: 'applications', reason: 'It is the ERP, not the network' });
    at('2026-01-20T12:00:00Z');
  });
  afterAll(async () => t.close());

  it('GIVEN the month THEN every KPI matches what happened, duplicates left out, beside December', async () => {
    expect((await t.app.service.get(ids.B!)).missed).toEqual({ respond: new Date('2026-01-07T09:15:00Z') });
    expect((await t.app.service.get(ids.E!)).resolvedLine).toBe('third');
    const parsed = parsePeriod(['2026-01'], t.clock.now(), 'UTC');
    if ('problem' in parsed) throw new Error('period');
    const { figures, people: perPerson } = await t.app.kpis.read(parsed.period, {});
    expect(figures.total).toEqual({ count: 5 });
    expect(figures.duplicates).toEqual({ count: 1, of: 6, rate: 1 / 6 });
    expect(figures.closed).toEqual({ count: 3, of: 5, rate: 0.6 });
    expect(figures.successful).toEqual({ count: 3, of: 5, rate: 0.6 });
    expect(figures.problem).toEqual({ count: 1, of: 5, rate: 0.2 });
    // Responded: A 5m, B 30m (missed at 15m), C 2m, E 1m, F 3m.
    expect(figures.respondedInTarget).toEqual({ count: 4, of: 5, rate: 0.8 });
    expect(figures.meanResponse).toEqual({ count: 5, mean: ((5 + 30 + 2 + 1 + 3) * MIN) / 5 });
    // Resolution targets run from the first accept: A and E.
    expect(figures.resolvedInTarget).toEqual({ count: 2, of: 2, rate: 1 });
    // Resolved: A by the network group (second line, 40m), B and C by first line (30m, 2m), E by the vendor (21m).
    expect(figures.meanResolutionFirst).toEqual({ count: 2, mean: 16 * MIN });
    expect(figures.meanResolutionSecond).toEqual({ count: 1, mean: 40 * MIN });
    expect(figures.meanResolutionThird).toEqual({ count: 1, mean: 21 * MIN });
    expect(figures.firstLineRate).toEqual({ count: 2, of: 4, rate: 0.5 });
    expect(figures.secondLineRate).toEqual({ count: 1, of: 4, rate: 0.25 });
    expect(figures.major).toEqual({ count: 2, of: 5, rate: 0.4 });
    expect(figures.knowledge).toEqual({ count: 1, of: 5, rate: 0.2 });
    expect(figures.satisfaction).toEqual({ count: 1, mean: 5 });
    expect(figures.redispatched).toEqual({ count: 1, of: 5, rate: 0.2 });
    expect(perPerson.filter((p) => p.handled > 0).map((p) => [p.id, p.handled]).sort()).toEqual([['chen.jing', 1], ['li.wei', 1], ['lin.na', 1], ['sun.hao', 1]]);

    const text = (await kpi('2026-01')).text!;
    expect(text).toContain('KPIs of the incidents logged in 2026-01, each beside 2025-12; duplicates left out of the totals:');
    expect(text).toContain('Incidents logged: 5 (before: 1; +4)');
    expect(text).toContain('Closed: 3 of 5 (60%) (before: 0 of 1 (0%); +60 pts)');
    // December's incident is still open with its response target unmet (its timer not fired): not judged.
    expect(text).toContain('Responded within target: 4 of 5 (80%) (before: 0 of 0; +4)');
    expect(text).toContain('Mean resolution time, third party: 21m over 1 (before: —; no change to show)');
    expect(text).toContain('Satisfaction: 5.0 of 5 from 1 rating(s)');
  });

  it('GIVEN another process THEN it reads the same numbers; a filter narrows them; a period of its own is the default', async () => {
    const other = await t.peer();
    const reply = await other.run(people.manager, 'kpi', { text: '2026-01' });
    expect(reply.text).toBe((await kpi('2026-01')).text);
    expect((await kpi('2026-01 group:network')).text).toContain('Incidents logged: 1 (before: 0; +1)');
    expect((await kpi('')).text).toContain('logged in 2026-01, each beside 2025-12');
    expect((await kpi('since:2026-01-07 until:2026-01-08')).text).toContain('Incidents logged: 2 (before: 1; +1)');
  });

  it('GIVEN a period or filter it cannot read, or someone who may not read KPIs THEN a sentence with examples, in the reader\'s language', async () => {
    expect((await kpi('2026-13')).text).toBe('"2026-13": not a period. Examples: "kpi" (this month), "kpi last-month", "kpi 2026-11", "kpi 2026-Q3", "kpi since:2026-11-01 until:2026-11-15", "kpi 2026-11 group:network".');
    expect((await kpi('group:nowhere')).text).toMatch(/^"group:nowhere": use one of service-desk, applications, network/);
    expect((await kpi('since:2026-01-10 until:2026-01-01')).text).toContain('not a period');
    expect((await kpi('', people.user)).text).toBe('The KPIs are for process owners, incident managers and team leads.');
    const zh = (await kpi('2026-01', people.manager, 'zh-CN')).text!;
    expect(zh).toContain('2026-01 登记的事件的关键指标，与 2025-12 对比');
    expect(zh).toContain('登记事件数：5（上期：1；+4）');
  });

  it('GIVEN "report month 2026-01" THEN the KPIs as a message, six charts and the tables as one CSV; a quarter adds a chart by month', async () => {
    const reply = await t.app.run(people.manager, 'report', { title: 'month 2026-01' });
    expect(reply.text).toContain('The monthly report for 2026-01: 6 charts and the tables as month-2026-01.csv are attached.');
    expect(reply.text).toContain('Incidents logged: 5 (before: 1; +4)');
    const files = reply.files ?? [];
    expect(files.map((f) => f.name)).toEqual([
      'month-2026-01-trend.png', 'month-2026-01-overdue-by-priority.png', 'month-2026-01-mean-time-by-priority.png',
      'month-2026-01-line-rate-by-category.png', 'month-2026-01-per-person.png', 'month-2026-01-reporter-priority.png', 'month-2026-01.csv',
    ]);
    mkdirSync('/tmp/report', { recursive: true });
    for (const f of files) {
      writeFileSync(`/tmp/report/${f.name}`, fileBytes(f));
      if (f.name.endsWith('.png')) expect(fileBytes(f).subarray(1, 4).toString()).toBe('PNG');
    }
    const csv = files.at(-1)!.content.split('\n').map((l) => l.trim());
    // Duplicates left out: Lin Na reported A, B, C, E and F (D was a duplicate).
    expect(csv).toContain('reporter_priority,Lin Na,P3,3');
    expect(csv).toContain('overdue_by_priority,P2,Responses overdue,1');
    expect(csv).toContain('overdue_by_priority,P3,Responses overdue,0');
    // P3 resolved: A in 40 minutes, C in 2.
    expect(csv).toContain('mean_minutes_by_priority,P3,Mean resolution,21');
    expect(csv.some((l) => l.startsWith('mean_minutes_by_priority,P4'))).toBe(false);
    expect(csv).toContain('per_person,Li Wei,Resolved,1');
    expect(csv).toContain('trend,Logged,2025-12,1');
    expect(csv).toContain('trend,Logged,2026-01,5');
    const quarter = await t.app.run(people.manager, 'report', { title: 'quarter 2026-Q1' });
    expect(quarter.files?.map((f) => f.name)).toContain('quarter-2026-Q1-months.png');
    for (const f of quarter.files ?? []) writeFileSync(`/tmp/report/${f.name}`, fileBytes(f));
    const zh = await t.app.run(people.manager, 'report', { title: 'month 2026-01' }, { locale: 'zh-CN' });
    expect(zh.text).toContain('2026-01 月度报告：附 6 张图表和表格文件 month-2026-01.csv。');
    expect(zh.files!.at(-1)!.content).toContain('表,行,列,值');
    for (const f of zh.files ?? []) writeFileSync(`/tmp/report/zh-${f.name}`, fileBytes(f));
  });

  it('GIVEN a period report asked badly, or by someone who may not, or a title that only starts like one THEN a sentence, or an incident form', async () => {
    expect((await t.app.run(people.manager, 'report', { title: 'month 2026-Q1' })).text).toBe('"2026-Q1" is not a month to report on. Examples: "report month" (last month), "report month 2026-11", "report quarter" (last quarter), "report quarter 2026-Q3".');
    expect((await t.app.run(people.user, 'report', { title: 'quarter' })).text).toBe('The KPIs are for process owners, incident managers and team leads.');
    expect((await t.app.run(people.manager, 'report', { title: 'month-end close fails' })).form?.command).toBe('report');
    // Without a period: the last whole month (the clock is in January 2026).
    expect((await t.app.run(people.manager, 'report', { title: 'month' })).text).toContain('The monthly report for 2025-12');
  });

  it('GIVEN a database from before the KPIs THEN the first start files every stored incident once', async () => {
    await t.conn.collection('kpi_days').deleteMany({});
    await t.conn.collection('kpi_markers').deleteMany({});
    const before = (await kpi('2026-01')).text;
    expect(before).toContain('Incidents logged: 0');
    await t.app.kpis.fillOnce();
    expect((await kpi('2026-01')).text).toBe((await (await t.peer()).run(people.manager, 'kpi', { text: '2026-01' })).text);
    expect((await kpi('2026-01')).text).toContain('Incidents logged: 5 (before: 1; +4)');
  });
});
