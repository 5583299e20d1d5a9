import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackBot, slackUsers } from '../support/slack/slack-bot.js';

/**
 * Slack: the report form's CI is picked by typing. The field is an external_select whose options
 * the bot loads from the catalog as the person types; what they typed is always the first option,
 * so a CI the catalog lacks can still be given (and is flagged "not in catalog").
 */
describe('Slack: picking a CI from the catalog by typing', () => {
  let bot: SlackBot;
  beforeAll(async () => {
    bot = await SlackBot.start();
    await bot.app.service.catalog.save({ id: 'core-sw-1', name: 'Core switch 1', service: 'network', ownerGroup: 'network', status: 'active' }, new Date());
    await bot.app.service.catalog.save({ id: 'core-sw-2', name: 'Core switch 2', status: 'active' }, new Date());
    await bot.app.service.catalog.save({ id: 'old-sw-9', name: 'Old core switch', status: 'retired' }, new Date());
  });
  afterAll(async () => {
    await bot?.close();
  });

  it('GIVEN the report modal THEN typing "core sw" offers the typed text and the active matching CIs; the one picked is logged with its service', async () => {
    const posted = await bot.slash(slackUsers.user, '');
    const form = await bot.modalFor(posted.triggerId);
    const ci = form.blocks.find((b) => b.block_id === 'ci')!;
    expect((ci.element as { type: string }).type).toBe('external_select');
    const offered = await bot.suggest(slackUsers.user, form, 'ci', 'core sw');
    expect(offered.map((o) => [o.text.text, o.value])).toEqual([
      ['core sw (as typed)', 'core sw'],
      ['core-sw-1 — Core switch 1', 'core-sw-1'],
      ['core-sw-2 — Core switch 2', 'core-sw-2'],
    ]);
    await bot.submit(slackUsers.user, form, { Title: 'Floor 3 offline', Description: 'No network', Impact: '3', Urgency: '2', 'Configuration item (CI)': 'core-sw-1' });
    await bot.idle();
    const id = /INC-\d{6}/.exec(bot.responses(posted.responseUrl).map((c) => String(c.params.text)).join('\n'))![0];
    expect(await bot.app.store.load(id)).toMatchObject({ ci: 'core-sw-1', ciInCatalog: true, service: 'network' });
  });

  it('GIVEN text the catalog does not hold THEN it is offered as typed, and logged flagged "not in catalog"', async () => {
    const posted = await bot.slash(slackUsers.user, '');
    const form = await bot.modalFor(posted.triggerId);
    expect((await bot.suggest(slackUsers.user, form, 'ci', 'printer-4f')).map((o) => o.value)).toEqual(['printer-4f']);
    await bot.submit(slackUsers.user, form, { Title: 'Printer offline', Description: 'Floor 4', Impact: '4', Urgency: '4', 'Configuration item (CI)': 'printer-4f' });
    await bot.idle();
    const receipt = bot.responses(posted.responseUrl).map((c) => String(c.params.text)).join('\n');
    expect(receipt).toContain('CI "printer-4f" is not in the catalog: kept as typed.');
  });
});
