import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, SlackBot, slackUsers, visibleText } from '../support/slack/slack-bot.js';

/**
 * Slack in each person's language: Slack's own locale for the user (users.info with
 * include_locale, asked once and cached) decides the forms, checks and answers; channel posts
 * (the service-desk card) stay in the organisation's language; a direct message reads in its
 * recipient's.
 */
describe('Slack: each person in their own language', () => {
  let bot: SlackBot;

  beforeAll(async () => {
    bot = await SlackBot.start();
    bot.api.userLocales.set(slackUsers.user.id, 'zh-CN');
    bot.api.userLocales.set(slackUsers.desk.id, 'en-US');
  });
  afterAll(async () => {
    await bot?.close();
  });

  it('GIVEN a user whose Slack is in Chinese THEN the report form, its checks, the receipt are Chinese, as is a DM to a Chinese colleague; the channel card is not', async () => {
    const posted = await bot.slash(slackUsers.user, '');
    const form = await bot.modalFor(posted.triggerId);
    expect((form.title as { text: string }).text).toBe('报告事件');
    const labels = form.blocks.filter((b) => b.type === 'input').map((b) => (b.label as { text: string }).text);
    expect(labels).toEqual(expect.arrayContaining(['标题', '描述', '影响度', '紧急度']));
    // This organisation's policy labels are English only: they fall back to English.
    expect(JSON.stringify(form.blocks)).toContain('Very important');

    // A missing field is refused in Chinese, in the ack.
    const refused = await bot.submit(slackUsers.user, form, { 标题: '邮件服务器宕机', 描述: '全公司都收不到外部邮件', 影响度: '3' });
    expect(JSON.stringify(refused.json)).toContain('紧急度为必填项。');

    await bot.submit(slackUsers.user, form, { 标题: '邮件服务器宕机', 描述: '全公司都收不到外部邮件', 影响度: '3', 紧急度: '3' });
    await bot.idle();
    const receipt = bot.responses(posted.responseUrl).map((c) => String(c.params.text)).join('\n');
    expect(receipt).toMatch(/已登记 INC-\d{6}/);

    // The service-desk card is a channel post: the organisation's language (English here).
    const incident = (await bot.app.service.list({})).find((i) => i.title === '邮件服务器宕机')!;
    expect(visibleText(bot.card(incident.id).blocks)).toContain('Status');

    // A direct message reads in its recipient's language: Li Wei's Slack is Chinese too, learned
    // from his first request; the dispatch to him (by Chen Jing, in English) reaches him in Chinese.
    bot.api.userLocales.set(slackUsers.network.id, 'zh-CN');
    await bot.slash(slackUsers.network, 'list');
    await bot.idle();
    await bot.app.run({ id: 'chen.jing', name: 'Chen Jing' }, 'dispatch', { id: incident.id, groupId: 'network', assigneeId: 'li.wei' });
    await bot.deliverOutbox();
    const dm = bot.api.callsOf('chat.postMessage').find((c) => c.params.channel === slackUsers.network.id && String(c.params.text).includes(incident.id));
    expect(String(dm?.params.text)).toContain(`${incident.id}（P`);
    expect(String(dm?.params.text)).toContain('已派给');
    expect(visibleText(dm!.params.blocks as never[])).toContain('受理');

    // Slack was asked once for her locale, however many requests she made.
    expect(bot.api.callsOf('users.info').filter((c) => c.params.user === slackUsers.user.id)).toHaveLength(1);
  });

  it('GIVEN a user whose Slack is in English THEN the same form is English, and a Chinese search still finds the Chinese incident', async () => {
    const posted = await bot.slash(slackUsers.desk, '');
    const form = await bot.modalFor(posted.triggerId);
    expect((form.title as { text: string }).text).toBe('Report an incident');

    const search = await bot.slash(slackUsers.desk, 'search 邮件服务器无法连接', CHANNELS.desk);
    await bot.idle();
    const answer = bot.lastResponse(search);
    expect(answer.text).toContain('1 incident(s) match "邮件服务器无法连接"');
    expect(visibleText(answer.blocks)).toContain('邮件服务器宕机');
  });

  it('GIVEN users.info is refused THEN the person is still served, in the organisation language', async () => {
    bot.api.script('users.info', { error: 'missing_scope' });
    const posted = await bot.slash(slackUsers.apps, '');
    const form = await bot.modalFor(posted.triggerId);
    expect((form.title as { text: string }).text).toBe('Report an incident');
  });
});
