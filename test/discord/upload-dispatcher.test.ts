import { createRequire } from 'node:module';
import { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordApi } from '../../adapters/discord/discord.api.js';
import { restBase } from '../../adapters/discord/discord.adapter.js';
import { FakeDiscord } from '../support/discord/fake-discord.js';
import { IDS } from '../support/discord/payloads.js';

/** The process-wide dispatcher every undici in a process shares (undici's own `globalThis` key). */
const DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/**
 * A process that loads Slack's Socket Mode before discord.js (say, Slack's adapter imported first)
 * gets the newer undici that Socket Mode brings as its dispatcher. discord.js's uploads (a major
 * incident's review file) must still reach Discord then; they failed with "action is not a function"
 * and left the war room open for good.
 */
describe('Discord file uploads under another undici as the process dispatcher', () => {
  const fake = new FakeDiscord(IDS.guild);
  const global = globalThis as Record<symbol, unknown>;
  let before: unknown;

  beforeAll(async () => {
    await fake.start();
    fake.addChannel('500000000000000001', 'war-room');
    const socketModeUndici = createRequire(createRequire(import.meta.url).resolve('@slack/socket-mode'))('undici') as { Agent: new () => unknown };
    before = global[DISPATCHER];
    global[DISPATCHER] = new socketModeUndici.Agent();
  });
  afterAll(async () => {
    global[DISPATCHER] = before;
    await fake.stop();
  });

  it('GIVEN Socket Mode’s undici dispatching WHEN a file is posted THEN Discord receives the message with its file', async () => {
    const api = new DiscordApi(new REST({ ...restBase(fake.apiUrl), retries: 0 }).setToken('test-token'));
    const posted = await api.postFiles('500000000000000001', 'INC-000001 post-incident review', [{ name: 'INC-000001-review.md', data: Buffer.from('# Review\nRoot cause: a loop', 'utf8') }], 'review-1');
    expect(posted.id).toBeDefined();
    const call = fake.find('POST', '/channels/500000000000000001/messages').at(-1)!;
    expect(call.body.content).toBe('INC-000001 post-incident review');
    expect(call.files).toEqual([{ name: 'INC-000001-review.md', content: '# Review\nRoot cause: a loop' }]);
  });
});
