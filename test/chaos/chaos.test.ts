import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../../src/config/load-config.js';
import { testMongoUri } from '../support/db.js';
import { FakeDiscord } from '../support/discord/fake-discord.js';
import { FakeGateway } from '../support/discord/fake-gateway.js';
import { IDS, users as discordUsers } from '../support/discord/payloads.js';
import { FakeSlackApi, type ApiCall } from '../support/slack/fake-slack-api.js';
import { CHANNELS, NETWORK_USERGROUP, SECRET, SlackDriver, slackUserOf } from '../support/slack/slack-bot.js';
import type { SlackUser } from '../support/slack/slack-payloads.js';

/**
 * Nothing a crash can lose (issue 10): the bot runs as a real process (`src/main.ts`, Slack over
 * HTTP and Discord over its gateway, against local fakes) and is killed with SIGKILL at random
 * moments while a scripted run drives incidents through Slack's protocol from report to close
 * (some major); each time it is started again on the same database. Then every message the fakes
 * received is counted: one card per incident in its final state, one stakeholder thread with each
 * event once, each DM once, every war room created once and archived once — on Slack and on
 * Discord. CHAOS_INCIDENTS (default 30 in `npm test`) and CHAOS_SEEDS (default "1") scale it:
 * `npm run test:chaos` drives 200 incidents for each of the seeds 1, 2 and 3 and prints the counts.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INCIDENTS = Number(process.env.CHAOS_INCIDENTS ?? 30);
const SEEDS = (process.env.CHAOS_SEEDS ?? '1').split(',').map(Number);
const LANES = 10;
const KILL_EVERY_MS: [number, number] = [2_000, 6_000];
const MAJOR_EVERY = 10;

const who = {
  reporter: slackUserOf('lin.na'),
  desk: slackUserOf('chen.jing'),
  resolver: slackUserOf('li.wei'),
};

describe.each(SEEDS)('chaos: SIGKILL during a scripted run through Slack (seed %i)', (seed) => {
  const random = mulberry32(seed);
  let slack: FakeSlackApi;
  let discord: FakeDiscord;
  let gateway: FakeGateway;
  let bot: BotProcess;
  let conn: Connection;
  let driver: SlackDriver;
  let kills = 0;

  beforeAll(async () => {
    slack = new FakeSlackApi();
    await slack.start();
    discord = new FakeDiscord(IDS.guild);
    await discord.start();
    for (const [id, name] of [[IDS.serviceDesk, 'service-desk'], [IDS.stakeholders, 'stakeholders'], [IDS.management, 'management']] as const) discord.addChannel(id, name);
    gateway = new FakeGateway(IDS.app);
    await gateway.start();
    discord.gatewayUrl = gateway.url;
    const dbName = `chaos_${seed}_${Math.random().toString(36).slice(2, 8)}`;
    conn = await mongoose.createConnection(testMongoUri(), { dbName }).asPromise();
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'chaos-'));
    const configPath = join(dir, 'config.yml');
    writeFileSync(configPath, stringify(chaosConfig()));
    bot = new BotProcess({
      MONGODB_URI: testMongoUri(), MONGODB_DB: dbName, PORT: String(port), INCIDENT_CONFIG: configPath,
      SLACK_BOT_TOKEN: 'xoxb-chaos', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl,
      DISCORD_TOKEN: 'chaos-token', DISCORD_APPLICATION_ID: IDS.app, DISCORD_GUILD_ID: IDS.guild, DISCORD_API_URL: discord.apiUrl,
      OUTBOX_POLL_MS: '100', SHELL_ADAPTER: 'off', LOG_LEVEL: 'warn',
    }, port);
    driver = new SlackDriver(slack, bot.url);
    await bot.start();
  }, 180_000);

  afterAll(async () => {
    await bot?.stop();
    await conn?.dropDatabase().catch(() => undefined);
    await conn?.close();
    await gateway?.stop();
    await discord?.stop();
    await slack?.stop();
  });

  it(`drives ${INCIDENTS} incidents from report to close while the bot is killed again and again; nothing is lost or doubled`, async () => {
    let driving = true;
    const chaos = (async () => {
      while (driving) {
        await sleep(KILL_EVERY_MS[0] + random() * (KILL_EVERY_MS[1] - KILL_EVERY_MS[0]));
        if (!driving) break;
        await bot.kill();
        kills++;
        await bot.start();
      }
    })();
    const ids: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < INCIDENTS) {
        const n = next++;
        ids[n] = await drive(n);
      }
    };
    try {
      await Promise.all(Array.from({ length: LANES }, lane));
    } finally {
      driving = false;
      await chaos;
    }
    // The last start finishes what the kills left: wait until the outbox is empty.
    await until(async () => (await conn.collection('outbox').countDocuments({ status: 'pending' })) === 0, 120_000);
    await sleep(500);

    const report = await count(ids);
    console.log(`chaos seed ${seed}: ${INCIDENTS} incidents, ${kills} SIGKILLs, ${bot.starts} starts\n${JSON.stringify(report, null, 1)}`);
    expect(kills).toBeGreaterThan(0);
    expect(report.slack.doubled).toEqual([]);
    expect(report.slack.missing).toEqual([]);
    expect(report.discord.doubled).toEqual([]);
    expect(report.discord.missing).toEqual([]);
    expect(await conn.collection('outbox').countDocuments({ status: { $in: ['dead', 'undeliverable'] } })).toBe(0);
  }, 1_800_000);

  /** One incident, report → dispatch → accept → update → resolve → confirm → close; each step until the database shows it. */
  async function drive(n: number): Promise<string> {
    const title = `Chaos ${seed}-${n}: ${n % MAJOR_EVERY === 0 ? 'core switch down' : 'printer jammed'}`;
    const major = n % MAJOR_EVERY === 0;
    await step(
      () => form(who.reporter, title, { Description: `Scripted incident ${n}`, Impact: major ? '1' : '4', Urgency: major ? '1' : '3' }),
      async () => Boolean(await conn.collection('incidents').findOne({ title })),
    );
    const id = String((await conn.collection('incidents').findOne({ title }))!._id);
    const did = (action: string) => async () => Boolean(await conn.collection('incident_events').findOne({ incidentId: id, action }));
    await step(() => form(who.desk, `dispatch ${id}`, { 'Assignment group': 'Network' }), did('dispatch'));
    await step(() => driver.slash(who.resolver, `accept ${id}`), did('accept'));
    await step(() => form(who.resolver, `update ${id}`, { Note: `Working on ${n}` }), did('update'));
    await step(() => form(who.resolver, `resolve ${id}`, { 'Resolution code': 'Resolved by workaround', 'Solution / workaround': 'Restarted it' }), did('resolve'));
    await step(() => driver.slash(who.reporter, `confirm ${id}`), did('confirm'));
    await step(() => form(who.desk, `close ${id}`, { 'Closure code': 'Completed' }), did('close'));
    return id;
  }

  /** A slash command whose form opens as a modal, filled and submitted. */
  async function form(user: SlackUser, text: string, answers: Record<string, string>): Promise<void> {
    const command = await driver.slash(user, text);
    if (command.status !== 200) throw new Error(`slash answered ${command.status}`);
    const view = await withTimeout(driver.modalFor(command.triggerId), 8_000);
    const submitted = await driver.submit(user, view, answers);
    if (submitted.status !== 200) throw new Error(`submission answered ${submitted.status}`);
  }

  /** Does a step until its effect is in the database; a step the bot died during is done again (as a person would). */
  async function step(work: () => Promise<unknown>, done: () => Promise<boolean>): Promise<void> {
    for (let attempt = 0; attempt < 60; attempt++) {
      if (await done()) return;
      await bot.ready();
      await work().catch(() => undefined);
      const deadline = Date.now() + 6_000;
      while (Date.now() < deadline) {
        if (await done()) return;
        await sleep(100);
      }
    }
    throw new Error('a step never took effect');
  }

  /** What the fakes received, against what the database says happened. */
  async function count(ids: string[]) {
    const events = await conn.collection('incident_events').find({ incidentId: { $in: ids } }).toArray();
    const incidents = await conn.collection('incidents').find({ _id: { $in: ids as never[] } }).toArray();
    const majors = incidents.filter((i) => i.major).map((i) => String(i._id));

    // Slack: every post carries its key in metadata; no key may land twice.
    const posted = slack.calls.filter((c) => c.method === 'chat.postMessage' && c.response);
    const keyOf = (c: ApiCall) => (c.params.metadata as { event_payload?: { key?: string } } | undefined)?.event_payload?.key ?? '';
    const slackKeys = posted.map(keyOf);
    const slackMissing: string[] = [];
    const has = (key: string) => slackKeys.includes(key);
    const hasPrefix = (prefix: string) => slackKeys.some((k) => k.startsWith(prefix));
    for (const id of ids) {
      const card = slack.messages(CHANNELS.desk).filter((m) => m.blocks.some((b) => b.block_id === `card:${id}`));
      if (card.length !== 1 || !JSON.stringify(card[0]!.blocks).includes('Closed')) slackMissing.push(`card ${id} (${card.length})`);
      if (!has(`thread:${id}`)) slackMissing.push(`thread ${id}`);
      for (const e of events.filter((x) => x.incidentId === id && x.action !== 'report')) {
        if (!has(`line:${id}:${e.seq}`)) slackMissing.push(`thread line ${id}#${e.seq}`);
        if (e.to === 'assigned' && !hasPrefix(`${id}:status:assigned:${e.seq}:`)) slackMissing.push(`Accept/Reject ${id}#${e.seq}`);
        if (e.action === 'resolve' && !hasPrefix(`${id}:status:resolved:reporter:${e.seq}:`)) slackMissing.push(`Confirm/Reopen ${id}#${e.seq}`);
      }
    }
    const created = slack.calls.filter((c) => c.method === 'conversations.create' && c.response?.ok);
    const archived = slack.calls.filter((c) => c.method === 'conversations.archive');
    const archivedOnce = new Set(archived.map((c) => String(c.params.channel)));
    for (const id of majors) {
      const rooms = created.filter((c) => String(c.params.name).startsWith(id.toLowerCase()));
      if (rooms.length !== 1) slackMissing.push(`war room ${id} created ${rooms.length}×`);
      const channel = String((rooms[0]?.response?.channel as { id?: string } | undefined)?.id);
      if (!archivedOnce.has(channel)) slackMissing.push(`war room ${id} not archived`);
      if (!has(`warroom-close:${id}`)) slackMissing.push(`war room ${id} closing summary`);
    }

    // Discord: cards edited in place, one thread per incident, lines once; war rooms once.
    const dPosts = discord.calls.filter((c) => c.method === 'POST' && /^\/channels\/\d+\/messages$/.test(c.path) && c.status < 300);
    const bodies = dPosts.map((c) => `${c.path} ${c.body?.content ?? ''} ${c.body?.embeds?.[0]?.title ?? ''}`);
    const dDoubled = duplicates(dPosts.map((c) => `${c.path}#${c.body?.nonce}`)).filter((k) => !k.endsWith('#undefined'));
    // A repeated nonce is answered with the earlier message (enforce_nonce): count distinct messages made.
    const made = [...discord.messages.values()];
    const discordMissing: string[] = [];
    for (const id of ids) {
      const cards = made.filter((m) => m.channel_id === IDS.serviceDesk && m.embeds?.[0]?.title?.startsWith(`${id} `));
      if (cards.length !== 1 || !JSON.stringify(cards[0].embeds).includes('Closed')) discordMissing.push(`card ${id} (${cards.length})`);
      const starters = made.filter((m) => m.channel_id === IDS.stakeholders && String(m.content).startsWith(`${id} `));
      if (starters.length !== 1) discordMissing.push(`stakeholder thread ${id} (${starters.length})`);
      const lines = made.filter((m) => m.channel_id === starters[0]?.id && String(m.content).startsWith(`${id} · `));
      const expected = events.filter((e) => e.incidentId === id).length;
      if (lines.length !== expected) discordMissing.push(`stakeholder lines ${id}: ${lines.length} of ${expected}`);
    }
    const rooms = discord.calls.filter((c) => c.method === 'POST' && c.path === `/guilds/${IDS.guild}/channels` && c.body?.type === 0 && c.status < 300);
    const archive = [...discord.channels.values()].find((c) => c.name === 'Incidents archive');
    for (const id of majors) {
      const mine = rooms.filter((c) => String(c.body.topic).startsWith(`${id} `));
      if (mine.length !== 1) discordMissing.push(`war room ${id} created ${mine.length}×`);
      const room = [...discord.channels.values()].find((c) => String(c.topic).startsWith(`${id} `));
      if (!room || room.parent_id !== archive?.id) discordMissing.push(`war room ${id} not archived`);
      const notes = made.filter((m) => m.channel_id === room?.id && /archived and read-only/.test(String(m.content)));
      if (notes.length !== 1) discordMissing.push(`war room ${id} archive notice ${notes.length}×`);
    }
    return {
      incidents: ids.length,
      majors: majors.length,
      events: events.length,
      slack: {
        posts: posted.length, cardUpdates: slack.calls.filter((c) => c.method === 'chat.update').length,
        warRoomsCreated: created.length, warRoomsArchived: archivedOnce.size,
        doubled: duplicates(slackKeys.filter(Boolean)), missing: slackMissing,
      },
      discord: {
        posts: dPosts.length, messages: made.length, warRoomsCreated: rooms.length,
        doubled: dDoubled.filter((k) => bodies.length > 0 && k !== ''), missing: discordMissing,
      },
    };
  }
});

/** The shipped policy with Slack and Discord ids for the people, channels and groups the script uses. */
function chaosConfig(): unknown {
  const raw = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'));
  const discordIds: Record<string, string> = {
    'chen.jing': discordUsers.desk.id, 'li.wei': discordUsers.network.id, 'liu.yang': discordUsers.apps.id, 'zhao.lei': discordUsers.manager.id, 'lin.na': discordUsers.user.id,
  };
  for (const person of raw.organisation.people) {
    person.slack = slackUserOf(person.id).id;
    if (discordIds[person.id]) person.discord = discordIds[person.id];
  }
  const roles: Record<string, string> = { 'service-desk': IDS.roles.serviceDesk, network: IDS.roles.network, applications: IDS.roles.applications };
  for (const group of raw.organisation.groups) {
    if (roles[group.id]) group.discord = { role: roles[group.id] };
    if (group.id === 'network') group.slack = { channel: CHANNELS.network, usergroup: NETWORK_USERGROUP };
  }
  raw.organisation.channels = {
    serviceDesk: { slack: CHANNELS.desk, discord: IDS.serviceDesk },
    stakeholders: { slack: CHANNELS.stakeholders, discord: IDS.stakeholders },
    management: { slack: CHANNELS.management, discord: IDS.management },
  };
  return raw;
}

/** The bot as users run it: `src/main.ts` in its own process, started again after each kill on the same port and data. */
class BotProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private up?: Promise<void>;
  starts = 0;
  readonly url: string;

  constructor(
    private readonly env: Record<string, string>,
    port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  start(): Promise<void> {
    this.starts++;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', ...this.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
    this.up = until(async () => {
      if (child.exitCode !== null) throw new Error(`the bot exited at start: ${stderr}`);
      return fetch(`${this.url}/readyz`).then((r) => r.ok, () => false);
    }, 60_000);
    return this.up;
  }

  /** Resolves once the current process answers (requests sent while it is down are refused). */
  ready(): Promise<void> {
    return this.up ?? Promise.resolve();
  }

  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await Promise.race([this.exited, sleep(10_000)]);
    this.child.kill('SIGKILL');
  }
}

function duplicates(keys: string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const key of keys) (seen.has(key) ? twice : seen).add(key);
  return [...twice];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(100);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([work, sleep(ms).then(() => Promise.reject(new Error('timed out')))]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
