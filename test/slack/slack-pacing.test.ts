import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxEntry } from '../../src/outbox/outbox.store.js';
import type { ApiCall, Block } from '../support/slack/fake-slack-api.js';
import { CHANNELS, SlackBot, people, slackConfig } from '../support/slack/slack-bot.js';
import type { SlackUser } from '../support/slack/slack-payloads.js';

/** Slack's limit in this test: five times Slack's 1/s, so the burst drains in seconds. */
const LIMIT = { perSecond: 5, burst: 4 };
/**
 * The bot's pace: Slack's, keeping one post of the burst in hand, because Slack counts posts when
 * they arrive and the network does not deliver them exactly as spaced (at 5/s a few ms matter).
 */
const PACE = { perSecond: LIMIT.perSecond, burst: LIMIT.burst - 1 };
const REPORTS = 25;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const keyOf = (call: ApiCall) => (call.params.metadata as { event_payload?: { key?: string } } | undefined)?.event_payload?.key;

/** The revision a card's buttons carry (the incident revision the card shows). */
function revisionShown(blocks: Block[]): number | undefined {
  const actions = blocks.find((b) => b.type === 'actions') as { elements?: { value?: string }[] } | undefined;
  const value = actions?.elements?.[0]?.value;
  return value ? (JSON.parse(value) as { r?: number }).r : undefined;
}

/**
 * Many people report at once (PLATFORMS.md "Rate limits": chat.postMessage ≈ 1/s per channel): the
 * bot paces its posts per channel, so the fake Slack, limiting every channel as Slack does, has
 * almost nothing to refuse; cards wait in the outbox for their turn (not a failed attempt), none is
 * dropped or doubled, and a card whose incident changed while it waited shows the latest state.
 */
describe('Slack: a burst of reports goes out at the channel’s pace', () => {
  let bot: SlackBot;

  beforeAll(async () => {
    bot = await SlackBot.start(slackConfig(), { pacing: PACE });
    bot.api.channelLimit = LIMIT;
  });
  afterAll(async () => {
    await bot?.close();
  });

  /** One person's report through Slack: /incident, the form, submit. */
  async function report(user: SlackUser, title: string): Promise<void> {
    const command = await bot.slash(user, title);
    const submitted = await bot.submit(user, await bot.modalFor(command.triggerId), { Description: 'All at once', Impact: '3', Urgency: '3' });
    expect(submitted.status).toBe(200);
  }

  /**
   * Delivery passes, as the running bot makes them, with the bot's clock following real time (the
   * pace is real time; entries put off come due on the bot's clock), until nothing is pending.
   */
  async function drain(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = Date.now();
    for (;;) {
      const now = Date.now();
      bot.testApp.clock.advance(now - last);
      last = now;
      await bot.deliverOutbox();
      const pending = await bot.testApp.conn.collection('outbox').countDocuments({ status: 'pending' });
      if (pending === 0) return;
      if (now > deadline) throw new Error(`${pending} outbox entries still pending after ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  it(`GIVEN ${REPORTS} reports at once and Slack limiting the channel to ${LIMIT.perSecond}/s WHEN some incidents are dispatched and accepted while their cards wait THEN each has one card in its latest state, nothing is dead, and Slack refused next to nothing`, async () => {
    const reporters: SlackUser[] = Array.from({ length: REPORTS }, (_, i) => ({ id: `UBURST${i}`, name: `burst${i}` }));
    await Promise.all(reporters.map((user, i) => report(user, `Burst ${i}: the third floor printer`)));
    await bot.adapter.idle();
    const ids = (await bot.app.service.list({}))
      .filter((i) => i.title.startsWith('Burst '))
      .map((i) => i.id)
      .sort();
    expect(ids).toHaveLength(REPORTS);

    // A delivery pass starts: each channel takes its burst, then one post per turn; a post whose turn
    // is more than a second away is put off to it. Meanwhile some incidents change.
    const firstPass = bot.bot.delivery.runOnce();
    const cardOf = (id: string) => bot.api.messages(CHANNELS.desk).filter((m) => m.blocks.some((b) => b.block_id === `card:${id}`));
    for (const end = Date.now() + 10_000; ids.filter((id) => cardOf(id).length > 0).length < 3 && Date.now() < end; ) await sleep(10);
    const waiting = ids.filter((id) => cardOf(id).length === 0);
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.length).toBeLessThan(REPORTS);
    // Two shown already and two still waiting are dispatched, one of each also accepted.
    const shown = ids.filter((id) => !waiting.includes(id));
    const changed = [shown[0]!, shown[1]!, waiting.at(-1)!, waiting.at(-2)!];
    for (const id of changed) await bot.app.service.act(id, 'dispatch', people.desk, { groupId: 'network' });
    for (const id of [changed[0]!, changed[2]!]) await bot.app.service.act(id, 'accept', people.network, {});
    await firstPass;

    await drain();

    // Nothing posted twice (cards, thread parents, DMs); exactly one card per incident, showing the incident as it is now.
    const posted = bot.api.callsOf('chat.postMessage').filter((c) => c.response).map(keyOf);
    expect(new Set(posted).size).toBe(posted.length);
    const cardPosts = bot.api.callsOf('chat.postMessage').filter((c) => c.response && keyOf(c)?.startsWith('card:INC-'));
    for (const id of ids) {
      expect(cardOf(id), id).toHaveLength(1);
      expect(cardPosts.filter((c) => keyOf(c) === `card:${id}`), id).toHaveLength(1);
      const incident = await bot.app.service.get(id);
      expect(revisionShown(cardOf(id)[0]!.blocks), id).toBe(incident.rev);
    }
    expect(JSON.stringify(cardOf(changed[0]!)[0]!.blocks)).toContain('In progress');
    expect(JSON.stringify(cardOf(changed[2]!)[0]!.blocks)).toContain('In progress');
    expect(JSON.stringify(cardOf(changed[3]!)[0]!.blocks)).toContain('Assigned');

    // Nothing dead; the waits were put off, not failed: real failures are at most the few 429s Slack gave.
    const entries = (await Promise.all(ids.map((id) => bot.app.outboxStore.forIncident(id)))).flat() as OutboxEntry[];
    expect(entries.filter((e) => e.status !== 'sent').map((e) => `${e._id}: ${e.status} ${e.lastError ?? ''}`)).toEqual([]);
    const failures = entries.reduce((sum, e) => sum + (e.failures ?? 0), 0);
    expect(failures).toBeLessThanOrEqual(bot.api.rateLimited);
    expect(entries.some((e) => e.attempts > 1)).toBe(true);
    expect(bot.bot.delivery.stats.putOff).toBeGreaterThan(0);
    expect(bot.bot.delivery.stats.dead).toBe(0);

    // Pacing works: Slack refused next to nothing (the same run unpaced draws dozens of 429s).
    expect(bot.api.rateLimited).toBeLessThanOrEqual(3);
  });
});
