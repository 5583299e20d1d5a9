import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackDriver } from '../support/slack/slack-bot.js';
import { BotProcess, Installation, freePort, mulberry32, sleep } from '../support/installation.js';

/**
 * Nothing a crash can lose (issue 10): the bot runs as a real process (`src/main.ts`, Slack over
 * HTTP and Discord over its gateway, against local fakes) and is killed with SIGKILL at random
 * moments while a scripted run drives incidents through Slack's protocol from report to close
 * (every tenth a P1 with a war room); each time it is started again on the same database. Then
 * every message the fakes received is counted: one card per incident in its final state, one
 * stakeholder thread with each event once, each DM once, every war room created once and archived
 * — on Slack and on Discord. CHAOS_INCIDENTS (default 30 in `npm test`) and CHAOS_SEEDS (default
 * "1") scale it: `npm run test:chaos` drives 200 incidents for each of the seeds 1, 2 and 3.
 */
const INCIDENTS = Number(process.env.CHAOS_INCIDENTS ?? 30);
const SEEDS = (process.env.CHAOS_SEEDS ?? '1').split(',').map(Number);
const LANES = 10;
/** A kill comes after every 3 to 8 incidents started: tied to progress, not to the clock, so a fast run is killed as often as a slow one. */
const KILL_EVERY_INCIDENTS: [number, number] = [3, 8];

describe.each(SEEDS)('chaos: SIGKILL during a scripted run through Slack (seed %i)', (seed) => {
  const random = mulberry32(seed);
  const installation = new Installation(`Chaos ${seed}`);
  let bot: BotProcess;
  let kills = 0;

  beforeAll(async () => {
    await installation.start();
    const port = await freePort();
    bot = new BotProcess(installation.env(port), port);
    installation.driver = new SlackDriver(installation.slack, bot.url);
    installation.ready = () => bot.ready();
    await bot.start();
  }, 180_000);

  afterAll(async () => {
    await bot?.stop();
    await installation.stop();
  });

  it(`drives ${INCIDENTS} incidents from report to close while the bot is killed again and again; nothing is lost or doubled`, async () => {
    // Kill points: incident numbers at whose start the bot is killed, while the other lanes are
    // mid-flight. The short random pause puts the kill somewhere inside their steps.
    const killAt = new Set<number>();
    for (let n = 1; n < INCIDENTS; n += KILL_EVERY_INCIDENTS[0] + Math.floor(random() * (KILL_EVERY_INCIDENTS[1] - KILL_EVERY_INCIDENTS[0] + 1))) killAt.add(n);
    let killing = Promise.resolve();
    const killOnce = (pause: number) => {
      killing = killing.then(async () => {
        await sleep(pause);
        await bot.kill();
        kills++;
        await bot.start();
      });
    };
    // Progress every 10 s for long runs: incidents closed, outbox entries waiting, kills so far.
    const progress = setInterval(() => {
      void Promise.all([
        installation.conn.collection('incidents_closed').countDocuments({}),
        installation.conn.collection('outbox').countDocuments({ status: 'pending' }),
      ]).then(([closed, pending]) => console.log(`chaos seed ${seed}: ${closed}/${INCIDENTS} closed, ${pending} outbox entries pending, ${kills} kills`), () => undefined);
    }, 10_000);
    const ids: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < INCIDENTS) {
        const n = next++;
        if (killAt.has(n)) killOnce(random() * 1_500);
        ids[n] = await installation.drive(n);
      }
    };
    try {
      await Promise.all(Array.from({ length: LANES }, lane));
    } finally {
      await killing;
      clearInterval(progress);
    }
    // The last start finishes what the kills left.
    await installation.drained();

    const report = await installation.count(ids);
    console.log(`chaos seed ${seed}: ${INCIDENTS} incidents, ${kills} SIGKILLs, ${bot.starts} starts\n${JSON.stringify(report, null, 1)}`);
    expect(kills).toBeGreaterThan(0);
    expect(report.slack.doubled).toEqual([]);
    expect(report.slack.missing).toEqual([]);
    expect(report.discord.doubled).toEqual([]);
    expect(report.discord.missing).toEqual([]);
    expect(await installation.conn.collection('outbox').countDocuments({ status: { $in: ['dead', 'undeliverable'] } })).toBe(0);
  }, 1_800_000);
});
