import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/app/view.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { people, reportInput } from '../support/fixtures.js';

/**
 * Find anything: words (Chinese segmented) plus filters, sorted and paged, on open and closed
 * incidents alike; every answer compared with what is stored.
 */
describe('search with filters', () => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  const found = (reply: Reply) => (reply.sections ?? []).flatMap((s) => s.items.map((i) => i.incidentId));
  const search = (text: string, locale?: 'en' | 'zh-CN') => t.app.run(people.manager, 'search', { text }, locale ? { locale } : {});

  beforeAll(async () => {
    t = await startTestApp();
    const report = async (name: string, input: Parameters<typeof reportInput>[0]) => {
      ids[name] = (await t.app.service.report(people.user, reportInput(input))).incident.id;
      t.clock.advance(60_000);
    };
    await report('mail', { title: 'Mail server down', ci: 'mail-01', impact: 2, urgency: 2, category: 'failure' });
    await report('printer', { title: 'Printer jams on floor 3', ci: 'prn-3', impact: 4, urgency: 4 });
    await report('zh', { title: '邮件服务器宕机', ci: 'mail-02', impact: 3, urgency: 3 });
    await report('major', { title: 'Core network outage', ci: 'core-1', impact: 1, urgency: 1 });
    await t.app.service.act(ids.mail!, 'dispatch', people.desk, { groupId: 'network', assigneeId: people.network.id });
    await t.app.service.act(ids.printer!, 'resolve', people.desk, { resolutionCode: 'resolved-by-workaround', solution: 'cleared the jam' });
    await t.app.service.act(ids.printer!, 'confirm', people.user);
    await t.app.service.act(ids.printer!, 'close', people.desk, { closureCode: 'completed' });
  });
  afterAll(async () => t.close());

  it('narrows by status, priority, group, assignee, CI, category and major, open and closed alike', async () => {
    expect(found(await search('status:closed'))).toEqual([ids.printer]);
    expect(found(await search('status:active')).sort()).toEqual([ids.mail, ids.zh, ids.major].sort());
    expect(found(await search(`priority:${(await t.app.service.get(ids.major!)).priority}`))).toContain(ids.major);
    expect(found(await search('group:network'))).toEqual([ids.mail]);
    expect(found(await search('assignee:li.wei'))).toEqual([ids.mail]);
    expect(found(await search('ci:prn-3'))).toEqual([ids.printer]);
    expect(found(await search('category:failure'))).toEqual([ids.mail]);
    expect(found(await search('major'))).toEqual([ids.major]);
    expect(found(await search('unassigned')).sort()).toEqual([ids.zh, ids.major].sort());
    // Words and filters together; Chinese words segmented.
    expect(found(await search('mail status:assigned'))).toEqual([ids.mail]);
    expect(found(await search('邮件服务器无法连接'))).toEqual([ids.zh]);
    // A status written as the reader's language names it.
    expect(found(await search('status:已关闭', 'zh-CN'))).toEqual([ids.printer]);
  });

  it('finds the overdue: any target past due and not met', async () => {
    expect(found(await search('overdue'))).toEqual([]);
    t.clock.advance(24 * 3_600_000);
    const overdue = found(await search('overdue'));
    const stored = await Promise.all([ids.mail, ids.zh, ids.major].map((id) => t.app.service.get(id!)));
    const expected = stored.filter((i) => (['respond', 'accept', 'resolve'] as const).some((k) => i.sla[k].dueAt && !i.sla[k].metAt && i.sla[k].dueAt! < t.clock.now())).map((i) => i.id);
    expect(overdue.sort()).toEqual(expected.sort());
    expect(overdue.length).toBeGreaterThan(0);
  });

  it('reads dates, sorts and pages', async () => {
    const created = await t.app.service.get(ids.zh!);
    const day = created.createdAt.toISOString().slice(0, 10);
    expect(found(await search(`since:${day} until:${day} sort:oldest`))).toEqual([ids.mail, ids.printer, ids.zh, ids.major]);
    expect(found(await search('since:2999-01-01'))).toEqual([]);
    for (let i = 0; i < 25; i++) await t.app.service.report(people.user, reportInput({ title: `VPN drops ${i}`, ci: 'vpn-1' }));
    const first = await search('vpn sort:newest');
    expect(found(first)).toHaveLength(20);
    expect(first.text).toContain('Page 1 of 2; next: search vpn sort:newest page:2.');
    const second = await search('vpn sort:newest page:2');
    expect(found(second)).toHaveLength(5);
    expect(new Set([...found(first), ...found(second)]).size).toBe(25);
  });

  it('explains a filter it cannot read, with examples, in the reader\'s language', async () => {
    expect((await search('status:burning')).text).toMatch(/^"status:burning": not a status; use one of open, assigned, .*Examples: "search mail status:open priority:P1,P2"/);
    expect((await search('priority:P9')).text).toContain('priorities are P1, P2, P3 and P4');
    expect((await search('group:nobody')).text).toContain('use one of service-desk');
    expect((await search('since:yesterday')).text).toContain('dates are written 2026-11-01');
    expect((await search('colour:red')).text).toContain('filters are status:, priority:');
    expect((await search('priority:P9', 'zh-CN')).text).toContain('优先级为 P1、P2、P3、P4');
  });
});
