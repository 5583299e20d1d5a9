import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { config, people } from '../support/fixtures.js';
import { startRecordedApp, type RecordingMessenger } from '../support/timers.js';
import { Problems } from '../../src/app/problems.js';
import { SYSTEM_ACTOR } from '../../src/domain/directory.js';

/**
 * Closing the loop (SPEC §11), through the chat protocol: an incident closed "successful with
 * problem" goes to the team lead for verification, is returned, corrected and verified; the
 * reporter rates it once; a problem record is raised, linked, moved through its lifecycle and its
 * workaround published; a month rolls over and the follow-up calls are drawn once.
 */
describe('closing the loop: verification, satisfaction, problem records, follow-up calls', () => {
  let t: TestApp;
  let recorder: RecordingMessenger;
  let flush: () => Promise<void>;
  let run: (who: { id: string; name: string }, text: string, key?: string) => ReturnType<TestApp['app']['run']>;
  const lead = people.desk2; // wang.fang: the service desk's team lead in the default configuration
  const problemManager = { id: 'ma.jun', name: 'Ma Jun' };
  let closedId = '';

  beforeAll(async () => {
    ({ t, recorder, flush, say: run } = await startRecordedApp(config));
  });
  afterAll(async () => t.close());

  const idOf = (text: string | undefined) => /INC-\d+/.exec(text ?? '')![0];
  const sentTo = (rule: string, personId: string) => recorder.sent.filter((d) => d.message.rule === rule && d.destination.kind === 'person' && d.destination.personId === personId);

  async function resolvedIncident(title: string): Promise<string> {
    const reply = await t.app.run(people.user, 'report', { title, description: 'The badge reader at gate 2 rejects every card', impact: '3', urgency: '3', ci: 'gate-2-reader' }, { submitted: true });
    const id = idOf(reply.text);
    await t.app.run(people.desk, 'dispatch', { id, groupId: 'infrastructure' });
    await t.app.run(people.infra, 'accept', { id });
    await t.app.run(people.infra, 'resolve', { id, resolutionCode: 'resolved-by-workaround', solution: 'Power-cycled the reader; the relay sticks when it is cold' });
    await t.app.run(people.user, 'confirm', { id });
    return id;
  }

  it('GIVEN a closure "successful with problem" THEN a problem record is raised and linked, its owner told; the team lead is asked to verify; the reporter to rate', async () => {
    closedId = await resolvedIncident('Badge reader rejects cards');
    const closed = await t.app.run(people.desk, 'close', { id: closedId, closureCode: 'successful-with-problem' });
    expect(closed.text).toContain('a problem record is raised');
    await flush();
    const incident = (await t.app.store.load(closedId))!;
    expect(incident).toMatchObject({ status: 'closed', closingGroupId: 'service-desk', links: { problem: 'PRB-000001' } });
    const card = t.app.presenter.card(incident, t.clock.now());
    expect(card.fields).toEqual(expect.arrayContaining([{ label: 'Problem', value: 'PRB-000001', short: true }, { label: 'Verification', value: 'not verified yet', short: true }]));

    const shown = await run(problemManager, 'problem PRB-000001');
    expect(shown.text).toContain('PRB-000001 "Badge reader rejects cards" — open');
    expect(shown.text).toContain(`Owner: Ma Jun · raised from a closure "successful with problem" · incidents: ${closedId}`);
    expect(shown.text).toContain('Affects: gate-2-reader');
    const raised = sentTo('problem:raised', problemManager.id);
    expect(raised).toHaveLength(1);
    expect(raised[0]!.message.text).toContain(`Problem PRB-000001 was raised from ${closedId} "Badge reader rejects cards" and is yours`);

    const askLead = sentTo('verify:request', lead.id);
    expect(askLead).toHaveLength(1);
    expect(askLead[0]!.message.text).toContain(`${closedId} "Badge reader rejects cards" was closed by Chen Jing (Successful with problem). As team lead, check the record`);
    expect(askLead[0]!.message.card!.actions.map((a) => a.command)).toEqual(['verify', 'return']);

    const askReporter = sentTo('status:closed:reporter', people.user.id);
    expect(askReporter).toHaveLength(1);
    expect(askReporter[0]!.message.text).toContain('How did we do? Rate the service from 1 (poor) to 5 (excellent)');
    expect(askReporter[0]!.message.card!.actions.filter((a) => a.command === 'rate').map((a) => a.args)).toEqual([1, 2, 3, 4, 5].map((n) => ({ id: closedId, score: String(n) })));
  });

  it('GIVEN the closed record THEN only the lead verifies or returns it; a return goes to the closer, who corrects it; then it is verified once', async () => {
    expect((await run(people.network, `verify ${closedId}`)).text).toContain('You cannot');
    expect((await run(lead, `return ${closedId}`)).form?.fields.map((f) => f.name)).toEqual(['reason']);
    const returned = await t.app.run(lead, 'return', { id: closedId, reason: 'The resolution code should be "resolved by change": facilities replaced the relay' });
    expect(returned.text).toContain(`${closedId}: Return for correction done — now Closed.`);
    await flush();
    const task = sentTo('verify:returned', people.desk.id);
    expect(task).toHaveLength(1);
    expect(task[0]!.message.text).toContain(`Wang Fang returned ${closedId} for correction: The resolution code should be "resolved by change"`);
    expect(task[0]!.message.card!.actions.map((a) => a.command)).toEqual(['correct']);
    expect((await run(lead, `verify ${closedId}`)).text).toBe(`${closedId} was returned for correction and waits for Chen Jing to correct it; verify it after that.`);
    expect((await run(lead, `return ${closedId} again`)).text).toContain('was already returned by Wang Fang');
    expect((await t.app.run(people.user, 'correct', { id: closedId, note: 'x' })).text).toContain('You cannot');
    // A correction must say what was corrected; an unknown code is refused and nothing changes.
    expect((await t.app.run(people.desk, 'correct', { id: closedId, note: 'fixed', resolutionCode: 'magic' })).form?.errors?.resolutionCode).toContain('Resolution code');
    expect((await t.app.store.load(closedId))!.returned).toBeDefined();
    const corrected = await t.app.run(people.desk, 'correct', { id: closedId, note: 'Resolution code set to resolved by change', resolutionCode: 'resolved-by-change' });
    expect(corrected.text).toContain('Correct the record done');
    await flush();
    expect(sentTo('verify:corrected', lead.id)[0]!.message.text).toContain(`Chen Jing corrected ${closedId}: Resolution code set to resolved by change`);
    expect((await run(people.desk, `correct ${closedId}`)).text).toBe(`${closedId} was not returned for correction; there is nothing to correct.`);

    const unverified = await run(people.desk, 'search verified:no');
    expect(JSON.stringify(unverified)).toContain(closedId);
    expect((await run(lead, `verify ${closedId}`)).text).toContain('Verify done');
    expect((await run(lead, `verify ${closedId}`)).text).toBe(`${closedId} was already verified by Wang Fang.`);
    expect(JSON.stringify(await run(people.desk, 'search verified:no'))).not.toContain(closedId);
    expect(JSON.stringify(await run(people.desk, 'search verified:yes'))).toContain(closedId);
    const incident = (await t.app.store.load(closedId))!;
    expect(incident).toMatchObject({ resolutionCode: 'resolved-by-change', verifiedById: lead.id, status: 'closed' });
    expect(incident.returned).toBeUndefined();
    const timeline = JSON.stringify(await run(people.desk, `timeline ${closedId}`));
    for (const line of ['returned the record for correction', 'corrected the record', 'verified the record', 'linked a problem record']) expect(timeline).toContain(line);
  });

  it('GIVEN the reporter THEN a low rating is recorded once, the lead and the incident manager are told, and a comment may follow the button', async () => {
    expect((await t.app.run(people.network, 'rate', { id: closedId, score: '5' })).text).toContain('You cannot');
    // A score that is not 1–5 is refused on the form, before anything runs.
    expect((await run(people.user, `rate ${closedId} 7`)).form?.errors?.score).toContain('Rating: 1 (poor) to 5 (excellent)');
    const pressed = await t.app.run(people.user, 'rate', { id: closedId, score: '2' }, { key: 'rate-press' });
    expect(pressed.text).toBe(`Thank you: you rated ${closedId} 2/5.\nWant to say why? "rate ${closedId} 2 <your comment>" adds it.`);
    await flush();
    for (const who of [lead.id, people.manager.id]) expect(sentTo('rating:low', who)[0]!.message.text).toContain(`Low satisfaction on ${closedId} "Badge reader rejects cards": 2/5`);
    const commented = await run(people.user, `rate ${closedId} 2 It took three days`);
    expect(commented.text).toBe(`Thank you: you rated ${closedId} 2/5.`);
    expect((await run(people.user, `rate ${closedId} 5`)).text).toBe(`Thank you, you already rated ${closedId} (2/5); a rating is given once.`);
    expect((await run(people.user, `rate ${closedId} 2 changed my mind`)).text).toContain('already rated');
    expect((await t.app.store.load(closedId))!.rating).toMatchObject({ score: 2, comment: 'It took three days' });
    // The low-rating notice went once, not again for the comment.
    expect(sentTo('rating:low', lead.id)).toHaveLength(1);
  });

  it('GIVEN the problem record THEN more incidents link to it, it moves through its lifecycle with refusals explained, and its workaround becomes a knowledge article', async () => {
    const second = await resolvedIncident('Badge reader at gate 2 again');
    expect((await run(people.user, `problem link ${second} PRB-000001`)).text).toBe("Only the problem's owner or a problem manager or people who work incidents may \"link\" on PRB-000001.");
    expect((await run(people.infra, `problem link ${second} PRB-000001`)).text).toBe(`${second} is linked to PRB-000001 (2 incident(s)).`);
    expect((await run(people.infra, `problem link ${second} PRB-000001`)).text).toContain('already linked to PRB-000001');
    expect((await t.app.store.load(second))!.links.problem).toBe('PRB-000001');
    expect((await run(people.infra, `problem new ${second}`)).text).toBe(`${second} is already linked to problem PRB-000001.`);

    expect((await run(people.infra, 'problem resolve PRB-000001 resolution=x')).text).toBe('Only the problem\'s owner or a problem manager may "resolve" on PRB-000001.');
    expect((await run(problemManager, 'problem close PRB-000001')).text).toBe('PRB-000001 is open: "close" works when it is resolved.');
    expect((await run(problemManager, 'problem known-error PRB-000001')).text).toContain('PRB-000001 needs workaround=');
    expect((await run(problemManager, 'problem publish PRB-000001')).text).toContain('PRB-000001 needs workaround=');
    const known = await run(problemManager, 'problem known-error PRB-000001 cause=The door relay sticks below 5 °C workaround=Power-cycle the reader at the gate cabinet');
    expect(known.text).toContain('PRB-000001 is now known error.');
    const published = await run(problemManager, 'problem publish PRB-000001');
    expect(published.text).toBe("PRB-000001's workaround is knowledge article KB-000001 (draft).");
    const article = await t.app.service.knowledge.get('KB-000001');
    expect(article).toMatchObject({ title: 'Badge reader rejects cards', solution: 'Power-cycle the reader at the gate cabinet', cause: 'The door relay sticks below 5 °C', status: 'draft' });
    expect((await run(problemManager, 'problem publish PRB-000001')).text).toBe("PRB-000001's workaround is already knowledge article KB-000001.");
    expect((await run(problemManager, 'problem resolve PRB-000001')).text).toContain('needs resolution=');
    expect((await run(problemManager, 'problem resolve PRB-000001 resolution=Heated relay fitted (change CHG-1042)')).text).toContain('is now resolved');
    expect((await run(problemManager, 'problem close PRB-000001')).text).toContain('is now closed');
    expect((await run(people.infra, `problem link ${await resolvedIncident('Third reader')} PRB-000001`)).text).toBe('PRB-000001 is closed: "link" works when it is open or a known error or resolved.');
    const shown = (await run(problemManager, 'problem PRB-000001')).text!;
    for (const line of ['raised', 'linked an incident', 'marked a known error', 'published the workaround', 'resolved', 'closed']) expect(shown).toContain(line);
    expect((await run(problemManager, 'problem')).text).toBe('No open problem records. Raise one from an incident: "problem new INC-…".');
    expect((await run(problemManager, 'problem list all')).text).toContain('PRB-000001 [closed]');
    expect((await run(problemManager, 'problem PRB-9')).text).toBe('There is no problem record "PRB-9" (ids look like PRB-000001).');
  });

  it('GIVEN the closure replayed after a crash, or two ratings at once THEN one problem record, one link and one rating', async () => {
    const before = (await t.app.service.timeline(closedId)).length;
    // The close event's after-commit work run again, from the snapshot it had (no link yet).
    const atClose = { ...(await t.app.store.load(closedId))!, links: {} };
    const again = await new Problems(t.app.service).raiseFrom(atClose, 'closure', SYSTEM_ACTOR, { key: `closure:${closedId}` });
    expect(again).toMatchObject({ created: false, problem: { id: 'PRB-000001' } });
    expect((await t.app.service.timeline(closedId)).length).toBe(before);
    expect((await t.app.service.problems.list(['open', 'known_error', 'resolved', 'closed'])).length).toBe(1);

    const id = await resolvedIncident('Door sensor flaps');
    await t.app.run(people.desk, 'close', { id, closureCode: 'completed' });
    const [a, b] = await Promise.all([t.app.run(people.user, 'rate', { id, score: '5' }), t.app.run(people.user, 'rate', { id, score: '1' })]);
    const texts = [a.text, b.text].sort();
    expect(texts.filter((x) => x?.startsWith('Thank you: you rated'))).toHaveLength(1);
    expect(texts.filter((x) => x?.includes('a rating is given once'))).toHaveLength(1);
    expect((await t.app.service.timeline(id)).filter((e) => e.action === 'rate')).toHaveLength(1);
  });

  it('GIVEN a major incident THEN closing it raises a problem record from its end', async () => {
    const reply = await t.app.run(people.user, 'report', { title: 'Mail is down for everyone', description: 'No mail since 10:00', impact: '1', urgency: '1' }, { submitted: true });
    const id = idOf(reply.text);
    await t.app.run(people.manager, 'declare-major', { id, reason: 'Company-wide outage' });
    await t.app.run(people.desk, 'dispatch', { id, groupId: 'infrastructure' });
    await t.app.run(people.infra, 'accept', { id });
    await t.app.run(people.infra, 'resolve', { id, resolutionCode: 'resolved-by-workaround', solution: 'Failed over to the standby' });
    await t.app.run(people.user, 'confirm', { id });
    await t.app.run(people.desk, 'close', { id, closureCode: 'successful' });
    const incident = (await t.app.store.load(id))!;
    expect(incident.links.problem).toBe('PRB-000002');
    expect((await run(problemManager, 'problem PRB-000002')).text).toContain('raised at the end of a major incident');
  });

  it('GIVEN a closed record left unverified THEN the lead is reminded once, a day after the closure', async () => {
    const id = await resolvedIncident('Printer jams on floor 3');
    await t.app.run(people.desk, 'close', { id, closureCode: 'completed' });
    await flush();
    const before = sentTo('verification', lead.id).length;
    t.clock.advance(23 * 3_600_000);
    await flush();
    expect(recorder.sent.filter((d) => d.message.key.startsWith(`${id}:verification:`))).toHaveLength(0);
    t.clock.advance(2 * 3_600_000);
    await flush();
    await flush();
    const reminders = recorder.sent.filter((d) => d.message.key.startsWith(`${id}:verification:`));
    expect(reminders.map((d) => (d.destination.kind === 'person' ? d.destination.personId : ''))).toEqual([lead.id]);
    expect(reminders[0]!.message.text).toContain(`${id} "Printer jams on floor 3", closed`);
    expect(reminders[0]!.message.text).toContain('is still not verified');
    expect(before).toBe(0);
  });

  it('GIVEN a month rolled over THEN the follow-up calls are drawn once: every priority and every major, queued for the desk, each outcome recorded', async () => {
    expect((await run(people.desk, 'followup')).text).toContain('No month has been drawn');
    // Tuesday 2026-02-03 10:00 UTC: past the first working day (Monday 2 February) at 09:00.
    t.clock.set(new Date('2026-02-03T10:00:00Z'));
    const first = await t.app.followUps.runDue();
    expect(first?.month).toBe('2026-01');
    const again = await t.app.followUps.runDue();
    expect(again).toMatchObject({ month: '2026-01', drawn: 0 });
    expect((await run(people.manager, 'followup run 2026-01')).text).toContain('2026-01 was already drawn');
    expect((await run(people.desk, 'followup run')).text).toBe('Only incident managers and process owners draw the follow-up calls by hand (the job draws them each month).');
    await flush();
    const told = sentTo('follow-up:2026-01', people.desk.id);
    expect(told).toHaveLength(1);
    expect(told[0]!.message.text).toContain(`Follow-up calls for 2026-01: ${first!.drawn} of`);

    const calls = await t.app.service.followUps.month('2026-01');
    expect(calls.length).toBe(first!.drawn);
    const closedJanuary = await t.app.store.closedBetween(new Date('2026-01-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'));
    const priorities = new Set(closedJanuary.filter((i) => !i.withdrawn).map((i) => i.priority));
    expect(new Set(calls.map((c) => c.priority))).toEqual(priorities);
    for (const major of closedJanuary.filter((i) => i.major)) expect(calls.map((c) => c.incidentId)).toContain(major.id);

    const queue = await run(people.desk, 'followup');
    expect(queue.text).toContain(`Follow-up calls for 2026-01: ${calls.length} of ${calls.length} still to make.`);
    const call = calls[0]!;
    expect((await run(people.user, `followup ${call.incidentId} reached satisfied`)).text).toContain('You cannot');
    expect((await run(people.desk, `followup ${call.incidentId} reached`)).text).toContain('Follow-up commands');
    const recorded = await run(people.desk, `followup ${call.incidentId} reached satisfied Quick and friendly`);
    expect(recorded.text).toContain(`Follow-up call for ${call.incidentId} (2026-01) recorded.`);
    expect((await run(people.desk, `followup ${call.incidentId} not-reached`)).text).toBe(`The follow-up call for ${call.incidentId} was already recorded by Chen Jing.`);
    const incident = (await t.app.store.load(call.incidentId))!;
    expect(incident.followUpCall).toMatchObject({ month: '2026-01', outcome: 'reached', satisfied: true, comment: 'Quick and friendly', byId: people.desk.id });
    expect(t.app.presenter.card(incident, t.clock.now()).fields).toEqual(expect.arrayContaining([{ label: 'Follow-up call', value: '2026-01: reached, satisfied — Quick and friendly', short: true }]));
    expect((await run(people.desk, 'followup 2026-01')).text).toContain(`${calls.length - 1} of ${calls.length} still to make`);
    const notSampled = closedJanuary.find((i) => !calls.some((c) => c.incidentId === i.id));
    if (notSampled) expect((await run(people.desk, `followup ${notSampled.id} not-reached`)).text).toBe(`${notSampled.id} is not in a follow-up queue; "followup" shows the calls to make.`);
  });
});

describe('a Chinese desk (config/default.zh-CN.yml): closing the loop in Chinese', () => {
  it('GIVEN a closure with a problem THEN the lead, the reporter and the problem owner read Chinese', async () => {
    const { loadConfigFile } = await import('../../src/config/load-config.js');
    const { t, recorder, flush, say } = await startRecordedApp(loadConfigFile('config/default.zh-CN.yml'));
    try {
      const reply = await t.app.run(people.user, 'report', { title: '门禁读卡器拒卡', description: '2 号门', impact: '3', urgency: '3' }, { submitted: true });
      const id = /INC-\d+/.exec(reply.text ?? '')![0];
      await t.app.run(people.desk, 'resolve', { id, resolutionCode: 'resolved-by-workaround', solution: '重启读卡器' });
      await t.app.run(people.user, 'confirm', { id });
      await t.app.run(people.desk, 'close', { id, closureCode: 'successful-with-problem' });
      await flush();
      const text = (rule: string) => recorder.sent.find((d) => d.message.rule === rule)?.message.text ?? '';
      expect(text('verify:request')).toContain('请值班组长核实记录');
      expect(text('status:closed:reporter')).toContain('请评价本次服务');
      expect(text('problem:raised')).toContain('提交问题单 PRB-000001');
      expect((await say(people.desk2, `verify ${id}`)).text).toContain('核实');
      expect((await say(people.user, `rate ${id} 5 很快`)).text).toBe(`谢谢：您给 ${id} 打了 5/5 分。`);
      expect((await say(people.user, `rate ${id} 1`)).text).toBe(`谢谢，您已为 ${id} 打过分（5/5）；每个事件只评价一次。`);
    } finally {
      await t.close();
    }
  });
});
