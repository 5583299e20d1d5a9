import { PacedDelivery } from '../../src/outbox/paced.js';
import { retryAfterMs } from './slack.clients.js';

/** How fast the bot posts into one channel (PLATFORMS.md "Rate limits": chat.postMessage ≈ 1/s per channel, bursts tolerated). */
export interface PacingOptions {
  /** Sustained posts per second into one channel. */
  perSecond: number;
  /** Posts a quiet channel takes at once before the pace applies. */
  burst: number;
  /** A slot at most this far off is waited for; a later one is kept for the post's retry. */
  maxWaitMs: number;
}

export const DEFAULT_PACING: PacingOptions = { perSecond: 1, burst: 4, maxWaitMs: 1_000 };

/** A slot no post came back for after this long is given up (its entry was sent elsewhere, or went dead). */
const STALE_MS = 60_000;

/** Real time by default; the pacer's test moves it by hand. */
export interface PacerTime {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realTime: PacerTime = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** Two schedules per channel, each GCRA's "theoretical arrival time" (when it is next free, before the burst allowance). */
interface ChannelState {
  /** Slots handed out: a post's place in the queue. */
  planned: number;
  /** Posts made: posts that come back late for their slots, all at once, still go out at the pace. */
  sent: number;
  /** Slots promised to posts, by post key, until the post comes back to take it. */
  promised: Map<string, number>;
}

/** A post into a channel: a DM is the person's channel, a thread reply counts against its channel. */
export interface ChannelPost {
  channel: string;
  /** The post's key (the outbox key, or the surface post's key): the same post asking again gets its slot back. */
  key: string;
}

/**
 * Paces `chat.postMessage` per channel so a burst (forty reports at once) goes out at the channel's
 * rate instead of as forty 429s. A post asks for a slot: one now or within `maxWaitMs` is waited
 * for; a later one is promised to the post's key and the delivery is put off (PacedDelivery) until
 * then, so a backlog costs each entry about one retry, in the order the posts first asked. Posts
 * coming back late for their slots (the outbox polls) still go out no faster than the pace. A 429
 * for a channel moves its next slot to after the Retry-After and re-spaces the slots promised there.
 * Per process: replicas each pace their own posts, and Slack's 429s catch the rest.
 */
export class ChannelPacer {
  readonly options: PacingOptions;
  private readonly channels = new Map<string, ChannelState>();
  private lastSweep: number;

  constructor(
    options: Partial<PacingOptions> = {},
    private readonly time: PacerTime = realTime,
  ) {
    this.options = { ...DEFAULT_PACING, ...options };
    const { perSecond, burst, maxWaitMs } = this.options;
    if (!(perSecond > 0) || !Number.isInteger(burst) || burst < 1 || !(maxWaitMs >= 0)) {
      throw new Error(`Slack pacing needs perSecond > 0, a whole burst ≥ 1 and maxWaitMs ≥ 0 (got ${JSON.stringify(this.options)})`);
    }
    this.lastSweep = time.now();
  }

  private get interval(): number {
    return 1_000 / this.options.perSecond;
  }

  /**
   * Milliseconds until this post may go (≤ 0: now): its slot, promising it the next free one if it
   * has none, and no sooner than the posts already made allow.
   */
  reserve(post: ChannelPost): number {
    const now = this.time.now();
    this.sweep(now);
    const state = this.state(post.channel, now);
    let slot = state.promised.get(post.key);
    if (slot === undefined) {
      slot = this.nextSlot(state, now);
      state.promised.set(post.key, slot);
    }
    return Math.max(slot, state.sent - this.tolerance) - now;
  }

  /**
   * Promises every post its slot before any is made (a notice to several places goes out whole or
   * not yet); puts the delivery off when one of them is further than `maxWaitMs`.
   */
  book(posts: readonly ChannelPost[]): void {
    const longest = Math.max(0, ...posts.map((post) => this.reserve(post)));
    if (longest > this.options.maxWaitMs) throw this.putOff(posts.map((p) => p.channel).join(', '), longest);
  }

  /** Waits for this post's slot when it is near and takes it; else puts the delivery off until it (the slot is kept). */
  async take(post: ChannelPost): Promise<void> {
    for (;;) {
      const wait = this.reserve(post);
      if (wait <= 0) {
        const state = this.channels.get(post.channel)!;
        state.promised.delete(post.key);
        state.sent = Math.max(state.sent, this.time.now()) + this.interval;
        return;
      }
      if (wait > this.options.maxWaitMs) throw this.putOff(post.channel, wait);
      // Checked again after the wait: a 429 meanwhile may have moved the slot.
      await this.time.sleep(wait);
    }
  }

  /** `send` (one chat.postMessage) in its slot; a 429 it gets pushes the channel back by the Retry-After. */
  async post<T>(post: ChannelPost, send: () => Promise<T>): Promise<T> {
    await this.take(post);
    try {
      return await send();
    } catch (error) {
      const wait = retryAfterMs(error);
      if (wait !== undefined) this.limited(post.channel, wait);
      throw error;
    }
  }

  /** Slack answered 429 for this channel: nothing goes there before `retryAfterMs`, then one post per interval again. */
  limited(channel: string, retryAfterMs: number): void {
    const now = this.time.now();
    const state = this.state(channel, now);
    // The first slot after the pause is now + Retry-After, with no burst allowance left.
    const pause = now + retryAfterMs + this.tolerance;
    state.planned = Math.max(state.planned, pause);
    state.sent = Math.max(state.sent, pause);
    const inOrder = [...state.promised].sort((a, b) => a[1] - b[1]);
    state.promised.clear();
    for (const [key] of inOrder) state.promised.set(key, this.nextSlot(state, now));
  }

  /** Channels the pacer keeps state for (tests: idle channels are forgotten). */
  get size(): number {
    return this.channels.size;
  }

  private get tolerance(): number {
    return (this.options.burst - 1) * this.interval;
  }

  /** GCRA: the earliest slot that keeps `burst` at once and `perSecond` after; the plan moves on by one interval. */
  private nextSlot(state: ChannelState, now: number): number {
    const slot = Math.max(now, state.planned - this.tolerance);
    state.planned = Math.max(state.planned, slot) + this.interval;
    return slot;
  }

  private state(channel: string, now: number): ChannelState {
    let state = this.channels.get(channel);
    if (!state) {
      state = { planned: now, sent: now, promised: new Map() };
      this.channels.set(channel, state);
    }
    return state;
  }

  private putOff(where: string, waitMs: number): PacedDelivery {
    const { perSecond, burst } = this.options;
    return new PacedDelivery(`paced: ${where} takes ${perSecond} post(s)/s (burst ${burst}); this post's turn is in ${Math.ceil(waitMs)} ms`, Math.ceil(waitMs));
  }

  /** Now and then: slots no post came back for are given up, and quiet channels forgotten (same as a fresh one). */
  private sweep(now: number): void {
    if (now - this.lastSweep < STALE_MS) return;
    this.lastSweep = now;
    for (const [channel, state] of this.channels) {
      for (const [key, slot] of state.promised) if (slot < now - STALE_MS) state.promised.delete(key);
      if (state.promised.size === 0 && state.planned <= now && state.sent <= now) this.channels.delete(channel);
    }
  }
}
