import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SlackBot, slackUsers } from '../support/slack/slack-bot.js';

/**
 * Issue 11: a submitted modal is checked in memory and acknowledged before any database work; the
 * commit follows the ack and its outcome reaches the person as a message.
 */
describe('Slack: submitting a form', () => {
  let bot: SlackBot;
  beforeAll(async () => {
    bot = await SlackBot.start();
  });
  afterAll(async () => bot?.close());

  /** Database commands sent while `work` runs (command monitoring on the test connection). */
  async function commandsDuring<T>(work: () => Promise<T>): Promise<{ result: T; commands: string[] }> {
    const client = bot.testApp.conn.getClient() as unknown as { on(e: string, f: (ev: { commandName: string }) => void): void; off(e: string, f: (ev: { commandName: string }) => void): void };
    const commands: string[] = [];
    const listener = (ev: { commandName: string }) => commands.push(ev.commandName);
    client.on('commandStarted', listener);
    try {
      return { result: await work(), commands };
    } finally {
      client.off('commandStarted', listener);
    }
  }

  it('GIVEN a required field left empty THEN the ack carries the error on the field and nothing reaches the database', async () => {
    const command = await bot.slash(slackUsers.user, '');
    const form = await bot.modalFor(command.triggerId);
    await bot.idle();
    const { result, commands } = await commandsDuring(() => bot.submit(slackUsers.user, form, { Title: 'Printer jams', Impact: '3', Urgency: '3' }));
    expect(result.json).toEqual({ response_action: 'errors', errors: { description: 'Description is required.' } });
    await bot.idle();
    expect(commands).toEqual([]);
  });

  it('GIVEN a slow database THEN the submission is acknowledged at once and the receipt follows when the commit lands', async () => {
    const command = await bot.slash(slackUsers.user, '');
    const form = await bot.modalFor(command.triggerId);
    await bot.idle();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const run = bot.app.run.bind(bot.app);
    const spy = vi.spyOn(bot.app, 'run').mockImplementation(async (...args) => {
      await gate;
      return run(...args);
    });
    try {
      const started = performance.now();
      const ack = await bot.submit(slackUsers.user, form, { Title: 'Scanner offline', Description: 'Floor 3 scanner', Impact: '3', Urgency: '3' });
      expect(ack.status).toBe(200);
      expect(ack.body).toBe('');
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(bot.responses(command.responseUrl)).toEqual([]);
      release();
      await bot.idle();
      expect(bot.lastResponse(command).text).toMatch(/Logged INC-\d+ \(P3\)/);
    } finally {
      spy.mockRestore();
    }
  });

  it('GIVEN the commit fails after the ack THEN the person is told nothing was saved and gets back everything they typed', async () => {
    const command = await bot.slash(slackUsers.user, '');
    const form = await bot.modalFor(command.triggerId);
    await bot.idle();
    const spy = vi.spyOn(bot.app.service, 'report').mockRejectedValueOnce(new Error('database unreachable'));
    try {
      await bot.submit(slackUsers.user, form, { Title: 'Badge readers dead', Description: 'All doors on B2 refuse badges since 08:00', Impact: '2', Urgency: '1', 'Configuration item (CI)': 'door-b2' });
      await bot.idle();
    } finally {
      spy.mockRestore();
    }
    const answer = bot.lastResponse(command).text;
    expect(answer).toMatch(/error id [0-9a-f]{8}/);
    expect(answer).toContain('What you entered');
    expect(answer).toContain('Title: Badge readers dead');
    expect(answer).toContain('Description: All doors on B2 refuse badges since 08:00');
    expect(answer).toContain('Configuration item (CI): door-b2');
    expect(answer).toMatch(/Impact: 2 —/);
  });
});
