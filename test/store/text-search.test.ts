import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/bot/app.js';
import type { Reply } from '../../src/app/view.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { people, reportInput } from '../support/fixtures.js';
import { InProcessTextSearch } from '../../src/store/text-search.js';
import { UserError } from '../../src/domain/errors.js';
import { catalog } from '../../src/i18n/index.js';

/**
 * Text search (issue 14): a MongoDB text index where the server has one, else an in-process word
 * index kept in step with the collections, also across processes sharing the database.
 */
describe('the text search index', () => {
  let t: TestApp;
  let ferret: boolean;
  const found = (reply: Reply) => (reply.sections ?? []).flatMap((s) => s.items.map((i) => i.incidentId));
  const search = (app: App, text: string) => app.run(people.manager, 'search', { text });

  beforeAll(async () => {
    t = await startTestApp();
    const info = await t.conn.db!.admin().command({ buildInfo: 1 });
    ferret = 'ferretdbVersion' in info;
  });
  afterAll(async () => t.close());

  it('GIVEN the test server THEN the index is the one the server allows, and describes itself for the start-up log', async () => {
    const { store } = t.app;
    if (ferret) {
      // FerretDB has no text index: the server's own refusal is kept as the reason.
      expect(store.text.kind).toBe('in-process');
      expect(store.textReason).toBeTruthy();
      expect(store.text.describe()).toMatch(/^search: in-process word index \(FlexSearch\) of every incident/);
    } else {
      expect(store.text.kind).toBe('mongodb-text');
      expect(store.text.describe()).toContain('MongoDB text index');
    }
  });

  it('GIVEN two processes on one database WHEN one logs an incident and then corrects its title THEN the other finds it by its new words and no longer by its old', async () => {
    const other = await t.peer();
    const { incident } = await t.app.service.report(people.user, reportInput({ title: 'Badge reader rejects cards', ci: 'badge-7' }));
    expect(found(await search(other, 'badge reader'))).toEqual([incident.id]);
    // 门禁 (access control), in Chinese: segmented and found the same way.
    await t.app.service.act(incident.id, 'classify', people.desk, { title: '门禁读卡器拒绝工卡' });
    expect(found(await search(other, '读卡器'))).toEqual([incident.id]);
    expect(found(await search(other, 'rejects cards'))).toEqual([]);
    expect(found(await search(t.app, '读卡器'))).toEqual([incident.id]);
    // The other process read the correction from the feed, which holds the words as one text.
    expect(await t.conn.collection('search_feed').findOne({ _id: `${incident.id}#2` as never })).toMatchObject({ w: expect.stringContaining('门禁') });
  });

  it('GIVEN incidents logged and one closed before a process starts THEN its index holds them all from the start', async () => {
    const open = (await t.app.service.report(people.user, reportInput({ title: 'Projector flickers in room 12', ci: 'proj-12' }))).incident.id;
    t.clock.advance(60_000);
    const closed = (await t.app.service.report(people.user, reportInput({ title: 'Projector remote lost', ci: 'proj-12', impact: 4, urgency: 4 }))).incident.id;
    await t.app.service.act(closed, 'resolve', people.desk, { resolutionCode: 'resolved-by-workaround', solution: 'new remote' });
    await t.app.service.act(closed, 'confirm', people.user);
    await t.app.service.act(closed, 'close', people.desk, { closureCode: 'completed' });
    await t.bot.settle();
    const later = await t.peer();
    expect(found(await search(later, 'projector sort:oldest'))).toEqual([open, closed]);
    expect(found(await search(later, 'projector status:closed'))).toEqual([closed]);
  });
});

describe('the in-process index while it is filled', () => {
  it('GIVEN a fill still reading THEN a search is told how far it is; once read, the same search answers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const docs = [
      { number: 1, rev: 1, terms: ['printer', 'jams'] },
      { number: 2, rev: 3, terms: ['printer', 'offline'] },
    ];
    // Two stored incidents, open; the second is read only when the gate opens.
    const collection = (rows: typeof docs) => ({
      estimatedDocumentCount: async () => rows.length,
      find: () => ({
        lean: () => ({
          cursor: () =>
            (async function* () {
              for (const [i, row] of rows.entries()) {
                if (i === 1) await gate;
                yield row;
              }
            })(),
        }),
      }),
    });
    const models = { Incident: collection(docs), ClosedIncident: collection([]), SearchFeed: { find: () => ({ lean: async () => [] }) } };
    const index = new InProcessTextSearch(models as never);
    index.start();
    const early = await index.candidates(['printer'], 1, 10).then(() => undefined, (error: unknown) => error);
    expect(early).toBeInstanceOf(UserError);
    expect((early as UserError).code).toBe('search_index_loading');
    expect((early as UserError).params).toEqual({ done: 1, total: 2 });
    expect(catalog('en').error.search_index_loading((early as UserError).params)).toBe('The search index is still being read from the database (1 of 2 incidents). Try again in a moment; filters without words (status:, group:, overdue…) work now.');
    expect(catalog('zh-CN').error.search_index_loading((early as UserError).params)).toContain('已读 1 / 2 个事件');
    release();
    expect(await index.candidates(['printer', 'offline'], 1, 10)).toEqual([2, 1]);
    index.stop();
  });
});
