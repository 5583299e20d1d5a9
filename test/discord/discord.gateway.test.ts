import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscord, type DiscordHarness } from '../support/discord/harness.js';
import { FakeGateway } from '../support/discord/fake-gateway.js';
import { IDS, slash, users } from '../support/discord/payloads.js';

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Start-up through the real login path: the gateway address comes from the configured API's
 * GET /gateway/bot; only the Guilds intent is asked for; a dropped connection resumes, and the
 * replayed interaction is not handled twice.
 */
describe('Discord: gateway start, drop and resume', () => {
  let h: DiscordHarness;
  let gateway: FakeGateway;

  beforeAll(async () => {
    gateway = new FakeGateway(IDS.app);
    await gateway.start();
    h = await startDiscord();
    h.fake.gatewayUrl = gateway.url;
  });
  afterAll(async () => {
    await h.close();
    await gateway.stop();
  });

  it('logs in via GET /gateway/bot with the Guilds intent only', async () => {
    await h.adapter.start();
    expect(h.fake.find('GET', '/gateway/bot')).toHaveLength(1);
    const identify = gateway.received.find((p) => p.op === 2)!.d as { intents: number; token: string };
    expect(identify.intents).toBe(1);
    expect(identify.token).toBe('test-token');
    await until(() => h.adapter.client.isReady());
  });

  it('handles an interaction from the gateway once, even when a resume replays it', async () => {
    const raw = slash(users.desk, 'list');
    gateway.dispatchInteraction(raw);
    await until(() => h.fake.callbacks(raw.id).length === 1);
    gateway.drop({ replayLast: true });
    await until(() => gateway.received.some((p) => p.op === 6));
    await until(() => gateway.replays === 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await h.adapter.idle();
    expect(h.fake.callbacks(raw.id)).toHaveLength(1);
    // Still connected and serving after the resume.
    const next = slash(users.desk, 'help');
    gateway.dispatchInteraction(next);
    await until(() => h.fake.callbacks(next.id).length === 1);
  });
});
