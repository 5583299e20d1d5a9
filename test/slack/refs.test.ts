import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackRefs } from '../../adapters/slack/slack.refs.js';
import { connectTestDb, type TestDb } from '../support/db.js';

describe('Slack refs: a claim left behind by a crash', () => {
  let db: TestDb;
  let refs: SlackRefs;
  beforeAll(async () => {
    db = await connectTestDb();
    refs = new SlackRefs(db.conn);
    await refs.init();
  });
  afterAll(async () => db.drop());

  const old = new Date(Date.now() - 10 * 60_000);

  it('GIVEN a war-room claim with no channel from a process that died THEN another process takes it over, once', async () => {
    await db.conn.collection('slack_refs').insertOne({ _id: 'warroom:INC-000001' as never, incidentId: 'INC-000001', at: old });
    const [a, b] = await Promise.all([
      refs.takeOverStale('warroom:INC-000001', 'INC-000001', 'channel', 60_000),
      refs.takeOverStale('warroom:INC-000001', 'INC-000001', 'channel', 60_000),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
  });

  it('GIVEN a claim still in progress, or one that stored its channel THEN nobody takes it over', async () => {
    await refs.claim('warroom:INC-000002', 'INC-000002');
    expect(await refs.takeOverStale('warroom:INC-000002', 'INC-000002', 'channel', 60_000)).toBe(false);
    await db.conn.collection('slack_refs').insertOne({ _id: 'warroom:INC-000003' as never, incidentId: 'INC-000003', at: old, channel: 'C1' });
    expect(await refs.takeOverStale('warroom:INC-000003', 'INC-000003', 'channel', 60_000)).toBe(false);
    expect((await refs.get('warroom:INC-000003'))?.channel).toBe('C1');
  });
});
