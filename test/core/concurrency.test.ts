import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/bot/app.js';
import { UserError } from '../../src/domain/errors.js';
import { errorText } from '../../src/i18n/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { people, reportInput } from '../support/fixtures.js';

/**
 * DESIGN.md: races are decided by the unique (incidentId, seq) insert, never by read-then-write.
 * Each contender below has its own connection, as separate bot processes would.
 */
describe('concurrent actions on one incident', () => {
  let t: TestApp;
  let peers: App[];

  beforeAll(async () => {
    t = await startTestApp();
    peers = await Promise.all(Array.from({ length: 20 }, () => t.peer()));
  });
  afterAll(async () => t.close());

  async function assignedToNetwork(): Promise<string> {
    const { incident } = await t.app.service.report(people.user, reportInput());
    await t.app.service.act(incident.id, 'dispatch', people.desk, { groupId: 'network' });
    return incident.id;
  }

  async function settle<T>(work: Promise<T>[]) {
    const results = await Promise.allSettled(work);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    return { won, lost };
  }

  it('GIVEN an assigned incident WHEN 20 group members accept at once THEN exactly one wins and the others are told who', async () => {
    const id = await assignedToNetwork();
    const contenders = peers.map((_, i) => (i % 2 === 0 ? people.network : people.network2));
    const { won, lost } = await settle(peers.map((peer, i) => peer.service.act(id, 'accept', contenders[i]!)));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    const incident = await t.app.service.get(id);
    const winner = incident.ownerId === people.network.id ? 'Li Wei' : 'Zhang Min';
    for (const error of lost) {
      expect(error).toBeInstanceOf(UserError);
      expect(errorText(error as UserError)).toBe(`${id} was already accepted by ${winner}.`);
    }
    const accepts = (await t.app.service.timeline(id)).filter((e) => e.action === 'accept');
    expect(accepts).toHaveLength(1);
    expect(incident).toMatchObject({ status: 'in_progress', rev: 3 });
  });

  it('GIVEN an incident in progress WHEN 20 resolves race THEN one resolution is recorded and the rest are refused', async () => {
    const id = await assignedToNetwork();
    await t.app.service.act(id, 'accept', people.network);
    const { won, lost } = await settle(
      peers.map((peer, i) => peer.service.act(id, 'resolve', people.network, { resolutionCode: 'resolved-by-workaround', solution: `fix #${i}` })),
    );
    expect(won).toHaveLength(1);
    expect(lost.map((e) => (e as UserError).code)).toEqual(Array(19).fill('already_resolved'));
    expect((await t.app.service.timeline(id)).filter((e) => e.action === 'resolve')).toHaveLength(1);
  });

  it('GIVEN a confirmed resolution WHEN 20 closes race THEN it is closed once', async () => {
    const id = await assignedToNetwork();
    await t.app.service.act(id, 'accept', people.network);
    await t.app.service.act(id, 'resolve', people.network, { resolutionCode: 'resolved-by-workaround', solution: 'restarted' });
    await t.app.service.act(id, 'confirm', people.user);
    const { won, lost } = await settle(peers.map((peer) => peer.service.act(id, 'close', people.desk, { closureCode: 'completed' })));
    expect(won).toHaveLength(1);
    expect(lost.map((e) => (e as UserError).code)).toEqual(Array(19).fill('already_closed'));
    expect(errorText(lost[0] as UserError)).toBe(`${id} was already closed by Chen Jing; report a recurrence if it happened again.`);
  });

  it('WHEN 50 incidents are reported at once from 20 connections THEN they get 50 distinct ids', async () => {
    const { won, lost } = await settle(
      Array.from({ length: 50 }, (_, i) => peers[i % peers.length]!.service.report(people.user, reportInput({ title: `burst ${i}` }))),
    );
    expect(lost).toEqual([]);
    const ids = won.map((r) => (r as PromiseFulfilledResult<{ incident: { id: string } }>).value.incident.id);
    expect(new Set(ids).size).toBe(50);
    const stored = await t.app.service.list({ limit: 500 });
    expect(stored.filter((i) => i.title.startsWith('burst '))).toHaveLength(50);
  });
});
