import { forStakeholders } from '../../src/outbox/surface.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose, { type Connection } from 'mongoose';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../../src/config/load-config.js';
import { testMongoUri } from './db.js';
import { FakeDiscord } from './discord/fake-discord.js';
import { FakeGateway } from './discord/fake-gateway.js';
import { IDS, users as discordUsers } from './discord/payloads.js';
import { FakeSlackApi, type ApiCall } from './slack/fake-slack-api.js';
import type { SlackDriver } from './slack/slack-bot.js';
import { CHANNELS, NETWORK_USERGROUP, SECRET, slackUserOf } from './slack/slack-bot.js';
import type { SlackUser } from './slack/slack-payloads.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAJOR_EVERY = 10;

const who = {
  reporter: slackUserOf('lin.na'),
  desk: slackUserOf('chen.jing'),
  resolver: slackUserOf('li.wei'),
};

/**
 * A whole bot installation in miniature, for tests that run the bot as real processes: a fake
 * Slack Web API, a fake Discord (REST + gateway), a database, and the configuration file that
 * maps people and channels to both. `drive` takes one incident from report to close through
 * Slack's protocol (each step until the database shows it, done again if the bot died meanwhile);
 * `count` compares everything the fakes received with the event log.
 */
export class Installation {
  readonly slack = new FakeSlackApi();
  readonly discord = new FakeDiscord(IDS.guild);
  readonly gateway = new FakeGateway(IDS.app);
  conn!: Connection;
  driver!: SlackDriver;
  private dbName = '';
  private configPath = '';
  /** Resolves when a bot answers again (set by the test that kills and starts bots). */
  ready: () => Promise<void> = async () => undefined;

  constructor(readonly label: string) {}

  async start(): Promise<void> {
    await this.slack.start();
    await this.discord.start();
    for (const [id, name] of [[IDS.serviceDesk, 'service-desk'], [IDS.stakeholders, 'stakeholders'], [IDS.management, 'management']] as const) this.discord.addChannel(id, name);
    await this.gateway.start();
    this.discord.gatewayUrl = this.gateway.url;
    this.dbName = `${this.label.replace(/\W/g, '_').toLowerCase()}_${Math.random().toString(36).slice(2, 8)}`;
    this.conn = await mongoose.createConnection(testMongoUri(), { dbName: this.dbName }).asPromise();
    const dir = mkdtempSync(join(tmpdir(), 'installation-'));
    this.configPath = join(dir, 'config.yml');
    writeFileSync(this.configPath, stringify(installationConfig()));
  }

  async stop(): Promise<void> {
    await this.conn?.dropDatabase().catch(() => undefined);
    await this.conn?.close();
    await this.gateway.stop();
    await this.discord.stop();
    await this.slack.stop();
  }

  /** The environment a bot process of this installation runs with (as docs/slack.md and docs/discord.md tell a user). */
  env(port: number): Record<string, string> {
    return {
      MONGODB_URI: testMongoUri(), MONGODB_DB: this.dbName, PORT: String(port), INCIDENT_CONFIG: this.configPath,
      SLACK_BOT_TOKEN: 'xoxb-chaos', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: this.slack.apiUrl,
      // The fake Slack limits no channel: Slack's 1 post/s would only make a run minutes longer (posts are still paced).
      SLACK_CHANNEL_POSTS_PER_SECOND: '20',
      DISCORD_TOKEN: 'chaos-token', DISCORD_APPLICATION_ID: IDS.app, DISCORD_GUILD_ID: IDS.guild, DISCORD_API_URL: this.discord.apiUrl,
      SHELL_ADAPTER: 'off', LOG_LEVEL: 'warn',
    };
  }

  /** Waits until no outbox entry is pending any more (the bots have said everything). */
  /** Until no after-commit work is left (a kill may leave some for the sweep) and the outbox is empty. */
  async drained(ms = 600_000): Promise<void> {
    await until(async () => (await this.conn.collection('incident_pending_effects').countDocuments({})) === 0, ms, 500);
    await until(async () => (await this.conn.collection('outbox').countDocuments({ status: 'pending' })) === 0, ms, 500);
    await sleep(500);
  }

  /** One incident, report → dispatch → accept → update → resolve → confirm → close; each step until the database shows it. */
  async drive(n: number): Promise<string> {
    const title = `${this.label}-${n}: ${n % MAJOR_EVERY === 0 ? 'core switch down' : 'printer jammed'}`;
    const major = n % MAJOR_EVERY === 0;
    await this.step(
      () => this.form(who.reporter, title, { Description: `Scripted incident ${n}`, Impact: major ? '1' : '4', Urgency: major ? '1' : '3' }),
      async () => Boolean(await this.conn.collection('incidents').findOne({ title })),
    );
    const id = String((await this.conn.collection('incidents').findOne({ title }))!._id);
    // Each step is done when the incident (read by _id: cheap on every server) shows it; closed ones are archived.
    const incident = async () =>
      (await this.conn.collection('incidents').findOne({ _id: id as never })) ?? this.conn.collection('incidents_closed').findOne({ _id: id as never });
    const now = async (check: (i: Record<string, unknown>) => boolean) => {
      const found = await incident();
      return Boolean(found && check(found));
    };
    await this.step(() => this.form(who.desk, `dispatch ${id}`, { 'Assignment group': 'Network' }), () => now((i) => i.status !== 'open'));
    await this.step(() => this.driver.slash(who.resolver, `accept ${id}`), () => now((i) => i.status === 'in_progress'));
    const revBefore = Number((await incident())?.rev);
    await this.step(() => this.form(who.resolver, `update ${id}`, { Note: `Working on ${n}` }), () => now((i) => Number(i.rev) > revBefore));
    await this.step(() => this.form(who.resolver, `resolve ${id}`, { 'Resolution code': 'Resolved by workaround', 'Solution / workaround': 'Restarted it' }), () => now((i) => i.status === 'resolved'));
    await this.step(() => this.driver.slash(who.reporter, `confirm ${id}`), () => now((i) => Boolean(i.confirmedAt)));
    await this.step(() => this.form(who.desk, `close ${id}`, { 'Closure code': 'Completed' }), () => now((i) => i.status === 'closed'));
    return id;
  }

  /** A slash command whose form opens as a modal, filled and submitted. */
  async form(user: SlackUser, text: string, answers: Record<string, string>): Promise<void> {
    const command = await this.driver.slash(user, text);
    if (command.status !== 200) throw new Error(`slash answered ${command.status}`);
    const view = await withTimeout(this.driver.modalFor(command.triggerId), 8_000);
    const submitted = await this.driver.submit(user, view, answers);
    if (submitted.status !== 200) throw new Error(`submission answered ${submitted.status}`);
  }

  /**
   * Does a step until its effect is in the database; a step the bot died during is done again (as a
   * person would). A request that failed is done again as soon as a bot answers; one that was
   * answered is given 20 s to take effect (its work runs after the answer, slowly on a loaded
   * machine): doing it again sooner would be a second report, not a lost one.
   */
  async step(work: () => Promise<unknown>, done: () => Promise<boolean>): Promise<void> {
    for (let attempt = 0; attempt < 60; attempt++) {
      if (await done()) return;
      await this.ready();
      const answered = await work().then(() => true, () => false);
      const deadline = Date.now() + (answered ? 20_000 : 1_000);
      while (Date.now() < deadline) {
        if (await done()) return;
        await sleep(250);
      }
    }
    throw new Error('a step never took effect');
  }

  /** What the fakes received, against what the database says happened. */
  async count(ids: string[]) {
    const events = await this.conn.collection('incident_events').find({ incidentId: { $in: ids } }).toArray();
    const incidents = [
      ...(await this.conn.collection('incidents').find({ _id: { $in: ids as never[] } }).toArray()),
      ...(await this.conn.collection('incidents_closed').find({ _id: { $in: ids as never[] } }).toArray()),
    ];
    const majors = incidents.filter((i) => i.major).map((i) => String(i._id));

    // Slack: every post carries its key in metadata; no key may land twice.
    const posted = this.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.response);
    const keyOf = (c: ApiCall) => (c.params.metadata as { event_payload?: { key?: string } } | undefined)?.event_payload?.key ?? '';
    const slackKeys = posted.map(keyOf);
    const slackMissing: string[] = [];
    const has = (key: string) => slackKeys.includes(key);
    const hasPrefix = (prefix: string) => slackKeys.some((k) => k.startsWith(prefix));
    for (const id of ids) {
      const card = this.slack.messages(CHANNELS.desk).filter((m) => m.blocks.some((b) => b.block_id === `card:${id}`));
      if (card.length !== 1 || !JSON.stringify(card[0]!.blocks).includes('Closed')) slackMissing.push(`card ${id} (${card.length})`);
      if (!has(`thread:${id}`)) slackMissing.push(`thread ${id}`);
      for (const e of events.filter((x) => x.incidentId === id && x.action !== 'report')) {
        if (forStakeholders(e as never) && !has(`line:${id}:${e.seq}`)) slackMissing.push(`thread line ${id}#${e.seq}`);
        if (e.to === 'assigned' && !hasPrefix(`${id}:status:assigned:${e.seq}:`)) slackMissing.push(`Accept/Reject ${id}#${e.seq}`);
        if (e.action === 'resolve' && !hasPrefix(`${id}:status:resolved:reporter:${e.seq}:`)) slackMissing.push(`Confirm/Reopen ${id}#${e.seq}`);
      }
    }
    const created = this.slack.calls.filter((c) => c.method === 'conversations.create' && c.response?.ok);
    const archived = this.slack.calls.filter((c) => c.method === 'conversations.archive');
    const archivedOnce = new Set(archived.map((c) => String(c.params.channel)));
    for (const id of majors) {
      const rooms = created.filter((c) => String(c.params.name).startsWith(id.toLowerCase()));
      if (rooms.length !== 1) slackMissing.push(`war room ${id} created ${rooms.length}×`);
      const channel = String((rooms[0]?.response?.channel as { id?: string } | undefined)?.id);
      if (!archivedOnce.has(channel)) slackMissing.push(`war room ${id} not archived`);
      if (!has(`warroom-close:${id}`)) slackMissing.push(`war room ${id} closing summary`);
    }

    // Discord: cards edited in place, one thread per incident, lines once; war rooms once.
    const dPosts = this.discord.calls.filter((c) => c.method === 'POST' && /^\/channels\/\d+\/messages$/.test(c.path) && c.status < 300);
    // A post retried with its nonce is answered with the message made before (enforce_nonce, as on
    // Discord): what counts is the messages made, at most one per nonce and channel.
    const made = [...this.discord.messages.values()];
    const dDoubled = duplicates(made.filter((m) => m.nonce).map((m) => `${m.channel_id}#${m.nonce}`));
    const retriedPosts = dPosts.length - new Set(dPosts.map((c) => `${c.path}#${c.body?.nonce}`)).size;
    const discordMissing: string[] = [];
    for (const id of ids) {
      const cards = made.filter((m) => m.channel_id === IDS.serviceDesk && m.embeds?.[0]?.title?.startsWith(`${id} `));
      if (cards.length !== 1 || !JSON.stringify(cards[0].embeds).includes('Closed')) discordMissing.push(`card ${id} (${cards.length})`);
      const starters = made.filter((m) => m.channel_id === IDS.stakeholders && String(m.content).startsWith(`${id} `));
      if (starters.length !== 1) discordMissing.push(`stakeholder thread ${id} (${starters.length})`);
      const lines = made.filter((m) => m.channel_id === starters[0]?.id && String(m.content).startsWith(`${id} · `));
      const expected = events.filter((e) => e.incidentId === id && forStakeholders(e as never)).length;
      if (lines.length !== expected) discordMissing.push(`stakeholder lines ${id}: ${lines.length} of ${expected}`);
    }
    const rooms = this.discord.calls.filter((c) => c.method === 'POST' && c.path === `/guilds/${IDS.guild}/channels` && c.body?.type === 0 && c.status < 300);
    const archive = [...this.discord.channels.values()].find((c) => c.name === 'Incidents archive');
    for (const id of majors) {
      const mine = rooms.filter((c) => String(c.body.topic).startsWith(`${id} `));
      if (mine.length !== 1) discordMissing.push(`war room ${id} created ${mine.length}×`);
      const room = [...this.discord.channels.values()].find((c) => String(c.topic).startsWith(`${id} `));
      if (!room || room.parent_id !== archive?.id) discordMissing.push(`war room ${id} not archived`);
      const notes = made.filter((m) => m.channel_id === room?.id && /archived and read-only/.test(String(m.content)));
      if (notes.length !== 1) discordMissing.push(`war room ${id} archive notice ${notes.length}×`);
    }
    return {
      incidents: ids.length,
      majors: majors.length,
      events: events.length,
      slack: {
        posts: posted.length, cardUpdates: this.slack.calls.filter((c) => c.method === 'chat.update').length,
        warRoomsCreated: created.length, warRoomsArchived: archivedOnce.size,
        doubled: duplicates(slackKeys.filter(Boolean)), missing: slackMissing,
      },
      discord: {
        posts: dPosts.length, retriedPosts, messages: made.length, warRoomsCreated: rooms.length,
        doubled: dDoubled, missing: discordMissing,
      },
    };
  }
}

/** The shipped policy with Slack and Discord ids for the people, channels and groups the script uses. */
export function installationConfig(options: { discord?: boolean } = {}): unknown {
  const withDiscord = options.discord ?? true;
  const raw = parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'));
  const discordIds: Record<string, string> = {
    'chen.jing': discordUsers.desk.id, 'li.wei': discordUsers.network.id, 'liu.yang': discordUsers.apps.id, 'zhao.lei': discordUsers.manager.id, 'lin.na': discordUsers.user.id,
  };
  for (const person of raw.organisation.people) {
    person.slack = slackUserOf(person.id).id;
    if (withDiscord && discordIds[person.id]) person.discord = discordIds[person.id];
  }
  const roles: Record<string, string> = { 'service-desk': IDS.roles.serviceDesk, network: IDS.roles.network, applications: IDS.roles.applications };
  for (const group of raw.organisation.groups) {
    if (withDiscord && roles[group.id]) group.discord = { role: roles[group.id] };
    if (group.id === 'network') group.slack = { channel: CHANNELS.network, usergroup: NETWORK_USERGROUP };
  }
  raw.organisation.channels = {
    serviceDesk: { slack: CHANNELS.desk, ...(withDiscord ? { discord: IDS.serviceDesk } : {}) },
    stakeholders: { slack: CHANNELS.stakeholders, ...(withDiscord ? { discord: IDS.stakeholders } : {}) },
    management: { slack: CHANNELS.management, ...(withDiscord ? { discord: IDS.management } : {}) },
  };
  return raw;
}

/** The bot as users run it: `src/main.ts` in its own process, started again after each kill on the same port and data. */
export class BotProcess {
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

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function until(check: () => Promise<boolean>, ms: number, every = 100): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(every);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([work, sleep(ms).then(() => Promise.reject(new Error('timed out')))]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
