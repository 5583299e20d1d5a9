import { describe, expect, it } from 'vitest';
import { ChannelPacer, type PacerTime } from '../../adapters/slack/slack.pacer.js';
import { PacedDelivery } from '../../src/outbox/paced.js';

/** Time the test moves by hand; a wait the pacer asks for moves it. */
class ManualTime implements PacerTime {
  at = 0;
  readonly slept: number[] = [];
  now(): number {
    return this.at;
  }
  async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.at += ms;
  }
}

const CHANNEL = 'CDESK';
const post = (key: string, channel = CHANNEL) => ({ channel, key });

/** The wait a put-off post was given, or 'posted' when it took its slot. */
async function take(pacer: ChannelPacer, key: string, channel = CHANNEL): Promise<number | 'posted'> {
  try {
    await pacer.take(post(key, channel));
    return 'posted';
  } catch (error) {
    if (!(error instanceof PacedDelivery)) throw error;
    return error.options.retryAfterMs!;
  }
}

/** Slack's 429 as @slack/web-api throws it with rejectRateLimitedCalls. */
const ratelimited = (seconds: number) => Object.assign(new Error('A rate limit was exceeded'), { code: 'slack_webapi_rate_limited_error', retryAfter: seconds });

describe('Slack pacer: one post per second per channel, a burst of four, slots kept for their posts', () => {
  it('GIVEN a quiet channel WHEN eight posts ask at once THEN four go now, the fifth waits 1 s, the rest are put off to their own second', async () => {
    const time = new ManualTime();
    const pacer = new ChannelPacer({ perSecond: 1, burst: 4, maxWaitMs: 1_000 }, time);
    for (const key of ['a', 'b', 'c', 'd']) expect(await take(pacer, key)).toBe('posted');
    expect(time.slept).toEqual([]);
    // Promised in the order asked: e at 1 s, f at 2 s, g at 3 s, h at 4 s.
    expect(['e', 'f', 'g', 'h'].map((key) => pacer.reserve(post(key)))).toEqual([1_000, 2_000, 3_000, 4_000]);
    expect(await take(pacer, 'f')).toBe(2_000);
    expect(await take(pacer, 'e')).toBe('posted');
    expect(time.slept).toEqual([1_000]);
  });

  it('GIVEN a post put off to its slot WHEN it comes back at that time THEN it posts at once, and a newcomer queues behind every promised slot', async () => {
    const time = new ManualTime();
    const pacer = new ChannelPacer({ perSecond: 1, burst: 4, maxWaitMs: 1_000 }, time);
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) pacer.reserve(post(key));
    expect(await take(pacer, 'g')).toBe(3_000);
    time.at = 3_000;
    expect(await take(pacer, 'g')).toBe('posted');
    // e (1 s) and f (2 s) have not come back yet: their slots stay theirs; the newcomer's is at 4 s, so it waits 1 s.
    expect(await take(pacer, 'newcomer')).toBe('posted');
    expect(time.slept).toEqual([1_000]);
    expect(await take(pacer, 'f')).toBe('posted');
  });

  it('GIVEN a post back long after its slot THEN it posts at once; a channel left quiet gets its burst back', async () => {
    const time = new ManualTime();
    const pacer = new ChannelPacer({ perSecond: 1, burst: 4 }, time);
    for (const key of ['a', 'b', 'c', 'd', 'e']) pacer.reserve(post(key));
    time.at = 30_000;
    for (const key of ['e', 'p', 'q', 'r']) expect(await take(pacer, key)).toBe('posted');
    expect(time.slept).toEqual([]);
    expect(await take(pacer, 's')).toBe('posted');
    expect(time.slept).toEqual([1_000]);
  });

  it('GIVEN posts put off to slots a second apart WHEN they all come back late at the same moment THEN they still go out at the pace', async () => {
    const time = new ManualTime();
    const pacer = new ChannelPacer({ perSecond: 1, burst: 2, maxWaitMs: 1_000 }, time);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(keys.map((key) => pacer.reserve(post(key)))).toEqual([0, 0, 1_000, 2_000, 3_000, 4_000]);
    expect(await take(pacer, 'a')).toBe('posted');
    expect(await take(pacer, 'b')).toBe('posted');
    // The outbox brings c, d, e and f back together, well after their slots.
    time.at = 4_500;
    const sentAt: number[] = [];
    for (const key of ['c', 'd', 'e', 'f']) {
      expect(await take(pacer, key)).toBe('posted');
      sentAt.push(time.at);
    }
    expect(sentAt).toEqual([4_500, 4_500, 5_500, 6_500]);
  });

  it('GIVEN two channels and a DM THEN each keeps its own pace', async () => {
    const time = new ManualTime();
    const pacer = new ChannelPacer({ perSecond: 1, burst: 1, maxWaitMs: 0 }, time);
    expect(await take(pacer, 'card', 'CDESK')).toBe('posted');
    expect(await take(pacer, 'parent', 'CSTAKE')).toBe('posted');
    expect(await take(pacer, 'dm', 'ULIWEI')).toBe('posted');
    expect(await take(pacer, 'card2', 'CDESK')).toBe(1_000);
  });

  it('GIVEN Slack answers 429 with Retry-After 30 THEN nothing more goes to that channel for 30 s, promised slots move behind it in order, other channels go on', async () => {
    const time = new ManualTime();
    const pacer = new ChannelPacer({ perSecond: 1, burst: 4, maxWaitMs: 1_000 }, time);
    for (const key of ['a', 'b', 'c', 'd']) expect(await take(pacer, key)).toBe('posted');
    expect(['e', 'f', 'h'].map((key) => pacer.reserve(post(key)))).toEqual([1_000, 2_000, 3_000]);
    time.at = 1_000;
    await expect(pacer.post(post('e'), () => Promise.reject(ratelimited(30)))).rejects.toMatchObject({ code: 'slack_webapi_rate_limited_error' });
    expect(pacer.reserve(post('f'))).toBe(30_000);
    expect(pacer.reserve(post('h'))).toBe(31_000);
    expect(await take(pacer, 'g')).toBe(32_000);
    expect(await take(pacer, 'elsewhere', 'CSTAKE')).toBe('posted');
    // After the pause, one a second: no burst straight into a channel that just said "too many".
    time.at = 31_000;
    expect(await take(pacer, 'f')).toBe('posted');
    expect(await take(pacer, 'h')).toBe('posted');
    expect(time.slept).toEqual([1_000]);
  });

  it('GIVEN a notice to several places WHEN one of them is far off THEN nothing is posted and every place keeps its slot', async () => {
    const time = new ManualTime();
    const pacer = new ChannelPacer({ perSecond: 1, burst: 1, maxWaitMs: 1_000 }, time);
    await take(pacer, 'earlier', 'CNET');
    pacer.reserve(post('queued', 'CNET'));
    const notice = [post('n:ULIWEI', 'ULIWEI'), post('n:CNET', 'CNET')];
    expect(() => pacer.book(notice)).toThrow(PacedDelivery);
    expect(notice.map((p) => pacer.reserve(p))).toEqual([0, 2_000]);
  });

  it('GIVEN slots nobody came back for THEN after a minute they are given up and quiet channels forgotten', async () => {
    const time = new ManualTime();
    const pacer = new ChannelPacer({ perSecond: 1, burst: 1 }, time);
    for (const key of ['a', 'b', 'c']) pacer.reserve(post(key, `C${key}`));
    pacer.reserve(post('later', 'Ca'));
    expect(pacer.size).toBe(3);
    time.at = 200_000;
    expect(await take(pacer, 'now', 'Cnew')).toBe('posted');
    expect(pacer.size).toBe(1);
  });

  it('refuses a pace that cannot work', () => {
    expect(() => new ChannelPacer({ perSecond: 0 })).toThrow(/perSecond/);
    expect(() => new ChannelPacer({ burst: 0.5 })).toThrow(/burst/);
  });
});
