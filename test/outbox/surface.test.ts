import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHANNELS, SlackBot } from '../support/slack/slack-bot.js';
import { people, reportInput } from '../support/fixtures.js';

/**
 * The surface's crash recovery, step by step (the chaos test does it at random): a post recorded
 * `claimed` but not `done` is looked for before it is made again; a lock held by a process that is
 * gone is taken over at once; entries for changes a run already covered do nothing.
 */
describe('surfaces: what a killed process left half done', () => {
  let bot: SlackBot;
  beforeAll(async () => {
    bot = await SlackBot.start();
  });
  afterAll(async () => bot?.close());

  it('GIVEN a card a killed process posted but never recorded THEN it is found by its key and updated, not posted twice', async () => {
    const { incident } = await bot.app.service.report(people.user, reportInput({ title: 'Half-posted card' }));
    // The killed process had claimed the card, posted it (with its key), and died before recording it.
    await bot.app.surfaceStore.claim(`slack:card:${incident.id}`, incident.id);
    const posted = await fetch(`${bot.api.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: CHANNELS.desk, text: 'old card', blocks: [{ type: 'section', block_id: `card:${incident.id}` }], metadata: { event_type: 'incident_bot_post', event_payload: { key: `card:${incident.id}` } } }),
    }).then((r) => r.json() as Promise<{ ts: string }>);
    await bot.idle();
    const cards = bot.api.messages(CHANNELS.desk).filter((m) => m.blocks.some((b) => b.block_id === `card:${incident.id}`));
    expect(cards).toHaveLength(1);
    expect(await bot.app.surfaceStore.get(`slack:card:${incident.id}`)).toMatchObject({ state: 'done', message: posted.ts });
  });

  it('GIVEN a card posted THEN it is recorded done by an insert (no update of its claim), and read back with its message; a card an earlier version marked done on its claim is not posted again', async () => {
    const updates: unknown[] = [];
    const client = bot.testApp.conn.getClient();
    const watch = (event: { commandName: string; command: Record<string, unknown> }) => {
      if (event.commandName === 'update' && event.command.update === 'surface_refs') updates.push(...(event.command.updates as unknown[]));
    };
    client.on('commandStarted', watch);
    const { incident } = await bot.app.service.report(people.user, reportInput({ title: 'Recorded by insert' }));
    await bot.idle();
    client.off('commandStarted', watch);
    const key = `slack:card:${incident.id}`;
    expect(JSON.stringify(updates)).not.toContain(key);
    expect(await bot.app.surfaceStore.get(key)).toMatchObject({ _id: key, state: 'done', channel: CHANNELS.desk, message: bot.card(incident.id).ts });
    // As an earlier version recorded it: the claim itself marked done, no done record.
    const legacy = await bot.app.service.report(people.user, reportInput({ title: 'Recorded the old way' }));
    await bot.idle();
    const legacyKey = `slack:card:${legacy.incident.id}`;
    const refs = bot.testApp.conn.collection('surface_refs');
    const done = await refs.findOne({ _id: `${legacyKey}|done` as never });
    await refs.deleteOne({ _id: `${legacyKey}|done` as never });
    await refs.updateOne({ _id: legacyKey as never }, { $set: { state: 'done', channel: done!.channel, message: done!.message, rev: done!.rev } });
    const posts = bot.api.callsOf('chat.postMessage').length;
    await bot.app.service.act(legacy.incident.id, 'dispatch', people.desk, { groupId: 'network' });
    await bot.idle();
    expect(bot.api.callsOf('chat.postMessage').slice(posts).filter((c) => c.params.channel === CHANNELS.desk && JSON.stringify(c.params.blocks ?? '').includes(`"card:${legacy.incident.id}"`)).map((c) => c.params.channel)).toEqual([]);
    // The card was updated in place instead.
    expect(bot.api.callsOf('chat.update').some((c) => c.params.ts === done!.message)).toBe(true);
    expect(await bot.app.surfaceStore.get(legacyKey)).toMatchObject({ state: 'done', message: done!.message });
  });

  it('GIVEN the incident lock held by a process of this host that no longer runs THEN the next delivery takes it over at once', async () => {
    const { incident } = await bot.app.service.report(people.user, reportInput({ title: 'Lock left behind' }));
    // A pid that cannot be running (above the kernel's pid_max).
    await bot.testApp.conn.collection('surface_locks').insertOne({ _id: `slack:${incident.id}` as never, by: `${hostname()}:4194305:dead`, at: new Date() });
    await bot.idle();
    expect(bot.card(incident.id)).toBeDefined();
  });

  it('GIVEN a report THEN its card and thread come from the change this process committed: the incident and its event are not read back', async () => {
    const load = vi.spyOn(bot.app.store, 'load');
    const eventsBetween = vi.spyOn(bot.app.store, 'eventsBetween');
    try {
      const { incident } = await bot.app.service.report(people.user, reportInput({ title: 'Shown from memory' }));
      await bot.idle();
      expect(JSON.stringify(bot.card(incident.id).blocks)).toContain('Shown from memory');
      expect(bot.api.messages(CHANNELS.stakeholders).some((m) => m.text.includes(incident.id))).toBe(true);
      expect(load.mock.calls.filter(([id]) => id === incident.id)).toHaveLength(0);
      expect(eventsBetween.mock.calls.filter(([id]) => id === incident.id)).toHaveLength(0);
    } finally {
      load.mockRestore();
      eventsBetween.mockRestore();
    }
  });

  it('GIVEN a report THEN its first showing reads no progress (none can be there yet)', async () => {
    const get = vi.spyOn(bot.app.surfaceStore, 'get');
    try {
      const { incident } = await bot.app.service.report(people.user, reportInput({ title: 'No progress to read' }));
      await bot.idle();
      expect(bot.card(incident.id)).toBeDefined();
      expect(get.mock.calls.filter(([key]) => key === `slack:progress:${incident.id}`)).toHaveLength(0);
      expect(await bot.app.surfaceStore.get(`slack:progress:${incident.id}`)).toMatchObject({ state: 'done', rev: 1 });
    } finally {
      get.mockRestore();
    }
  });

  it('GIVEN a new incident another process has already shown THEN showing it again from memory posts nothing twice', async () => {
    const { incident, event } = await bot.app.service.report(people.user, reportInput({ title: 'Shown elsewhere first' }));
    await bot.idle();
    const posts = bot.api.callsOf('chat.postMessage').length;
    // This process still holds the report in memory as not yet shown (as if another process had shown it).
    bot.app.surfaces.entries({ incident, event: event! }, new Date());
    expect(await bot.app.surfaces.sync('slack', incident.id, 1)).toBe(true);
    expect(bot.api.callsOf('chat.postMessage').length).toBe(posts);
    expect(bot.api.callsOf('chat.update').filter((c) => JSON.stringify(c.params.blocks ?? '').includes(`card:${incident.id}`))).toHaveLength(0);
    expect(await bot.app.surfaceStore.get(`slack:progress:${incident.id}`)).toMatchObject({ state: 'done', rev: 1 });
  });

  it('GIVEN a new incident another process has since shown further THEN showing its report again from memory leaves its progress and card where they are', async () => {
    const { incident, event } = await bot.app.service.report(people.user, reportInput({ title: 'Shown further elsewhere' }));
    await bot.idle();
    await bot.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network' });
    await bot.idle();
    expect(await bot.app.surfaceStore.get(`slack:progress:${incident.id}`)).toMatchObject({ rev: 2 });
    const updates = bot.api.callsOf('chat.update').length;
    bot.app.surfaces.entries({ incident, event: event! }, new Date());
    expect(await bot.app.surfaces.sync('slack', incident.id, 1)).toBe(true);
    expect(await bot.app.surfaceStore.get(`slack:progress:${incident.id}`)).toMatchObject({ rev: 2 });
    expect(bot.api.callsOf('chat.update').length).toBe(updates);
  });

  it('GIVEN five changes before delivery THEN the card is posted once and shows the last one (updates coalesce)', async () => {
    const { incident } = await bot.app.service.report(people.user, reportInput({ title: 'Coalesced' }));
    await bot.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network' });
    await bot.app.service.act(incident.id, 'accept', people.network, {});
    await bot.app.service.act(incident.id, 'update', people.network, { note: 'one' });
    await bot.app.service.act(incident.id, 'update', people.network, { note: 'two' });
    const before = bot.api.callsOf('chat.update').length;
    await bot.idle();
    const card = bot.card(incident.id);
    expect(JSON.stringify(card.blocks)).toContain('In progress');
    // One post, no update needed: the one run read all five events; the other four entries found nothing to do.
    expect(bot.api.callsOf('chat.update').length - before).toBe(0);
    const lines = bot.api.messages(CHANNELS.stakeholders).filter((m) => m.threadTs && /dispatch|accept|update/i.test(m.text));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const surfaceEntries = (await bot.app.outboxStore.forIncident(incident.id)).filter((e) => e.rule === 'surface');
    expect(surfaceEntries.map((e) => e.status)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
  });
});
