import { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordApi } from '../../adapters/discord/discord.api.js';
import { WarRooms } from '../../adapters/discord/war-room.js';
import { FakeDiscord } from '../support/discord/fake-discord.js';
import { IDS } from '../support/discord/payloads.js';
import { anIncident, directory } from '../support/fixtures.js';

/**
 * Scaled out (docs/deploy.md), every bot process finds the "Incidents" and "Incidents archive"
 * categories by name, or creates them. Two processes that both find none create one each: each
 * must then file its rooms under the same category, and only one may remain.
 */
describe('Discord war-room categories across processes', () => {
  const fake = new FakeDiscord(IDS.guild);

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  /** A process's view of Discord whose first listing waits until the other process has listed too. */
  function process(barrier: { arrived: number; open: Promise<void>; release(): void }): WarRooms {
    const rest = new REST({ api: fake.apiUrl, retries: 0 }).setToken('test-token');
    const api = new DiscordApi(rest);
    const list = api.guildChannels.bind(api);
    let first = true;
    api.guildChannels = async (guildId) => {
      const channels = await list(guildId);
      if (first) {
        first = false;
        if (++barrier.arrived === 2) barrier.release();
        await barrier.open;
      }
      return channels;
    };
    return new WarRooms({ api, directory, guildId: IDS.guild, botUserId: () => '900000000000000001', categoryNames: { incidents: 'Incidents', archive: 'Incidents archive' } });
  }

  it('GIVEN two processes that both found no category WHEN each opens a war room THEN both rooms are under the one category left', async () => {
    let release!: () => void;
    const barrier = { arrived: 0, open: new Promise<void>((resolve) => (release = resolve)), release: () => release() };
    const [a, b] = [process(barrier), process(barrier)];
    const rooms = await Promise.all([a.create(anIncident({ id: 'INC-000001' })), b.create(anIncident({ id: 'INC-000002' }))]);

    // Both did create one (the race happened), and one of the two was taken back.
    expect(fake.find('POST', `/guilds/${IDS.guild}/channels`).filter((c) => c.body.type === 4)).toHaveLength(2);
    const categories = [...fake.channels.values()].filter((c) => c.type === 4 && c.name === 'Incidents');
    expect(categories).toHaveLength(1);
    expect(rooms.map((id) => fake.channels.get(id)?.parent_id)).toEqual([categories[0].id, categories[0].id]);

    // Archiving later finds the same single archive category from either process.
    await Promise.all([a.archive(anIncident({ id: 'INC-000001' }), rooms[0]!), b.archive(anIncident({ id: 'INC-000002' }), rooms[1]!)]);
    const archives = [...fake.channels.values()].filter((c) => c.type === 4 && c.name === 'Incidents archive');
    expect(archives).toHaveLength(1);
    expect(rooms.map((id) => fake.channels.get(id)?.parent_id)).toEqual([archives[0].id, archives[0].id]);
  });
});
