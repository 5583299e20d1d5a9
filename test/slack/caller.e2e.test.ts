import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackBot, slackUsers } from '../support/slack/slack-bot.js';

/**
 * Slack: the service desk logs a phoned-in incident for a caller from the report modal. The
 * agent's form has the reporter, contact and source fields; a user's form does not.
 */
describe('Slack: logging an incident for a caller', () => {
  let bot: SlackBot;

  beforeAll(async () => {
    bot = await SlackBot.start();
  });
  afterAll(async () => {
    await bot?.close();
  });

  const labelsOf = (form: { blocks: Record<string, unknown>[] }) => form.blocks.filter((b) => b.type === 'input').map((b) => (b.label as { text: string }).text);

  it('GIVEN a desk agent THEN the report modal asks who reported it and how; the submission logs it for the outside contact', async () => {
    const own = await bot.modalFor((await bot.slash(slackUsers.user, '')).triggerId);
    expect(labelsOf(own)).not.toContain('Or an outside contact: name');
    expect(labelsOf(own)).toContain('Can the CI still be used?');

    const posted = await bot.slash(slackUsers.desk, '');
    const form = await bot.modalFor(posted.triggerId);
    expect(labelsOf(form)).toEqual(expect.arrayContaining([
      'How it was reported', 'Reporter (someone in the directory: id or name; blank = you)', 'Or an outside contact: name', 'Outside contact: phone', 'Outside contact: e-mail (gets the updates)',
    ]));
    const ack = await bot.submit(slackUsers.desk, form, {
      Title: 'Badge reader at gate 2 dead', Description: 'Visitors cannot get in', Impact: '3', Urgency: '2',
      'How it was reported': 'Walk-in', 'Or an outside contact: name': 'Ma Li', 'Outside contact: phone': '138 0000 1111', 'Can the CI still be used?': 'No',
    });
    expect(ack.status).toBe(200);
    await bot.idle();
    const receipt = bot.responses(posted.responseUrl).map((c) => String(c.params.text)).join('\n');
    const id = /INC-\d{6}/.exec(receipt)?.[0];
    expect(id).toBeDefined();
    expect(await bot.app.store.load(id!)).toMatchObject({ reporterName: 'Ma Li', source: 'walk_in', ciOperable: false, contact: { name: 'Ma Li', phone: '138 0000 1111' } });
  });

  it('GIVEN a malformed e-mail THEN nothing is logged and the agent is told why, with what they typed', async () => {
    const posted = await bot.slash(slackUsers.desk, '');
    const form = await bot.modalFor(posted.triggerId);
    await bot.submit(slackUsers.desk, form, {
      Title: 'Phone line crackles', Description: 'Since the storm', Impact: '4', Urgency: '4',
      'Or an outside contact: name': 'Ma Li', 'Outside contact: e-mail (gets the updates)': 'ma.li@',
    });
    await bot.idle();
    const answer = bot.responses(posted.responseUrl).map((c) => String(c.params.text)).join('\n');
    expect(answer).toContain('"ma.li@" is not an e-mail address');
    expect(answer).toContain('Outside contact: e-mail (gets the updates): ma.li@');
    expect(answer).not.toMatch(/INC-\d{6}/);
  });
});
