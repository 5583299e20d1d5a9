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

  it('GIVEN a process that acknowledged a submission and stopped before answering THEN the next one to start runs it, once, and its person gets the receipt', async () => {
    const command = await bot.slash(slackUsers.user, '');
    const form = await bot.modalFor(command.triggerId);
    await bot.idle();
    const origin = JSON.parse(form.private_metadata ?? '{}').o as Record<string, unknown>;
    const held = bot.testApp.conn.collection('slack_submissions');
    const actor = bot.app.actorFor('slack', slackUsers.user.id);
    const key = `slack:view:${form.id}-stopped`;
    // What the stopped process had written right after its ack, two minutes ago.
    await held.insertOne({
      _id: key as never, user: { id: slackUsers.user.id }, command: 'report', origin, at: new Date(Date.now() - 120_000),
      args: { title: 'Wi-Fi down in the east wing', description: 'No access point answers since 10:05', impact: '3', urgency: '3' },
      entered: ['Title: Wi-Fi down in the east wing'],
    });
    const peer = await bot.peer();
    try {
      await peer.idle();
      await bot.idle();
      expect(bot.lastResponse(command).text).toMatch(/Logged INC-\d+ \(P3\)/);
      expect(await held.countDocuments({ _id: key as never })).toBe(0);
      const logged = await bot.app.service.list({ reporterId: actor.id });
      expect(logged.filter((i) => i.title === 'Wi-Fi down in the east wing')).toHaveLength(1);
    } finally {
      await peer.close();
    }
  });

  it('GIVEN a held submission that still fails an hour after it was sent THEN its person is told, with what they entered, and it is let go', async () => {
    const command = await bot.slash(slackUsers.user, '');
    const form = await bot.modalFor(command.triggerId);
    await bot.idle();
    const origin = JSON.parse(form.private_metadata ?? '{}').o as Record<string, unknown>;
    const held = bot.testApp.conn.collection('slack_submissions');
    const hold = (key: string, agoMs: number) => held.insertOne({
      _id: key as never, user: { id: slackUsers.user.id }, command: 'report', origin, at: new Date(Date.now() - agoMs),
      args: { title: 'Core router flapping', description: 'BGP sessions drop every few minutes', impact: '2', urgency: '2' },
      entered: ['Title: Core router flapping', 'Description: BGP sessions drop every few minutes'],
    });
    const young = `slack:view:${form.id}-failing-young`;
    const old = `slack:view:${form.id}-failing-old`;
    await hold(young, 10 * 60_000);
    await hold(old, 2 * 60 * 60_000);
    // Running these two fails, however often it is tried.
    const run = bot.app.run.bind(bot.app);
    const spy = vi.spyOn(bot.app, 'run').mockImplementation((...args) => {
      const key = args[3]?.key;
      return key === young || key === old ? Promise.reject(new Error('cannot run this one')) : run(...args);
    });
    try {
      await bot.adapter.replayHeld();
      await bot.idle();
    } finally {
      spy.mockRestore();
    }
    const answers = bot.responses(command.responseUrl).map((r) => String(r.params.text));
    expect(answers).toHaveLength(1);
    expect(answers[0]).toContain('could not be finished: it still failed an hour after you sent it');
    expect(answers[0]).toContain('What you entered');
    expect(answers[0]).toContain('Description: BGP sessions drop every few minutes');
    expect(await held.countDocuments({ _id: old as never })).toBe(0);
    // Ten minutes old: still tried again at the next sweep, its person not told anything yet.
    expect(await held.countDocuments({ _id: young as never })).toBe(1);
    await held.deleteOne({ _id: young as never });
  });

  it('GIVEN a submission answered as usual THEN nothing of it stays held', async () => {
    const command = await bot.slash(slackUsers.user, '');
    const form = await bot.modalFor(command.triggerId);
    await bot.submit(slackUsers.user, form, { Title: 'Projector dead', Description: 'Room 4.12 projector shows nothing', Impact: '3', Urgency: '3' });
    await bot.idle();
    expect(bot.lastResponse(command).text).toMatch(/Logged INC-\d+/);
    expect(await bot.testApp.conn.collection('slack_submissions').countDocuments()).toBe(0);
  });
});
