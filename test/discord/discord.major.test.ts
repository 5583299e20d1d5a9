import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscord, type DiscordHarness } from '../support/discord/harness.js';
import { IDS, button, buttonId, modalSubmit, slash, users, type Raw } from '../support/discord/payloads.js';

const VIEW = 1n << 10n;
const SEND = 1n << 11n;

/**
 * SPEC §12 on Discord: a P1 gets a war-room channel under "Incidents", visible only to the
 * recovery team and managers (permission overwrites), and a management thread; on close the
 * room is locked and moved to "Incidents archive".
 */
describe('Discord: a major incident and its war room', () => {
  let h: DiscordHarness;

  beforeAll(async () => {
    h = await startDiscord();
  });
  afterAll(async () => {
    await h.close();
  });

  async function press(user: (typeof users)[keyof typeof users], label: string, values?: Record<string, string>): Promise<Raw> {
    const card = await h.card('INC-000001');
    const pressed = await h.deliver(button(user, buttonId(card, label), card));
    if (!values) return h.answerOf(pressed);
    return h.answerOf(await h.deliver(modalSubmit(user, h.modalOf(pressed), values)));
  }

  const warRoomCreations = () => h.fake.find('POST', `/guilds/${IDS.guild}/channels`).filter((c) => c.body.type === 0 && c.status < 300);

  it('GIVEN a P1 report WHEN it is logged THEN a war room is created once, private to the team and managers', async () => {
    const opened = await h.deliver(slash(users.manager, 'report', { title: 'Core switch down' }));
    const modal = h.modalOf(opened);
    expect(modal.components[0].component.value).toBe('Core switch down');
    const panel = h.answerOf(await h.deliver(modalSubmit(users.manager, modal, { description: 'All floors are offline', impact: '1', urgency: '1', category: 'network-outage' })));
    const sent = await h.deliver(button(users.manager, buttonId(panel, 'Report an incident'), panel));
    expect(h.answerOf(sent).content).toContain('Logged INC-000001 (P1)');

    const categories = h.fake.find('POST', `/guilds/${IDS.guild}/channels`).filter((c) => c.body.type === 4);
    expect(categories.map((c) => c.body.name)).toEqual(['Incidents']);
    const created = warRoomCreations();
    expect(created).toHaveLength(1);
    const room = created[0]!.body;
    expect(room.name).toBe('inc-000001-core-switch-down');
    expect(room.parent_id).toBe(h.fake.channels.get([...h.fake.channels.values()].find((c) => c.name === 'Incidents').id).id);
    const everyone = room.permission_overwrites.find((o: Raw) => o.id === IDS.guild);
    expect(BigInt(everyone.deny) & VIEW).toBe(VIEW);
    const manager = room.permission_overwrites.find((o: Raw) => o.id === users.manager.id);
    expect(manager.type).toBe(1);
    expect(BigInt(manager.allow) & VIEW).toBe(VIEW);
    expect(room.permission_overwrites.find((o: Raw) => o.id === users.user.id)).toBeUndefined();

    const ref = await h.t.app.surfaceStore.get('discord:warroom:INC-000001');
    expect(ref?.channel).toBeDefined();
    const welcome = h.fake.find('POST', `/channels/${ref!.channel}/messages`)[0]!;
    expect(welcome.body.content).toContain('War room for INC-000001 (P1)');
    expect(welcome.body.embeds[0].title).toBe('INC-000001 Core switch down');
    // Management hears of it in its own thread.
    expect(h.fake.find('POST', new RegExp(`^/channels/${IDS.management}/messages/\\d+/threads$`))).toHaveLength(1);
  });

  it('WHEN it is dispatched to Network THEN the network role may see the war room, and no second room appears', async () => {
    await press(users.manager, 'Dispatch', { groupId: 'network' });
    const ref = (await h.t.app.surfaceStore.get('discord:warroom:INC-000001'))!;
    const edits = h.fake.find('PATCH', `/channels/${ref.channel}`);
    const overwrites = edits.at(-1)!.body.permission_overwrites;
    const role = overwrites.find((o: Raw) => o.id === IDS.roles.network);
    expect(role).toMatchObject({ type: 0 });
    expect(BigInt(role.allow) & (VIEW | SEND)).toBe(VIEW | SEND);
    expect(overwrites.find((o: Raw) => o.id === users.network.id)).toBeDefined();
    expect(warRoomCreations()).toHaveLength(1);
  });

  it('WHEN it is accepted, resolved, confirmed and closed THEN the war room is locked and moved to the archive', async () => {
    await press(users.network, 'Accept');
    await press(users.network, 'Resolve', { resolutionCode: 'resolved-by-change', solution: 'Replaced the line card' });
    await press(users.manager, 'Confirm resolution');
    const closed = await press(users.manager, 'Close', { closureCode: 'successful' });
    expect(closed.content).toContain('now Closed');

    const ref = (await h.t.app.surfaceStore.get('discord:warroom:INC-000001'))!;
    expect(ref.archived).toBe(true);
    const archive = [...h.fake.channels.values()].find((c) => c.name === 'Incidents archive');
    expect(archive?.type).toBe(4);
    const last = h.fake.find('PATCH', `/channels/${ref.channel}`).at(-1)!.body;
    expect(last.parent_id).toBe(archive.id);
    const role = last.permission_overwrites.find((o: Raw) => o.id === IDS.roles.network);
    expect(BigInt(role.deny) & SEND).toBe(SEND);
    expect(BigInt(role.allow) & VIEW).toBe(VIEW);
    const bot = last.permission_overwrites.find((o: Raw) => o.id === IDS.app);
    expect(BigInt(bot.allow) & SEND).toBe(SEND);
    const posts = h.fake.find('POST', `/channels/${ref.channel}/messages`).map((c) => c.body.content);
    expect(posts.at(-1)).toContain('archived and read-only');
    expect(warRoomCreations()).toHaveLength(1);
    expect((await h.t.app.service.get('INC-000001')).status).toBe('closed');

    // Delivering the outbox again (a restart, another process) does not archive twice.
    const before = h.fake.calls.length;
    await h.t.bot.settle();
    expect(h.fake.calls.slice(before).filter((c) => c.method !== 'GET')).toHaveLength(0);
  });
});

describe('Discord: a war room survives failures without doubling', () => {
  let h: DiscordHarness;

  beforeAll(async () => {
    h = await startDiscord();
  });
  afterAll(async () => {
    await h.close();
  });

  it('GIVEN creating the channel fails with 500 THEN the receipt is given, and the outbox creates exactly one room after its backoff', async () => {
    h.fake.fail('POST', new RegExp(`^/guilds/${IDS.guild}/channels$`), 500, { body: /"type":0/ });
    const opened = await h.deliver(slash(users.manager, 'report', { title: 'Data centre power lost' }));
    const panel = h.answerOf(await h.deliver(modalSubmit(users.manager, h.modalOf(opened), { description: 'UPS failed', impact: '1', urgency: '1' })));
    const sent = await h.deliver(button(users.manager, buttonId(panel, 'Report an incident'), panel));
    expect(h.fake.answers(sent.id, sent.token)[0].content).toContain('Logged INC-000001 (P1)');
    expect((await h.t.app.surfaceStore.get('discord:warroom:INC-000001'))?.channel).toBeUndefined();

    // The war room's first message fails too: the channel is already recorded, so no second channel.
    h.fake.fail('POST', /^\/channels\/\d+\/messages$/, 500, { body: /War room for/ });
    h.t.clock.advance(60_000);
    await h.t.bot.settle();
    const ref = await h.t.app.surfaceStore.get('discord:warroom:INC-000001');
    expect(ref?.channel).toBeDefined();
    h.t.clock.advance(60_000);
    await h.t.bot.settle();
    const created = h.fake.find('POST', `/guilds/${IDS.guild}/channels`).filter((c) => c.body.type === 0 && c.status < 300);
    expect(created).toHaveLength(1);
    const welcomes = h.fake.find('POST', `/channels/${ref!.channel}/messages`).filter((c) => /War room for/.test(c.body.content ?? '') && c.status < 300);
    expect(welcomes).toHaveLength(1);
    expect((await h.t.app.surfaceStore.get('discord:warroom:INC-000001'))?.channel).toBe(ref?.channel);
  });
});
