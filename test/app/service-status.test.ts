import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Messenger } from '../../src/app/platform.js';
import type { ConfigFile } from '../../src/config/config.schema.js';
import type { App } from '../../src/bot/app.js';
import { newIncident } from '../../src/domain/report.js';
import { Directory } from '../../src/domain/directory.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { config as base, people, reportInput } from '../support/fixtures.js';
import { deliveryWorker, RecordingMessenger } from '../support/timers.js';

const MIN = 60_000;
const HAN = /\p{Script=Han}/u;

/** The shipped policy, a channel for OA, and Sun Hao reading Chinese. */
const config: ConfigFile = {
  ...base,
  organisation: {
    ...base.organisation,
    serviceChannels: { oa: { slack: 'C0OA', discord: '900000000000000001' } },
    people: base.organisation.people.map((p) => (p.id === people.infra.id ? { ...p, locale: 'zh-CN' as const } : p)),
  },
};

/**
 * SPEC §7: tell affected users when the service is interrupted and again when it is restored. A
 * service's state follows its open incidents by the policy's rules; each change reaches the
 * service's channel and its subscribers once, each in their language, however many processes
 * handle it.
 */
describe('service status: states, subscribers, notices', () => {
  let t: TestApp;
  let peer: App;
  const recorder: { current?: RecordingMessenger } = {};
  const messengers: Messenger[] = [];
  const say = (who: { id: string; name: string }, name: string, service?: string) => t.app.run(who, name, service ? { service } : {});
  /** Every outbox entry due now is delivered (to the recorder, shared by both processes). */
  const flush = async () => {
    const worker = deliveryWorker(t.app, t.clock);
    while ((await worker.runOnce()) > 0) if ((await t.app.outboxStore.due(t.clock.now(), 1)).length === 0) break;
  };
  /** The state notices of a service delivered so far: recipient → texts. */
  const told = (service: string) => {
    const out = new Map<string, string[]>();
    for (const d of recorder.current!.sent.filter((s) => s.message.rule === `service:${service}`)) {
      const to = d.destination.kind === 'person' ? d.destination.personId : d.destination.kind === 'service' ? `#${d.destination.serviceId}` : d.destination.kind;
      out.set(to, [...(out.get(to) ?? []), d.message.text]);
    }
    return out;
  };
  const stateOf = async (service: string) => (await t.app.serviceStatus.services()).find((s) => s.id === service)!;

  beforeAll(async () => {
    t = await startTestApp(config, { messengers });
    recorder.current = new RecordingMessenger(t.clock);
    messengers.push(recorder.current);
    peer = await t.peer();
  });
  afterAll(async () => t.close());

  describe('subscribe, unsubscribe, the list', () => {
    it('GIVEN Lin Na and Sun Hao (Chinese) WHEN they subscribe to OA THEN each is told so, in their language', async () => {
      const lin = await say(people.user, 'subscribe', 'oa');
      expect(lin.text).toBe('You follow Office automation (OA) now: you are told when its state changes and when it is restored. It is Operational.');
      const sun = await say(people.infra, 'subscribe', 'Office automation (OA)');
      expect(sun.text).toMatch(HAN);
      expect(sun.text).toContain('Office automation (OA)');
      expect((await say(people.user, 'subscribe', 'OA')).text).toBe('You already follow Office automation (OA) (Operational).');
    });

    it('"subscribe" alone lists every service with its state, a ✓ on those you follow', async () => {
      const reply = await say(people.user, 'subscribe');
      const lines = reply.text!.split('\n');
      expect(lines[0]).toBe('Services and their state (✓ you follow it):');
      expect(lines).toContain('✓ Office automation (OA) [oa]: Operational');
      expect(lines).toContain('· Finance [finance]: Operational');
      expect(lines).toHaveLength(base.policy.services.length + 2);
    });

    it('refuses an unknown service with a sentence naming the services', async () => {
      const reply = await say(people.user, 'subscribe', 'coffee-machine');
      expect(reply.error?.code).toBe('subscribe_unknown_service');
      expect(reply.text).toMatch(/^"coffee-machine" is not a service\. The services: websites \(Websites\), portal-sso \(Portal \/ SSO\), .*oa \(Office automation \(OA\)\).*network \(Network\)\.$/);
      const zh = await t.app.run(people.user, 'unsubscribe', { service: 'coffee-machine' }, { locale: 'zh-CN' });
      expect(zh.text).toMatch(/^“coffee-machine”不是服务。服务有：websites/);
    });

    it('unsubscribe stops it, and says so when there was nothing to stop', async () => {
      await say(people.desk, 'subscribe', 'oa');
      expect((await say(people.desk, 'unsubscribe', 'oa')).text).toBe('You no longer follow Office automation (OA).');
      expect((await say(people.desk, 'unsubscribe', 'oa')).text).toBe('You were not following Office automation (OA); nothing changed.');
      expect((await say(people.desk, 'subscribe')).text).toContain('· Office automation (OA) [oa]: Operational');
    });
  });

  describe('a service follows its open incidents', () => {
    let id: string;

    it('GIVEN OA operational WHEN a P1 whose CI cannot work is logged THEN OA is out, and its channel and each subscriber are told once', async () => {
      t.clock.set(new Date('2026-01-05T09:00:00Z'));
      id = (await t.app.service.report(people.user, reportInput({ title: 'OA login fails for everyone', service: 'oa', ci: 'oa-app-01', ciOperable: false, impact: 1, urgency: 1 }))).incident.id;
      await flush();
      expect(await stateOf('oa')).toMatchObject({ state: 'outage', since: new Date('2026-01-05T09:00:00Z'), causes: [{ id, priority: 'P1', major: true }] });
      const notices = told('oa');
      expect([...notices.keys()].sort()).toEqual(['#oa', people.user.id, people.infra.id].sort());
      for (const texts of notices.values()) expect(texts).toHaveLength(1);
      expect(notices.get(people.user.id)![0]).toBe(
        [`Office automation (OA): Outage since 2026-01-05 09:00 UTC (was Operational).`, `Because of: ${id} (P1, major incident)`, `The service desk: ${base.organisation.serviceDeskContact}`].join('\n'),
      );
      // The channel reads the organisation's language; Sun Hao his own. No title: the policy shows nothing internal.
      expect(notices.get('#oa')![0]).toBe(notices.get(people.user.id)![0]);
      expect(notices.get(people.infra.id)![0]).toMatch(/^Office automation \(OA\)：自 2026\/01\/05 09:00 UTC 起中断（此前：正常）。/);
      expect(notices.get(people.infra.id)![0]).toContain(`${id}（P1，重大事件）`);
      for (const [text] of notices.values()) expect(text).not.toContain('OA login fails');
    });

    it('WHEN it is downgraded to P3 THEN OA is degraded (one notice each); a second open incident adds no notice', async () => {
      t.clock.advance(10 * MIN);
      await t.app.service.act(id, 'change-priority', people.desk, { priority: 'P3', reason: 'A workaround lets most people in' });
      await flush();
      expect(await stateOf('oa')).toMatchObject({ state: 'degraded', since: new Date('2026-01-05T09:10:00Z') });
      expect(told('oa').get(people.user.id)).toHaveLength(2);
      expect(told('oa').get(people.user.id)![1]).toMatch(/^Office automation \(OA\): Degraded since 2026-01-05 09:10 UTC \(was Outage\)\.\nBecause of: INC-\d+ \(P3, major incident\)\n/);
      // A P3 on the same service joins the causes; the state stays degraded, so nobody is told again.
      t.clock.advance(MIN);
      const second = (await t.app.service.report(people.user, reportInput({ title: 'OA slow', service: 'oa' }))).incident.id;
      await flush();
      expect((await stateOf('oa')).causes.map((c) => c.id)).toEqual([id, second].sort());
      expect(told('oa').get(people.user.id)).toHaveLength(2);
      await t.app.service.act(second, 'withdraw', people.desk, { reason: 'duplicate report' });
    });

    it('WHEN it is resolved THEN OA is operational again, and everyone is told it is restored', async () => {
      t.clock.advance(10 * MIN);
      await t.app.service.act(id, 'resolve', people.desk, { resolutionCode: 'resolved-by-workaround', solution: 'Restarted the SSO bridge' });
      await flush();
      expect(await stateOf('oa')).toMatchObject({ state: 'operational', since: new Date('2026-01-05T09:21:00Z'), causes: [] });
      const notices = told('oa');
      for (const texts of notices.values()) expect(texts).toHaveLength(3);
      expect(notices.get(people.user.id)![2]).toBe(`Office automation (OA) is restored: Operational again since 2026-01-05 09:21 UTC (was Degraded).\nThe service desk: ${base.organisation.serviceDeskContact}`);
      expect(notices.get(people.infra.id)![2]).toMatch(/^Office automation \(OA\) 已恢复：自 2026\/01\/05 09:21 UTC 起正常（此前：性能下降）。/);
      // Another process reads the same states; replaying the change there adds nothing.
      expect((await peer.serviceStatus.services()).find((s) => s.id === 'oa')?.state).toBe('operational');
      const incident = await t.app.store.load(id);
      const event = (await t.app.service.timeline(id)).at(-1)!;
      await peer.serviceStatus.onChange({ incident: incident!, event });
      await flush();
      expect(told('oa').get(people.user.id)).toHaveLength(3);
    });

    it('a reclassified incident moves its effect: the old service is restored, the new one goes out', async () => {
      t.clock.set(new Date('2026-01-06T10:00:00Z'));
      await say(people.user, 'subscribe', 'finance');
      const moved = (await t.app.service.report(people.user, reportInput({ title: 'Ledger down', service: 'oa', impact: 1, urgency: 1 }))).incident.id;
      t.clock.advance(5 * MIN);
      await t.app.service.act(moved, 'classify', people.desk, { service: 'finance' });
      await flush();
      expect((await stateOf('oa')).state).toBe('operational');
      expect((await stateOf('finance')).state).toBe('outage');
      expect(told('oa').get(people.user.id)!.slice(3)).toEqual([expect.stringMatching(/: Outage since 2026-01-06 10:00/), expect.stringMatching(/is restored: Operational again since 2026-01-06 10:05/)]);
      expect(told('finance').get(people.user.id)).toEqual([expect.stringMatching(/^Finance: Outage since 2026-01-06 10:05 UTC \(was Operational\)\.\nBecause of: INC-/)]);
      await t.app.service.act(moved, 'resolve', people.desk, { resolutionCode: 'resolved-by-workaround', solution: 'Failover' });
      await flush();
    });
  });

  describe('two processes, one notice', () => {
    it('the same change handled by two processes at once: one state change, one notice each', async () => {
      t.clock.set(new Date('2026-01-07T08:00:00Z'));
      await say(people.user, 'subscribe', 'gis');
      // A change committed whose after-commit work both processes run at once (a replay racing the original).
      const number = await t.app.store.allocateNumber();
      const { incident } = newIncident(reportInput({ title: 'Maps blank', service: 'gis', impact: 1, urgency: 1 }), { number, actor: people.user, config, directory: new Directory(config), now: t.clock.now() });
      const event = { incidentId: incident.id, seq: 1, at: t.clock.now(), actorId: people.user.id, actorName: people.user.name, action: 'report', data: {}, changes: { ...incident }, to: 'open' as const, flags: [] };
      expect(await t.app.store.create(incident, event)).toBe(true);
      await Promise.all([t.app.serviceStatus.onChange({ incident, event }), peer.serviceStatus.onChange({ incident, event }), peer.serviceStatus.onChange({ incident, event })]);
      await flush();
      // One revision: the unique insert of gis:1 let one process write it; the others found it there.
      expect(await t.conn.collection('service_transitions').find({ service: 'gis' }).toArray()).toMatchObject([{ _id: 'gis:1', from: 'operational', to: 'outage' }]);
      expect(told('gis').get(people.user.id)).toEqual([expect.stringMatching(/^GIS: Outage since 2026-01-07 08:00 UTC/)]);
      expect(told('gis').get('#gis')).toHaveLength(1);
    });

    it('two P1s on one service logged by two processes at once: the service goes out once', async () => {
      t.clock.set(new Date('2026-01-07T09:00:00Z'));
      await say(people.user, 'subscribe', 'network');
      const [a, b] = await Promise.all([
        t.app.service.report(people.user, reportInput({ title: 'Core switch down', service: 'network', impact: 1, urgency: 1 })),
        peer.service.report(people.vip, reportInput({ title: 'No network on floor 3', service: 'network', impact: 1, urgency: 1 })),
      ]);
      await flush();
      expect(told('network').get(people.user.id)).toHaveLength(1);
      expect((await stateOf('network')).causes.map((c) => c.id).sort()).toEqual([a.incident.id, b.incident.id].sort());
      // Resolving one leaves the other: still out, nobody told; resolving both restores it, once.
      await peer.service.act(a.incident.id, 'resolve', people.desk, { resolutionCode: 'resolved-by-workaround', solution: 'Replaced' });
      await flush();
      expect(told('network').get(people.user.id)).toHaveLength(1);
      await t.app.service.act(b.incident.id, 'resolve', people.desk, { resolutionCode: 'resolved-by-workaround', solution: 'Patched' });
      await flush();
      expect(told('network').get(people.user.id)).toEqual([expect.stringMatching(/: Outage since/), expect.stringMatching(/is restored/)]);
    });
  });

  describe('a burst on one service', () => {
    it('forty reports of the same outage at once: every one behind the state, a few revisions, one notice', async () => {
      t.clock.set(new Date('2026-01-08T09:00:00Z'));
      await say(people.user, 'subscribe', 'desktops');
      const reports = await Promise.all(
        Array.from({ length: 40 }, (_, i) => t.app.service.report(people.user, reportInput({ title: `Desktop ${i} frozen`, service: 'desktops', impact: 3, urgency: 3 }))),
      );
      await t.app.service.idle();
      await flush();
      const ids = reports.map((r) => r.incident.id).sort();
      expect((await stateOf('desktops')).state).toBe('degraded');
      expect((await stateOf('desktops')).causes.map((c) => c.id).sort()).toEqual(ids);
      // The decisions waited for each other and went in batches: one revision a report would be 40,
      // each one racing the others for the next revision number.
      const revisions = await t.conn.collection('service_transitions').countDocuments({ service: 'desktops' });
      expect(revisions).toBeGreaterThanOrEqual(1);
      expect(revisions).toBeLessThanOrEqual(4);
      expect(told('desktops').get(people.user.id)).toEqual([expect.stringMatching(/^Desktops: Degraded since 2026-01-08 09:00 UTC/)]);
      for (const { incident } of reports) await t.app.service.act(incident.id, 'resolve', people.desk, { resolutionCode: 'resolved-by-workaround', solution: 'Rebooted' });
      await t.app.service.idle();
      await flush();
      expect((await stateOf('desktops')).state).toBe('operational');
      expect(told('desktops').get(people.user.id)).toEqual([expect.stringMatching(/Degraded since/), expect.stringMatching(/is restored/)]);
    });
  });
});
