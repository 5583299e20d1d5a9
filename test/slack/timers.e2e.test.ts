import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Priority } from '../../src/config/config.schema.js';
import { formatDuration } from '../../src/config/duration.js';
import { FakeScheduler } from '../support/timers.js';
import { CHANNELS, SlackBot, slackConfig, slackUserOf, slackUsers } from '../support/slack/slack-bot.js';

const config = slackConfig();

/** The form's impact and urgency that give `priority` in the shipped matrix (rows urgency, columns impact). */
function levelsFor(priority: Priority): { impact: string; urgency: string } {
  for (let u = 0; u < 4; u++) for (let i = 0; i < 4; i++) {
    if (config.policy.priorityMatrix[u]![i] === priority) return { impact: String(i + 1), urgency: String(u + 1) };
  }
  throw new Error(`no cell gives ${priority}`);
}

/** Slack users holding the roles of a tier, from the organisation file. */
function slackIdsOf(roles: readonly string[]): string[] {
  return [...new Set(roles.flatMap((r) => config.organisation.roles[r] ?? []))].map((person) => slackUserOf(person).id).sort();
}

interface Step {
  what: string;
  afterMs: number;
  to: string[];
  /** The words that mark this step's message. */
  marker: string;
}

/** Every escalation tier (SPEC §6) and notification step (§7) of a priority, from the policy file. */
function steps(priority: Priority): Step[] {
  const escalation = config.policy.escalation[priority].map((tier, i, all) => ({
    what: `escalation ${i + 1}`, afterMs: tier.after, to: slackIdsOf(tier.roles), marker: `Escalation ${i + 1} of ${all.length}`,
  }));
  const notification = config.policy.notification[priority].steps.map((step, i) => ({
    what: `notification ${i + 1}`, afterMs: step.after, to: slackIdsOf(step.roles), marker: `": ${formatDuration(step.after)} since it was reported`,
  }));
  return [...escalation, ...notification].sort((a, b) => a.afterMs - b.afterMs);
}

/**
 * Timers through Slack: an incident reported with Slack's own form, nobody acting on it, the
 * clock moved minute by minute; what Slack's Web API was asked to post is compared with the
 * policy's tables (SPEC §6, §7). The fake clock stands in for a shortened policy: the same plan,
 * without waiting.
 */
describe('Slack: escalation and notification at the SPEC minute', () => {
  let bot: SlackBot;
  const scheduler = new FakeScheduler();

  beforeAll(async () => {
    bot = await SlackBot.start(config, { scheduler: () => scheduler });
  });
  afterAll(async () => {
    await bot?.close();
  });

  /** Moves the fake clock, fires what is due and sends what the outbox holds. */
  async function at(ms: number, reportedAt: number): Promise<void> {
    bot.testApp.clock.set(new Date(reportedAt + ms));
    await scheduler.runDue(bot.app, bot.testApp.clock);
    await bot.deliverOutbox();
    await bot.idle();
  }

  /** Who was sent a message with `marker` about the incident: DMs by user, and the service-desk channel. */
  function recipients(id: string, marker: string): string[] {
    const to = Object.values(config.organisation.people).map((p) => slackUserOf(p.id).id);
    return to.filter((user) => bot.api.messages(user).some((m) => m.text.includes(id) && m.text.includes(marker))).sort();
  }

  for (const priority of ['P1', 'P2'] as const) {
    it(`GIVEN a ${priority} reported in Slack and left alone THEN each escalation and notification reaches its recipients by DM at its minute, not a second before`, async () => {
      const reportedAt = bot.testApp.clock.now().getTime();
      const { impact, urgency } = levelsFor(priority);
      const command = await bot.slash(slackUsers.user, `${priority} timers: payroll export fails`);
      const form = await bot.modalFor(command.triggerId);
      expect((await bot.submit(slackUsers.user, form, { Description: 'Finance cannot export', Impact: impact, Urgency: urgency })).status).toBe(200);
      await bot.idle();
      const id = /Logged (INC-\d+) \((P\d)\)/.exec(bot.lastResponse(command).text);
      expect(id?.[2]).toBe(priority);
      const incident = id![1]!;

      // Steps due at the same minute (P1: escalation 2 and notification 2 at 15m) are checked together.
      const times = [...new Set(steps(priority).map((step) => step.afterMs))];
      for (const time of times) {
        const due = steps(priority).filter((step) => step.afterMs === time);
        await at(time - 1_000, reportedAt);
        for (const step of due) expect(recipients(incident, step.marker), `${step.what} a second early`).toEqual([]);
        await at(time, reportedAt);
        for (const step of due) expect(recipients(incident, step.marker), `${step.what} at ${formatDuration(time)}`).toEqual(step.to);
      }
      // P1 (urgent): every channel the person has — the DM and a mention in the service-desk channel.
      const desk = bot.api.messages(CHANNELS.desk).filter((m) => m.text.includes(incident) && m.text.includes('Escalation 1 of'));
      expect(desk.length > 0).toBe(priority === 'P1');
      // Nothing twice: one message per recipient and step.
      for (const step of steps(priority)) {
        for (const user of step.to) expect(bot.api.messages(user).filter((m) => m.text.includes(incident) && m.text.includes(step.marker))).toHaveLength(1);
      }
      // The next test starts a day later, past everything this one planned.
      bot.testApp.clock.set(new Date(reportedAt + 24 * 3_600_000));
    });
  }
});
