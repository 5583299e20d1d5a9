import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubmissionInbox, type Held } from '../../src/store/submission-inbox.js';
import { startTestApp, type TestApp } from '../support/app.js';

interface Submission extends Held {
  user: { id: string; name?: string };
  command: string;
  args: Record<string, string>;
  origin: { channel: string; locale: string; message?: { channel: string; ts: string } };
  entered: string[];
}

/**
 * A held submission keeps its key and time as fields and the platform's record as one text: what
 * the replay reads back is what was held, and what an earlier version held (the record's fields as
 * they are) is read as before.
 */
describe('held submissions', () => {
  let t: TestApp;
  let inbox: SubmissionInbox<Submission>;
  beforeAll(async () => {
    t = await startTestApp();
    inbox = new SubmissionInbox<Submission>(t.conn, 'test_submissions');
    await inbox.init();
  });
  afterAll(async () => t.close());

  const submission = (id: string, at: Date): Submission => ({
    _id: id, at, user: { id: 'U1', name: 'Lin Na' }, command: 'report',
    args: { title: 'Badge reader dead', description: 'Gate 3: no light, "quotes" and 中文 kept', impact: '3', urgency: '3' },
    origin: { channel: 'C1', locale: 'zh-CN', message: { channel: 'C2', ts: '1700000000.000100' } },
    entered: ['Title: Badge reader dead', 'Impact: 3'],
  });

  it('GIVEN a held submission THEN it is stored as its key, time and one text, and read back as it was held', async () => {
    const held = submission('slack:view:V1', new Date(Date.UTC(2026, 11, 1, 9, 0)));
    await inbox.hold(held);
    const raw = await t.conn.collection('test_submissions').findOne({ _id: 'slack:view:V1' as never });
    expect(Object.keys(raw ?? {}).sort()).toEqual(['_id', 'at', 'd']);
    expect(await inbox.stale(new Date(Date.UTC(2026, 11, 1, 10, 0)), 60_000)).toEqual([held]);
    await inbox.release('slack:view:V1');
  });

  it('GIVEN a submission an earlier version held (its fields as they are) THEN the replay reads it the same, oldest first', async () => {
    const old = submission('slack:view:V0', new Date(Date.UTC(2026, 11, 1, 8, 0)));
    const recent = submission('slack:view:V2', new Date(Date.UTC(2026, 11, 1, 9, 30)));
    await t.conn.collection('test_submissions').insertOne({ ...old } as never);
    await inbox.hold(recent);
    expect(await inbox.stale(new Date(Date.UTC(2026, 11, 1, 10, 0)), 60_000)).toEqual([old, recent]);
    // Not stale yet: held a minute ago or less.
    expect(await inbox.stale(new Date(Date.UTC(2026, 11, 1, 9, 30, 30)), 60_000)).toEqual([old]);
  });
});
