import { describe, expect, it } from 'vitest';
import { Voices } from '../../src/app/voice.js';
import { Directory } from '../../src/domain/directory.js';
import type { IncidentEvent } from '../../src/domain/incident.js';
import { newIncident } from '../../src/domain/report.js';
import { Notices } from '../../src/outbox/notices.js';
import type { Locale } from '../../src/i18n/index.js';
import { T0, config as defaultConfig, people, reportInput } from '../support/fixtures.js';

/** A notice is written in each recipient's language; a notice for two languages becomes two. */
describe('notices in the recipient\'s language', () => {
  const config = structuredClone(defaultConfig);
  config.organisation.people.find((p) => p.id === people.desk2.id)!.locale = 'zh-CN';
  config.organisation.groups.find((g) => g.id === 'service-desk')!.onDuty = [people.desk.id, people.desk2.id];
  const directory = new Directory(config);
  const remembered = new Map<string, Locale>([[people.manager.id, 'zh-CN']]);
  const notices = new Notices(config, directory, new Voices(config, directory), (id) => directory.localeOf(id) ?? remembered.get(id) ?? directory.defaultLocale);
  const { incident } = newIncident(reportInput({ title: 'Mail server down' }), { number: 7, actor: people.user, config, directory, now: T0 });
  const event: IncidentEvent = { incidentId: incident.id, seq: 1, at: T0, actorId: people.user.id, actorName: people.user.name, action: 'report', to: 'open', data: {}, changes: {}, flags: [] };

  it('GIVEN first line of two languages THEN the new-incident notice goes out once in each, to the right people', () => {
    const sent = notices.forEvent(incident, event).filter((n) => n.rule === 'status:open');
    const to = (n: (typeof sent)[number]) => n.to.map((d) => (d.kind === 'person' ? d.personId : d.kind));
    const chinese = sent.find((n) => n.text.includes('等待派单'));
    const english = sent.find((n) => n.text.includes('is waiting to be dispatched'));
    expect(chinese && to(chinese)).toEqual([people.desk2.id]);
    expect(english && to(english)).toContain(people.desk.id);
    expect(english && to(english)).not.toContain(people.desk2.id);
    // The card inside speaks the same language as the text around it.
    expect(chinese?.card?.fields.map((f) => f.label)).toContain('优先级');
    // Keys stay unique: the same rule and step, split by recipient.
    expect(sent.every((n) => n.step === String(event.seq))).toBe(true);
  });

  it('GIVEN a language a platform reported (not configured) THEN timer notices use it too', () => {
    const timer = { key: 'target:respond', rule: 'target' as const, target: 'respond' as const, dueAt: new Date(T0.getTime() + 600_000) };
    const sent = notices.forTimer(incident, timer as never, 0);
    const forManager = sent.find((n) => n.to.some((d) => d.kind === 'person' && d.personId === people.manager.id));
    expect(forManager?.text).toContain('超时');
  });
});
