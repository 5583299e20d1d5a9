import { afterAll, describe, expect, it } from 'vitest';
import { ShellDriver, shellDatabase } from '../support/shell-driver.js';

/**
 * A Chinese service desk, as a new user would run it: the shipped config/default.zh-CN.yml
 * (organisation language zh-CN, labels in the seeds' terms) in the terminal chat. A report with
 * Chinese labels, a refusal and a notification read in Chinese, a Chinese search that finds the
 * incident by other words than its title, and "lang en" / "lang zh-CN" switching.
 */
describe('the terminal chat in Chinese, end to end', () => {
  const db = shellDatabase('e2e_zh');
  const env = { ...db.env, INCIDENT_CONFIG: 'config/default.zh-CN.yml' };
  let shell: ShellDriver | undefined;

  afterAll(() => db.cleanup(shell));

  it('reports, refuses, notifies and finds in Chinese; switches language with lang', async () => {
    shell = new ShellDriver(env);
    const s = shell;
    await s.expect('当前身份：陈静（chen.jing）：服务台');

    s.send('as lin.na');
    await s.expect('当前身份：林娜');
    // Report: the form asks in Chinese; a number or the option's own words pick it (impact 3, urgency "一般", category "访问").
    s.send('报告 邮件服务器宕机');
    await s.expect('描述');
    for (const answer of ['全公司都收不到外部邮件', '3', '一般', '', 'mail-01', '访问', '', '', '', '']) s.send(answer);
    const receipt = await s.expect(/\[\d+\] 时间线/);
    expect(receipt).toContain('已登记 INC-000001');
    expect(receipt).toMatch(/优先级: P\d/);
    expect(receipt).toContain('分类: 访问');
    // The area question after category 访问 offered only 访问's areas (a dependent choice), in Chinese.
    expect(s.all()).toContain('访问 › 登录失败 › 单点登录');
    expect(s.all()).not.toContain('数据 › 数据或文件丢失');
    expect(receipt).toMatch(/响应时限: \d{4}\/\d\d\/\d\d \d\d:\d\d UTC/);

    // The service desk is told, in Chinese (the outbox delivers to the terminal).
    await expect.poll(() => s.all(), { timeout: 20_000 }).toMatch(/📨 \[[\d:]+\] 发给 (陈静|王芳)（[^）]+）：新事件 INC-000001（P\d）“邮件服务器宕机”等待派单。/);

    // Refused in Chinese, naming the action as the desk says it.
    s.send('dispatch INC-000001');
    await s.expect('! 你无权对 INC-000001 执行“派单”：只有一线（服务台）或事件经理可以操作。');

    // Other words than the title's: segmented, "邮件服务器无法连接" shares 邮件 and 服务器 with it.
    s.send('search 邮件服务器无法连接');
    const found = await s.expect(/INC-000001[^\n]*邮件服务器宕机/);
    expect(found).toContain('1 个事件匹配“邮件服务器无法连接”');
    // The desk's own words work as commands too: "搜索" is search, "派单" dispatch.
    s.send('搜索 邮件');
    await s.expect(/1 个事件匹配“邮件”/);
    s.send('search 打印机卡纸');
    await s.expect('没有事件匹配“打印机卡纸”。');

    // English on request, and back.
    s.send('lang en');
    await s.expect('Language: English.');
    s.send('dispatch INC-000001');
    await s.expect('! You cannot dispatch INC-000001: only first line (service desk), an incident manager may.');
    s.send('show 1');
    await s.expect('Category: Access');
    s.send('lang fr');
    await s.expect('Choose a language: "lang en" (English) or "lang zh-CN" (简体中文).');
    s.send('lang zh-CN');
    await s.expect('语言：简体中文');
    s.send('show 1');
    await s.expect('分类: 访问');
    expect(await s.quit()).toBe(0);
  }, 120_000);
});
