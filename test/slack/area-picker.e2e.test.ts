import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackBot, slackUsers } from '../support/slack/slack-bot.js';

/**
 * Slack: the report form's area (category › area › sub-area) is a menu whose options the bot loads
 * when it opens, narrowed to the category chosen above it. The modal carries none of them, so it
 * stays small both ways (views.open, and the view Slack sends back with each submission).
 */
describe('Slack: picking an area under the chosen category', () => {
  let bot: SlackBot;
  beforeAll(async () => {
    bot = await SlackBot.start();
  });
  afterAll(async () => {
    await bot?.close();
  });

  it('GIVEN the report modal THEN the area menu loads on opening, only the chosen category\'s areas, narrowed by what is typed', async () => {
    const posted = await bot.slash(slackUsers.user, '');
    const form = await bot.modalFor(posted.triggerId);
    const area = form.blocks.find((b) => b.block_id === 'subcategory')!;
    expect(area.element).toMatchObject({ type: 'external_select', min_query_length: 0 });
    expect(JSON.stringify(area)).not.toContain('login-failure');

    const underAccess = await bot.suggest(slackUsers.user, form, 'subcategory', '', { category: 'access' });
    expect(underAccess.map((o) => o.value)).toEqual([
      'access/authorisation-error', 'access/login-failure', 'access/login-failure/vpn', 'access/login-failure/single-sign-on', 'access/login-failure/e-mail',
    ]);
    expect(underAccess[2]!.text.text).toBe('Access › Login failure › VPN');
    const everywhere = await bot.suggest(slackUsers.user, form, 'subcategory', '');
    expect(everywhere.length).toBeGreaterThan(underAccess.length);
    expect((await bot.suggest(slackUsers.user, form, 'subcategory', 'VPN', { category: 'access' })).map((o) => o.value)).toEqual(['access/login-failure/vpn']);
  });

  it('GIVEN an area picked from the menu THEN the incident is logged with its category, area and sub-area', async () => {
    const posted = await bot.slash(slackUsers.user, '');
    const form = await bot.modalFor(posted.triggerId);
    await bot.submit(slackUsers.user, form, { Title: 'VPN refuses everyone', Description: 'Since 08:00', Impact: '3', Urgency: '2', category: 'access', subcategory: 'access/login-failure/vpn' });
    await bot.idle();
    const id = /INC-\d{6}/.exec(bot.responses(posted.responseUrl).map((c) => String(c.params.text)).join('\n'))![0];
    expect(await bot.app.store.load(id)).toMatchObject({ category: 'access', subcategory: 'login-failure', subarea: 'vpn' });
  });
});
