import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KpiFacts } from '../../src/domain/kpi.js';
import { encodeFacts, KpiStore } from '../../src/store/kpi.store.js';
import { connectTestDb, type TestDb } from '../support/db.js';

/**
 * KPI facts filed by day (issue 17), written so a burst of reports stays cheap on FerretDB (issue
 * 11): concurrent filings share one update per day document, and the newest revision of each
 * incident is the one read back, whatever order the writes came in.
 */
describe('KPI facts by day', () => {
  let db: TestDb;
  let store: KpiStore;
  const day = '2026-11-30';
  const facts = (rev: number, extra: Partial<KpiFacts> = {}): KpiFacts => ({
    rev, at: Date.parse('2026-11-30T09:00:00Z'), priority: 'P3', major: false, reporter: 'lin.na', status: 'open', closed: false,
    successful: false, problem: false, duplicate: false, knowledge: false, redispatches: 0, targets: {}, ...extra,
  });

  beforeAll(async () => {
    db = await connectTestDb({ monitorCommands: true });
    store = new KpiStore(db.conn);
    await store.init();
  });
  afterAll(async () => db?.drop());

  it('GIVEN 200 incidents changed three times each, all at once THEN each is read back once, at its newest revision, from few writes', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `INC-${String(i + 1).padStart(6, '0')}`);
    let statements = 0;
    const client = db.conn.getClient();
    const count = (event: { commandName: string; command: { updates?: unknown[] } }) => {
      if (event.commandName === 'update') statements += event.command.updates?.length ?? 0;
    };
    client.on('commandStarted', count);
    try {
      // Revisions out of order within the burst: a late write of an older revision must not win.
      await Promise.all(ids.flatMap((id) => [3, 1, 2].map((rev) => store.record(id, day, facts(rev, { status: rev === 3 ? 'resolved' : 'assigned', redispatches: rev })))));
    } finally {
      client.off('commandStarted', count);
    }
    const read = await store.read([day]);
    expect(read).toHaveLength(200);
    expect(read.every((f) => f.rev === 3 && f.status === 'resolved' && f.redispatches === 3)).toBe(true);
    // 600 filings in 16 day documents: the first goes at once, the rest wait for it and then go
    // out together, one rewrite of each document however many filings it holds.
    expect(statements).toBeGreaterThan(0);
    expect(statements).toBeLessThanOrEqual(1 + 16);
  });

  it('GIVEN filings arriving a few at a time for a second THEN they go out in about one write each quarter second, each document once per write', async () => {
    const trickle = '2026-11-28';
    let commands = 0;
    let statements = 0;
    const client = db.conn.getClient();
    const count = (event: { commandName: string; command: { updates?: unknown[] } }) => {
      if (event.commandName !== 'update') return;
      commands++;
      statements += event.command.updates?.length ?? 0;
    };
    client.on('commandStarted', count);
    const filed: Promise<void>[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        for (let j = 0; j < 3; j++) filed.push(store.record(`INC-${String(1000 + 3 * i + j).padStart(6, '0')}`, trickle, facts(1)));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await Promise.all(filed);
    } finally {
      client.off('commandStarted', count);
    }
    expect(await store.read([trickle])).toHaveLength(300);
    // The first at once, then one write per 250 ms over the second and more the burst took (a write per few filings before).
    expect(commands).toBeGreaterThan(0);
    expect(commands).toBeLessThanOrEqual(8);
    expect(statements).toBeLessThanOrEqual(8 * 16);
  });

  it('GIVEN changes filed in order, some in one batch THEN only the newest revision stays stored', async () => {
    const inOrder = '2026-11-29';
    await Promise.all([1, 2].map((rev) => store.record('INC-000500', inOrder, facts(rev))));
    await Promise.all([3, 4, 5].map((rev) => store.record('INC-000500', inOrder, facts(rev))));
    const docs = await db.conn.collection('kpi_days').find({ _id: { $regex: `^${inOrder}` } as never }).toArray();
    expect(docs.flatMap((doc) => Object.keys((doc.s as Record<string, string> | undefined) ?? {}))).toEqual(['INC-000500@5']);
  });

  it('GIVEN a day filed by the version before (facts as arrays under `i`) WHEN one of its incidents changes THEN the newer filing counts and the others still read', async () => {
    const other = '2026-10-01';
    await db.conn.collection('kpi_days').insertOne({ _id: `${other}#1` as never, i: { 'INC-000017': { r4: encodeFacts(facts(4, { status: 'assigned' })) }, 'INC-000033': { r2: encodeFacts(facts(2)) } } });
    await store.record('INC-000017', other, facts(5, { status: 'closed', closed: true }));
    const read = await store.read([other]);
    expect(read.map((f) => `${f.rev}:${f.status}`).sort()).toEqual(['2:open', '5:closed']);
  });

  it('GIVEN a replayed filing of a revision already superseded THEN the newer one still counts', async () => {
    const replay = '2026-09-15';
    await store.record('INC-000099', replay, facts(7, { status: 'closed', closed: true }));
    await store.record('INC-000099', replay, facts(6, { status: 'resolved' }));
    const read = await store.read([replay]);
    expect(read).toHaveLength(1);
    expect(read[0]).toMatchObject({ rev: 7, status: 'closed' });
  });
});
