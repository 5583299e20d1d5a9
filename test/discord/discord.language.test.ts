import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryWorker } from '../../src/outbox/delivery.worker.js';
import { startDiscord, type DiscordHarness } from '../support/discord/harness.js';
import { button, buttonId, modalSubmit, slash, users, type Raw } from '../support/discord/payloads.js';
import { people, reportInput } from '../support/fixtures.js';

/**
 * Discord in each person's language: the interaction's `locale` (the person's Discord client)
 * decides the modal, the refusal and the answer; it is remembered, so a notification sent later
 * reaches that person in it; the service-desk card stays in the organisation's language.
 */
describe('Discord: each person in their own language', () => {
  let h: DiscordHarness;
  beforeAll(async () => {
    h = await startDiscord();
  });
  afterAll(async () => h.close());

  const chinese = (raw: Raw): Raw => ({ ...raw, locale: 'zh-CN' });
  const deliver = () => new DeliveryWorker({ store: h.t.app.outboxStore, messengers: h.t.app.messengers, clock: h.t.app.clock, log: h.t.app.log }).runOnce();

  it('GIVEN a Chinese Discord client THEN the report modal, its follow-up and the receipt are Chinese; the card is the organisation language', async () => {
    const raw = await h.deliver(chinese(slash(users.user, 'report')));
    const modal = h.modalOf(raw);
    expect(modal.title).toBe('报告事件');
    expect(modal.components.map((c: Raw) => c.label)).toEqual(['标题', '描述', '影响度', '紧急度', '分类']);
    const submitted = await h.deliver(chinese(modalSubmit(users.user, modal, { title: '邮件服务器宕机', description: '全公司都收不到外部邮件', impact: '3', urgency: '3', category: 'failure' })));
    const panel = h.answerOf(submitted);
    expect(panel.content).toContain('快完成了');
    const sent = await h.deliver(chinese(button(users.user, buttonId(panel, '报告事件'), panel)));
    expect(h.answerOf(sent).content).toContain('已登记 INC-000001（P');
    const card = await h.card('INC-000001');
    expect(JSON.stringify(card)).toContain('Status');
  });

  it('GIVEN a Chinese client THEN a refusal is Chinese, and the person is later notified in Chinese', async () => {
    const refused = await h.deliver(chinese(slash(users.network, 'accept', { id: 'INC-000001' })));
    expect(h.answerOf(refused).content).toContain('你无权对 INC-000001 执行“受理”');

    await h.t.app.service.act('INC-000001', 'dispatch', people.desk, { groupId: 'network', assigneeId: people.network.id });
    await deliver();
    await deliver();
    const dms = [...h.fake.messages.values()].filter((m) => {
      const channel = h.fake.channels.get(m.channel_id as string);
      return channel?.type === 1 && channel.recipients?.[0]?.id === users.network.id;
    });
    const offer = dms.find((m) => String(m.content).includes('INC-000001'));
    expect(offer?.content).toContain('“邮件服务器宕机”已派给');
    expect(JSON.stringify(offer?.components)).toContain('受理');
  });

  it('GIVEN an English client THEN the same command answers in English', async () => {
    const { incident } = await h.t.app.service.report(people.user, reportInput({ title: 'Payroll export fails' }));
    const raw = await h.deliver(slash(users.apps, 'accept', { id: incident.id }));
    expect(h.answerOf(raw).content).toContain(`You cannot accept ${incident.id}`);
  });

  it('GIVEN /incident-search THEN it finds Chinese incidents by other words, in the asker\'s language', async () => {
    const base = chinese(slash(users.desk, 'help'));
    const raw = await h.deliver({ ...base, data: { ...base.data, name: 'incident-search', options: [{ type: 3, name: 'text', value: '邮件服务器无法连接' }] } });
    const answer = h.answerOf(raw);
    expect(answer.content).toContain('1 个事件匹配“邮件服务器无法连接”');
    expect(JSON.stringify(answer)).toContain('邮件服务器宕机');

    // The filters as options: they become the search's own key:value text.
    const filtered = await h.deliver({ ...base, id: `${base.id}2`, data: { ...base.data, name: 'incident-search', options: [{ type: 3, name: 'text', value: '邮件' }, { type: 3, name: 'status', value: 'assigned' }] } });
    expect(h.answerOf(filtered).content).toContain('1 个事件匹配“邮件 status:assigned”');
    const none = await h.deliver({ ...base, id: `${base.id}3`, data: { ...base.data, name: 'incident-search', options: [{ type: 5, name: 'unassigned', value: true }, { type: 3, name: 'text', value: '邮件' }] } });
    expect(h.answerOf(none).content).toContain('没有事件匹配“邮件 unassigned”');
  });
});
